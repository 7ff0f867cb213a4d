use patchbay_cache::{Cache, CacheError, SyncMode, SCHEMA_VERSION};
use rusqlite::Connection;
use serde_json::json;

use crate::*;

/// The first shipped layout, frozen here: this is what users' existing cache files look like.
const V1_DDL: &str = "
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
CREATE TABLE rec_1 (idx INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL UNIQUE,
    seen_gen INTEGER NOT NULL, d0 TEXT COLLATE NOCASE);
CREATE TABLE raw_1 (idx INTEGER PRIMARY KEY, raw_json TEXT NOT NULL);
CREATE INDEX rec_1_d0 ON rec_1(d0);
CREATE INDEX rec_1_d0_n ON rec_1(d0 IS NULL, d0);
CREATE VIRTUAL TABLE fts_1 USING fts5(body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2', prefix='1 2 3');
INSERT INTO resources VALUES (1, 'clickfunnels', 'contacts',
    '[{\"key\":\"name\",\"label\":\"Name\",\"pointer\":\"/name\",\"kind\":\"text\"}]', 1, NULL, 0);
INSERT INTO rec_1 VALUES (1, 'c1', 1, 'Vera');
INSERT INTO raw_1 VALUES (1, '{\"name\":\"Vera\"}');
INSERT INTO fts_1 (rowid, body) VALUES (1, 'Vera');
INSERT INTO sync_state VALUES (1, 'full', 1, 'next-page', 1);
PRAGMA user_version = 1;
";

#[test]
fn a_version_1_database_opens_and_keeps_its_records_and_sync_progress() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    Connection::open(&path)
        .unwrap()
        .execute_batch(V1_DDL)
        .unwrap();

    let cache = Cache::open(&path).unwrap();
    let page = cache.query("clickfunnels", "contacts", &q("ver")).unwrap();
    assert_eq!((page.total, page.rows[0].cells[0].as_str()), (1, "Vera"));
    assert_eq!(
        cache
            .resume_point("clickfunnels", "contacts")
            .unwrap()
            .as_deref(),
        Some("next-page")
    );
    // The interrupted v1 sync resumes under v2 and completes.
    let cols = vec![col(
        "name",
        "Name",
        "/name",
        patchbay_cache::ColumnKind::Text,
    )];
    let mut w = cache
        .begin_sync("clickfunnels", "contacts", &cols, SyncMode::Full)
        .unwrap();
    w.write_page(&[("c2".into(), json!({"name": "Walt"}))], None)
        .unwrap();
    let s = w.finish().unwrap();
    // Vera came in the v1 attempt of this same sync, so she counts as written and stays.
    assert_eq!((s.written, s.deleted, s.total), (2, 0, 2));
    drop(cache);

    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let pages: i64 = conn
        .query_row("SELECT pages FROM sync_state", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pages, 1, "the v2 column exists and is maintained");
}

#[test]
fn opening_twice_is_a_no_op_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    drop(Cache::open(&path).unwrap());
    let cache = Cache::open(&path).unwrap();
    assert_eq!(cache.stats(P, R).unwrap(), None);
}

#[test]
fn a_newer_database_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Cache::open(&path).err().unwrap();
    assert!(matches!(err, CacheError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("Update Patchbay"), "{err}");
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = Cache::open(&path).err().unwrap();
    assert!(matches!(err, CacheError::Damaged { .. }), "{err}");
    assert!(
        err.to_string().contains("Delete it and press Refresh"),
        "{err}"
    );
    let missing = dir.path().join("no/such/folder/cache.sqlite3");
    let err = Cache::open(&missing).err().unwrap();
    assert!(matches!(err, CacheError::Open { .. }), "{err}");
}
