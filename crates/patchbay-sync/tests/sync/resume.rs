//! A sync killed mid-way (SIGKILL, as a crash or a forced quit) resumes after its last stored
//! page: no page before it is fetched again (at most those in flight), no record twice, none
//! lost. The test re-runs its own binary as the child that is killed.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use patchbay_cache::SyncMode;
use patchbay_core::app::SyncCursor;
use patchbay_core::paging::PagePosition;
use patchbay_core::providers::ProviderDef;
use patchbay_sandbox::{LoggedRequest, SandboxConfig};
use patchbay_sync::{Pass, PassKind};

use std::sync::Arc;

use patchbay_core::vault::{FileVault, Vault};

use crate::common::*;

const RECORDS: u64 = 100_000;
const PER_PAGE: u64 = 2500;
const PAGES: u64 = RECORDS / PER_PAGE;
const CONCURRENCY: usize = 4;
const TEST: &str = "resume::a_killed_sync_resumes_after_its_last_stored_page";
const CHILD_SANDBOX: &str = "PATCHBAY_SYNC_TEST_CHILD_SANDBOX";
const CHILD_CACHE: &str = "PATCHBAY_SYNC_TEST_CHILD_CACHE";
/// The app's state that outlives a kill: the cache file and the vault (tokens, account index),
/// here a file vault beside the cache under one namespace, as a restarted app finds them.
const NAMESPACE: &str = "dev.patchbay.synctest.resume";

fn vault_in(dir: &std::path::Path) -> Arc<dyn Vault> {
    Arc::new(FileVault::opt_in(dir.join("vault.json")))
}

/// Paced so the sync is still running when the parent kills it (about 10 s for 40 pages), and
/// fetched concurrently, so pages arrive out of order.
fn paced(d: &mut ProviderDef) {
    d.rate_limit.requests = 4;
    d.rate_limit.per_seconds = 1.0;
    d.rate_limit.concurrency = CONCURRENCY;
}

/// The page numbers of the leads requests in `log`.
fn lead_pages(log: &[LoggedRequest]) -> Vec<u64> {
    log.iter()
        .filter(|r| r.path.ends_with("/whatconverts/api/v1/leads") && r.status == 200)
        .map(|r| {
            let q = r.query.as_deref().unwrap_or_default();
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "page_number")
                .and_then(|(_, v)| v.parse().ok())
                .expect("a page number")
        })
        .collect()
}

