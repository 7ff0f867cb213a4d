use patchbay_cache::{Cache, CacheError, SyncMode};
use rusqlite::Connection;
use serde_json::json;

use crate::*;

/// Every byte SQLite keeps for the cache: the main file and its WAL.
fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut all = std::fs::read(path).unwrap();
    let wal = path.with_extension("sqlite3-wal");
    if let Ok(w) = std::fs::read(wal) {
        all.extend(w);
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn no_token_ever_lands_in_the_database_file() {
    const TOKEN: &str = "pbk_live_9fQ2xS7vLz0TkE3mW8aR";
    let (dir, cache) = open();
    let path = dir.path().join("cache.sqlite3");
    // Providers sometimes echo credentials in records; those fields are dropped before storage.
    let mut w = begin(&cache, SyncMode::Full);
    let mut record = lead(1, "Ursula Canary", json!(3), json!(null));
    record.1["access_token"] = json!(TOKEN);
    record.1["webhook"] = json!({ "Secret": TOKEN, "url": "https://hooks.example.com/x" });
    record.1["contacts"] = json!([{ "api_key": TOKEN }]);
    w.write_page(&[record], Some("cursor-ABC")).unwrap();
    w.finish().unwrap();
    let d = cache
        .detail(P, A, R, cache.query(P, A, R, &q("")).unwrap().rows[0].index)
        .unwrap()
        .unwrap();
    assert!(!d.raw_json.contains(TOKEN));
    assert!(
        d.raw_json.contains("hooks.example.com"),
        "other fields are kept"
    );

    let bytes = file_bytes(&path);
    // Control: the scan does see record data, so the absence below means something.
    assert!(contains(&bytes, "Ursula Canary"));
    assert!(
        !contains(&bytes, TOKEN),
        "the token was written to the cache file"
    );

    let conn = Connection::open(&path).unwrap();
    let mut stmt = conn
        .prepare("SELECT m.name, p.name FROM sqlite_schema m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'")
        .unwrap();
    let cols: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(cols.len() > 10, "{cols:?}");
    for (table, col) in cols {
        let c = col.to_ascii_lowercase();
        assert!(
            !["token", "secret", "password", "key"]
                .iter()
                .any(|w| c.contains(w)),
            "{table}.{col}"
        );
    }
}

#[test]
fn open_refuses_a_file_with_any_other_table() {
    let (dir, cache) = open();
    drop(cache);
    let path = dir.path().join("cache.sqlite3");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE tokens (provider TEXT, value TEXT)")
        .unwrap();
    let err = Cache::open(&path).err().unwrap();
    assert!(
        matches!(err, CacheError::ForeignTable(ref t) if t == "tokens"),
        "{err}"
    );
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE tokens; CREATE VIEW leaked AS SELECT 1")
        .unwrap();
    assert!(matches!(
        Cache::open(&path).err().unwrap(),
        CacheError::ForeignTable(_)
    ));
}

#[test]
fn delete_leaves_no_rows_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    let cache = Cache::open(&path).unwrap();
    for (p, r) in [(P, R), (P, "calls"), ("emailoctopus", "contacts")] {
        let mut w = cache
            .begin_sync(p, A, r, &columns(), SyncMode::Full)
            .unwrap();
        let rows: Vec<_> = (0..300)
            .map(|i| {
                lead(
                    i,
                    &format!("Quentin Zebulon {p} {r}"),
                    json!(i),
                    json!(null),
                )
            })
            .collect();
        w.write_page(&rows, Some("more")).unwrap();
        if r != "calls" {
            w.finish().unwrap();
        }
    }
    let view = |p: &str, r: &str| {
        cache
            .create_view(
                p,
                A,
                r,
                "Zebulon's",
                &serde_json::json!({ "search": format!("Quentin Zebulon {p} {r}") }).to_string(),
            )
            .unwrap()
    };
    view(P, "calls");
    view("emailoctopus", "contacts");
    // One resource, then a whole provider (the disconnect case, with an unfinished sync).
    cache.delete(P, A, Some(R)).unwrap();
    assert_eq!(
        cache.views(P, A, "calls").unwrap().len(),
        1,
        "a list's refresh keeps its views"
    );
    assert_eq!(cache.stats(P, A, R).unwrap(), None);
    assert!(cache.stats(P, A, "calls").unwrap().is_some());
    cache.delete(P, A, None).unwrap();
    assert_eq!(cache.stats(P, A, "calls").unwrap(), None);
    assert!(
        cache.views(P, A, "calls").unwrap().is_empty(),
        "a disconnect deletes the views"
    );
    assert_eq!(cache.views("emailoctopus", A, "contacts").unwrap().len(), 1);
    assert_eq!(cache.resume_point(P, A, "calls").unwrap(), None);
    assert!(matches!(
        cache.query(P, A, "calls", &q("")).unwrap_err(),
        CacheError::NotCached { .. }
    ));
    // The other provider is untouched.
    assert_eq!(
        cache
            .query("emailoctopus", A, "contacts", &q("quentin"))
            .unwrap()
            .matched,
        300
    );
    drop(cache);

    let conn = Connection::open(&path).unwrap();
    let resources: Vec<String> = conn
        .prepare("SELECT provider FROM resources")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(resources, ["emailoctopus"]);
    let states: i64 = conn
        .query_row("SELECT count(*) FROM sync_state", [], |r| r.get(0))
        .unwrap();
    assert_eq!(states, 1);
    let tables: Vec<String> = conn
        // People's tables are shared by every resource, not per resource.
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN ('resources', 'sync_state', 'sqlite_sequence',
                  'identity_spec', 'person', 'person_key', 'record_person', 'person_decision', 'decision_record',
                  'saved_view')
                  AND name NOT LIKE 'person_fts%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // Only the remaining resource's tables (id 3): row table, raw JSON and the FTS index.
    assert!(
        !tables.is_empty()
            && tables
                .iter()
                .all(|t| t.ends_with("_3") || t.starts_with("fts_3_")),
        "{tables:?}"
    );
    // AUTOINCREMENT counters: the remaining resource's rows and the saved views.
    let sequences: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_sequence ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(sequences, ["rec_3", "saved_view"]);
    drop(conn);
    // Not even the bytes remain: freed pages are overwritten and the WAL truncated.
    let bytes = file_bytes(&path);
    assert!(contains(&bytes, "Quentin Zebulon emailoctopus"));
    assert!(
        !contains(&bytes, "Quentin Zebulon whatconverts"),
        "deleted records are still in the file"
    );
}
