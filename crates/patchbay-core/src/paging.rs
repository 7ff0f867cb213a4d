//! One paging engine for the five styles. Page-numbered and offset styles fetch the first
//! page, learn the total, then fetch the rest concurrently (within the connection's
//! concurrency and rate limit); cursor styles go one page after another. Records are reported
//! as pages arrive; the result keeps the provider's order, each record once.

use std::collections::{BTreeMap, HashSet};

use futures::StreamExt;
use serde_json::Value;
use url::Url;

use crate::error::ApiError;
use crate::providers::{Paging, ResourceDef};
use crate::session::{value_text, ApiResponse, Connection};

/// A record as the provider sent it.
pub type Record = Value;

/// Called for each page as it arrives with (the page's records, records fetched so far,
/// total when known). Concurrently fetched pages may arrive out of order.
pub type ProgressFn<'a> = dyn Fn(&[Record], usize, Option<usize>) + Send + Sync + 'a;

fn with_params(base: &Url, params: &[(&str, String)]) -> Url {
    let mut url = base.clone();
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    url
}

/// Moves the page's records out of the body (the rest of the body stays readable).
fn items(body: &mut Value, pointer: &str) -> Result<Vec<Value>, ApiError> {
    let v = if pointer.is_empty() {
        Some(body)
    } else {
        body.pointer_mut(pointer)
    };
    match v {
        Some(Value::Array(a)) => Ok(std::mem::take(a)),
        _ => Err(ApiError::Decode(format!("no list of items at {pointer:?}"))),
    }
}

fn number_at(body: &Value, pointer: &Option<String>) -> Option<u64> {
    let p = pointer.as_ref()?;
    match body.pointer(p)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

struct Progress<'a> {
    fetched: std::sync::atomic::AtomicUsize,
    total: std::sync::Mutex<Option<usize>>,
    /// Distinct records seen (by id; a record without one counts once each), to notice a
    /// list that lost records while it was paged.
    distinct: std::sync::Mutex<(HashSet<String>, usize)>,
    id_pointer: &'a str,
    f: &'a ProgressFn<'a>,
}

impl Progress<'_> {
    fn set_total(&self, t: Option<usize>) {
        *self.total.lock().unwrap_or_else(|e| e.into_inner()) = t;
    }
    fn add(&self, page: &[Record]) {
        {
            let mut distinct = self.distinct.lock().unwrap_or_else(|e| e.into_inner());
            for r in page {
                match r.pointer(self.id_pointer) {
                    Some(id) if !id.is_null() => {
                        distinct.0.insert(id.to_string());
                    }
                    _ => distinct.1 += 1,
                }
            }
        }
        let n = page.len();
        let fetched = self
            .fetched
            .fetch_add(n, std::sync::atomic::Ordering::SeqCst)
            + n;
        let total = *self.total.lock().unwrap_or_else(|e| e.into_inner());
        (self.f)(page, fetched, total);
    }
}

/// Fetches every page of `resource` at `base` (already with its path variables filled).
pub async fn fetch_all(
    conn: &Connection,
    base: &Url,
    resource: &ResourceDef,
    progress: &ProgressFn<'_>,
) -> Result<Vec<Record>, ApiError> {
    let (records, _) = fetch_pages(conn, base, resource, progress, Keep::All).await?;
    Ok(dedupe(records, &resource.id_pointer))
}

/// Fetches every page of `resource` and hands each one to `progress` only, keeping none: a
/// caller that stores pages as they arrive (the cache) holds one page at a time, not the whole
/// resource. Answers how many records arrived (a repeated record counts each time).
pub async fn stream_all(
    conn: &Connection,
    base: &Url,
    resource: &ResourceDef,
    progress: &ProgressFn<'_>,
) -> Result<usize, ApiError> {
    let (_, count) = fetch_pages(conn, base, resource, progress, Keep::None).await?;
    Ok(count)
}

/// Whether the paging engine keeps the records it fetched, or only reports them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    All,
    None,
}

