use patchbay_cache::{Cache, CacheError, ColumnKind, SyncMode};
use serde_json::json;

use crate::*;

#[test]
fn pages_land_and_stats_follow_the_sync() {
    let (_dir, cache) = open();
    assert_eq!(cache.stats(P, A, R).unwrap(), None);
    let mut w = begin(&cache, SyncMode::Full);
    w.write_page(
        &[lead(1, "Maria Lopez", json!(10), json!("2024-03-05"))],
        Some("page2"),
    )
    .unwrap();
    let during = cache.stats(P, A, R).unwrap().unwrap();
    assert_eq!(
        (during.count, during.complete, during.last_synced.is_none()),
        (1, false, true)
    );
    w.write_page(
        &[lead(2, "Tom Baker", json!(20), json!("2024-03-06"))],
        None,
    )
    .unwrap();
    let s = w.finish().unwrap();
    assert_eq!((s.written, s.deleted, s.total), (2, 0, 2));
    let stats = cache.stats(P, A, R).unwrap().unwrap();
    assert_eq!((stats.count, stats.complete), (2, true));
    let synced = stats.last_synced.unwrap();
    assert!(synced.ends_with('Z') && synced.len() == 20, "{synced}");
    assert_eq!(column(&cache, &q(""), "name"), ["Maria Lopez", "Tom Baker"]);
    assert_eq!(cache.resume_point(P, A, R).unwrap(), None);
}

#[test]
fn the_same_id_twice_updates_and_never_duplicates() {
    let (_dir, cache) = open();
    let mut w = begin(&cache, SyncMode::Incremental);
    let old = lead(1, "Maria", json!(10), json!(null));
    let new = lead(1, "Maria Updated", json!(11), json!(null));
    w.write_page(&[old.clone(), new.clone()], Some("p2"))
        .unwrap();
    w.write_page(&[new], None).unwrap();
    w.finish().unwrap();
    let page = cache.query(P, A, R, &q("")).unwrap();
    assert_eq!((page.total, page.matched, page.rows.len()), (1, 1, 1));
    assert_eq!(page.rows[0].cells[0], "Maria Updated");
    // The search index follows the update too: the old name no longer matches on its own.
    assert_eq!(cache.query(P, A, R, &q("updated")).unwrap().matched, 1);
    assert_eq!(cache.stats(P, A, R).unwrap().unwrap().count, 1);
}

#[test]
fn a_failing_page_lands_not_at_all() {
    let (_dir, cache) = open();
    let mut w = begin(&cache, SyncMode::Full);
    w.write_page(&[lead(1, "Ann", json!(1), json!(null))], Some("after-1"))
        .unwrap();
    let bad = vec![
        lead(2, "Bob", json!(2), json!(null)),
        (String::new(), json!({"name": "no id"})),
    ];
    let err = w.write_page(&bad, Some("after-2")).unwrap_err();
    assert!(matches!(err, CacheError::Record(_)), "{err}");
    // Bob (first in the failed page) is not there, and the cursor still points after page 1.
    assert_eq!(column(&cache, &q(""), "name"), ["Ann"]);
    assert_eq!(cache.query(P, A, R, &q("bob")).unwrap().matched, 0);
    assert_eq!(
        cache.resume_point(P, A, R).unwrap().as_deref(),
        Some("after-1")
    );
    assert_eq!(cache.stats(P, A, R).unwrap().unwrap().count, 1);
}

#[test]
fn rows_written_ahead_of_their_page_show_at_once_and_leave_the_cursor_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    {
        let cache = Cache::open(&path).unwrap();
        let mut w = begin(&cache, SyncMode::Full);
        w.write_page(&[lead(1, "Ann", json!(1), json!(null))], Some("after-1"))
            .unwrap();
        let stats = w
            .write_rows(&[
                lead(2, "Bob", json!(2), json!(null)),
                lead(3, "Cleo", json!(3), json!(null)),
            ])
            .unwrap();
        assert_eq!((stats.added, stats.updated), (2, 0));
        // Shown and counted at once, searchable too; the page they came from is not done.
        assert_eq!(column(&cache, &q(""), "name"), ["Ann", "Bob", "Cleo"]);
        assert_eq!(cache.query(P, A, R, &q("cleo")).unwrap().matched, 1);
        assert_eq!(cache.stats(P, A, R).unwrap().unwrap().count, 3);
        assert_eq!(
            cache.resume_point(P, A, R).unwrap().as_deref(),
            Some("after-1")
        );
        // The app quits before the page's rest is written.
    }
    let cache = Cache::open(&path).unwrap();
    let mut w = begin(&cache, SyncMode::Full);
    // The same page, fetched again from the cursor: what was written ahead is seen unchanged.
    let again = w
        .write_page_marked(
            &[
                lead(2, "Bob", json!(2), json!(null)),
                lead(3, "Cleo", json!(3), json!(null)),
                lead(4, "Dev", json!(4), json!(null)),
            ],
            None,
            None,
        )
        .unwrap();
    assert_eq!((again.added, again.updated), (1, 0));
    let s = w.finish().unwrap();
    assert_eq!((s.total, s.deleted), (4, 0));
    assert_eq!(
        column(&cache, &q(""), "name"),
        ["Ann", "Bob", "Cleo", "Dev"]
    );
}

