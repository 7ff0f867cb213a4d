//! The fixed part of the schema (the `resources` and `sync_state` tables), versioned with
//! `PRAGMA user_version`. Each step runs in its own transaction together with the version bump,
//! so a crash mid-migration leaves the previous version intact.
//!
//! Per-resource record tables (`rec_N`, `raw_N`, `fts_N`) are not migrated here: their layout follows the
//! column definitions the shell passes to `begin_sync`, and `schema.rs` rebuilds them from the
//! raw JSON whenever those change.

use rusqlite::{Connection, OptionalExtension};
use tracing::info;

use crate::CacheError;

/// Version 1 is the first layout that shipped; it is kept verbatim so the upgrade path from it
/// stays tested.
pub(crate) const V1: &str = "
CREATE TABLE resources (
    id          INTEGER PRIMARY KEY,
    provider    TEXT NOT NULL,
    resource    TEXT NOT NULL,
    columns     TEXT NOT NULL,
    row_count   INTEGER NOT NULL DEFAULT 0,
    last_synced TEXT,
    complete    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (provider, resource)
);
CREATE TABLE sync_state (
    resource_id  INTEGER PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    mode         TEXT NOT NULL,
    generation   INTEGER NOT NULL,
    page_cursor  TEXT,
    in_progress  INTEGER NOT NULL
);
";

/// Version 2 remembers when an unfinished sync started and how many pages it committed, so the
/// logs (and a future UI hint) can tell a stale interrupted sync from one still under way.
const V2: &str = "
ALTER TABLE sync_state ADD COLUMN started_at TEXT;
ALTER TABLE sync_state ADD COLUMN pages INTEGER NOT NULL DEFAULT 0;
";

/// Version 3 keys a resource by (provider, account, resource): one provider can be connected
/// several times (an agency with many WhatConverts profiles). SQLite cannot change a UNIQUE
/// constraint in place, so `resources` is rebuilt; row ids are kept, so the `rec_N`/`raw_N`/
/// `fts_N` tables and `sync_state` (keyed by resource id, which now names one account's
/// resource) still point at the right rows. Everything cached before belongs to the one account
/// a single-account install had, whose id is `default`. No column default: every write names
/// its account, so a forgotten one is an error rather than data filed under `default`.
const V3: &str = "
CREATE TABLE resources_v3 (
    id          INTEGER PRIMARY KEY,
    provider    TEXT NOT NULL,
    account     TEXT NOT NULL,
    resource    TEXT NOT NULL,
    columns     TEXT NOT NULL,
    row_count   INTEGER NOT NULL DEFAULT 0,
    last_synced TEXT,
    complete    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (provider, account, resource)
);
INSERT INTO resources_v3 (id, provider, account, resource, columns, row_count, last_synced, complete)
    SELECT id, provider, 'default', resource, columns, row_count, last_synced, complete FROM resources;
DROP TABLE resources;
ALTER TABLE resources_v3 RENAME TO resources;
";

/// Version 4 is for incremental sync and its report. A resource remembers its watermark (the
/// newest change, id or creation date stored: where the next incremental pass starts) and
/// when its last full pass finished (a full pass, the only one that sees deletions, runs again
/// after some days). An unfinished sync keeps the records it added and updated and the
/// watermark reached so far, so a resumed sync reports and promotes the whole sync's.
/// Files from before start with neither: their first refresh is a full pass.
const V4: &str = "
ALTER TABLE resources ADD COLUMN watermark TEXT;
ALTER TABLE resources ADD COLUMN last_full TEXT;
ALTER TABLE sync_state ADD COLUMN added INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN updated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN watermark TEXT;
";

