//! Figure 1b (issue 17): the parse floor. The cheapest honest client work per page, measured on
//! the same machine in the same run as the sync: the page bytes the sandbox serves are fetched
//! once, then split into records and each record's columns are read, single-threaded, with no
//! `serde_json::Value` built. The raw record stays as bytes (the cache keeps the raw JSON), the
//! columns are borrowed from it, and a string column is unescaped only when it has to be.
//!
//! The sync's client CPU per 1,000 records (`cpu.rs`, read around `sync_stream`) is then
//! reported against this floor: what the client spends beyond splitting and reading columns is
//! overhead the issue's goal (≤ 2× the floor) bounds.

use std::borrow::Cow;
use std::time::Duration;

use patchbay_core::providers::builtin;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{cpu, Error};

/// The floor is timed this many times over the same bytes; the least is reported (the floor is
/// what the work costs when nothing else interferes).
const REPEATS: usize = 5;

/// The two collections the sync figure measures, fetched the way their tutorials page them.
pub async fn run(sandbox: &str, provider: &str, resource: &str) -> Result<(), Error> {
    let def = builtin()
        .into_iter()
        .find(|d| d.id == provider)
        .ok_or_else(|| format!("no built-in provider {provider:?}"))?;
    let res = def
        .resources
        .iter()
        .find(|r| r.id == resource)
        .ok_or_else(|| format!("{provider} has no resource {resource:?}"))?;
    let pointers: Vec<Vec<String>> = res.columns.iter().map(|c| segments(&c.pointer)).collect();
    let items = segments(&res.items);

    let token = crate::token(sandbox, provider).await?;
    let pages = fetch(sandbox, provider, resource, &token).await?;

    let mut best = Duration::MAX;
    let mut records = 0;
    for _ in 0..REPEATS {
        let start = cpu::thread_time();
        records = 0;
        for page in &pages {
            records += parse_page(page, &items, &pointers)?;
        }
        best = best.min(cpu::thread_time().saturating_sub(start));
    }
    let cpu_s = best.as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "figure": "floor",
            "provider": provider,
            "resource": resource,
            "pages": pages.len(),
            "records": records,
            "bytes": pages.iter().map(Vec::len).sum::<usize>(),
            "cpu_s": cpu_s,
            "cpu_ms_per_1000": if records == 0 { 0.0 } else { cpu_s * 1e6 / records as f64 },
        })
    );
    Ok(())
}

/// A JSON pointer's segments, unescaped (RFC 6901: `~1` is `/`, `~0` is `~`).
fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Splits one page into records and reads every column of each; answers the record count.
fn parse_page(page: &[u8], items: &[String], columns: &[Vec<String>]) -> Result<usize, Error> {
    let body: &RawValue = serde_json::from_slice(page)?;
    let list = descend(body, items)?.ok_or("the page has no item list")?;
    let records: Vec<&RawValue> = serde_json::from_str(list.get())?;
    // The top-level keys the columns start from; each record's top level is read once.
    let mut firsts: Vec<&str> = columns
        .iter()
        .filter_map(|p| p.first().map(String::as_str))
        .collect();
    firsts.sort_unstable();
    firsts.dedup();
    for record in &records {
        // What the cache keeps of the record: its bytes, untouched.
        std::hint::black_box(record.get().as_bytes());
        let top = pick(record, &firsts)?;
        for pointer in columns {
            let at = match pointer.split_first() {
                Some((first, rest)) => match firsts.binary_search(&first.as_str()) {
                    Ok(i) => match top[i] {
                        Some(v) => descend(v, rest)?,
                        None => None,
                    },
                    Err(_) => None,
                },
                None => Some(*record),
            };
            let cell = match at {
                Some(v) => display(v)?,
                None => Cow::Borrowed(""),
            };
            std::hint::black_box(cell);
        }
    }
    Ok(records.len())
}

/// The values of `keys` (sorted) in the object `at`, each left unparsed; every other value is
/// skipped without being built. `None` for a key the object lacks (or when `at` is no object).
fn pick<'a>(at: &'a RawValue, keys: &[&str]) -> Result<Vec<Option<&'a RawValue>>, Error> {
    if !at.get().starts_with('{') {
        return Ok(vec![None; keys.len()]);
    }
    let mut de = serde_json::Deserializer::from_str(at.get());
    Ok(Pick { keys }.deserialize(&mut de)?)
}

/// A key, borrowed from the page unless it has escapes.
#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

struct Pick<'k> {
    keys: &'k [&'k str],
}