#[test]
fn rows_written_ahead_never_resurrect_deleted_records() {
    let (_dir, cache) = open();
    let mut w = begin(&cache, SyncMode::Full);
    w.write_rows(&[lead(1, "Ann", json!(1), json!(null))])
        .unwrap();
    cache.delete(P, A, None).unwrap();
    let err = w
        .write_rows(&[lead(2, "Bob", json!(2), json!(null))])
        .unwrap_err();
    assert!(matches!(err, CacheError::SyncSuperseded), "{err}");
    assert!(cache.stats(P, A, R).unwrap().is_none());
}

#[test]
fn an_interrupted_full_sync_resumes_and_then_removes_what_upstream_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    {
        let cache = Cache::open(&path).unwrap();
        let mut w = begin(&cache, SyncMode::Full);
        let first: Vec<_> = (1..=4)
            .map(|i| lead(i, &format!("Old {i}"), json!(i), json!(null)))
            .collect();
        w.write_page(&first, None).unwrap();
        w.finish().unwrap();
        // Next full sync: page 1 holds 1 and 2, then the app is closed mid-sync.
        let mut w = begin(&cache, SyncMode::Full);
        w.write_page(
            &[
                lead(1, "Old 1", json!(1), json!(null)),
                lead(2, "Old 2", json!(2), json!(null)),
            ],
            Some("cursor-2"),
        )
        .unwrap();
        // No finish(): dropped as if the app quit. Nothing is deleted yet.
    }
    let cache = Cache::open(&path).unwrap();
    assert_eq!(
        cache.resume_point(P, A, R).unwrap().as_deref(),
        Some("cursor-2")
    );
    let stats = cache.stats(P, A, R).unwrap().unwrap();
    assert_eq!((stats.count, stats.complete), (4, false));
    let mut w = begin(&cache, SyncMode::Full);
    // The page in flight is fetched again (2 appears twice), then 5 is new; 3 and 4 are gone upstream.
    w.write_page(
        &[
            lead(2, "Old 2", json!(2), json!(null)),
            lead(5, "New 5", json!(5), json!(null)),
        ],
        None,
    )
    .unwrap();
    let s = w.finish().unwrap();
    assert_eq!((s.written, s.deleted, s.total), (3, 2, 3));
    assert_eq!(column(&cache, &q(""), "name"), ["Old 1", "Old 2", "New 5"]);
    assert_eq!(
        cache.query(P, A, R, &q("old")).unwrap().matched,
        2,
        "search index lost the deleted rows too"
    );
    assert_eq!(cache.resume_point(P, A, R).unwrap(), None);
}

#[test]
fn incremental_sync_keeps_rows_it_did_not_see() {
    let records: Vec<_> = (1..=3)
        .map(|i| lead(i, &format!("P{i}"), json!(i), json!(null)))
        .collect();
    let (_dir, cache) = filled(&records);
    let mut w = begin(&cache, SyncMode::Incremental);
    w.write_page(&[lead(2, "P2 changed", json!(2), json!(null))], None)
        .unwrap();
    let s = w.finish().unwrap();
    assert_eq!((s.written, s.deleted, s.total), (1, 0, 3));
    assert_eq!(column(&cache, &q(""), "name"), ["P1", "P2 changed", "P3"]);
}