/// The child: syncs the sandbox's leads into the cache file until it is killed.
async fn child(sandbox_url: &str, cache_path: &str) {
    let cache_path = std::path::Path::new(cache_path);
    let vault = vault_in(cache_path.parent().unwrap());
    let core = core_with(sandbox_url, vault, config_named(NAMESPACE), paced);
    let account = connect(&core, "whatconverts").await;
    let cache = open_cache(cache_path);
    let target = target("whatconverts", &account, "leads");
    patchbay_sync::run(&core, &cache, &target, Pass::Auto, &Recorder::default())
        .await
        .expect("the child syncs");
    panic!("the child finished its sync before it was killed; the parent must kill it sooner");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sync_resumes_after_its_last_stored_page() {
    if let (Ok(url), Ok(path)) = (std::env::var(CHILD_SANDBOX), std::env::var(CHILD_CACHE)) {
        return child(&url, &path).await;
    }
    let sb = sandbox(SandboxConfig {
        records: RECORDS as usize,
        seed: 14,
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite3");

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([TEST, "--exact", "--nocapture"])
        .env(CHILD_SANDBOX, sb.url())
        .env(CHILD_CACHE, &path)
        .spawn()
        .expect("the child starts");

    // Wait until the child is paging (so the cache file exists and is set up), then until it
    // has stored a run of pages.
    wait_for("the child to fetch leads", Duration::from_secs(60), || {
        (!lead_pages(&sb.requests()).is_empty()).then_some(())
    })
    .await;
    let cache = open_cache(&path);
    // The child's account, as the cache files it.
    let child_account = wait_for(
        "the child's account in the cache",
        Duration::from_secs(60),
        || cache.accounts("whatconverts").ok()?.into_iter().next(),
    )
    .await;
    let stored_from = wait_for("8 stored pages", Duration::from_secs(60), || {
        let marks = cache
            .sync_marks("whatconverts", &child_account, "leads")
            .ok()?;
        let cursor: SyncCursor = serde_json::from_str(marks.unfinished?.cursor.as_deref()?).ok()?;
        match cursor.position {
            PagePosition::Page { next } if next > 8 => Some(next),
            _ => None,
        }
    })
    .await;
    child.kill().expect("SIGKILL");
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the child was killed, not finished: {status:?}"
    );

    // The app starts again: the same vault, so the same account and its tokens.
    let core = core_with(
        &sb.url(),
        vault_in(dir.path()),
        config_named(NAMESPACE),
        paced,
    );
    let accounts = core
        .accounts("whatconverts")
        .await
        .expect("accounts listed");
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    let account = accounts[0].id.clone();
    assert_eq!(account.as_str(), child_account, "the child's account");

    // What the kill left: an unfinished full pass, its cursor, the rows of its stored pages.
    let marks = cache
        .sync_marks("whatconverts", account.as_str(), "leads")
        .unwrap();
    let unfinished = marks.unfinished.expect("an unfinished sync");
    assert_eq!(unfinished.mode, SyncMode::Full);
    let cursor: SyncCursor = serde_json::from_str(unfinished.cursor.as_deref().unwrap()).unwrap();
    let PagePosition::Page { next: resume_at } = cursor.position else {
        panic!("a page position: {cursor:?}");
    };
    assert!(resume_at >= stored_from);
    let stored_rows = cached_column(&cache, "whatconverts", &account, "leads", 0).len() as u64;
    assert!(
        stored_rows >= (resume_at - 1) * PER_PAGE,
        "every page before the cursor is stored: {stored_rows} rows, resume at page {resume_at}"
    );
    let before = sb.requests().len();

    // Resume in this process.
    let recorder = Recorder::default();
    let target = target("whatconverts", &account, "leads");
    let report = patchbay_sync::run(&core, &cache, &target, Pass::Auto, &recorder)
        .await
        .expect("the resumed sync finishes");
    let after = lead_pages(&sb.requests()[before..]);

    // Pages fetched after resume: from the cursor's page to the last, each once.
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for p in &after {
        *counts.entry(*p).or_default() += 1;
    }
    assert_eq!(
        counts.keys().next(),
        Some(&resume_at),
        "no page before the cursor fetched again"
    );
    assert!(
        counts.values().all(|&n| n == 1),
        "no page fetched twice: {counts:?}"
    );
    assert_eq!(
        counts.keys().copied().collect::<Vec<_>>(),
        (resume_at..=PAGES).collect::<Vec<_>>()
    );
    // Only pages not yet stored, plus at most those that were in flight past a gap.
    let not_stored = PAGES - stored_rows / PER_PAGE;
    assert!(
        after.len() as u64 <= not_stored + CONCURRENCY as u64,
        "{} pages fetched after resume; {not_stored} were not stored",
        after.len()
    );
    assert_eq!(
        report.requests,
        after.len() as u64,
        "the report counts the requests sent"
    );
    assert!(report.resumed);
    assert_eq!(report.pass, PassKind::Full);

    // Every record once: the cache holds exactly the sandbox's leads.
    let mut ids: Vec<u64> = cached_column(&cache, "whatconverts", &account, "leads", 0)
        .iter()
        .map(|c| c.parse().expect("a lead id"))
        .collect();
    ids.sort_unstable();
    let expected: Vec<u64> = (1_000_001..1_000_001 + RECORDS).collect();
    assert!(
        ids == expected,
        "{} rows cached; not exactly the sandbox's leads",
        ids.len()
    );
    assert_eq!(report.total, RECORDS);
    // Counted across both attempts: every lead was added once, none changed, none removed.
    assert_eq!(
        (report.added, report.updated, report.removed),
        (RECORDS, 0, 0)
    );
    let progress = recorder.0.lock().unwrap();
    assert!(progress
        .last()
        .is_some_and(|p| p.done && p.fetched as u64 >= RECORDS - (resume_at - 1) * PER_PAGE));
    assert!(cache
        .sync_marks("whatconverts", account.as_str(), "leads")
        .unwrap()
        .unfinished
        .is_none());
}
