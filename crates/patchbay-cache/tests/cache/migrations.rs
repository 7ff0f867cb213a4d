use patchbay_cache::{
    Cache, CacheError, ColumnKind, ExportFormat, SyncMode, WeekCount, DEFAULT_ACCOUNT,
    SCHEMA_VERSION,
};
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
    let page = cache
        .query("clickfunnels", DEFAULT_ACCOUNT, "contacts", &q("ver"))
        .unwrap();
    assert_eq!((page.total, page.rows[0].cells[0].as_str()), (1, "Vera"));
    assert_eq!(
        cache
            .resume_point("clickfunnels", DEFAULT_ACCOUNT, "contacts")
            .unwrap()
            .as_deref(),
        Some("next-page")
    );
    // The interrupted v1 sync resumes under the current version and completes.
    let cols = vec![col("name", "Name", "/name", ColumnKind::Text)];
    let mut w = cache
        .begin_sync(
            "clickfunnels",
            DEFAULT_ACCOUNT,
            "contacts",
            &cols,
            SyncMode::Full,
        )
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

/// Version 2, the last layout before accounts, frozen here the same way: `resources` keyed by
/// (provider, resource). Two WhatConverts resources (one finished, one with a sync interrupted
/// on its third page) and one BoomTown resource.
const V2_DDL: &str = "
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
    in_progress  INTEGER NOT NULL,
    started_at   TEXT,
    pages        INTEGER NOT NULL DEFAULT 0
);
INSERT INTO resources VALUES (1, 'whatconverts', 'leads',
    '[{\"key\":\"name\",\"label\":\"Name\",\"pointer\":\"/name\",\"kind\":\"text\"},
      {\"key\":\"created\",\"label\":\"Created\",\"pointer\":\"/created\",\"kind\":\"date\"}]',
    3, '2024-05-01T10:00:00Z', 1);
INSERT INTO resources VALUES (2, 'whatconverts', 'calls',
    '[{\"key\":\"name\",\"label\":\"Name\",\"pointer\":\"/name\",\"kind\":\"text\"}]', 2, NULL, 0);
INSERT INTO resources VALUES (3, 'boomtown', 'leads',
    '[{\"key\":\"name\",\"label\":\"Name\",\"pointer\":\"/name\",\"kind\":\"text\"}]',
    1, '2024-04-01T08:30:00Z', 1);
INSERT INTO sync_state VALUES (1, 'full', 4, NULL, 0, '2024-05-01T09:59:00Z', 1);
INSERT INTO sync_state VALUES (2, 'full', 1, 'calls-page-3', 1, '2024-05-02T07:00:00Z', 2);
INSERT INTO sync_state VALUES (3, 'incremental', 2, NULL, 0, '2024-04-01T08:29:00Z', 1);

CREATE TABLE rec_1 (idx INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL UNIQUE,
    seen_gen INTEGER NOT NULL, d0 TEXT COLLATE NOCASE, d1 TEXT COLLATE NOCASE, s1 INTEGER);
CREATE TABLE raw_1 (idx INTEGER PRIMARY KEY, raw_json TEXT NOT NULL);
CREATE INDEX rec_1_d0 ON rec_1(d0);
CREATE INDEX rec_1_d0_n ON rec_1(d0 IS NULL, d0);
CREATE INDEX rec_1_s1 ON rec_1(s1);
CREATE INDEX rec_1_s1_n ON rec_1(s1 IS NULL, s1);
CREATE VIRTUAL TABLE fts_1 USING fts5(body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2', prefix='1 2 3');
-- 1709596800 = 2024-03-05, 1709683200 = 2024-03-06, 1710288000 = 2024-03-13
INSERT INTO rec_1 VALUES (1, 'w1', 4, 'Maria Lopez', '2024-03-05', 1709596800);
INSERT INTO rec_1 VALUES (2, 'w2', 4, 'Tom Baker', '2024-03-06', 1709683200);
INSERT INTO rec_1 VALUES (5, 'w5', 4, 'Ines Duarte', '2024-03-13', 1710288000);
INSERT INTO raw_1 VALUES (1, '{\"created\":\"2024-03-05\",\"id\":\"w1\",\"name\":\"Maria Lopez\"}');
INSERT INTO raw_1 VALUES (2, '{\"created\":\"2024-03-06\",\"id\":\"w2\",\"name\":\"Tom Baker\"}');
INSERT INTO raw_1 VALUES (5, '{\"created\":\"2024-03-13\",\"id\":\"w5\",\"name\":\"Ines Duarte\"}');
INSERT INTO fts_1 (rowid, body) VALUES (1, 'Maria Lopez'), (2, 'Tom Baker'), (5, 'Ines Duarte');

CREATE TABLE rec_2 (idx INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL UNIQUE,
    seen_gen INTEGER NOT NULL, d0 TEXT COLLATE NOCASE);
CREATE TABLE raw_2 (idx INTEGER PRIMARY KEY, raw_json TEXT NOT NULL);
CREATE INDEX rec_2_d0 ON rec_2(d0);
CREATE INDEX rec_2_d0_n ON rec_2(d0 IS NULL, d0);
CREATE VIRTUAL TABLE fts_2 USING fts5(body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2', prefix='1 2 3');
INSERT INTO rec_2 VALUES (1, 'k1', 1, 'Call from Maria'), (2, 'k2', 1, 'Call from Ann');
INSERT INTO raw_2 VALUES (1, '{\"name\":\"Call from Maria\"}'), (2, '{\"name\":\"Call from Ann\"}');
INSERT INTO fts_2 (rowid, body) VALUES (1, 'Call from Maria'), (2, 'Call from Ann');

CREATE TABLE rec_3 (idx INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL UNIQUE,
    seen_gen INTEGER NOT NULL, d0 TEXT COLLATE NOCASE);
CREATE TABLE raw_3 (idx INTEGER PRIMARY KEY, raw_json TEXT NOT NULL);
CREATE INDEX rec_3_d0 ON rec_3(d0);
CREATE INDEX rec_3_d0_n ON rec_3(d0 IS NULL, d0);
CREATE VIRTUAL TABLE fts_3 USING fts5(body, content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2', prefix='1 2 3');
INSERT INTO rec_3 VALUES (1, 'b1', 2, 'Home buyer Ruth');
INSERT INTO raw_3 VALUES (1, '{\"name\":\"Home buyer Ruth\"}');
INSERT INTO fts_3 (rowid, body) VALUES (1, 'Home buyer Ruth');
PRAGMA user_version = 2;
";

fn names(
    cache: &Cache,
    provider: &str,
    account: &str,
    resource: &str,
    search: &str,
) -> Vec<String> {
    cache
        .query(provider, account, resource, &q(search))
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.cells[0].clone())
        .collect()
}

#[test]
fn a_version_2_database_becomes_the_default_account_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    Connection::open(&path)
        .unwrap()
        .execute_batch(V2_DDL)
        .unwrap();

    let cache = Cache::open(&path).unwrap();
    let d = DEFAULT_ACCOUNT;
    assert_eq!(d, "default");
    for provider in [P, "boomtown"] {
        assert_eq!(cache.accounts(provider).unwrap(), [d], "{provider}");
    }
    assert!(cache.accounts("emailoctopus").unwrap().is_empty());

    // Every record is there, searchable, with its detail, chart and export.
    assert_eq!(
        names(&cache, P, d, R, ""),
        ["Maria Lopez", "Tom Baker", "Ines Duarte"]
    );
    assert_eq!(names(&cache, P, d, R, "lop"), ["Maria Lopez"]);
    let detail = cache.detail(P, d, R, 5).unwrap().unwrap();
    assert_eq!(detail.record_id, "w5");
    assert_eq!(detail.fields[0].value, "Ines Duarte");
    assert!(detail.raw_json.contains("Ines Duarte"));
    let weeks = cache
        .weekly_counts(P, d, R, "created", &patchbay_cache::Query::default())
        .unwrap();
    let week = |w: &str, n| WeekCount {
        week_start: w.into(),
        count: n,
    };
    assert_eq!(weeks, [week("2024-03-04", 2), week("2024-03-11", 1)]);
    let mut csv = Vec::new();
    let n = cache
        .export(P, d, R, &q(""), ExportFormat::Csv, &mut csv, &mut |_, _| {})
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "Name,Created\nMaria Lopez,2024-03-05\nTom Baker,2024-03-06\nInes Duarte,2024-03-13\n"
    );
    assert_eq!(names(&cache, P, d, "calls", "maria"), ["Call from Maria"]);
    assert_eq!(names(&cache, "boomtown", d, R, "ruth"), ["Home buyer Ruth"]);

    // The bookkeeping came along: counts, last sync, completeness, the interrupted sync's cursor.
    let leads = cache.stats(P, d, R).unwrap().unwrap();
    assert_eq!(
        (leads.count, leads.last_synced.as_deref(), leads.complete),
        (3, Some("2024-05-01T10:00:00Z"), true)
    );
    let calls = cache.stats(P, d, "calls").unwrap().unwrap();
    assert_eq!((calls.count, calls.complete), (2, false));
    assert_eq!(
        cache.resume_point(P, d, "calls").unwrap().as_deref(),
        Some("calls-page-3")
    );
    assert_eq!(
        cache.last_synced(P, d).unwrap().as_deref(),
        Some("2024-05-01T10:00:00Z")
    );
    assert_eq!(
        cache.last_synced("boomtown", d).unwrap().as_deref(),
        Some("2024-04-01T08:30:00Z")
    );
    // Nothing was filed under any other account.
    assert_eq!(cache.last_synced(P, A).unwrap(), None);
    assert!(matches!(
        cache.query(P, A, R, &q("")).unwrap_err(),
        CacheError::NotCached { .. }
    ));

    // The interrupted sync resumes with its generation: the two calls from its first pages count
    // as seen, so the full sync's end deletes nothing it already fetched.
    let call_cols = vec![col("name", "Name", "/name", ColumnKind::Text)];
    let mut w = cache
        .begin_sync(P, d, "calls", &call_cols, SyncMode::Full)
        .unwrap();
    w.write_page(&[("k3".into(), json!({"name": "Call from Zoe"}))], None)
        .unwrap();
    let s = w.finish().unwrap();
    assert_eq!((s.written, s.deleted, s.total), (3, 0, 3));

    // A second account now syncs the same resource alongside (uniqueness includes the account),
    // and an incremental sync of the default account keeps its row indexes past the old ones.
    let lead_cols = vec![
        col("name", "Name", "/name", ColumnKind::Text),
        col("created", "Created", "/created", ColumnKind::Date),
    ];
    let mut w = cache
        .begin_sync(P, A, R, &lead_cols, SyncMode::Full)
        .unwrap();
    w.write_page(
        &[("w1".into(), json!({"name": "Other agency's lead"}))],
        None,
    )
    .unwrap();
    w.finish().unwrap();
    let mut w = cache
        .begin_sync(P, d, R, &lead_cols, SyncMode::Incremental)
        .unwrap();
    w.write_page(&[("w9".into(), json!({"name": "Newest"}))], None)
        .unwrap();
    w.finish().unwrap();
    let rows = cache.query(P, d, R, &q("")).unwrap().rows;
    assert_eq!(rows.len(), 4);
    assert!(rows[3].index > 5, "index {} reused", rows[3].index);
    assert_eq!(names(&cache, P, A, R, ""), ["Other agency's lead"]);
    assert_eq!(cache.accounts(P).unwrap(), [A, d]);
    drop(cache);

    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 6);
    let states: i64 = conn
        .query_row("SELECT count(*) FROM sync_state", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        states, 4,
        "every sync state survived the rebuild, plus the new account's"
    );
    let leftovers: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'resources_%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leftovers, 0);
}

#[test]
fn opening_twice_is_a_no_op_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    drop(Cache::open(&path).unwrap());
    let cache = Cache::open(&path).unwrap();
    assert_eq!(cache.stats(P, A, R).unwrap(), None);
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