/// A record inserted at the top while we page shifts the next page by one: its last record
/// of the previous page arrives again. Keep the first copy of each id (records without an id
/// are kept as they are).
fn dedupe(records: Vec<Record>, id_pointer: &str) -> Vec<Record> {
    let mut seen = HashSet::new();
    records
        .into_iter()
        .filter(|r| match r.pointer(id_pointer) {
            Some(id) if !id.is_null() => seen.insert(id.to_string()),
            _ => true,
        })
        .collect()
}

async fn fetch_pages(
    conn: &Connection,
    base: &Url,
    resource: &ResourceDef,
    progress: &ProgressFn<'_>,
    keep: Keep,
) -> Result<(Vec<Record>, usize), ApiError> {
    let p = Progress {
        fetched: 0.into(),
        total: std::sync::Mutex::new(None),
        distinct: std::sync::Mutex::new((HashSet::new(), 0)),
        id_pointer: &resource.id_pointer,
        f: progress,
    };
    let records = fetch_pages_into(conn, base, resource, &p, keep).await?;
    // A page that shifted while the list was read (an item deleted above it) skips a record
    // no later page returns: finishing would report the list complete without it.
    let expected = *p.total.lock().unwrap_or_else(|e| e.into_inner());
    let (ids, without_id) = p.distinct.into_inner().unwrap_or_else(|e| e.into_inner());
    let got = ids.len() + without_id;
    if let Some(expected) = expected.filter(|&t| got < t) {
        tracing::warn!(provider = %conn.def().id, got, expected, "the list changed while it was read");
        return Err(ApiError::Incomplete { got, expected });
    }
    Ok((records, p.fetched.into_inner()))
}

