//! Several accounts of one provider (an agency with many WhatConverts profiles): each account's
//! records, searches, charts, exports, stats and deletions are its own.

use patchbay_cache::{Cache, CacheError, ExportFormat, Query, SyncMode, WeekCount};
use serde_json::{json, Value};

use crate::*;

/// The second account; sorts after [`A`].
const B: &str = "agency_south";

/// A's leads and B's leads. Both use the record ids `L1` and `L2`: ids are only unique within
/// one account, and the same id in another account is another record.
fn north() -> Vec<(String, Value)> {
    vec![
        lead(1, "Maria Lopez", json!(10), json!("2024-03-05")),
        lead(2, "Tom Baker", json!(20), json!("2024-03-06")),
    ]
}

fn south() -> Vec<(String, Value)> {
    vec![
        lead(1, "Olga Petrova", json!(300), json!("2024-01-02")),
        lead(2, "Maria Schmidt", json!(400), json!("2024-01-03")),
        lead(3, "Sven Berg", json!(500), json!("2024-01-10")),
    ]
}

fn names(cache: &Cache, account: &str, search: &str) -> Vec<String> {
    cache
        .query(P, account, R, &q(search))
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.cells[0].clone())
        .collect()
}

fn export(cache: &Cache, account: &str, search: &str, format: ExportFormat) -> (String, u64) {
    let mut out = Vec::new();
    let n = cache
        .export(P, account, R, &q(search), format, &mut out, &mut |_, _| {})
        .unwrap();
    (String::from_utf8(out).unwrap(), n)
}

/// Both accounts synced: B first (so `accounts` has to sort), with both writers alive at once.
fn both() -> (tempfile::TempDir, Cache) {
    let (dir, cache) = open();
    let mut south_w = cache
        .begin_sync(P, B, R, &columns(), SyncMode::Full)
        .unwrap();
    let mut north_w = begin(&cache, SyncMode::Full);
    south_w.write_page(&south()[..1], Some("s2")).unwrap();
    north_w.write_page(&north(), None).unwrap();
    south_w.write_page(&south()[1..], None).unwrap();
    north_w.finish().unwrap();
    south_w.finish().unwrap();
    (dir, cache)
}

#[test]
fn two_accounts_sync_the_same_resource_side_by_side() {
    let (_dir, cache) = both();
    assert_eq!(cache.accounts(P).unwrap(), [A, B]);
    assert!(cache.accounts("boomtown").unwrap().is_empty());

    assert_eq!(names(&cache, A, ""), ["Maria Lopez", "Tom Baker"]);
    assert_eq!(
        names(&cache, B, ""),
        ["Olga Petrova", "Maria Schmidt", "Sven Berg"]
    );
    // Search is scoped to the account: "maria" finds one Maria in each, never the other's.
    assert_eq!(names(&cache, A, "maria"), ["Maria Lopez"]);
    assert_eq!(names(&cache, B, "maria"), ["Maria Schmidt"]);
    assert!(names(&cache, B, "tom").is_empty());
    let page = cache.query(P, A, R, &q("sven")).unwrap();
    assert_eq!((page.total, page.matched), (2, 0));

    // The same record id in each account is that account's record.
    let a_row = cache.query(P, A, R, &q("lopez")).unwrap().rows[0].index;
    let b_row = cache.query(P, B, R, &q("petrova")).unwrap().rows[0].index;
    let a = cache.detail(P, A, R, a_row).unwrap().unwrap();
    let b = cache.detail(P, B, R, b_row).unwrap().unwrap();
    assert_eq!((a.record_id.as_str(), b.record_id.as_str()), ("L1", "L1"));
    assert_eq!(a.fields[0].value, "Maria Lopez");
    assert_eq!(b.fields[0].value, "Olga Petrova");

    let week = |w: &str, n| WeekCount {
        week_start: w.into(),
        count: n,
    };
    assert_eq!(
        cache
            .weekly_counts(P, A, R, "created", &patchbay_cache::Query::default())
            .unwrap(),
        [week("2024-03-04", 2)]
    );
    assert_eq!(
        cache
            .weekly_counts(P, B, R, "created", &patchbay_cache::Query::default())
            .unwrap(),
        [week("2024-01-01", 2), week("2024-01-08", 1)]
    );

    let (json_a, n_a) = export(&cache, A, "", ExportFormat::Json);
    let (json_b, n_b) = export(&cache, B, "", ExportFormat::Json);
    let raw = |records: Vec<(String, Value)>| -> Vec<Value> {
        records.into_iter().map(|(_, v)| v).collect()
    };
    assert_eq!((n_a, n_b), (2, 3));
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&json_a).unwrap(),
        raw(north())
    );
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&json_b).unwrap(),
        raw(south())
    );
    let (csv_b, n) = export(&cache, B, "maria", ExportFormat::Csv);
    assert_eq!(n, 1);
    assert!(
        csv_b.contains("Maria Schmidt") && !csv_b.contains("Lopez"),
        "{csv_b}"
    );

    let (sa, sb) = (
        cache.stats(P, A, R).unwrap().unwrap(),
        cache.stats(P, B, R).unwrap().unwrap(),
    );
    assert_eq!((sa.count, sa.complete), (2, true));
    assert_eq!((sb.count, sb.complete), (3, true));
}