#[test]
fn a_new_sync_of_another_mode_starts_over_instead_of_resuming() {
    let (_dir, cache) = filled(&[
        lead(1, "A", json!(1), json!(null)),
        lead(2, "B", json!(2), json!(null)),
    ]);
    let mut w = begin(&cache, SyncMode::Incremental);
    w.write_page(&[lead(1, "A", json!(1), json!(null))], Some("inc-2"))
        .unwrap();
    drop(w);
    // A full sync after an interrupted incremental one must not count the incremental page as
    // seen, or it would keep deleted rows / lose resumability semantics.
    let mut w = begin(&cache, SyncMode::Full);
    assert_eq!(cache.resume_point(P, A, R).unwrap(), None);
    w.write_page(&[lead(2, "B", json!(2), json!(null))], None)
        .unwrap();
    let s = w.finish().unwrap();
    assert_eq!((s.written, s.deleted, s.total), (1, 1, 1));
}

#[test]
fn deleting_during_a_sync_stops_the_sync_instead_of_resurrecting_rows() {
    let (_dir, cache) = open();
    let mut w = begin(&cache, SyncMode::Full);
    w.write_page(&[lead(1, "A", json!(1), json!(null))], Some("c"))
        .unwrap();
    cache.delete(P, A, None).unwrap();
    let err = w
        .write_page(&[lead(2, "B", json!(2), json!(null))], None)
        .unwrap_err();
    assert!(matches!(err, CacheError::SyncSuperseded), "{err}");
    assert!(matches!(
        w.finish().unwrap_err(),
        CacheError::SyncSuperseded
    ));
    assert_eq!(cache.stats(P, A, R).unwrap(), None);
}

#[test]
fn changed_columns_are_re_extracted_from_the_raw_json() {
    let (_dir, cache) = filled(&[
        lead(1, "Ann", json!(5), json!(null)),
        lead(2, "Bob", json!(7), json!(null)),
    ]);
    let before = cache.query(P, A, R, &q("")).unwrap();
    let mut cols = columns();
    cols.push(col("record_no", "Record #", "/id", ColumnKind::Integer));
    let w = cache
        .begin_sync(P, A, R, &cols, SyncMode::Incremental)
        .unwrap();
    w.finish().unwrap();
    let after = cache.query(P, A, R, &q("")).unwrap();
    assert_eq!(after.rows.len(), 2);
    for (b, a) in before.rows.iter().zip(&after.rows) {
        assert_eq!(a.index, b.index, "row indexes stay stable across a rebuild");
        assert_eq!(&a.cells[..b.cells.len()], &b.cells[..]);
    }
    assert_eq!(after.rows[1].cells.last().unwrap(), "2");
    let detail = cache.detail(P, A, R, after.rows[1].index).unwrap().unwrap();
    assert_eq!(detail.fields.last().unwrap().label, "Record #");
    assert_eq!(
        detail.raw_json,
        serde_json::to_string(&lead(2, "Bob", json!(7), json!(null)).1).unwrap()
    );
    assert_eq!(
        cache.query(P, A, R, &q("bob")).unwrap().matched,
        1,
        "search index rebuilt"
    );
}

#[test]
fn bad_ids_and_column_definitions_are_refused() {
    let (_dir, cache) = open();
    for (p, r) in [
        ("What", "leads"),
        ("whatconverts", "leads;drop"),
        ("", "x"),
        ("a", "b c"),
    ] {
        let err = cache
            .begin_sync(p, A, r, &columns(), SyncMode::Full)
            .err()
            .unwrap();
        assert!(matches!(err, CacheError::InvalidId(_)), "{p}/{r}: {err}");
        assert!(matches!(
            cache.query(p, A, r, &q("")).unwrap_err(),
            CacheError::InvalidId(_)
        ));
    }
    let mut dup = columns();
    dup.push(columns()[0].clone());
    assert!(matches!(
        cache
            .begin_sync(P, A, R, &dup, SyncMode::Full)
            .err()
            .unwrap(),
        CacheError::InvalidColumns(_)
    ));
    assert!(matches!(
        cache
            .begin_sync(P, A, R, &[], SyncMode::Full)
            .err()
            .unwrap(),
        CacheError::InvalidColumns(_)
    ));
    let bad_pointer = vec![col("n", "N", "name", ColumnKind::Text)];
    let err = cache
        .begin_sync(P, A, R, &bad_pointer, SyncMode::Full)
        .err()
        .unwrap();
    assert!(err.to_string().contains("start with /"), "{err}");
    let err = cache.query(P, A, "contacts", &q("")).unwrap_err();
    assert!(err.to_string().contains("Press Refresh"), "{err}");
}

