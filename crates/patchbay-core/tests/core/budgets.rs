//! Request budgets against the sandbox: a daily quota stops a sync before the provider would
//! refuse anything and lets it go on after the (simulated) midnight; the count survives a
//! restart; a token bucket spreads a burst so the provider answers no 429; the request count
//! matches what the provider saw.

use crate::common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use common::*;
use patchbay_core::budget::limits::{LimitHeader, TokenBucketDef};
use patchbay_core::budget::Clock;
use patchbay_core::providers::{Paging, ProviderDef};
use patchbay_core::vault::MemoryVault;
use patchbay_core::{AccountId, ApiError, CoreConfig, Patchbay};
use patchbay_sandbox::{LoggedRequest, Sandbox, SandboxConfig};
use time::macros::datetime;
use time::OffsetDateTime;

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// A clock the test moves by hand.
#[derive(Clone)]
struct TestClock(Arc<Mutex<OffsetDateTime>>);

impl TestClock {
    fn at(t: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(t)))
    }
    fn set(&self, t: OffsetDateTime) {
        *self.0.lock().unwrap() = t;
    }
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
    fn clock(&self) -> Clock {
        let now = self.0.clone();
        Clock::from_fn(move || *now.lock().unwrap())
    }
}

/// Moves the sandbox's clock to the core's (it only goes forward; both run at 20:48 or later).
fn align(sb: &Sandbox, clock: &TestClock) {
    let behind = clock.now() - sb.now();
    if behind.is_positive() {
        sb.advance_clock(behind.unsigned_abs());
    }
}

/// The next `hh:mm` UTC after the sandbox's now: a start far enough from midnight that the
/// test's own run time cannot cross it.
fn next_utc(sb: &Sandbox, hour: u8, minute: u8) -> OffsetDateTime {
    let now = sb.now();
    let today = now.replace_time(time::Time::from_hms(hour, minute, 0).unwrap());
    if today > now {
        today
    } else {
        today + time::Duration::DAY
    }
}

/// The sandbox refused nothing for its daily quota and answered every request.
fn none_refused(log: &[LoggedRequest]) {
    let refused: Vec<_> = log
        .iter()
        .filter(|r| r.status != 200 || r.refused.is_some())
        .map(|r| (r.status, r.refused.clone()))
        .collect();
    assert!(refused.is_empty(), "refused: {refused:?}");
}

/// A usage file of its own per test (removed with the directory at the end).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("patchbay-budgets-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    fn usage_file(&self) -> PathBuf {
        self.0.join("usage.json")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn config(clock: &TestClock, usage: Option<PathBuf>) -> CoreConfig {
    CoreConfig {
        clock: clock.clock(),
        usage_path: usage,
        ..fast_config()
    }
}

/// WhatConverts with one lead a page and no per-second pacing (so a thousand requests take
/// a moment on loopback), its daily quota as its definition says unless `daily` replaces it.
/// One page at a time: when the quota stops a sync, no page is in flight to be dropped with
/// it, so every request counted arrived and every page that arrived was handed over.
fn one_lead_a_page(daily: Option<u32>) -> impl Fn(&mut ProviderDef) {
    move |d| {
        if d.id != "whatconverts" {
            return;
        }
        d.rate_limit.requests = 0;
        d.rate_limit.concurrency = 1;
        if let (Some(n), Some(q)) = (daily, d.rate_limit.daily.as_mut()) {
            q.requests = n;
        }
        for r in &mut d.resources {
            if let Paging::PagePerPage { page_size, .. } = &mut r.paging {
                *page_size = 1;
            }
        }
    }
}

/// The provider API requests the sandbox saw (not the OAuth endpoints).
fn api_requests(sb: &Sandbox, provider: &str) -> Vec<LoggedRequest> {
    let prefix = format!("/{provider}/");
    sb.requests()
        .into_iter()
        .filter(|r| {
            r.provider.as_deref() == Some(provider)
                && r.grant_type.is_none()
                && r.path.starts_with(&prefix)
                && !r.path.contains("/oauth/")
                && !r.path.contains("/.well-known/")
        })
        .collect()
}

/// The lead ids of a sync's pages, as a caller storing them would keep them.
type Stored = Arc<Mutex<BTreeSet<u64>>>;

async fn sync_leads(
    core: &Patchbay,
    account: &AccountId,
    stored: &Stored,
) -> Result<usize, ApiError> {
    let stored = stored.clone();
    core.sync_stream("whatconverts", account, "leads", move |_, page| {
        let mut s = stored.lock().unwrap();
        s.extend(
            page.iter()
                .map(|r| r["lead_id"].as_u64().expect("a lead id")),
        );
    })
    .await
}

