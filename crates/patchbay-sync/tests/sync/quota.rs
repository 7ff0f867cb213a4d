//! A daily quota through the whole engine: with WhatConverts' 1,000 requests a day and a list
//! that needs more, the sync stops before the provider refuses anything, keeps what it stored
//! and says when it goes on; after the (simulated) midnight it resumes from its last stored
//! page and finishes with every lead once.

use std::sync::{Arc, Mutex};

use patchbay_core::budget::Clock;
use patchbay_core::providers::{Paging, ProviderDef};
use patchbay_core::vault::MemoryVault;
use patchbay_core::{ApiError, CoreConfig};
use patchbay_sandbox::{LoggedRequest, Sandbox, SandboxConfig};
use patchbay_sync::{Pass, SyncError};
use time::OffsetDateTime;

use crate::common::*;

const LEADS: u64 = 1_200;

/// A clock the test moves by hand, shared by the core's budget.
#[derive(Clone)]
struct TestClock(Arc<Mutex<OffsetDateTime>>);

impl TestClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
    fn set(&self, t: OffsetDateTime) {
        *self.0.lock().unwrap() = t;
    }
}

/// Moves the sandbox's clock up to the test's (it only goes forward).
fn align(sb: &Sandbox, clock: &TestClock) {
    let behind = clock.now() - sb.now();
    if behind.is_positive() {
        sb.advance_clock(behind.unsigned_abs());
    }
}

/// One lead a page, no per-second pacing: a thousand requests take a moment on loopback.
fn one_lead_a_page(d: &mut ProviderDef) {
    if d.id != "whatconverts" {
        return;
    }
    d.rate_limit.requests = 0;
    for r in &mut d.resources {
        if let Paging::PagePerPage { page_size, .. } = &mut r.paging {
            *page_size = 1;
        }
    }
}

/// The WhatConverts API requests the sandbox saw (not the OAuth endpoints).
fn api_requests(sb: &Sandbox) -> Vec<LoggedRequest> {
    sb.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/whatconverts/api/"))
        .collect()
}

fn refused(log: &[LoggedRequest]) -> Vec<(u16, Option<String>)> {
    log.iter()
        .filter(|r| r.status != 200 || r.refused.is_some())
        .map(|r| (r.status, r.refused.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_quota_pauses_the_sync_and_it_finishes_after_the_reset() {
    let sb = sandbox(SandboxConfig {
        records: LEADS as usize,
        rate_limits: false,
        // The sandbox refuses a credential's 1,001st request of a UTC day.
        quotas: [("whatconverts".to_string(), 1_000)].into(),
        ..Default::default()
    })
    .await;
    // Both clocks at 20:48 UTC (today or tomorrow): the run cannot cross midnight by itself.
    let now = sb.now();
    let mut start = now.replace_time(time::Time::from_hms(20, 48, 0).unwrap());
    if start <= now {
        start += time::Duration::DAY;
    }
    let midnight = (start + time::Duration::DAY).replace_time(time::Time::MIDNIGHT);
    let clock = TestClock(Arc::new(Mutex::new(start)));
    align(&sb, &clock);
    let shared = clock.0.clone();
    let core = core_with(
        &sb.url(),
        Arc::new(MemoryVault::new()),
        CoreConfig {
            clock: Clock::from_fn(move || *shared.lock().unwrap()),
            ..config()
        },
        one_lead_a_page,
    );
    let account = connect(&core, "whatconverts").await;
    let dir = tempfile::tempdir().unwrap();
    let cache = open_cache(&dir.path().join("cache.sqlite3"));
    let target = target("whatconverts", &account, "leads");

    // Day one: the quota ends the sync, named with its reset.
    let err = patchbay_sync::run_at(
        &core,
        &cache,
        &target,
        Pass::Auto,
        &Recorder::default(),
        clock.now(),
    )
    .await
    .expect_err("1,200 one-lead pages need more than a day's 1,000 requests");
    let SyncError::Api {
        error: ApiError::QuotaExhausted { resets_at, .. },
        view,
    } = &err
    else {
        panic!("expected the daily quota to stop the sync, got {err:?}");
    };
    assert_eq!(*resets_at, midnight);
    assert_eq!(view.code, "api.quota_exhausted");
    assert!(view.message.contains("00:00 UTC"), "{}", view.message);
    let day_one = api_requests(&sb);
    // Every request counted was admitted within the quota; the few in flight when the quota
    // ran out are dropped with the sync, so the provider may see slightly fewer.
    assert!(
        (990..=1_000).contains(&day_one.len()),
        "the day's quota was used, not exceeded: {} requests",
        day_one.len()
    );
    assert_eq!(refused(&day_one), vec![], "the provider refused nothing");
    // What was stored stays, as an unfinished sync with its cursor.
    let stored = cached_column(&cache, "whatconverts", &account, "leads", 0).len() as u64;
    assert!(stored > 900 && stored < LEADS, "{stored} leads stored");
    let marks = cache
        .sync_marks("whatconverts", account.as_str(), "leads")
        .unwrap();
    assert!(marks.unfinished.is_some(), "the sync is left to resume");

    // The same day nothing more is sent.
    let again = patchbay_sync::run_at(
        &core,
        &cache,
        &target,
        Pass::Auto,
        &Recorder::default(),
        clock.now(),
    )
    .await;
    assert!(matches!(
        again,
        Err(SyncError::Api {
            error: ApiError::QuotaExhausted { .. },
            ..
        })
    ));
    assert_eq!(api_requests(&sb).len(), day_one.len());

    // After midnight it resumes after its last stored page and finishes.
    clock.set(midnight + time::Duration::seconds(30));
    align(&sb, &clock);
    let report = patchbay_sync::run_at(
        &core,
        &cache,
        &target,
        Pass::Auto,
        &Recorder::default(),
        clock.now(),
    )
    .await
    .expect("the sync finishes after the reset");
    assert!(report.resumed, "{report:?}");
    assert_eq!(report.total, LEADS);
    let day_two: Vec<_> = api_requests(&sb).into_iter().skip(day_one.len()).collect();
    assert_eq!(refused(&day_two), vec![]);
    // The pages not stored, plus at most the four that were in flight at the stop.
    assert!(
        day_two.len() as u64 <= LEADS - stored + 4,
        "{} requests after the reset for {} missing leads",
        day_two.len(),
        LEADS - stored
    );
    assert_eq!(report.requests, day_two.len() as u64);
    let mut ids = cached_column(&cache, "whatconverts", &account, "leads", 0);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len() as u64, LEADS, "every lead once");
}