#[test]
fn reads_run_from_other_threads_while_a_sync_writes() {
    let (_dir, cache) = open();
    let cache = std::sync::Arc::new(cache);
    let mut w = begin(&cache, SyncMode::Full);
    w.write_page(&[lead(0, "Seed", json!(0), json!(null))], Some("1"))
        .unwrap();
    std::thread::scope(|s| {
        let reader = {
            let cache = cache.clone();
            s.spawn(move || {
                let mut last = 0;
                for _ in 0..50 {
                    let page = cache.query(P, A, R, &q("")).unwrap();
                    assert!(page.total >= last, "rows never disappear mid-sync");
                    // Count and rows come from one snapshot.
                    assert_eq!(page.rows.len() as u64, page.total.min(100));
                    last = page.total;
                }
            })
        };
        for p in 1..=20u32 {
            let page: Vec<_> = (0..5)
                .map(|i| lead(p * 10 + i, "Row", json!(i), json!(null)))
                .collect();
            w.write_page(&page, Some(&p.to_string())).unwrap();
        }
        reader.join().unwrap();
    });
    assert_eq!(w.finish().unwrap().total, 101);
}

#[test]
fn a_row_index_is_never_handed_to_another_record() {
    let (_dir, cache) = filled(&[
        lead(1, "Keep", json!(1), json!(null)),
        lead(2, "Gone", json!(2), json!(null)),
    ]);
    let gone = cache.query(P, A, R, &q("gone")).unwrap().rows[0].index;
    // Upstream deleted "Gone" (the newest row) and added "New".
    let mut w = begin(&cache, SyncMode::Full);
    w.write_page(&[lead(1, "Keep", json!(1), json!(null))], None)
        .unwrap();
    w.finish().unwrap();
    assert_eq!(
        cache.detail(P, A, R, gone).unwrap(),
        None,
        "detail of a deleted record"
    );
    let mut w = begin(&cache, SyncMode::Incremental);
    w.write_page(&[lead(3, "New", json!(3), json!(null))], None)
        .unwrap();
    w.finish().unwrap();
    let new = cache.query(P, A, R, &q("new")).unwrap().rows[0].index;
    assert!(new > gone, "index {gone} was reused");
    assert_eq!(cache.detail(P, A, R, gone).unwrap(), None);
}

/// The child half of the test below: runs in a separate process that gets SIGKILLed mid-sync.
fn crash_child(path: &std::path::Path) {
    let cache = Cache::open(path).unwrap();
    let mut w = begin(&cache, SyncMode::Full);
    let started = std::time::Instant::now();
    // Bounded, in case the parent dies before killing us.
    for p in 0u32..5_000 {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            break;
        }
        let page: Vec<_> = (0..200)
            .map(|i| lead(p * 200 + i, &format!("New {p}"), json!(i), json!(null)))
            .collect();
        w.write_page(&page, Some(&(p + 1).to_string())).unwrap();
    }
}

#[test]
fn a_killed_sync_never_leaves_half_a_page_and_resumes() {
    const CHILD: &str = "PATCHBAY_CACHE_CRASH_CHILD";
    if let Some(path) = std::env::var_os(CHILD) {
        return crash_child(std::path::Path::new(&path));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    {
        // A complete earlier sync whose records are all gone upstream by now.
        let cache = Cache::open(&path).unwrap();
        let mut w = begin(&cache, SyncMode::Full);
        let old: Vec<_> = (0..500)
            .map(|i| lead(1_000_000 + i, "Old", json!(i), json!(null)))
            .collect();
        w.write_page(&old, None).unwrap();
        w.finish().unwrap();
    }
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "sync::a_killed_sync_never_leaves_half_a_page_and_resumes",
            "--exact",
            "--test-threads=1",
        ])
        .env(CHILD, &path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let watcher = Cache::open(&path).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let pages: u32 = watcher
            .resume_point(P, A, R)
            .unwrap()
            .map(|c| c.parse().unwrap())
            .unwrap_or(0);
        if pages >= 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "child never wrote 3 pages"
        );
        assert!(child.try_wait().unwrap().is_none(), "child exited early");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL: most likely in the middle of a page's transaction
    child.wait().unwrap();
    drop(watcher);

    let cache = Cache::open(&path).unwrap();
    let pages: u32 = cache
        .resume_point(P, A, R)
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    let new = cache
        .query(
            P,
            A,
            R,
            &Query {
                limit: 0,
                ..q("new")
            },
        )
        .unwrap();
    let all = cache.query(P, A, R, &Query { limit: 0, ..q("") }).unwrap();
    // Exactly the committed pages, nothing of the page in flight; the old rows are still there.
    assert_eq!(new.matched, u64::from(pages) * 200);
    assert_eq!(all.total, new.matched + 500);
    assert_eq!(cache.stats(P, A, R).unwrap().unwrap().count, all.total);

    // Resume from the cursor: the page in flight is fetched again, then two more, then done.
    let mut w = begin(&cache, SyncMode::Full);
    for p in pages - 1..pages + 2 {
        let page: Vec<_> = (0..200)
            .map(|i| lead(p * 200 + i, &format!("New {p}"), json!(i), json!(null)))
            .collect();
        w.write_page(&page, Some(&(p + 1).to_string())).unwrap();
    }
    let s = w.finish().unwrap();
    let expected = u64::from(pages + 2) * 200;
    assert_eq!((s.written, s.deleted, s.total), (expected, 500, expected));
    assert_eq!(
        cache
            .query(
                P,
                A,
                R,
                &Query {
                    limit: 0,
                    ..q("old")
                }
            )
            .unwrap()
            .matched,
        0
    );
}

