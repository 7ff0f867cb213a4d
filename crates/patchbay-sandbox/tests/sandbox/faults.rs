//! Fault injection: statuses, dropped connections, malformed bodies, latency; seeded.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use patchbay_sandbox::{Sandbox, SandboxConfig};
use reqwest::StatusCode;

async fn faulty(spec: &str, seed: u64) -> Sandbox {
    start(SandboxConfig {
        auto_approve: true,
        rate_limits: false,
        seed,
        faults: spec.parse().unwrap(),
        serve_request_log: true,
        ..SandboxConfig::default()
    })
    .await
}

#[tokio::test]
async fn injected_status_hits_api_calls_but_not_oauth_or_sandbox_endpoints() {
    let sb = faulty("503=1", 1).await;
    let http = http();
    for p in PROVIDERS {
        let t = connect(&http, &sb, p).await;
        let resp = api_get(&http, &sb, account_path(p), &t.access).await;
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    let resp = http
        .get(format!("{}/_sandbox/requests", sb.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let log = sb.requests();
    assert!(log
        .iter()
        .any(|r| r.status == 503 && r.fault.as_deref() == Some("status")));
    assert!(log
        .iter()
        .filter(|r| r.path.ends_with("/oauth/token"))
        .all(|r| r.status == 200));
}

#[tokio::test]
async fn injected_429_carries_retry_after() {
    let sb = faulty("429=1", 1).await;
    let http = http();
    let t = connect(&http, &sb, "boomtown").await;
    let resp = api_get(&http, &sb, "/boomtown/v1/leads", &t.access).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "1");
}

#[tokio::test]
async fn token_faults_are_opt_in() {
    let sb = faulty("500=1,tokens=true", 1).await;
    let http = http();
    let pkce = pkce();
    let code = get_code(&http, &sb, "whatconverts", &pkce).await;
    let resp = http
        .post(format!("{}/whatconverts/oauth/token", sb.url()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", CLIENT_ID),
            ("code_verifier", pkce.verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn drop_closes_the_connection_without_a_response() {
    let sb = faulty("drop=1", 1).await;
    let http = http();
    let t = connect(&http, &sb, "emailoctopus").await;
    let result = http
        .get(format!("{}/emailoctopus/lists", sb.url()))
        .bearer_auth(&t.access)
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    let err = result.expect_err("a dropped connection gives no response");
    assert!(!err.is_timeout(), "closed, not hung: {err}");
    let log = sb.requests();
    let dropped = log
        .iter()
        .find(|r| r.path == "/emailoctopus/lists")
        .unwrap();
    assert_eq!(
        (dropped.status, dropped.fault.as_deref()),
        (0, Some("drop"))
    );
}

#[tokio::test]
async fn malformed_gives_200_with_invalid_json() {
    let sb = faulty("malformed=1", 1).await;
    let http = http();
    let t = connect(&http, &sb, "webinargeek").await;
    let resp = api_get(&http, &sb, "/webinargeek/api/v2/webinars", &t.access).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.bytes().await.unwrap();
    assert!(!body.is_empty());
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
}

#[tokio::test]
async fn latency_delays_calls() {
    let sb = faulty("latency=150ms..200ms", 1).await;
    let http = http();
    let t = connect(&http, &sb, "boomtown").await;
    let started = Instant::now();
    let resp = api_get(&http, &sb, "/boomtown/v1/users/me", &t.access).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

/// Same seed and same requests: the same faults, in the same places.
#[tokio::test]
async fn faults_are_deterministic_from_the_seed() {
    async fn run(seed: u64) -> Vec<u16> {
        let sb = faulty("500=0.3,502=0.1,drop=0.1", seed).await;
        let http = http();
        let t = connect(&http, &sb, "whatconverts").await;
        let mut out = Vec::new();
        for _ in 0..60 {
            let status = match http
                .get(format!("{}/whatconverts/api/v1/leads", sb.url()))
                .bearer_auth(&t.access)
                .timeout(Duration::from_secs(5))
                .send()
                .await
            {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            out.push(status);
        }
        out
    }
    let a = run(11).await;
    let b = run(11).await;
    let c = run(12).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    for code in [0, 200, 500, 502] {
        assert!(a.contains(&code), "{code} in {a:?}");
    }
}
