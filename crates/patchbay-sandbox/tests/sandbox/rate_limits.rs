//! Each provider answers 429 with Retry-After once a client exceeds its rate limit.

use crate::common;

use std::time::Duration;

use common::*;
use patchbay_sandbox::SandboxConfig;
use reqwest::StatusCode;

/// (provider, burst) as documented in README.md.
const BURSTS: [(&str, usize); 5] = [
    ("whatconverts", 20),
    ("clickfunnels", 20),
    ("webinargeek", 10),
    ("boomtown", 20),
    ("emailoctopus", 100),
];

#[tokio::test]
async fn exceeding_the_limit_gets_429_with_retry_after_then_recovers() {
    let sb = start(SandboxConfig {
        auto_approve: true,
        ..SandboxConfig::default()
    })
    .await;
    let http = http();
    for (p, burst) in BURSTS {
        let t = connect(&http, &sb, p).await;
        let mut statuses = Vec::new();
        let mut retry_after = None;
        for _ in 0..burst * 3 {
            let resp = api_get(&http, &sb, account_path(p), &t.access).await;
            statuses.push(resp.status());
            if resp.status() == StatusCode::TOO_MANY_REQUESTS {
                retry_after = Some(
                    resp.headers()["retry-after"]
                        .to_str()
                        .unwrap()
                        .parse::<u64>()
                        .unwrap(),
                );
                break;
            }
        }
        assert!(
            statuses[..burst].iter().all(|s| *s == StatusCode::OK),
            "{p}: {statuses:?}"
        );
        let retry_after = retry_after.unwrap_or_else(|| panic!("{p}: never limited: {statuses:?}"));
        assert!(
            (1..=2).contains(&retry_after),
            "{p}: Retry-After {retry_after}"
        );
        // Another connection has its own budget.
        let other = connect(&http, &sb, p).await;
        assert_eq!(
            api_get(&http, &sb, account_path(p), &other.access)
                .await
                .status(),
            StatusCode::OK
        );
        // Honouring Retry-After works.
        tokio::time::sleep(Duration::from_secs(retry_after)).await;
        assert_eq!(
            api_get(&http, &sb, account_path(p), &t.access)
                .await
                .status(),
            StatusCode::OK,
            "{p}"
        );
    }
}

#[tokio::test]
async fn oauth_endpoints_are_not_rate_limited() {
    let sb = start(SandboxConfig {
        auto_approve: true,
        ..SandboxConfig::default()
    })
    .await;
    let http = http();
    for _ in 0..30 {
        let resp = http
            .get(format!(
                "{}/.well-known/oauth-authorization-server/webinargeek",
                sb.url()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
}