#[test]
fn each_accounts_sync_progress_and_last_sync_are_its_own() {
    let (_dir, cache) = both();
    let b_synced = cache.last_synced(P, B).unwrap().unwrap();
    // A full sync of A that sees only Tom removes A's Maria, not B's records with the same ids.
    let mut w = begin(&cache, SyncMode::Full);
    w.write_page(&north()[1..], Some("a-next")).unwrap();
    assert_eq!(
        cache.resume_point(P, A, R).unwrap().as_deref(),
        Some("a-next")
    );
    assert_eq!(cache.resume_point(P, B, R).unwrap(), None);
    assert!(!cache.stats(P, A, R).unwrap().unwrap().complete);
    assert!(cache.stats(P, B, R).unwrap().unwrap().complete);
    // One refresh at a time per account resource; B's is free while A's runs.
    let err = cache
        .begin_sync(P, A, R, &columns(), SyncMode::Full)
        .err()
        .unwrap();
    assert!(
        matches!(err, CacheError::SyncRunning { ref account, .. } if account == A),
        "{err}"
    );
    cache
        .begin_sync(P, B, R, &columns(), SyncMode::Incremental)
        .unwrap()
        .finish()
        .unwrap();
    let s = w.finish().unwrap();
    assert_eq!((s.written, s.deleted, s.total), (1, 1, 1));
    assert_eq!(names(&cache, A, ""), ["Tom Baker"]);
    assert_eq!(names(&cache, B, "").len(), 3);

    // A new account has synced nothing until its own sync finishes.
    let c = "agency_west";
    assert_eq!(cache.last_synced(P, c).unwrap(), None);
    let mut w = cache
        .begin_sync(P, c, R, &columns(), SyncMode::Full)
        .unwrap();
    w.write_page(&south(), None).unwrap();
    assert_eq!(cache.last_synced(P, c).unwrap(), None);
    w.finish().unwrap();
    let c_synced = cache.last_synced(P, c).unwrap().unwrap();
    assert_eq!(
        Some(c_synced),
        cache.stats(P, c, R).unwrap().unwrap().last_synced
    );
    // B's incremental sync above finished after `b_synced` was read.
    assert!(cache.last_synced(P, B).unwrap().unwrap() >= b_synced);
    assert_eq!(cache.accounts(P).unwrap(), [A, B, c]);
}

