//! The People figures (issue 15): resolving people over five providers × RECORDS records, and
//! the incremental update after one stored page, each against the cache's plain insert rate
//! in the same run. All in this process: the sandbox's shared population (the library, no
//! server), two caches in a temporary directory. One JSON line per figure.
//!
//! - `plain`: the five resources stored page by page (1,000 records) without identity fields.
//! - `people`: the same pages into another cache with identity fields: storing and resolving
//!   in each page's transaction, as a sync does.
//! - `resolve_stored`: identity fields set on the plain cache afterwards, so every stored
//!   record is resolved from its raw JSON: resolution alone.
//! - `one_page`: one more page of 1,000 new WhatConverts leads into each cache (incremental).

use std::time::Instant;

use patchbay_cache::{Cache, ColumnKind, ColumnSpec, IdentityFields, PeopleQuery, SyncMode};
use patchbay_core::providers::builtin;
use patchbay_sandbox::population::{five_providers, PeopleRecord};
use serde_json::{json, Value};

use crate::Error;

const PAGE: usize = 1000;
const ACCOUNT: &str = "bench";

fn identity(provider: &str, resource: &str) -> Result<IdentityFields, Error> {
    let defs = builtin();
    let fields = defs
        .iter()
        .find(|d| d.id == provider)
        .and_then(|d| d.resources.iter().find(|r| r.id == resource))
        .and_then(|r| r.identity.as_ref())
        .ok_or_else(|| format!("{provider}/{resource} has no identity fields"))?;
    Ok(serde_json::from_value(serde_json::to_value(fields)?)?)
}

fn columns() -> Vec<ColumnSpec> {
    vec![ColumnSpec {
        key: "id".into(),
        label: "Id".into(),
        pointer: "/id".into(),
        kind: ColumnKind::Text,
    }]
}

/// Stores `records` of one resource in pages; answers seconds.
fn store(
    cache: &Cache,
    provider: &str,
    resource: &str,
    records: &[&PeopleRecord],
    mode: SyncMode,
) -> Result<f64, Error> {
    let started = Instant::now();
    let mut w = cache.begin_sync(provider, ACCOUNT, resource, &columns(), mode)?;
    for page in records.chunks(PAGE) {
        let page: Vec<(String, Value)> = page
            .iter()
            .map(|r| (r.truth.record_id.clone(), r.record.clone()))
            .collect();
        w.write_page(&page, Some("next"))?;
    }
    w.finish()?;
    Ok(started.elapsed().as_secs_f64())
}

const RESOURCES: [(&str, &str); 5] = [
    ("whatconverts", "leads"),
    ("clickfunnels", "contacts"),
    ("webinargeek", "registrations"),
    ("boomtown", "leads"),
    ("emailoctopus", "contacts"),
];

fn of<'a>(all: &'a [PeopleRecord], provider: &str, resource: &str) -> Vec<&'a PeopleRecord> {
    all.iter()
        .filter(|r| r.truth.provider == provider && r.truth.resource == resource)
        .collect()
}

pub fn run(records: u64) -> Result<(), Error> {
    let all = five_providers(15, records);
    let n = all.len() as f64;
    let dir = tempfile::tempdir()?;
    let plain = Cache::open(&dir.path().join("plain.sqlite3"))?;
    let people = Cache::open(&dir.path().join("people.sqlite3"))?;
    for (p, r) in RESOURCES {
        people.set_identity(p, r, Some(&identity(p, r)?))?;
    }
    let (mut plain_s, mut people_s) = (0.0, 0.0);
    // Alternating resource by resource, so a noisy neighbour hurts both alike.
    for (p, r) in RESOURCES {
        let rows = of(&all, p, r);
        plain_s += store(&plain, p, r, &rows, SyncMode::Full)?;
        people_s += store(&people, p, r, &rows, SyncMode::Full)?;
    }
    let found = people.people(&PeopleQuery::default())?.total;
    println!(
        "{}",
        json!({"figure": "people", "what": "sync_with_people", "records": all.len(), "people": found,
               "seconds": people_s, "records_per_s": n / people_s,
               "plain_seconds": plain_s, "plain_records_per_s": n / plain_s,
               "ratio_to_plain": (n / people_s) / (n / plain_s)})
    );

    let started = Instant::now();
    for (p, r) in RESOURCES {
        plain.set_identity(p, r, Some(&identity(p, r)?))?;
    }
    let resolve_s = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({"figure": "people", "what": "resolve_stored", "records": all.len(),
               "people": plain.people(&PeopleQuery::default())?.total,
               "seconds": resolve_s, "records_per_s": n / resolve_s,
               "plain_records_per_s": n / plain_s, "ratio_to_plain": (n / resolve_s) / (n / plain_s)})
    );

    // One more page: new leads from the same population (repeat callers join their person).
    let more: Vec<PeopleRecord> = five_providers(15, records + PAGE as u64)
        .into_iter()
        .filter(|r| r.truth.provider == "whatconverts")
        .skip(records as usize)
        .collect();
    let more: Vec<&PeopleRecord> = more.iter().collect();
    let bare = Cache::open(&dir.path().join("bare.sqlite3"))?;
    let base = of(&all, "whatconverts", "leads");
    store(&bare, "whatconverts", "leads", &base, SyncMode::Full)?;
    let page_plain = store(&bare, "whatconverts", "leads", &more, SyncMode::Incremental)?;
    let page_people = store(
        &people,
        "whatconverts",
        "leads",
        &more,
        SyncMode::Incremental,
    )?;
    println!(
        "{}",
        json!({"figure": "people", "what": "one_page", "records": more.len(),
               "seconds": page_people, "plain_seconds": page_plain,
               "records_per_s": more.len() as f64 / page_people,
               "plain_records_per_s": more.len() as f64 / page_plain,
               "ratio_to_plain": page_plain / page_people,
               "people_after": people.people(&PeopleQuery::default())?.total})
    );
    Ok(())
}