/// Version 5 is People: each record of a resource with identity fields (`identity_spec`, set
/// from its definition) is resolved to a person. `person_key` maps each email, phone and record
/// key to its one person; `record_person` keeps what each record says (and its keys, to resolve
/// again after a deletion or a decision); `person` keeps each person's figures for the People
/// table, with indexes for its sorts; `person_fts` finds a person by any of their records'
/// names, emails and phones. The user's merges and splits are `person_decision` with the
/// records they name. Files from before start with no people: the next sync resolves them.
const V5: &str = "
CREATE TABLE identity_spec (
    provider TEXT NOT NULL,
    resource TEXT NOT NULL,
    spec     TEXT NOT NULL,
    PRIMARY KEY (provider, resource)
);
CREATE TABLE person (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT,
    name_folded   TEXT,
    email         TEXT,
    phone         TEXT,
    first_seen    INTEGER,
    last_seen     INTEGER,
    source        TEXT,
    medium        TEXT,
    campaign      TEXT,
    tools         TEXT NOT NULL DEFAULT '',
    records       INTEGER NOT NULL DEFAULT 0,
    leads         INTEGER NOT NULL DEFAULT 0,
    registrations INTEGER NOT NULL DEFAULT 0,
    attended      INTEGER NOT NULL DEFAULT 0,
    orders        INTEGER NOT NULL DEFAULT 0,
    revenue       REAL NOT NULL DEFAULT 0
);
CREATE INDEX person_name_folded ON person(name_folded);
CREATE INDEX person_first_seen ON person(first_seen);
CREATE INDEX person_last_seen ON person(last_seen);
CREATE INDEX person_revenue ON person(revenue);
CREATE INDEX person_source ON person(source);
CREATE TABLE person_key (
    kind      TEXT NOT NULL,
    value     TEXT NOT NULL,
    person_id INTEGER NOT NULL,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX person_key_person ON person_key(person_id);
CREATE TABLE record_person (
    resource_id INTEGER NOT NULL,
    record_id   TEXT NOT NULL,
    person_id   INTEGER NOT NULL,
    role        TEXT NOT NULL,
    at          INTEGER,
    name        TEXT,
    email       TEXT,
    phone       TEXT,
    source      TEXT,
    medium      TEXT,
    campaign    TEXT,
    amount      REAL,
    currency    TEXT,
    attended    INTEGER,
    identifiers TEXT NOT NULL,
    PRIMARY KEY (resource_id, record_id)
);
CREATE INDEX record_person_person ON record_person(person_id);
CREATE INDEX record_person_role_at ON record_person(role, at);
CREATE TABLE person_decision (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT NOT NULL CHECK (kind IN ('merge', 'split')),
    made_at   TEXT NOT NULL,
    undone_at TEXT
);
CREATE TABLE decision_record (
    decision_id INTEGER NOT NULL REFERENCES person_decision(id),
    resource_id INTEGER NOT NULL,
    record_id   TEXT NOT NULL,
    PRIMARY KEY (decision_id, resource_id, record_id)
);
CREATE INDEX decision_record_record ON decision_record(resource_id, record_id);
CREATE VIRTUAL TABLE person_fts USING fts5(body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2', prefix='1 2 3');
";

/// Version 6 keeps the records workbench's saved views: a named set of filters, search, sort and
/// columns of one list of one account. The settings are the app's JSON (the cache only keeps
/// them); the world is the file itself (each world has its own cache).
const V6: &str = "
CREATE TABLE saved_view (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    provider   TEXT NOT NULL,
    account    TEXT NOT NULL,
    resource   TEXT NOT NULL,
    name       TEXT NOT NULL COLLATE NOCASE,
    settings   TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (provider, account, resource, name)
);
";

const STEPS: &[&str] = &[V1, V2, V3, V4, V5, V6];

/// The account that data cached before accounts existed (schema version 2 and older) belongs to.
/// V3 writes this literal into migrated files, so it can never change.
pub const DEFAULT_ACCOUNT: &str = "default";

/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = STEPS.len() as i64;

pub(crate) fn migrate(conn: &mut Connection) -> Result<(), CacheError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(CacheError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    // A step that rebuilds a table (V3) drops the old one; with foreign keys on, that DROP would
    // cascade into `sync_state` and lose every interrupted sync's cursor. SQLite's documented
    // procedure for schema changes: foreign keys off around the steps (the pragma is a no-op
    // inside a transaction, so it is set here), then `foreign_key_check` before each commit.
    let foreign_keys: bool = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    let result = run_steps(conn, found);
    conn.pragma_update(None, "foreign_keys", foreign_keys)?;
    result
}

fn run_steps(conn: &mut Connection, found: i64) -> Result<(), CacheError> {
    for (i, step) in STEPS.iter().enumerate().skip(found as usize) {
        let version = i as i64 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        let dangling: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()?;
        if let Some(table) = dangling {
            // Only a file changed behind the cache's back can get here (it always writes with
            // foreign keys on); `open` turns a corruption code into "delete it and Refresh".
            return Err(CacheError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(format!(
                    "migrating to version {version} left a dangling reference in `{table}`"
                )),
            )));
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        info!(version, "cache schema migrated");
    }
    Ok(())
}

/// The database file is a cache of records, not a store for anything else (tokens live in the
/// OS keychain). Refuse to open a file holding any other table, so nothing can quietly start
/// keeping other data here.
pub(crate) fn check_tables(conn: &Connection) -> Result<(), CacheError> {
    let mut stmt = conn
        .prepare("SELECT type, name FROM sqlite_schema WHERE type IN ('table','view','trigger')")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (kind, name) = row?;
        if kind != "table" || !is_cache_table(&name) {
            return Err(CacheError::ForeignTable(name));
        }
    }
    Ok(())
}

/// FTS5 keeps its index in shadow tables named after the virtual table.
const FTS_SHADOWS: [&str; 5] = ["_data", "_idx", "_docsize", "_config", "_content"];

fn is_cache_table(name: &str) -> bool {
    if matches!(
        name,
        "resources"
            | "sync_state"
            | "identity_spec"
            | "person"
            | "person_key"
            | "record_person"
            | "person_decision"
            | "decision_record"
            | "saved_view"
    ) || name.starts_with("sqlite_")
    {
        return true;
    }
    let numbered = |rest: &str| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = name
        .strip_prefix("rec_")
        .or_else(|| name.strip_prefix("raw_"))
    {
        return numbered(rest);
    }
    if let Some(shadow) = name.strip_prefix("person_fts") {
        return shadow.is_empty() || FTS_SHADOWS.contains(&shadow);
    }
    if let Some(rest) = name.strip_prefix("fts_") {
        // FTS5 keeps its index in shadow tables named after the virtual table.
        let base = FTS_SHADOWS
            .iter()
            .find_map(|s| rest.strip_suffix(s))
            .unwrap_or(rest);
        return numbered(base);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_cache_tables() {
        for ok in [
            "resources",
            "sync_state",
            "rec_1",
            "fts_12",
            "fts_12_data",
            "fts_3_config",
            "person",
            "person_fts",
            "person_fts_data",
        ] {
            assert!(is_cache_table(ok), "{ok}");
        }
        for bad in [
            "tokens",
            "rec_",
            "rec_1x",
            "fts_a_data",
            "secrets",
            "fts_1_other",
            "person_fts_other",
            "persons",
        ] {
            assert!(!is_cache_table(bad), "{bad}");
        }
    }
}
