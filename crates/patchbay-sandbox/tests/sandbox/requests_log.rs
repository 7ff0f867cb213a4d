//! `/_sandbox/requests` and `Sandbox::requests` tell what a client sent, without secrets.

use crate::common;

use common::*;
use patchbay_sandbox::{LoggedRequest, SandboxConfig};
use reqwest::StatusCode;

#[tokio::test]
async fn log_shows_calls_grant_types_and_statuses_but_no_secrets() {
    let sb = start(SandboxConfig {
        serve_request_log: true,
        ..SandboxConfig::default()
    })
    .await;
    let http = http();
    let pkce = pkce();
    let code = get_code(&http, &sb, "whatconverts", &pkce).await;
    let (_, body) = redeem(&http, &sb, "whatconverts", &code, &pkce.verifier).await;
    let t = Tokens::from_json(&body);
    let (_, body) = refresh(&http, &sb, "whatconverts", &t.refresh).await;
    let t2 = Tokens::from_json(&body);
    let resp = api_get(
        &http,
        &sb,
        "/whatconverts/api/v1/leads?page_number=2&leads_per_page=50",
        &t2.access,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = http
        .get(format!("{}/whatconverts/api/v1/leads", sb.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = redeem(&http, &sb, "whatconverts", &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let over_http: Vec<LoggedRequest> = http
        .get(format!("{}/_sandbox/requests", sb.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let log = sb.requests();
    // The HTTP view was taken before its own request finished, so it lacks only itself.
    assert_eq!(over_http[..], log[..over_http.len()]);

    let summary: Vec<(String, String, Option<String>, u16)> = log
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.path.clone(),
                r.grant_type.clone(),
                r.status,
            )
        })
        .collect();
    let expected: Vec<(String, String, Option<String>, u16)> = vec![
        ("GET", "/whatconverts/oauth/authorize", None, 200),
        ("POST", "/whatconverts/oauth/authorize", None, 303),
        (
            "POST",
            "/whatconverts/oauth/token",
            Some("authorization_code"),
            200,
        ),
        (
            "POST",
            "/whatconverts/oauth/token",
            Some("refresh_token"),
            200,
        ),
        ("GET", "/whatconverts/api/v1/leads", None, 200),
        ("GET", "/whatconverts/api/v1/leads", None, 401),
        (
            "POST",
            "/whatconverts/oauth/token",
            Some("authorization_code"),
            400,
        ),
        ("GET", "/_sandbox/requests", None, 200),
    ]
    .into_iter()
    .map(|(m, p, g, s)| (m.to_string(), p.to_string(), g.map(str::to_string), s))
    .collect();
    assert_eq!(summary, expected);
    assert_eq!(
        log[4].query.as_deref(),
        Some("page_number=2&leads_per_page=50")
    );
    assert!(log[4].bearer && !log[5].bearer);
    assert_eq!(log[4].provider.as_deref(), Some("whatconverts"));

    let dump = serde_json::to_string(&log).unwrap();
    for secret in [
        &code,
        &pkce.verifier,
        &t.access,
        &t.refresh,
        &t2.access,
        &t2.refresh,
    ] {
        assert!(!dump.contains(secret.as_str()), "the log leaks a secret");
    }

    let resp = http
        .delete(format!("{}/_sandbox/requests", sb.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Cleared, then the DELETE itself was recorded.
    let after = sb.requests();
    assert_eq!(after.len(), 1);
    assert_eq!(
        (after[0].method.as_str(), after[0].path.as_str()),
        ("DELETE", "/_sandbox/requests")
    );
}

#[tokio::test]
async fn codes_in_a_query_are_redacted() {
    let sb = start(SandboxConfig {
        serve_request_log: true,
        ..SandboxConfig::default()
    })
    .await;
    let http = http();
    http.get(format!(
        "{}/boomtown/v1/leads?code=abc123secret&limit=5",
        sb.url()
    ))
    .send()
    .await
    .unwrap();
    let log = sb.requests();
    assert_eq!(log[0].query.as_deref(), Some("code=REDACTED&limit=5"));
}