async fn fetch_pages_into(
    conn: &Connection,
    base: &Url,
    resource: &ResourceDef,
    p: &Progress<'_>,
    keep: Keep,
) -> Result<Vec<Record>, ApiError> {
    // `out` only grows when the caller keeps the records.
    let kept = |page: Vec<Record>| if keep == Keep::All { page } else { Vec::new() };
    let concurrency = conn.def().rate_limit.concurrency.max(1);
    let get = |url: Url| async move { conn.get_json(&url).await };

    match &resource.paging {
        Paging::PageNumber {
            page_param,
            first_page,
            total_pages,
            total_items,
        }
        | Paging::PagePerPage {
            page_param,
            first_page,
            total_pages,
            total_items,
            ..
        } => {
            let size = match &resource.paging {
                Paging::PagePerPage {
                    size_param,
                    page_size,
                    ..
                } => Some((size_param, *page_size)),
                _ => None,
            };
            let page_url = |n: u64| {
                let mut params = vec![(page_param.as_str(), n.to_string())];
                if let Some((sp, sz)) = size {
                    params.push((sp.as_str(), sz.to_string()));
                }
                with_params(base, &params)
            };
            let mut first = get(page_url(*first_page)).await?;
            let first_items = items(&mut first.body, &resource.items)?;
            let t_items = number_at(&first.body, total_items);
            let t_pages = number_at(&first.body, total_pages)
                .or_else(|| size.and_then(|(_, sz)| t_items.map(|t| t.div_ceil(sz))));
            p.set_total(t_items.map(|t| t as usize));
            p.add(&first_items);
            let mut last_len = first_items.len();
            let mut out = kept(first_items);
            match t_pages {
                Some(pages) => {
                    let rest: Vec<u64> = (first_page + 1..first_page + pages.max(1)).collect();
                    let pages = fetch_concurrently(
                        rest,
                        concurrency,
                        |n| get(page_url(n)),
                        resource,
                        p,
                        keep,
                    )
                    .await?;
                    out.extend(pages);
                }
                None => {
                    let mut n = *first_page;
                    while last_len > 0 && size.is_none_or(|(_, sz)| last_len as u64 >= sz) {
                        n += 1;
                        let page = items(&mut get(page_url(n)).await?.body, &resource.items)?;
                        last_len = page.len();
                        p.add(&page);
                        out.extend(kept(page));
                    }
                }
            }
            Ok(out)
        }
        Paging::OffsetLimit {
            offset_param,
            limit_param,
            page_size,
            total_items,
        } => {
            let page_url = |offset: u64| {
                with_params(
                    base,
                    &[
                        (limit_param.as_str(), page_size.to_string()),
                        (offset_param.as_str(), offset.to_string()),
                    ],
                )
            };
            let mut first = get(page_url(0)).await?;
            let first_items = items(&mut first.body, &resource.items)?;
            let total = number_at(&first.body, total_items);
            p.set_total(total.map(|t| t as usize));
            p.add(&first_items);
            let mut last_len = first_items.len() as u64;
            let mut out = kept(first_items);
            match total {
                Some(total) => {
                    let offsets: Vec<u64> = (1..)
                        .map(|i| i * page_size)
                        .take_while(|o| *o < total)
                        .collect();
                    let pages = fetch_concurrently(
                        offsets,
                        concurrency,
                        |o| get(page_url(o)),
                        resource,
                        p,
                        keep,
                    )
                    .await?;
                    out.extend(pages);
                }
                None => {
                    let mut offset = 0;
                    while last_len >= *page_size {
                        offset += page_size;
                        let page = items(&mut get(page_url(offset)).await?.body, &resource.items)?;
                        last_len = page.len() as u64;
                        p.add(&page);
                        out.extend(kept(page));
                    }
                }
            }
            Ok(out)
        }
        Paging::CursorHeader {
            cursor_param,
            header,
            size_param,
            page_size,
        } => {
            let size: Vec<(&str, String)> = match (size_param, page_size) {
                (Some(sp), Some(sz)) => vec![(sp.as_str(), sz.to_string())],
                _ => vec![],
            };
            let mut cursor: Option<String> = None;
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            loop {
                let mut params = size.clone();
                if let Some(c) = &cursor {
                    params.push((cursor_param.as_str(), c.clone()));
                }
                let mut resp = get(with_params(base, &params)).await?;
                let page = items(&mut resp.body, &resource.items)?;
                p.add(&page);
                out.extend(kept(page));
                let next = next_from_header(&resp, header);
                match next {
                    Some(n) if seen.insert(n.clone()) => cursor = Some(n),
                    Some(_) => return Err(ApiError::Decode("the next-page cursor repeats".into())),
                    None => break,
                }
            }
            Ok(out)
        }
        Paging::CursorBody {
            cursor_param,
            next,
            size_param,
            page_size,
            total_items,
        } => {
            let size: Vec<(&str, String)> = match (size_param, page_size) {
                (Some(sp), Some(sz)) => vec![(sp.as_str(), sz.to_string())],
                _ => vec![],
            };
            let mut cursor: Option<String> = None;
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            loop {
                let mut params = size.clone();
                if let Some(c) = &cursor {
                    params.push((cursor_param.as_str(), c.clone()));
                }
                let mut resp = get(with_params(base, &params)).await?;
                if cursor.is_none() {
                    p.set_total(number_at(&resp.body, total_items).map(|t| t as usize));
                }
                let page = items(&mut resp.body, &resource.items)?;
                p.add(&page);
                out.extend(kept(page));
                let n = match resp.body.pointer(next) {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(value_text(v)).filter(|s| !s.is_empty()),
                };
                match n {
                    Some(n) if seen.insert(n.clone()) => cursor = Some(n),
                    Some(_) => return Err(ApiError::Decode("the next-page cursor repeats".into())),
                    None => break,
                }
            }
            Ok(out)
        }
    }
}

fn next_from_header(resp: &ApiResponse, header: &str) -> Option<String> {
    resp.headers
        .get(header)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Fetches pages keyed by `keys` with at most `concurrency` in flight; reports each page as
/// it arrives; returns the records in key order.
async fn fetch_concurrently<F, Fut>(
    keys: Vec<u64>,
    concurrency: usize,
    fetch: F,
    resource: &ResourceDef,
    p: &Progress<'_>,
    keep: Keep,
) -> Result<Vec<Record>, ApiError>
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = Result<ApiResponse, ApiError>>,
{
    let mut pages: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
    let mut stream = futures::stream::iter(keys)
        .map(|k| {
            let fut = fetch(k);
            async move { (k, fut.await) }
        })
        .buffer_unordered(concurrency);
    while let Some((k, resp)) = stream.next().await {
        let page = items(&mut resp?.body, &resource.items)?;
        p.add(&page);
        if keep == Keep::All {
            pages.insert(k, page);
        }
    }
    Ok(pages.into_values().flatten().collect())
}
