//! Syncs under injected faults return each record exactly once.

use crate::common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use common::*;
use patchbay_sandbox::SandboxConfig;

const FAULTS: &str = "429=0.1,500=0.1,drop=0.02";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_leads_under_faults_each_once() {
    let sb = sandbox(SandboxConfig {
        records: 10_000,
        seed: 7,
        faults: FAULTS.parse().unwrap(),
        ..Default::default()
    })
    .await;
    let (core, _vault) = core(&sb);
    let account = connect_account(&core, "whatconverts").await;
    let started = Instant::now();
    let last = Arc::new(Mutex::new(None));
    let calls = Arc::new(AtomicU32::new(0));
    let (l2, c2) = (last.clone(), calls.clone());
    let records = core
        .sync("whatconverts", &account, "leads", move |p| {
            c2.fetch_add(1, Ordering::SeqCst);
            if !p.done {
                assert_eq!(p.total, Some(10_000));
            }
            *l2.lock().unwrap() = Some(p);
        })
        .await
        .expect("sync survives the faults");
    assert_eq!(records.len(), 10_000);
    let ids: HashSet<u64> = records
        .iter()
        .map(|r| r["lead_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 10_000, "each record exactly once");
    // In the provider's order.
    let ordered: Vec<u64> = records
        .iter()
        .map(|r| r["lead_id"].as_u64().unwrap())
        .collect();
    assert!(ordered.windows(2).all(|w| w[0] < w[1]));
    let last = last.lock().unwrap().clone().unwrap();
    assert!(last.done && last.fetched == 10_000);
    let per_page = match &core.providers()[0].resource("leads").unwrap().paging {
        patchbay_core::providers::Paging::PagePerPage { page_size, .. } => *page_size,
        other => panic!("leads are paged by number: {other:?}"),
    };
    assert!(
        u64::from(calls.load(Ordering::SeqCst)) >= 10_000u64.div_ceil(per_page),
        "progress per page"
    );
    let log = sb.requests();
    let faults = log.iter().filter(|r| r.fault.is_some()).count();
    assert!(faults > 0, "faults were injected");
    eprintln!(
        "10000 records, {} requests, {faults} faults, {:?}",
        log.len(),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursor_and_offset_styles_under_faults() {
    let sb = sandbox(SandboxConfig {
        records: 1_000,
        seed: 11,
        faults: FAULTS.parse().unwrap(),
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let (core, _vault) = {
        let vault = Arc::new(patchbay_core::vault::MemoryVault::new());
        (
            core_with(&sb, vault.clone(), |d| {
                d.rate_limit = patchbay_core::providers::RateLimit {
                    requests: 0,
                    per_seconds: 1.0,
                    concurrency: 4,
                    ..Default::default()
                }
            }),
            vault,
        )
    };
    for (p, r) in [
        ("clickfunnels", "contacts"),
        ("boomtown", "leads"),
        ("emailoctopus", "campaigns"),
    ] {
        let account = connect_account(&core, p).await;
        let records = core
            .sync(p, &account, r, |_| {})
            .await
            .unwrap_or_else(|e| panic!("{p}/{r}: {e}"));
        let ids: HashSet<String> = records.iter().map(|x| x["id"].to_string()).collect();
        assert_eq!(records.len(), 1_000, "{p}/{r}");
        assert_eq!(ids.len(), 1_000, "{p}/{r} each once");
    }
}

#[tokio::test]
async fn retries_are_bounded() {
    use patchbay_core::ApiError;
    // Every API call fails with 500: the sync gives up after max_attempts.
    let sb = sandbox(SandboxConfig {
        faults: "500=1.0".parse().unwrap(),
        ..Default::default()
    })
    .await;
    let (core, _vault) = core(&sb);
    // The account look-up fails too; connecting still works.
    let account = connect_account(&core, "boomtown").await;
    let e = core
        .sync("boomtown", &account, "leads", |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::RetriesExhausted { attempts: 12, .. }),
        "{e:?}"
    );
    assert_eq!(
        core.api_error_view("boomtown", &e).code,
        "api.retries_exhausted"
    );

    // A Retry-After longer than we accept fails at once.
    let sb = sandbox(SandboxConfig {
        faults: "429=1.0".parse().unwrap(),
        ..Default::default()
    })
    .await;
    let vault = Arc::new(patchbay_core::vault::MemoryVault::new());
    let mut config = fast_config();
    config.http.retry.max_retry_after = std::time::Duration::from_millis(500);
    let core = patchbay_core::Patchbay::new(demo_defs(&sb, |_| {}), vault, config);
    let account = connect_account(&core, "boomtown").await;
    let before = sb.requests().len();
    let e = core
        .sync("boomtown", &account, "leads", |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            ApiError::RateLimited {
                retry_after_secs: 1
            }
        ),
        "{e:?}"
    );
    // "At once": the one refused request, no retry and no wait (counted in the sandbox's
    // log, not timed).
    let after: Vec<_> = sb.requests().into_iter().skip(before).collect();
    assert_eq!(after.len(), 1, "one request, no retry: {after:?}");
}
