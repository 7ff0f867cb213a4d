//! One paging engine for the five styles. Page-numbered and offset styles fetch the first
//! page, learn the total, then fetch the rest concurrently (within the connection's
//! concurrency and rate limit); cursor styles go one page after another. Records are reported
//! as pages arrive; the result keeps the provider's order, each record once.
//!
//! Each page is reported with a [`PagePosition`]: the place to start again from so that every
//! record reported so far need not be fetched again. A read can start from such a position, so
//! a sync interrupted by a crash or a lost network resumes after its last stored page.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use futures::StreamExt;
use reqwest::header::HeaderMap;
use serde_json::Value;
use url::Url;

use crate::error::{ApiError, TooLargeWhat};
use crate::providers::{Limits, Paging, ResourceDef};
use crate::session::{value_text, ApiResponse, Connection};

/// A record as the provider sent it.
pub type Record = Value;

/// Called for each page as it arrives with (the page's records, records fetched so far,
/// total when known). Concurrently fetched pages may arrive out of order.
pub type ProgressFn<'a> = dyn Fn(&[Record], usize, Option<usize>) + Send + Sync + 'a;

/// Where a paged read stands: every page before it has been reported. Concurrently fetched
/// pages arrive out of order, so for page-numbered and offset styles this is the first page
/// not yet reported after the highest run of reported pages without a gap (pages reported past
/// a gap are fetched again on resume: at most the pages that were in flight).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum PagePosition {
    /// Page-numbered styles: the number of the next page to fetch.
    Page { next: u64 },
    /// Offset styles: the offset of the next page.
    Offset { next: u64 },
    /// Cursor styles: the provider's cursor of the next page.
    Cursor { next: String },
    /// Every page was reported.
    End,
}

/// One page as it arrives.
pub struct PageEvent<'a> {
    /// The page's records, handed over: a caller that stores them takes them without a copy.
    pub records: Vec<Record>,
    /// Records reported so far (those skipped by a resumed read included when known).
    pub fetched: usize,
    /// Records the provider counts in the whole list, when it says.
    pub total: Option<usize>,
    /// Where to start again so that this page and every one reported before it is not fetched
    /// again.
    pub position: &'a PagePosition,
}

/// Called for each page as it arrives (see [`PageEvent`]).
pub type PageFn<'a> = dyn Fn(PageEvent<'_>) + Send + Sync + 'a;

/// What a streamed read did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Streamed {
    /// Records reported (a repeated record counts each time).
    pub records: usize,
    /// API requests the read sent (first attempts; the connection's retries are not counted).
    pub requests: u64,
}

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
    /// Records the read skipped because it started from a position, when known: the list's
    /// total minus these is what this read must see.
    skipped: Option<usize>,
    requests: AtomicU64,
    /// Pages this read reported, held to `limits.max_pages`.
    pages: AtomicU64,
    /// The provider's `[limits]`: the list's pages and records are held to them.
    limits: Limits,
    total: parking_lot::Mutex<Option<usize>>,
    /// Distinct records seen (by id; a record without one counts once each), to notice a
    /// list that lost records while it was paged. The ids are kept as 64-bit hashes, not
    /// strings: a list of 100,000 records held 6 MiB of them for the whole read, 1 MiB now.
    /// Two ids of one list sharing a hash (odds about n²/2⁶⁵, 3 in 10¹⁰ for 100,000) would
    /// count one record short, and the read would fail as incomplete, never pass as complete.
    distinct: parking_lot::Mutex<(HashSet<u64>, usize)>,
    /// The hash of `distinct`'s ids, keyed anew for each read.
    id_hasher: std::hash::RandomState,
    id_pointer: Pointer,
    /// Whether the read keeps a copy of each page for its caller, besides handing it over.
    keep: Keep,
    f: &'a PageFn<'a>,
}

