//! Integration tests against a real SQLite file in a temp dir. One test binary (modules below)
//! keeps link time down on small machines.

mod accounts;
mod export;
mod filter;
mod migrations;
mod people;
mod query;
mod saved_views;
mod secrets;
mod sqlite_build;
mod sync;

use patchbay_cache::{Cache, ColumnKind, ColumnSpec, Query, SyncMode, SyncWriter};
use serde_json::{json, Value};
use tempfile::TempDir;

pub const P: &str = "whatconverts";
/// The account most tests sync; deliberately not `default`, which only upgraded files get.
pub const A: &str = "agency_north";
pub const R: &str = "leads";

pub fn col(key: &str, label: &str, pointer: &str, kind: ColumnKind) -> ColumnSpec {
    ColumnSpec {
        key: key.into(),
        label: label.into(),
        pointer: pointer.into(),
        kind,
    }
}

pub fn columns() -> Vec<ColumnSpec> {
    vec![
        col("name", "Name", "/name", ColumnKind::Text),
        col("email", "Email", "/contact/email", ColumnKind::Email),
        col("phone", "Phone", "/contact/phone", ColumnKind::Phone),
        col("amount", "Amount", "/amount", ColumnKind::Money),
        col("visits", "Visits", "/visits", ColumnKind::Integer),
        col("active", "Active", "/active", ColumnKind::Boolean),
        col("created", "Created", "/created", ColumnKind::Date),
    ]
}

pub fn lead(id: u32, name: &str, amount: Value, created: Value) -> (String, Value) {
    (
        format!("L{id}"),
        json!({
            "id": id,
            "name": name,
            "contact": { "email": format!("{}@example.com", name.to_lowercase().replace(' ', ".")), "phone": "(555) 123-4567" },
            "amount": amount,
            "visits": id,
            "active": id.is_multiple_of(2),
            "created": created,
        }),
    )
}

pub fn open() -> (TempDir, Cache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("cache.sqlite3")).unwrap();
    (dir, cache)
}

/// A sync of the leads most tests use (P, A, R with `columns()`).
pub fn begin(cache: &Cache, mode: SyncMode) -> SyncWriter<'_> {
    cache.begin_sync(P, A, R, &columns(), mode).unwrap()
}

/// A cache holding `records` from one complete full sync.
pub fn filled(records: &[(String, Value)]) -> (TempDir, Cache) {
    let (dir, cache) = open();
    let mut w = begin(&cache, SyncMode::Full);
    w.write_page(records, None).unwrap();
    w.finish().unwrap();
    (dir, cache)
}

pub fn q(search: &str) -> Query {
    Query {
        search: search.into(),
        filter: Vec::new(),
        sort: None,
        offset: 0,
        limit: 100,
    }
}

/// Column `key` of every row the query returns.
pub fn column(cache: &Cache, query: &Query, key: &str) -> Vec<String> {
    let i = columns().iter().position(|c| c.key == key).unwrap();
    cache
        .query(P, A, R, query)
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.cells[i].clone())
        .collect()
}