fn page_number(r: &LoggedRequest) -> Option<u64> {
    let query = r.query.as_deref()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "page_number")
        .and_then(|(_, v)| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_quota_stops_the_sync_unrefused_and_it_goes_on_after_midnight() {
    const LEADS: u64 = 1_200;
    // The sandbox refuses a credential's 1,001st request of a UTC day, as WhatConverts does.
    let sb = sandbox(SandboxConfig {
        records: LEADS as usize,
        rate_limits: false,
        quotas: [("whatconverts".to_string(), 1_000)].into(),
        ..Default::default()
    })
    .await;
    // Both clocks at 20:48 UTC: 3 h 12 min before the reset.
    let start = next_utc(&sb, 20, 48);
    let clock = TestClock::at(start);
    align(&sb, &clock);
    let midnight = (start + time::Duration::DAY).replace_time(time::Time::MIDNIGHT);
    let dir = TempDir::new("midnight");
    let core = Patchbay::new(
        demo_defs(&sb, one_lead_a_page(None)),
        Arc::new(MemoryVault::new()),
        config(&clock, Some(dir.usage_file())),
    );
    let account = connect_account(&core, "whatconverts").await;
    let stored: Stored = Default::default();

    // 1,200 leads at one a page need more than the day's 1,000 requests.
    let err = sync_leads(&core, &account, &stored).await.unwrap_err();
    let ApiError::QuotaExhausted {
        limit, resets_at, ..
    } = err
    else {
        panic!("expected the quota to stop the sync, got {err:?}");
    };
    assert_eq!(limit, 1_000);
    assert_eq!(resets_at, midnight);
    let user = core.api_error_view("whatconverts", &err);
    assert_eq!(user.code, "api.quota_exhausted");
    assert_eq!(
        user.message,
        "WhatConverts allows 1,000 requests a day and today's are used. Patchbay will continue after 00:00 UTC (in 3 h 12 min)."
    );

    // The provider saw exactly the day's quota (the connect's account look-up included), and
    // refused none of them.
    let day_one = api_requests(&sb, "whatconverts");
    assert_eq!(day_one.len(), 1_000);
    none_refused(&day_one);
    let conn = core.connection("whatconverts", &account).unwrap();
    assert_eq!(conn.request_count(), 1_000);
    // Every page but the account look-up's request brought one lead, kept by the caller.
    assert_eq!(stored.lock().unwrap().len(), 999);
    let view = core
        .budget("whatconverts", &account)
        .expect("a daily quota");
    assert_eq!(
        (
            view.used,
            view.limit,
            view.remaining,
            view.resets_at.as_str()
        ),
        (1_000, 1_000, 0, rfc3339(midnight).as_str())
    );

    // Trying again the same day sends nothing.
    assert!(matches!(
        sync_leads(&core, &account, &stored).await,
        Err(ApiError::QuotaExhausted { .. })
    ));
    assert_eq!(api_requests(&sb, "whatconverts").len(), 1_000);
    assert_eq!(conn.request_count(), 1_000);

    // After midnight the budget is full again and the pages not read yet go through. (Picking
    // up from the stored cursor is the sync engine's; here the missing pages are asked for
    // by number through the same connection.)
    clock.set(midnight + time::Duration::seconds(30));
    align(&sb, &clock);
    let fresh = core.budget("whatconverts", &account).unwrap();
    assert_eq!((fresh.used, fresh.remaining), (0, 1_000));
    let read: BTreeSet<u64> = day_one.iter().filter_map(page_number).collect();
    let tokens = conn.current().await.unwrap().unwrap();
    let base = conn.api_url("/leads", &tokens.vars).unwrap();
    let missing: Vec<u64> = (1..=LEADS).filter(|n| !read.contains(n)).collect();
    assert_eq!(missing.len() as u64, LEADS - 999);
    for n in &missing {
        let mut url = base.clone();
        url.query_pairs_mut()
            .append_pair("page_number", &n.to_string())
            .append_pair("leads_per_page", "1");
        let page = conn
            .get_json(&url)
            .await
            .expect("day two's budget lets it through");
        let leads = page.body["leads"].as_array().expect("a page of leads");
        let mut s = stored.lock().unwrap();
        s.extend(leads.iter().map(|r| r["lead_id"].as_u64().unwrap()));
    }
    assert_eq!(
        stored.lock().unwrap().len() as u64,
        LEADS,
        "every lead, once"
    );
    let all = api_requests(&sb, "whatconverts");
    none_refused(&all);
    assert_eq!(all.len(), 1_000 + missing.len());
    assert_eq!(conn.request_count(), 1_000 + missing.len() as u64);
    let day_two = core.budget("whatconverts", &account).unwrap();
    assert_eq!(day_two.used as usize, missing.len());
    assert_eq!(day_two.resets_at, rfc3339(midnight + time::Duration::DAY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_days_count_survives_a_restart_of_the_core() {
    let sb = sandbox(SandboxConfig {
        records: 40,
        rate_limits: false,
        quotas: [("whatconverts".to_string(), 25)].into(),
        ..Default::default()
    })
    .await;
    let clock = TestClock::at(next_utc(&sb, 9, 0));
    align(&sb, &clock);
    let dir = TempDir::new("restart");
    let vault = Arc::new(MemoryVault::new());
    let start = |vault: Arc<MemoryVault>| {
        Patchbay::new(
            demo_defs(&sb, one_lead_a_page(Some(25))),
            vault,
            config(&clock, Some(dir.usage_file())),
        )
    };
    let first = start(vault.clone());
    let account = connect_account(&first, "whatconverts").await;
    let stored: Stored = Default::default();
    assert!(matches!(
        sync_leads(&first, &account, &stored).await,
        Err(ApiError::QuotaExhausted { limit: 25, .. })
    ));
    let sent = api_requests(&sb, "whatconverts");
    assert_eq!(sent.len(), 25);
    none_refused(&sent);
    drop(first);

    // A new core on the same usage file (the app restarted) knows today's requests are used.
    let second = start(vault.clone());
    let view = second.budget("whatconverts", &account).unwrap();
    assert_eq!((view.used, view.remaining), (25, 0));
    assert!(matches!(
        sync_leads(&second, &account, &stored).await,
        Err(ApiError::QuotaExhausted { .. })
    ));
    assert_eq!(api_requests(&sb, "whatconverts").len(), 25, "nothing sent");

    // Without the file (memory only) a restart would have believed in a fresh quota: the file
    // is what stopped it.
    let forgetful = Patchbay::new(
        demo_defs(&sb, one_lead_a_page(Some(25))),
        vault,
        config(&clock, None),
    );
    assert_eq!(forgetful.budget("whatconverts", &account).unwrap().used, 0);

    // The file holds names and counts, never a credential, and only its owner reads it.
    let text = std::fs::read_to_string(dir.usage_file()).unwrap();
    assert!(text.contains("whatconverts") && text.contains(account.as_str()));
    for secret in ["access_token", "refresh_token", "Bearer", "api_secret"] {
        assert!(!text.contains(secret), "{secret} in the usage file: {text}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.usage_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

/// EmailOctopus with the given bucket (or none), no sliding window, and room for a burst.
fn emailoctopus_with(bucket: Option<TokenBucketDef>) -> impl Fn(&mut ProviderDef) {
    move |d| {
        if d.id == "emailoctopus" {
            d.rate_limit.requests = 0;
            d.rate_limit.concurrency = 20;
            d.rate_limit.bucket = bucket;
        }
    }
}

/// Sends `n` account look-ups at once through one connection; answers the sandbox's log.
async fn burst(bucket: Option<TokenBucketDef>, n: usize) -> Vec<LoggedRequest> {
    // The sandbox's own EmailOctopus bucket: 100 at once, 10 a second, 429 beyond.
    let sb = sandbox(SandboxConfig {
        records: 3,
        rate_limits: true,
        ..Default::default()
    })
    .await;
    let core = Patchbay::new(
        demo_defs(&sb, emailoctopus_with(bucket)),
        Arc::new(MemoryVault::new()),
        fast_config(),
    );
    let account = connect_account(&core, "emailoctopus").await;
    let conn = core.connection("emailoctopus", &account).unwrap();
    let tokens = conn.current().await.unwrap().unwrap();
    let url = conn.api_url("/me", &tokens.vars).unwrap();
    let calls = (0..n).map(|_| conn.get_json(&url));
    for result in futures::future::join_all(calls).await {
        result.expect("each call succeeds in the end");
    }
    api_requests(&sb, "emailoctopus")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_larger_than_the_bucket_is_spread_out_and_never_refused() {
    // 90% of the sandbox's bucket and rate: a margin for the time a request takes to
    // arrive (the sandbox's bucket starts when the first one does).
    let bucket = TokenBucketDef {
        capacity: 90,
        refill_per_second: 9.0,
    };
    let log = burst(Some(bucket), 120).await;
    assert_eq!(
        log.len(),
        121,
        "the look-up at connect and the 120 calls, no retry"
    );
    none_refused(&log);

    // The same burst without the bucket runs into the provider's limit: the test above
    // would notice a bucket that let everything through.
    let log = burst(None, 120).await;
    assert!(
        log.iter()
            .any(|r| r.status == 429 && r.refused.as_deref() == Some("rate_limit")),
        "the sandbox's limit was not reached without a bucket"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_count_is_what_the_provider_saw_retries_included() {
    let sb = sandbox(SandboxConfig {
        records: 30,
        rate_limits: false,
        faults: "500=0.3".parse().unwrap(),
        seed: 5,
        ..Default::default()
    })
    .await;
    let clock = TestClock::at(datetime!(2026-11-30 12:00 UTC));
    let core = Patchbay::new(
        demo_defs(&sb, one_lead_a_page(None)),
        Arc::new(MemoryVault::new()),
        config(&clock, None),
    );
    let account = connect_account(&core, "whatconverts").await;
    let stored: Stored = Default::default();
    assert_eq!(sync_leads(&core, &account, &stored).await.unwrap(), 30);
    let log = api_requests(&sb, "whatconverts");
    let retried = log.iter().filter(|r| r.status == 500).count();
    assert!(retried > 0, "faults were injected");
    let conn = core.connection("whatconverts", &account).unwrap();
    assert_eq!(conn.request_count(), log.len() as u64);
    // Each attempt counts against the day's quota too.
    assert_eq!(
        core.budget("whatconverts", &account).unwrap().used as usize,
        log.len()
    );
}

/// WhatConverts reading the sandbox's quota header (a sandbox choice: WhatConverts documents
/// none, so the built-in definition names none).
fn reading_the_quota_header(d: &mut ProviderDef) {
    one_lead_a_page(None)(d);
    if d.id == "whatconverts" {
        d.rate_limit.headers.remaining_daily = Some(LimitHeader(
            reqwest::header::HeaderName::from_static("x-quota-remaining"),
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_remaining_count_lowers_ours_when_another_app_used_the_key() {
    let sb = sandbox(SandboxConfig {
        records: 500,
        rate_limits: false,
        quotas: [("whatconverts".to_string(), 1_000)].into(),
        ..Default::default()
    })
    .await;
    let clock = TestClock::at(next_utc(&sb, 12, 0));
    align(&sb, &clock);
    let core = Patchbay::new(
        demo_defs(&sb, reading_the_quota_header),
        Arc::new(MemoryVault::new()),
        config(&clock, None),
    );
    let account = connect_account(&core, "whatconverts").await;
    let conn = core.connection("whatconverts", &account).unwrap();
    assert_eq!(core.budget("whatconverts", &account).unwrap().used, 1);

    // Another app spends 600 of today's requests with the same credential.
    let token = conn.current().await.unwrap().unwrap().access;
    let url = format!("{}/whatconverts/api/v1/accounts", sb.url());
    let other_app = reqwest::Client::new();
    for _ in 0..600 {
        let resp = other_app
            .get(&url)
            .bearer_auth(token.secret())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }

    // 500 pages do not fit in the 399 left: the first answer tells the core so, and the sync
    // stops before the provider refuses anything.
    let stored: Stored = Default::default();
    let err = sync_leads(&core, &account, &stored).await.unwrap_err();
    assert!(
        matches!(err, ApiError::QuotaExhausted { limit: 1_000, .. }),
        "{err:?}"
    );
    let log = api_requests(&sb, "whatconverts");
    none_refused(&log);
    assert_eq!(
        log.len(),
        1_000,
        "the whole quota, and not one request more"
    );
    let view = core.budget("whatconverts", &account).unwrap();
    assert_eq!((view.used, view.remaining), (1_000, 0));
    assert_eq!(conn.request_count(), 1 + 399);
    assert_eq!(stored.lock().unwrap().len(), 399);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_until_midnight_pauses_the_sync_like_the_quota_would() {
    // The provider's quota is smaller than the definition says (another key kind, another app
    // without headers): its first refusal is the last request of the day.
    let sb = sandbox(SandboxConfig {
        records: 60,
        rate_limits: false,
        quotas: [("whatconverts".to_string(), 20)].into(),
        ..Default::default()
    })
    .await;
    let clock = TestClock::at(next_utc(&sb, 18, 30));
    align(&sb, &clock);
    let core = Patchbay::new(
        demo_defs(&sb, one_lead_a_page(None)),
        Arc::new(MemoryVault::new()),
        config(&clock, None),
    );
    let account = connect_account(&core, "whatconverts").await;
    let stored: Stored = Default::default();
    let err = sync_leads(&core, &account, &stored).await.unwrap_err();
    let ApiError::QuotaExhausted { resets_at, .. } = err else {
        panic!("a refusal until midnight pauses the sync: {err:?}");
    };
    assert_eq!(
        resets_at,
        (clock.now() + time::Duration::DAY).replace_time(time::Time::MIDNIGHT)
    );
    let log = api_requests(&sb, "whatconverts");
    let refused = log
        .iter()
        .filter(|r| r.refused.as_deref() == Some("quota"))
        .count();
    assert_eq!((log.len(), refused), (21, 1), "one refusal, no retry");
    assert_eq!(core.budget("whatconverts", &account).unwrap().remaining, 0);

    // The core now knows: trying again sends nothing.
    assert!(matches!(
        sync_leads(&core, &account, &stored).await,
        Err(ApiError::QuotaExhausted { .. })
    ));
    assert_eq!(api_requests(&sb, "whatconverts").len(), 21);
}
