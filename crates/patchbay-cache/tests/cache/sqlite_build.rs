//! The bundled SQLite is built with what the cache uses and without the modules it never uses
//! (`.cargo/config.toml`, `LIBSQLITE3_FLAGS`: they were about 85 KiB of the app's binary).

use rusqlite::Connection;

#[test]
fn the_bundled_sqlite_has_fts5_and_json_but_not_fts3_rtree_or_extensions() {
    let db = Connection::open_in_memory().unwrap();
    // What the cache needs: FTS5 for search, json_each for People.
    db.execute_batch("CREATE VIRTUAL TABLE search USING fts5(body)")
        .expect("FTS5 is built in");
    let n: i64 = db
        .query_row("SELECT count(*) FROM json_each('[1,2,3]')", [], |r| {
            r.get(0)
        })
        .expect("JSON is built in");
    assert_eq!(n, 3);

    // What it never uses is left out.
    for (module, sql) in [
        ("fts3", "CREATE VIRTUAL TABLE a USING fts3(body)"),
        ("fts4", "CREATE VIRTUAL TABLE b USING fts4(body)"),
        ("rtree", "CREATE VIRTUAL TABLE c USING rtree(id, x0, x1)"),
        ("dbstat", "CREATE VIRTUAL TABLE d USING dbstat"),
    ] {
        let err = db.execute_batch(sql).expect_err(module).to_string();
        assert!(
            err.contains(&format!("no such module: {module}")),
            "{module}: {err}"
        );
    }
    let options: Vec<String> = db
        .prepare("PRAGMA compile_options")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        options.iter().any(|o| o == "OMIT_LOAD_EXTENSION"),
        "{options:?}"
    );
    assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
}
