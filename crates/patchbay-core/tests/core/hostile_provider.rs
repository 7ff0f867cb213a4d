//! A provider that lies or floods (issue 18): absurd list totals, a list that never ends, a
//! body past its cap and an `expires_in` near `u64::MAX`, each against the loopback sandbox.
//! Patchbay refuses past the provider's `[limits]` with `api.too_large`, sizing nothing from
//! the provider's numbers.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use patchbay_core::error::TooLargeWhat;
use patchbay_core::providers::DEFAULT_MAX_BODY_BYTES;
use patchbay_core::vault::{MemoryVault, Vault};
use patchbay_core::{ApiError, ErrorCode};
use patchbay_sandbox::SandboxConfig;

/// Requests the sandbox logged for a list's path (`…/<suffix>`).
fn list_requests(sb: &patchbay_sandbox::Sandbox, provider: &str, suffix: &str) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r.provider.as_deref() == Some(provider) && r.path.ends_with(suffix))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_totals_are_refused_before_another_page_is_asked_for() {
    let sb = sandbox(SandboxConfig {
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let (core, _vault) = core(&sb);
    // Page-numbered with total_pages and total_leads, page-numbered with the totals one
    // object down, and offset-paged with a total.
    let lists = [
        ("whatconverts", "leads", "/leads"),
        ("webinargeek", "webinars", "/webinars"),
        ("boomtown", "leads", "/leads"),
    ];
    let mut accounts = Vec::new();
    for (p, _, _) in lists {
        accounts.push(connect_account(&core, p).await);
    }
    // Connected honestly; from now on every page claims a trillion pages and records.
    sb.set_faults("inflated=1.0".parse().unwrap());
    for ((p, r, suffix), account) in lists.into_iter().zip(&accounts) {
        let reported = Arc::new(AtomicUsize::new(0));
        let seen = reported.clone();
        let e = core
            .sync(p, account, r, move |progress| {
                seen.store(progress.fetched as usize, Ordering::SeqCst);
            })
            .await
            .expect_err("a trillion is past the limits");
        assert!(
            matches!(
                e,
                ApiError::TooLarge {
                    what: TooLargeWhat::Pages | TooLargeWhat::Records,
                    got: Some(1_000_000_000_000),
                    ..
                }
            ),
            "{p}/{r}: {e:?}"
        );
        let user = core.api_error_view(p, &e);
        assert_eq!(user.code, ErrorCode::ApiTooLarge, "{p}/{r}");
        assert!(
            user.message.contains("1,000,000,000,000"),
            "{p}/{r}: {}",
            user.message
        );
        assert_eq!(
            list_requests(&sb, p, suffix),
            1,
            "{p}/{r}: only the first page was asked for"
        );
        assert_eq!(
            reported.load(Ordering::SeqCst),
            0,
            "{p}/{r}: nothing of the list was reported"
        );
    }
    let inflated = sb
        .requests()
        .iter()
        .filter(|r| r.fault.as_deref() == Some("inflated"))
        .count();
    assert!(inflated >= 3, "the fault was injected: {inflated}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_without_a_total_stop_at_the_page_and_record_limits() {
    // 250 records, 100 a page: three pages of cursors, no total.
    let sb = sandbox(SandboxConfig {
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let vault = Arc::new(MemoryVault::new());
    let core = core_with(&sb, vault, |d| match d.id.as_str() {
        "clickfunnels" => d.limits.max_pages = 2,
        "emailoctopus" => d.limits.max_records = 150,
        _ => {}
    });
    for (p, r, what, stored) in [
        ("clickfunnels", "contacts", TooLargeWhat::Pages, 200),
        ("emailoctopus", "campaigns", TooLargeWhat::Records, 100),
    ] {
        let account = connect_account(&core, p).await;
        let reported = Arc::new(AtomicUsize::new(0));
        let seen = reported.clone();
        let e = core
            .sync(p, &account, r, move |progress| {
                seen.store(progress.fetched as usize, Ordering::SeqCst);
            })
            .await
            .expect_err("past the limit");
        assert!(
            matches!(&e, ApiError::TooLarge { what: w, got: None, .. } if *w == what),
            "{p}/{r}: {e:?}"
        );
        assert_eq!(core.api_error_view(p, &e).code, ErrorCode::ApiTooLarge);
        assert_eq!(
            reported.load(Ordering::SeqCst),
            stored,
            "{p}/{r}: the pages within the limit were reported, not the one past it"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_past_its_cap_is_refused_and_not_asked_for_again() {
    let sb = sandbox(SandboxConfig {
        rate_limits: false,
        ..Default::default()
    })
    .await;
    // WhatConverts' cap is 1 KiB here; BoomTown keeps the default (32 MiB).
    let vault = Arc::new(MemoryVault::new());
    let core = core_with(&sb, vault, |d| {
        if d.id == "whatconverts" {
            d.limits.max_body_bytes = 1024;
        }
    });
    let wc = connect_account(&core, "whatconverts").await;
    let bt = connect_account(&core, "boomtown").await;

    // A page with a Content-Length past the cap: refused before its body is read.
    let e = core
        .sync("whatconverts", &wc, "leads", |_| {})
        .await
        .expect_err("a page of leads is more than 1 KiB");
    assert!(
        matches!(e, ApiError::TooLarge { what: TooLargeWhat::Body, limit: 1024, got: Some(len) } if len > 1024),
        "{e:?}"
    );
    assert_eq!(list_requests(&sb, "whatconverts", "/leads"), 1, "no retry");

    // 40 MiB of padding, streamed without a length, past the default cap: reading stops.
    sb.set_faults("oversized=1.0".parse().unwrap());
    let e = core
        .sync("boomtown", &bt, "leads", |_| {})
        .await
        .expect_err("40 MiB is past the default cap");
    assert!(
        matches!(e, ApiError::TooLarge { what: TooLargeWhat::Body, limit, got: None } if limit == DEFAULT_MAX_BODY_BYTES),
        "{e:?}"
    );
    assert_eq!(list_requests(&sb, "boomtown", "/leads"), 1, "no retry");
    let user = core.api_error_view("boomtown", &e);
    assert_eq!(user.code, ErrorCode::ApiTooLarge);
    assert!(user.message.contains("32 MiB"), "{}", user.message);
}

#[tokio::test]
async fn an_expires_in_near_u64_max_is_clamped_to_a_year() {
    let sb = sandbox(SandboxConfig {
        access_ttl: Duration::from_secs(u64::MAX),
        ..Default::default()
    })
    .await;
    let vault = Arc::new(MemoryVault::new());
    let core = core_with(&sb, vault.clone(), |_| {});
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let account = connect_account(&core, "boomtown").await;
    let stored = vault
        .get(&tokens_entry("boomtown", &account))
        .unwrap()
        .expect("tokens stored");
    let json: serde_json::Value =
        serde_json::from_str(patchbay_core::secret::ExposeSecret::expose_secret(&stored)).unwrap();
    let expires_at = json["expires_at"].as_u64().expect("an expiry");
    let year = patchbay_core::session::MAX_TOKEN_LIFETIME.as_secs();
    assert!(
        expires_at >= before + year && expires_at <= before + year + 600,
        "expires_at {expires_at} is not about a year after {before}"
    );
    // The token works: a sync reads the list with it.
    let records = core.sync("boomtown", &account, "leads", |_| {}).await;
    assert_eq!(records.expect("sync").len(), 250);
}