#[test]
fn one_refresh_per_resource_at_a_time() {
    let (_dir, cache) = open();
    let mut first = begin(&cache, SyncMode::Full);
    let err = cache
        .begin_sync(P, A, R, &columns(), SyncMode::Incremental)
        .err()
        .unwrap();
    assert!(matches!(err, CacheError::SyncRunning { .. }), "{err}");
    assert!(err.to_string().contains("already being refreshed"), "{err}");
    // Another resource syncs meanwhile.
    cache
        .begin_sync(P, A, "calls", &columns(), SyncMode::Full)
        .unwrap()
        .finish()
        .unwrap();
    first
        .write_page(&[lead(1, "A", json!(1), json!(null))], Some("2"))
        .unwrap();
    drop(first); // interrupted: the resource is free again and the sync resumes
    let w = begin(&cache, SyncMode::Full);
    assert_eq!(cache.resume_point(P, A, R).unwrap().as_deref(), Some("2"));
    assert_eq!(w.finish().unwrap().total, 1);
    // finish() frees it too.
    begin(&cache, SyncMode::Full);
}

#[test]
fn the_last_finished_sync_of_a_provider_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");
    let cache = Cache::open(&path).unwrap();
    assert_eq!(cache.last_synced(P, A).unwrap(), None);
    // A sync that has not finished sets nothing.
    let mut w = begin(&cache, SyncMode::Full);
    w.write_page(
        &[lead(1, "Maria Lopez", json!(10), json!("2024-03-05"))],
        None,
    )
    .unwrap();
    assert_eq!(cache.last_synced(P, A).unwrap(), None);
    w.finish().unwrap();
    let leads = cache.stats(P, A, R).unwrap().unwrap().last_synced.unwrap();
    assert_eq!(
        cache.last_synced(P, A).unwrap().as_deref(),
        Some(leads.as_str())
    );
    // Another provider's sync is not this provider's.
    assert_eq!(cache.last_synced("boomtown", A).unwrap(), None);
    drop(cache);
    let reopened = Cache::open(&path).unwrap();
    assert_eq!(reopened.last_synced(P, A).unwrap(), Some(leads));
    assert!(matches!(
        reopened.last_synced("not a provider", A),
        Err(CacheError::InvalidId(_))
    ));
}

#[test]
fn an_accounts_record_count_is_what_its_finished_syncs_hold() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("cache.sqlite3")).unwrap();
    assert_eq!(
        cache.record_count(P, A).unwrap(),
        None,
        "nothing fetched yet"
    );
    let mut w = begin(&cache, SyncMode::Full);
    w.write_page(
        &[
            lead(1, "Maria Lopez", json!(10), json!("2024-03-05")),
            lead(2, "Ana Silva", json!(20), json!("2024-03-06")),
        ],
        None,
    )
    .unwrap();
    w.finish().unwrap();
    assert_eq!(cache.record_count(P, A).unwrap(), Some(2));
    assert_eq!(
        cache.record_count("boomtown", A).unwrap(),
        None,
        "another provider's"
    );
    assert!(matches!(
        cache.record_count("not a provider", A),
        Err(CacheError::InvalidId(_))
    ));
}
