//! The fixed part of the schema (the `resources` and `sync_state` tables), versioned with
//! `PRAGMA user_version`. Each step runs in its own transaction together with the version bump,
//! so a crash mid-migration leaves the previous version intact.
//!
//! Per-resource record tables (`rec_N`, `raw_N`, `fts_N`) are not migrated here: their layout follows the
//! column definitions the shell passes to `begin_sync`, and `schema.rs` rebuilds them from the
//! raw JSON whenever those change.

use rusqlite::Connection;
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

const STEPS: &[&str] = &[V1, V2];

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
    for (i, step) in STEPS.iter().enumerate().skip(found as usize) {
        let version = i as i64 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
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

fn is_cache_table(name: &str) -> bool {
    if matches!(name, "resources" | "sync_state") || name.starts_with("sqlite_") {
        return true;
    }
    let numbered = |rest: &str| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = name
        .strip_prefix("rec_")
        .or_else(|| name.strip_prefix("raw_"))
    {
        return numbered(rest);
    }
    if let Some(rest) = name.strip_prefix("fts_") {
        // FTS5 keeps its index in shadow tables named after the virtual table.
        let base = ["_data", "_idx", "_docsize", "_config", "_content"]
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
        ] {
            assert!(!is_cache_table(bad), "{bad}");
        }
    }
}