impl Progress<'_> {
    /// Takes the provider's count of the list's records, refusing one past the limit before
    /// anything of the list is reported.
    fn set_total(&self, t: Option<u64>) -> Result<(), ApiError> {
        if let Some(t) = t {
            self.check_records(t, true)?;
        }
        *self.total.lock() = t.and_then(|t| usize::try_from(t).ok());
        Ok(())
    }

    /// Refuses a list of `records` records past the limit (`claimed`: the provider's count,
    /// shown in the message; otherwise the count of what arrived).
    fn check_records(&self, records: u64, claimed: bool) -> Result<(), ApiError> {
        if records > self.limits.max_records {
            return Err(ApiError::TooLarge {
                what: TooLargeWhat::Records,
                limit: self.limits.max_records,
                got: claimed.then_some(records),
            });
        }
        Ok(())
    }

    /// Refuses a list the provider says has `pages` pages, past the limit.
    fn check_pages(&self, pages: u64) -> Result<(), ApiError> {
        if pages > self.limits.max_pages {
            return Err(ApiError::TooLarge {
                what: TooLargeWhat::Pages,
                limit: self.limits.max_pages,
                got: Some(pages),
            });
        }
        Ok(())
    }

    /// Reports one page, unless it takes the read past the limits (a list without a total,
    /// or one that sends more than it said): then nothing of it is reported. Answers the copy
    /// the read keeps (empty unless it keeps its records).
    fn add(&self, page: Vec<Record>, position: &PagePosition) -> Result<Vec<Record>, ApiError> {
        let pages = self.pages.fetch_add(1, Ordering::SeqCst).saturating_add(1);
        if pages > self.limits.max_pages {
            return Err(ApiError::TooLarge {
                what: TooLargeWhat::Pages,
                limit: self.limits.max_pages,
                got: None,
            });
        }
        let so_far = self.fetched.load(Ordering::SeqCst) as u64;
        self.check_records(so_far.saturating_add(page.len() as u64), false)?;
        {
            let mut distinct = self.distinct.lock();
            for r in &page {
                match self.id_pointer.get(r) {
                    Some(id) if !id.is_null() => {
                        // `Value`'s hash follows its equality: the same id as the same JSON.
                        distinct.0.insert(self.id_hasher.hash_one(id));
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
        let total = *self.total.lock();
        let kept = match self.keep {
            Keep::All => page.clone(),
            Keep::None => Vec::new(),
        };
        (self.f)(PageEvent {
            records: page,
            fetched,
            total,
            position,
        });
        Ok(kept)
    }
}

/// Fetches every page of `resource` at `base` (already with its path variables filled).
pub async fn fetch_all(
    conn: &Connection,
    base: &Url,
    resource: &ResourceDef,
    progress: &ProgressFn<'_>,
) -> Result<Vec<Record>, ApiError> {
    let on_page = |e: PageEvent<'_>| progress(&e.records, e.fetched, e.total);
    let (records, _) = fetch_pages(conn, base, resource, None, &on_page, Keep::All).await?;
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
    let on_page = |e: PageEvent<'_>| progress(&e.records, e.fetched, e.total);
    let (_, streamed) = fetch_pages(conn, base, resource, None, &on_page, Keep::None).await?;
    Ok(streamed.records)
}

/// Like [`stream_all`], starting at `start` (a position an earlier read reported; `None` for
/// the first page) and reporting each page's position. A position of another paging style than
/// the resource's (its definition changed) starts from the first page: fetching again is safe,
/// skipping is not.
pub async fn stream_from(
    conn: &Connection,
    base: &Url,
    resource: &ResourceDef,
    start: Option<&PagePosition>,
    on_page: &PageFn<'_>,
) -> Result<Streamed, ApiError> {
    let (_, streamed) = fetch_pages(conn, base, resource, start, on_page, Keep::None).await?;
    Ok(streamed)
}

/// Like [`stream_from`], also answering the records in the provider's order (not deduplicated).
pub(crate) async fn fetch_from(
    conn: &Connection,
    base: &Url,
    resource: &ResourceDef,
    start: Option<&PagePosition>,
    on_page: &PageFn<'_>,
) -> Result<(Vec<Record>, Streamed), ApiError> {
    fetch_pages(conn, base, resource, start, on_page, Keep::All).await
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
pub(crate) fn dedupe(records: Vec<Record>, id_pointer: &str) -> Vec<Record> {
    let mut seen = HashSet::new();
    records
        .into_iter()
        .filter(|r| match r.pointer(id_pointer) {
            Some(id) if !id.is_null() => seen.insert(id.to_string()),
            _ => true,
        })
        .collect()
}

/// Where a read of `paging` starts, and how many records that skips when it can tell.
fn start_of(paging: &Paging, start: Option<&PagePosition>) -> Result<Start, ()> {
    let Some(start) = start else {
        return Ok(Start::Beginning);
    };
    match (paging, start) {
        (_, PagePosition::End) => Ok(Start::Done),
        (
            Paging::PageNumber { first_page, .. } | Paging::PagePerPage { first_page, .. },
            PagePosition::Page { next },
        ) if next >= first_page => Ok(Start::Page(*next)),
        (Paging::OffsetLimit { .. }, PagePosition::Offset { next }) => Ok(Start::Offset(*next)),
        (
            Paging::CursorHeader { .. } | Paging::CursorBody { .. },
            PagePosition::Cursor { next },
        ) => Ok(Start::Cursor(next.clone())),
        _ => Err(()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Start {
    Beginning,
    Page(u64),
    Offset(u64),
    Cursor(String),
    /// The read had ended: nothing to fetch.
    Done,
}

fn skipped_by(paging: &Paging, start: &Start) -> Option<usize> {
    match (paging, start) {
        (_, Start::Beginning) => Some(0),
        (
            Paging::PagePerPage {
                first_page,
                page_size,
                ..
            },
            Start::Page(n),
        ) => usize::try_from(n.saturating_sub(*first_page).saturating_mul(*page_size)).ok(),
        (Paging::OffsetLimit { .. }, Start::Offset(o)) => usize::try_from(*o).ok(),
        // A server-sized page or an opaque cursor: what came before is unknown.
        _ => None,
    }
}

async fn fetch_pages(
    conn: &Connection,
    base: &Url,
    resource: &ResourceDef,
    start: Option<&PagePosition>,
    progress: &PageFn<'_>,
    keep: Keep,
) -> Result<(Vec<Record>, Streamed), ApiError> {
    let start = start_of(&resource.paging, start).unwrap_or_else(|()| {
        tracing::warn!(provider = %conn.def().id, resource = %resource.id,
            "the saved place does not fit this list's paging; reading it from the start");
        Start::Beginning
    });
    if start == Start::Done {
        return Ok((Vec::new(), Streamed::default()));
    }
    let skipped = skipped_by(&resource.paging, &start);
    let p = Progress {
        fetched: skipped.unwrap_or(0).into(),
        skipped,
        requests: AtomicU64::new(0),
        pages: AtomicU64::new(0),
        limits: conn.def().limits,
        total: parking_lot::Mutex::new(None),
        distinct: parking_lot::Mutex::new((HashSet::new(), 0)),
        id_hasher: std::hash::RandomState::new(),
        id_pointer: Pointer::new(&resource.id_pointer),
        keep,
        f: progress,
    };
    let records = fetch_pages_into(conn, base, resource, &start, &p).await?;
    // A page that shifted while the list was read (an item deleted above it) skips a record
    // no later page returns: finishing would report the list complete without it. A resumed
    // read is held to what it had left to read; when that is unknown it cannot be checked.
    let expected = p
        .skipped
        .and_then(|skipped| p.total.lock().map(|t| t.saturating_sub(skipped)));
    let (ids, without_id) = p.distinct.into_inner();
    let got = ids.len() + without_id;
    if let Some(expected) = expected.filter(|&t| got < t) {
        tracing::warn!(provider = %conn.def().id, got, expected, "the list changed while it was read");
        return Err(ApiError::Incomplete { got, expected });
    }
    let streamed = Streamed {
        records: p.fetched.into_inner() - p.skipped.unwrap_or(0),
        requests: p.requests.into_inner(),
    };
    Ok((records, streamed))
}

async fn fetch_pages_into(
    conn: &Connection,
    base: &Url,
    resource: &ResourceDef,
    start: &Start,
    p: &Progress<'_>,
) -> Result<Vec<Record>, ApiError> {
    let concurrency = conn.def().rate_limit.concurrency.max(1);
    let get = |url: Url| async move {
        p.requests.fetch_add(1, Ordering::Relaxed);
        conn.get_json(&url).await
    };
    let get_bytes = |url: Url| async move {
        p.requests.fetch_add(1, Ordering::Relaxed);
        conn.get_bytes(&url).await
    };

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
            // The first page read (the list's first, or where a resumed read starts) tells the
            // total, so the rest can be fetched concurrently.
            let from = match start {
                Start::Page(n) => *n,
                _ => *first_page,
            };
            let mut first = get(page_url(from)).await?;
            let first_items = items(&mut first.body, &resource.items)?;
            // The totals are the provider's word: held to the limits before they size
            // anything, and every sum with them checked.
            let t_items = number_at(&first.body, total_items);
            p.set_total(t_items)?;
            let t_pages = number_at(&first.body, total_pages)
                .or_else(|| size.and_then(|(_, sz)| t_items.map(|t| t.div_ceil(sz))));
            match t_pages {
                Some(pages) => {
                    p.check_pages(pages)?;
                    let end = first_page.checked_add(pages.max(1)).ok_or_else(|| {
                        ApiError::Decode(format!("page {first_page} plus {pages} pages overflows"))
                    })?;
                    let at = |next: u64| {
                        if next >= end {
                            PagePosition::End
                        } else {
                            PagePosition::Page { next }
                        }
                    };
                    let rest = (from.saturating_add(1)..end).collect();
                    let pages = Pages { resource, p };
                    pages
                        .first_then_concurrently(
                            first_items,
                            rest,
                            concurrency,
                            (|n| get_bytes(page_url(n)), |n| get(page_url(n))),
                            at,
                        )
                        .await
                }
                None => {
                    // Without a total, a full page means another may follow.
                    let full = |len: usize| len > 0 && size.is_none_or(|(_, sz)| len as u64 >= sz);
                    let at = |next| PagePosition::Page { next };
                    let pages = Pages { resource, p };
                    pages
                        .one_after_another(first_items, from, 1, full, at, |n| get(page_url(n)))
                        .await
                }
            }
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
            let from = match start {
                Start::Offset(o) => *o,
                _ => 0,
            };
            let mut first = get(page_url(from)).await?;
            let first_items = items(&mut first.body, &resource.items)?;
            let total = number_at(&first.body, total_items);
            p.set_total(total)?;
            match total {
                Some(total) => {
                    p.check_pages(total.div_ceil(*page_size))?;
                    let at = |next: u64| {
                        if next >= total {
                            PagePosition::End
                        } else {
                            PagePosition::Offset { next }
                        }
                    };
                    let offsets = (1u64..)
                        .map_while(|i| i.checked_mul(*page_size)?.checked_add(from))
                        .take_while(|o| *o < total)
                        .collect();
                    let pages = Pages { resource, p };
                    pages
                        .first_then_concurrently(
                            first_items,
                            offsets,
                            concurrency,
                            (|o| get_bytes(page_url(o)), |o| get(page_url(o))),
                            at,
                        )
                        .await
                }
                None => {
                    let full = |len: usize| len as u64 >= *page_size;
                    let at = |next| PagePosition::Offset { next };
                    let pages = Pages { resource, p };
                    pages
                        .one_after_another(first_items, from, *page_size, full, at, |o| {
                            get(page_url(o))
                        })
                        .await
                }
            }
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
            let page_url = |cursor: Option<&str>| {
                let mut params = size.clone();
                if let Some(c) = cursor {
                    params.push((cursor_param.as_str(), c.to_string()));
                }
                with_params(base, &params)
            };
            let mut url = page_url(match start {
                Start::Cursor(c) => Some(c.as_str()),
                _ => None,
            });
            let mut arrived = get_bytes(url.clone()).await?;
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            loop {
                let next = next_from_header(&arrived.headers, header)?;
                let next_url = next.as_deref().map(|n| page_url(Some(n)));
                // The cursor is in the header, so the next page is asked for before this one
                // is parsed and handed over: the provider serves it meanwhile.
                let ahead = async {
                    match &next_url {
                        Some(u) => Some(get_bytes(u.clone()).await),
                        None => None,
                    }
                };
                let this = async {
                    // The request asked ahead is on its way only once the HTTP connection's
                    // task has run, and that task, woken from here, waits in this worker's
                    // next-task slot (which no other worker takes) until this task yields:
                    // parsing first sent the request only after the parse.
                    tokio::task::yield_now().await;
                    let page = page_items(&arrived.body, &resource.items)?;
                    if next.as_ref().is_some_and(|n| !seen.insert(n.clone())) {
                        let repeats = ApiError::Decode("the next-page cursor repeats".into());
                        return Err(PageBody::Unusable(repeats));
                    }
                    // Handed over while the next page is on its way, not after it came: the
                    // request after that one waits for nothing but its cursor.
                    p.add(page, &cursor_position(&next))
                        .map_err(PageBody::Unusable)
                };
                let (ahead, this) = futures::future::join(ahead, this).await;
                let kept = match this {
                    Ok(kept) => kept,
                    Err(PageBody::Malformed) => {
                        // Not JSON: this page is asked for again the way every other call
                        // is (a malformed body is retried, then fails), and what was asked
                        // ahead is dropped, as the new answer may name another next page.
                        let again = get(url.clone()).await?;
                        arrived = ApiResponse {
                            body: serde_json::to_vec(&again.body)
                                .map_err(|e| ApiError::Decode(e.to_string()))?,
                            headers: again.headers,
                        };
                        continue;
                    }
                    Err(PageBody::Unusable(e)) => return Err(e),
                };
                // `out` only grows when the caller keeps the records.
                out.extend(kept);
                match (ahead, next_url) {
                    (Some(following), Some(next_url)) => {
                        arrived = following?;
                        url = next_url;
                    }
                    _ => break,
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
            let resumed = matches!(start, Start::Cursor(_));
            let mut cursor: Option<String> = match start {
                Start::Cursor(c) => Some(c.clone()),
                _ => None,
            };
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            let mut first = true;
            loop {
                let mut params = size.clone();
                if let Some(c) = &cursor {
                    params.push((cursor_param.as_str(), c.clone()));
                }
                let mut resp = get(with_params(base, &params)).await?;
                if std::mem::take(&mut first) && !resumed {
                    p.set_total(number_at(&resp.body, total_items))?;
                }
                let page = items(&mut resp.body, &resource.items)?;
                let n = match resp.body.pointer(next) {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(value_text(v)).filter(|s| !s.is_empty()),
                };
                if n.as_ref().is_some_and(|n| !seen.insert(n.clone())) {
                    return Err(ApiError::Decode("the next-page cursor repeats".into()));
                }
                out.extend(p.add(page, &cursor_position(&n))?);
                match n {
                    Some(n) => cursor = Some(n),
                    None => break,
                }
            }
            Ok(out)
        }
    }
}

fn cursor_position(next: &Option<String>) -> PagePosition {
    match next {
        Some(n) => PagePosition::Cursor { next: n.clone() },
        None => PagePosition::End,
    }
}

/// The longest next-page cursor taken from a header: cursors are ids and opaque tokens of a
/// few dozen characters; a longer one is not a cursor.
const MAX_CURSOR_LEN: usize = 2048;

/// The next page's cursor from a `cursor_header` page: `None` on the last page (no header, or
/// an empty one). A header that cannot be a cursor (two of them, characters outside visible
/// ASCII, longer than [`MAX_CURSOR_LEN`]) is refused rather than read as the end, which would
/// store the list as complete without its remaining pages.
fn next_from_header(headers: &HeaderMap, header: &str) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(header).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::Decode(format!(
            "the page names its next page twice ({header})"
        )));
    }
    let text = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|t| t.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::Decode(format!("the next-page cursor ({header}) is not plain text"))
        })?;
    if text.len() > MAX_CURSOR_LEN {
        return Err(ApiError::Decode(format!(
            "the next-page cursor ({header}) is longer than {MAX_CURSOR_LEN} characters"
        )));
    }
    Ok(Some(text.to_string()).filter(|t| !t.is_empty()))
}

/// Why a page's bytes gave no records.
#[derive(Debug)]
enum PageBody {
    /// Not JSON: worth asking again.
    Malformed,
    /// JSON without the list where the definition says: asking again brings the same.
    Unusable(ApiError),
}

/// A JSON pointer (RFC 6901) split into its unescaped tokens once: `Value::pointer` splits and
/// unescapes it on every call (two allocations a token), which was 3% of a cursor sync's CPU
/// when asked once per record.
struct Pointer(Option<Vec<String>>);

impl Pointer {
    fn new(pointer: &str) -> Self {
        if pointer.is_empty() {
            return Self(Some(Vec::new()));
        }
        // Not a pointer: finds nothing, as `Value::pointer` does.
        let Some(rest) = pointer.strip_prefix('/') else {
            return Self(None);
        };
        let tokens = rest
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect();
        Self(Some(tokens))
    }

    /// What `Value::pointer` finds in `value`.
    fn get<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        self.0
            .as_ref()?
            .iter()
            .try_fold(value, |at, token| match at {
                Value::Object(map) => map.get(token),
                Value::Array(list) => array_index(token).and_then(|i| list.get(i)),
                _ => None,
            })
    }
}

/// An array index as RFC 6901 writes one: digits, no sign, no leading zero.
fn array_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

/// Parses a page's bytes and takes its records out.
fn page_items(bytes: &[u8], pointer: &str) -> Result<Vec<Value>, PageBody> {
    let mut body: Value = serde_json::from_slice(bytes).map_err(|_| PageBody::Malformed)?;
    items(&mut body, pointer).map_err(PageBody::Unusable)
}

/// The first key not yet reported, given the keys in order and those reported: every key
/// before it was reported.
struct Frontier {
    keys: Vec<u64>,
    /// Index in `keys` of the first key not reported.
    next: usize,
    /// Reported keys past a gap.
    ahead: BTreeSet<u64>,
}

impl Frontier {
    fn new(keys: Vec<u64>) -> Self {
        Frontier {
            keys,
            next: 0,
            ahead: BTreeSet::new(),
        }
    }

    /// Marks `key` reported; answers the first key not reported yet (`None`: all were).
    fn report(&mut self, key: u64) -> Option<u64> {
        self.ahead.insert(key);
        while let Some(k) = self.keys.get(self.next) {
            if !self.ahead.remove(k) {
                break;
            }
            self.next += 1;
        }
        self.keys.get(self.next).copied()
    }
}

/// A list's pages as they are read: each is counted (and its records kept when asked) as
/// it arrives, with where a resumed read would start after it.
struct Pages<'a, 'p> {
    resource: &'a ResourceDef,
    p: &'a Progress<'p>,
}

impl Pages<'_, '_> {
    /// A list whose first page told its size: that page, then the others (`rest`, by page
    /// number or offset) `concurrency` at a time. A page's records are counted as it arrives,
    /// but the resume position only moves past pages with no gap before them (`Frontier`),
    /// so an interrupted read never skips one; the records come back in list order.
    ///
    /// The pages come as bytes and are parsed when taken: while the caller's page callback
    /// waits (a writer slower than the fetch), the other answers already in wait as their
    /// bytes, a fifth of the memory of their parsed records: a page of 2,500 sandbox leads is
    /// 1.5 MB of JSON and 7.8 MB as `Value`s (bench/README.md, "The app's peak during a
    /// sync"). A page that is not JSON is asked for again with `fetch_json`,
    /// which retries a malformed body the way every other call does.
    async fn first_then_concurrently<B, BFut, J, JFut>(
        &self,
        first: Vec<Value>,
        rest: Vec<u64>,
        concurrency: usize,
        (fetch_bytes, fetch_json): (B, J),
        at: impl Fn(u64) -> PagePosition,
    ) -> Result<Vec<Record>, ApiError>
    where
        B: Fn(u64) -> BFut,
        BFut: std::future::Future<Output = Result<ApiResponse<Vec<u8>>, ApiError>>,
        J: Fn(u64) -> JFut,
        JFut: std::future::Future<Output = Result<ApiResponse, ApiError>>,
    {
        let after_first = rest.first().map_or(PagePosition::End, |&k| at(k));
        let mut out = self.p.add(first, &after_first)?;
        let mut pages: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
        let mut frontier = Frontier::new(rest.clone());
        let mut stream = futures::stream::iter(rest)
            .map(|k| {
                let fut = fetch_bytes(k);
                async move { (k, fut.await) }
            })
            .buffer_unordered(concurrency);
        while let Some((k, resp)) = stream.next().await {
            let page = match page_items(&resp?.body, &self.resource.items) {
                Ok(page) => page,
                Err(PageBody::Malformed) => {
                    items(&mut fetch_json(k).await?.body, &self.resource.items)?
                }
                Err(PageBody::Unusable(e)) => return Err(e),
            };
            let position = match frontier.report(k) {
                Some(next) => at(next),
                None => PagePosition::End,
            };
            let kept = self.p.add(page, &position)?;
            if self.p.keep == Keep::All {
                pages.insert(k, kept);
            }
        }
        out.extend(pages.into_values().flatten());
        Ok(out)
    }

    /// A list that does not tell its size: pages one after another from `from`, `step`
    /// apart, while each is `full`.
    async fn one_after_another<F, Fut>(
        &self,
        first: Vec<Value>,
        from: u64,
        step: u64,
        full: impl Fn(usize) -> bool,
        at: impl Fn(u64) -> PagePosition,
        fetch: F,
    ) -> Result<Vec<Record>, ApiError>
    where
        F: Fn(u64) -> Fut,
        Fut: std::future::Future<Output = Result<ApiResponse, ApiError>>,
    {
        let mut out = Vec::new();
        let (mut key, mut page) = (from, first);
        loop {
            let next = if full(page.len()) {
                Some(key.checked_add(step).ok_or_else(|| {
                    ApiError::Decode(format!("the page after {key} is past the last number"))
                })?)
            } else {
                None
            };
            out.extend(self.p.add(page, &next.map_or(PagePosition::End, &at))?);
            let Some(next) = next else {
                return Ok(out);
            };
            key = next;
            page = items(&mut fetch(key).await?.body, &self.resource.items)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                "pagination-next",
                reqwest::header::HeaderValue::from_bytes(v).unwrap(),
            );
        }
        h
    }

    fn next(values: &[&[u8]]) -> Result<Option<String>, crate::ErrorCode> {
        next_from_header(&headers(values), "Pagination-Next").map_err(|e| e.code())
    }

    #[test]
    fn the_cursor_is_read_from_the_pages_header() {
        assert_eq!(next(&[b"20000100"]), Ok(Some("20000100".into())));
        assert_eq!(
            next(&[b" eyJpZCI6MTAwfQ== "]),
            Ok(Some("eyJpZCI6MTAwfQ==".into()))
        );
        assert_eq!(next(&[]), Ok(None), "no header: the last page");
        assert_eq!(next(&[b""]), Ok(None), "an empty header: the last page");
    }

    #[test]
    fn a_malformed_next_page_header_is_refused_not_read_as_the_end() {
        let long = vec![b'a'; MAX_CURSOR_LEN + 1];
        for bad in [
            vec![&b"caf\xc3\xa9"[..]],
            vec![&b"a b"[..]],
            vec![&b"a\tb"[..]],
            vec![&b"1"[..], &b"2"[..]],
            vec![&long[..]],
        ] {
            assert_eq!(next(&bad), Err(crate::ErrorCode::ApiDecode), "{bad:?}");
        }
        assert_eq!(
            next(&[&long[..MAX_CURSOR_LEN]]).map(|c| c.map(|c| c.len())),
            Ok(Some(MAX_CURSOR_LEN))
        );
    }

    #[test]
    fn a_pages_bytes_give_its_records_or_say_why_not() {
        let page = page_items(br#"{"data":[{"id":1},{"id":2}]}"#, "/data").unwrap();
        assert_eq!(
            page,
            vec![serde_json::json!({"id":1}), serde_json::json!({"id":2})]
        );
        assert_eq!(page_items(b"[{\"id\":3}]", "").unwrap().len(), 1);
        assert!(matches!(
            page_items(b"[{\"id\":", ""),
            Err(PageBody::Malformed)
        ));
        assert!(matches!(
            page_items(b"<html>busy</html>", ""),
            Err(PageBody::Malformed)
        ));
        assert!(matches!(
            page_items(br#"{"data":{}}"#, "/data"),
            Err(PageBody::Unusable(ApiError::Decode(_)))
        ));
    }

    #[test]
    fn a_pointer_split_once_finds_what_value_pointer_finds() {
        let v = serde_json::json!({
            "id": 7, "a": {"b": [10, 11, {"c": "x"}]}, "a/b": 1, "m~n": 2, "": 3,
            "list": [1, 2], "0": "zero"
        });
        for p in [
            "",
            "/id",
            "/a",
            "/a/b",
            "/a/b/2/c",
            "/a/b/0",
            "/a/b/01",
            "/a/b/+1",
            "/a/b/9",
            "/a~1b",
            "/m~0n",
            "/",
            "/list/1",
            "/list/-",
            "/0",
            "id",
            "/missing/x",
            "/id/x",
        ] {
            assert_eq!(Pointer::new(p).get(&v), v.pointer(p), "{p:?}");
        }
    }

    #[test]
    fn the_frontier_stops_at_the_first_gap() {
        let mut f = Frontier::new(vec![2, 3, 4, 5]);
        assert_eq!(f.report(3), Some(2), "page 2 is still missing");
        assert_eq!(f.report(5), Some(2));
        assert_eq!(f.report(2), Some(4), "2 and 3 are in: 4 is next");
        assert_eq!(f.report(4), None, "everything reported");
    }

    #[test]
    fn positions_round_trip_through_their_stored_text() {
        for p in [
            PagePosition::Page { next: 7 },
            PagePosition::Offset { next: 500 },
            PagePosition::Cursor { next: "abc".into() },
            PagePosition::End,
        ] {
            let text = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<PagePosition>(&text).unwrap(), p);
        }
    }

    #[test]
    fn a_position_of_another_style_is_refused() {
        let paging = Paging::OffsetLimit {
            offset_param: "offset".into(),
            limit_param: "limit".into(),
            page_size: 50,
            total_items: None,
        };
        assert_eq!(
            start_of(&paging, Some(&PagePosition::Offset { next: 100 })),
            Ok(Start::Offset(100))
        );
        assert_eq!(skipped_by(&paging, &Start::Offset(100)), Some(100));
        assert!(start_of(&paging, Some(&PagePosition::Page { next: 3 })).is_err());
        assert_eq!(start_of(&paging, None), Ok(Start::Beginning));
    }
}
