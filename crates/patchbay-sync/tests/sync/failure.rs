//! A sync that fails part-way (the provider keeps failing) keeps the pages it stored, deletes
//! nothing, says why with a stable code, and the next refresh goes on from the last stored page.

use std::sync::atomic::{AtomicBool, Ordering};

use patchbay_core::providers::{Paging, ProviderDef};
use patchbay_core::views::SyncProgress;
use patchbay_sandbox::{FaultSpec, SandboxConfig};
use patchbay_sync::{Pass, PassKind, ProgressSink};

use crate::common::*;

const RECORDS: usize = 10_000;

/// 40 pages of 250, one at a time.
fn small_pages(d: &mut ProviderDef) {
    d.rate_limit.requests = 10_000;
    d.rate_limit.concurrency = 1;
    for r in &mut d.resources {
        if let Paging::PagePerPage { page_size, .. } = &mut r.paging {
            *page_size = 250;
        }
    }
}

/// Makes the provider fail for good once the fifth page is stored.
struct BreakAfterFivePages<'a> {
    sb: &'a patchbay_sandbox::Sandbox,
    broken: AtomicBool,
}

/// Breaks on records arrived, not stored, as `BreakAfter` does (and for the same reason).
impl ProgressSink for BreakAfterFivePages<'_> {
    fn progress(&self, _: SyncProgress) {}

    fn fetched(&self, p: &SyncProgress) {
        if p.fetched >= 1_250 && !self.broken.swap(true, Ordering::SeqCst) {
            self.sb.set_faults("500=1.0".parse::<FaultSpec>().unwrap());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sync_keeps_its_pages_and_the_next_one_goes_on_from_them() {
    let sb = sandbox(SandboxConfig {
        records: RECORDS,
        seed: 3,
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let core = core_at(&sb.url(), small_pages);
    let account = connect(&core, "whatconverts").await;
    let dir = tempfile::tempdir().unwrap();
    let cache = open_cache(&dir.path().join("cache.sqlite3"));
    let target = target("whatconverts", &account, "leads");
    // A first full sync, so a failed one has something it must not delete.
    patchbay_sync::run(&core, &cache, &target, Pass::Auto, &Recorder::default())
        .await
        .expect("the first sync");

    let sink = BreakAfterFivePages {
        sb: &sb,
        broken: AtomicBool::new(false),
    };
    let err = patchbay_sync::run(&core, &cache, &target, Pass::Full, &sink)
        .await
        .expect_err("the provider keeps failing");
    assert_eq!(err.code(), "api.retries_exhausted", "{err}");
    assert!(!err.to_user().message.is_empty());
    let rows = cached_column(&cache, "whatconverts", &account, "leads", 0).len();
    assert_eq!(rows, RECORDS, "nothing deleted");
    let marks = cache
        .sync_marks("whatconverts", account.as_str(), "leads")
        .unwrap();
    let unfinished = marks.unfinished.expect("the failed pass is unfinished");
    assert!(
        unfinished.cursor.is_some(),
        "its stored pages left a cursor"
    );

    sb.set_faults(FaultSpec::default());
    let before = sb.requests().len();
    let report = patchbay_sync::run(&core, &cache, &target, Pass::Auto, &Recorder::default())
        .await
        .expect("the provider is back");
    assert!(
        report.resumed,
        "Auto goes on with the interrupted full pass"
    );
    assert_eq!(report.pass, PassKind::Full);
    let leads_requests = sb.requests()[before..]
        .iter()
        .filter(|r| r.path.ends_with("/leads"))
        .count() as u64;
    assert!(
        leads_requests <= 40 - 5,
        "{leads_requests} pages fetched; the five stored ones were not fetched again"
    );
    assert_eq!(report.requests, leads_requests);
    assert_eq!((report.total, report.removed), (RECORDS as u64, 0));
}

/// Deletes the account's cached records (as Disconnect does) once the first page is stored.
struct DisconnectAfterFirstPage<'a> {
    cache: &'a patchbay_cache::Cache,
    account: &'a str,
    done: AtomicBool,
}

impl ProgressSink for DisconnectAfterFirstPage<'_> {
    fn progress(&self, _p: SyncProgress) {
        if !self.done.swap(true, Ordering::SeqCst) {
            self.cache
                .delete("whatconverts", self.account, None)
                .expect("the records are deleted");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_whose_records_are_deleted_stops_fetching() {
    let sb = sandbox(SandboxConfig {
        records: RECORDS,
        seed: 4,
        rate_limits: false,
        ..Default::default()
    })
    .await;
    // Paced (40 pages in about 4 s) so the fetch is still under way when the writer fails.
    let core = core_at(&sb.url(), |d| {
        small_pages(d);
        d.rate_limit.requests = 10;
    });
    let account = connect(&core, "whatconverts").await;
    let dir = tempfile::tempdir().unwrap();
    let cache = open_cache(&dir.path().join("cache.sqlite3"));
    let target = target("whatconverts", &account, "leads");
    let sink = DisconnectAfterFirstPage {
        cache: &cache,
        account: account.as_str(),
        done: AtomicBool::new(false),
    };
    let before = sb.requests().len();
    let err = patchbay_sync::run(&core, &cache, &target, Pass::Auto, &sink)
        .await
        .expect_err("the writer cannot store into deleted records");
    assert_eq!(err.code(), "cache.sync_superseded");
    assert!(err.to_string().contains("Press Refresh again"), "{err}");
    assert_eq!(err.to_user().advice, "Press Refresh again.");
    let leads = sb.requests()[before..]
        .iter()
        .filter(|r| r.path.ends_with("/leads"))
        .count();
    assert!(
        leads < 40,
        "the fetch stopped with the writer: {leads} of 40 pages asked for"
    );
    // Nothing came back: the deleted records stay deleted.
    assert!(cache
        .stats("whatconverts", account.as_str(), "leads")
        .unwrap()
        .is_none());
}

/// Makes the provider fail for good once `after` records are stored.
struct BreakAfter<'a> {
    sb: &'a patchbay_sandbox::Sandbox,
    after: u32,
    broken: AtomicBool,
}

/// Breaks the provider when `after` records have *arrived*, not when they are stored: the
/// fetch runs ahead of the writer (its channel is unbounded), so on a busy machine a trigger on
/// stored progress could come after the last request and the sync would not fail at all.
impl ProgressSink for BreakAfter<'_> {
    fn progress(&self, _: SyncProgress) {}

    fn fetched(&self, p: &SyncProgress) {
        if p.fetched >= self.after && !self.broken.swap(true, Ordering::SeqCst) {
            self.sb.set_faults("500=1.0".parse::<FaultSpec>().unwrap());
        }
    }
}

/// The (list, status) of an EmailOctopus contacts request.
fn contacts_unit(r: &patchbay_sandbox::LoggedRequest) -> Option<(String, String)> {
    let list = r
        .path
        .strip_prefix("/emailoctopus/lists/")?
        .strip_suffix("/contacts")?
        .to_string();
    let q = r.query.as_deref().unwrap_or_default();
    let status = url::form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == "status")
        .map(|(_, v)| v.into_owned())?;
    Some((list, status))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_of_child_lists_resumes_in_the_list_and_status_it_stopped_in() {
    const LISTS: usize = 30;
    let sb = sandbox(SandboxConfig {
        records: LISTS,
        seed: 5,
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let core = core_at(&sb.url(), |d| d.rate_limit.requests = 10_000);
    let account = connect(&core, "emailoctopus").await;
    let dir = tempfile::tempdir().unwrap();
    let cache = open_cache(&dir.path().join("cache.sqlite3"));
    let target = target("emailoctopus", &account, "contacts");
    let sink = BreakAfter {
        sb: &sb,
        after: (LISTS * LISTS / 2) as u32,
        broken: AtomicBool::new(false),
    };
    let start = sb.requests().len();
    patchbay_sync::run(&core, &cache, &target, Pass::Auto, &sink)
        .await
        .expect_err("the provider keeps failing");
    // The (list, status) reads the first attempt finished: every one it asked for but the last.
    let mut asked: Vec<(String, String)> = Vec::new();
    for r in &sb.requests()[start..] {
        if let Some(u) = contacts_unit(r).filter(|_| r.status == 200) {
            if asked.last() != Some(&u) {
                asked.push(u);
            }
        }
    }
    let finished: std::collections::BTreeSet<_> = asked[..asked.len().saturating_sub(2)]
        .iter()
        .cloned()
        .collect();
    assert!(
        finished.len() > 10,
        "the first attempt got some way: {}",
        finished.len()
    );

    sb.set_faults(FaultSpec::default());
    let before = sb.requests().len();
    let report = patchbay_sync::run(&core, &cache, &target, Pass::Auto, &Recorder::default())
        .await
        .expect("the provider is back");
    assert!(report.resumed);
    let again: Vec<_> = sb.requests()[before..]
        .iter()
        .filter_map(contacts_unit)
        .filter(|u| finished.contains(u))
        .collect();
    assert!(again.is_empty(), "finished reads asked again: {again:?}");
    // Every contact of every list and status, once.
    assert_eq!(report.total as usize, LISTS * LISTS);
    let records = cached_records(&cache, "emailoctopus", &account, "contacts");
    let distinct: std::collections::BTreeSet<_> =
        records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        (records.len(), distinct.len()),
        (LISTS * LISTS, LISTS * LISTS)
    );
}