impl<'de> DeserializeSeed<'de> for Pick<'_> {
    type Value = Vec<Option<&'de RawValue>>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Pick<'_> {
    type Value = Vec<Option<&'de RawValue>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut out = vec![None; self.keys.len()];
        while let Some(Key(key)) = map.next_key()? {
            match self.keys.binary_search(&key.as_ref()) {
                Ok(i) => out[i] = Some(map.next_value()?),
                Err(_) => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// Follows `path` through nested objects without parsing anything off the path.
fn descend<'a>(mut at: &'a RawValue, path: &[String]) -> Result<Option<&'a RawValue>, Error> {
    for key in path {
        match pick(at, &[key.as_str()])?.pop().flatten() {
            Some(v) => at = v,
            None => return Ok(None),
        }
    }
    Ok(Some(at))
}

/// A cell's text: a string unescaped (borrowed when it has no escapes), anything else as written.
fn display(v: &RawValue) -> Result<Cow<'_, str>, Error> {
    let text = v.get();
    if text.starts_with('"') {
        #[derive(Deserialize)]
        struct Text<'a>(#[serde(borrow)] Cow<'a, str>);
        Ok(serde_json::from_str::<Text>(text)?.0)
    } else if text == "null" {
        Ok(Cow::Borrowed(""))
    } else {
        Ok(Cow::Borrowed(text))
    }
}

/// Every page of the collection, as the sandbox sends it.
async fn fetch(
    sandbox: &str,
    provider: &str,
    resource: &str,
    token: &str,
) -> Result<Vec<Vec<u8>>, Error> {
    let base = sandbox.trim_end_matches('/');
    let http = reqwest::Client::new();
    let get = |url: String| http.get(url).bearer_auth(token).send();
    let mut pages = Vec::new();
    match (provider, resource) {
        // WhatConverts: page_number until total_pages, at the largest page (250).
        ("whatconverts", "leads") => {
            #[derive(Deserialize)]
            struct Paging {
                total_pages: u64,
            }
            let mut page = 1;
            loop {
                let url = format!(
                    "{base}/whatconverts/api/v1/leads?page_number={page}&leads_per_page=250"
                );
                let body = get(url).await?.error_for_status()?.bytes().await?.to_vec();
                let total = serde_json::from_slice::<Paging>(&body)?.total_pages;
                pages.push(body);
                if page >= total {
                    break;
                }
                page += 1;
            }
        }
        // ClickFunnels 2.0: the workspace from /me, then the Pagination-Next header.
        ("clickfunnels", "contacts") => {
            let me: serde_json::Value = get(format!("{base}/clickfunnels/api/v2/me"))
                .await?
                .error_for_status()?
                .json()
                .await?;
            let ws = me["teams"][0]["workspaces"][0]["id"]
                .as_u64()
                .ok_or("no workspace in /me")?;
            let mut after: Option<String> = None;
            loop {
                let mut url =
                    format!("{base}/clickfunnels/api/v2/workspaces/{ws}/contacts?limit=100");
                if let Some(a) = &after {
                    url.push_str(&format!("&after={a}"));
                }
                let resp = get(url).await?.error_for_status()?;
                after = resp
                    .headers()
                    .get("pagination-next")
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| !v.is_empty())
                    .map(str::to_string);
                pages.push(resp.bytes().await?.to_vec());
                if after.is_none() {
                    break;
                }
            }
        }
        _ => return Err(format!("the floor knows {provider} {resource}'s paging: not yet").into()),
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_split_and_its_columns_read_through_nested_and_escaped_keys() {
        let page = br#"{"total":2,"leads":[
            {"id":1,"a/b":{"c":"x\"y"},"n":3.5},
            {"id":2,"a/b":null}
        ]}"#;
        let items = segments("/leads");
        let columns = vec![segments("/a~1b/c"), segments("/n"), segments("/missing")];
        assert_eq!(parse_page(page, &items, &columns).unwrap(), 2);

        let record: &RawValue = serde_json::from_str(r#"{"a/b":{"c":"x\"y"}}"#).unwrap();
        let cell = descend(record, &segments("/a~1b/c")).unwrap().unwrap();
        assert_eq!(display(cell).unwrap(), "x\"y");
        assert!(descend(record, &segments("/a~1b/zz")).unwrap().is_none());
    }

    #[test]
    fn a_page_without_its_item_list_is_an_error() {
        assert!(parse_page(br#"{"other":[]}"#, &segments("/leads"), &[]).is_err());
    }
}