#[test]
fn deleting_one_account_keeps_the_others_records() {
    let (dir, cache) = both();
    let path = dir.path().join("cache.sqlite3");
    cache
        .begin_sync(P, A, "calls", &columns(), SyncMode::Full)
        .unwrap()
        .finish()
        .unwrap();
    cache
        .begin_sync(P, B, "calls", &columns(), SyncMode::Full)
        .unwrap()
        .finish()
        .unwrap();
    // A refresh of B is under way while A is disconnected: it carries on.
    let mut b_sync = cache
        .begin_sync(P, B, R, &columns(), SyncMode::Incremental)
        .unwrap();

    // One resource of one account.
    cache.delete(P, B, Some("calls")).unwrap();
    assert_eq!(cache.stats(P, B, "calls").unwrap(), None);
    assert!(cache.stats(P, A, "calls").unwrap().is_some());

    // A whole account (its disconnect).
    cache.delete(P, A, None).unwrap();
    for r in [R, "calls"] {
        assert_eq!(cache.stats(P, A, r).unwrap(), None);
        assert!(matches!(
            cache.query(P, A, r, &q("")).unwrap_err(),
            CacheError::NotCached { .. }
        ));
    }
    assert_eq!(cache.last_synced(P, A).unwrap(), None);
    assert_eq!(cache.accounts(P).unwrap(), [B]);

    b_sync
        .write_page(&[lead(4, "Ingrid Holm", json!(1), json!(null))], None)
        .unwrap();
    assert_eq!(b_sync.finish().unwrap().total, 4);
    assert_eq!(
        names(&cache, B, ""),
        ["Olga Petrova", "Maria Schmidt", "Sven Berg", "Ingrid Holm"]
    );
    assert_eq!(names(&cache, B, "maria"), ["Maria Schmidt"]);
    assert!(cache.last_synced(P, B).unwrap().is_some());
    let (json_b, n) = export(&cache, B, "", ExportFormat::Json);
    assert_eq!(n, 4);
    assert!(json_b.contains("Olga Petrova"));
    drop(cache);

    // Not even the bytes of A's records remain in the file.
    let mut bytes = std::fs::read(&path).unwrap();
    if let Ok(wal) = std::fs::read(path.with_extension("sqlite3-wal")) {
        bytes.extend(wal);
    }
    let has = |s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
    assert!(has("Olga Petrova"), "control: B's records are in the file");
    assert!(!has("Maria Lopez") && !has("Tom Baker"));
}

#[test]
fn bad_account_ids_are_refused() {
    let (_dir, cache) = both();
    let long = "a".repeat(65);
    for bad in [
        "a-b",
        "",
        "A",
        "agency north",
        "x;drop table resources",
        &long,
    ] {
        let refused = |r: Result<(), CacheError>| match r {
            Err(CacheError::InvalidId(_)) => {}
            other => panic!("{bad:?}: {other:?}"),
        };
        refused(
            cache
                .begin_sync(P, bad, R, &columns(), SyncMode::Full)
                .map(drop),
        );
        refused(cache.resume_point(P, bad, R).map(drop));
        refused(cache.query(P, bad, R, &q("")).map(drop));
        refused(cache.detail(P, bad, R, 1).map(drop));
        refused(
            cache
                .weekly_counts(P, bad, R, "created", &patchbay_cache::Query::default())
                .map(drop),
        );
        refused(cache.stats(P, bad, R).map(drop));
        refused(cache.last_synced(P, bad).map(drop));
        refused(cache.delete(P, bad, None).map(drop));
        refused(
            cache
                .export(
                    P,
                    bad,
                    R,
                    &Query::default(),
                    ExportFormat::Csv,
                    &mut Vec::new(),
                    &mut |_, _| {},
                )
                .map(drop),
        );
    }
    assert!(matches!(
        cache.accounts("What").unwrap_err(),
        CacheError::InvalidId(_)
    ));
    let err = cache.stats(P, "a-b", R).unwrap_err();
    assert!(err.to_string().contains("only a-z, 0-9 and _"), "{err}");
    // Nothing was created or removed, and the cache keeps working.
    assert_eq!(cache.accounts(P).unwrap(), [A, B]);
    assert_eq!(names(&cache, A, "").len(), 2);
    assert_eq!(names(&cache, B, "").len(), 3);
}
