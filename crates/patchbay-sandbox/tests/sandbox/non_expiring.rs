//! `non_expiring` (`--non-expiring PROVIDER`): access tokens that last until revoked and come
//! without a refresh token, as ClickFunnels' do, next to a provider whose tokens expire.

use crate::common;

use std::time::Duration;

use common::*;
use patchbay_sandbox::SandboxConfig;
use reqwest::StatusCode;
use serde_json::Value;

/// The authorization code flow for `p`, returning the token response as sent.
async fn token_response(http: &reqwest::Client, sb: &patchbay_sandbox::Sandbox, p: &str) -> Value {
    let pkce = pkce();
    let code = get_code(http, sb, p, &pkce).await;
    let (status, body) = redeem(http, sb, p, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a_non_expiring_token_has_no_refresh_token_and_outlives_its_expires_in() {
    let mut config = SandboxConfig::default();
    config.apply_non_expiring_flag("clickfunnels").unwrap();
    let sb = start(config).await;
    sb.set_access_ttl(Duration::from_secs(1));
    let http = http();

    let cf = token_response(&http, &sb, "clickfunnels").await;
    assert!(cf.get("refresh_token").is_none(), "{cf}");
    assert_eq!(
        cf["expires_in"], 1,
        "expires_in is still sent, for information"
    );
    assert_eq!(cf["token_type"], "Bearer");
    let cf_token = cf["access_token"].as_str().unwrap().to_string();

    let bt = token_response(&http, &sb, "boomtown").await;
    assert_eq!(bt["expires_in"], 1);
    let bt = Tokens::from_json(&bt);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Past expires_in: ClickFunnels' token still works, BoomTown's does not.
    for path in [
        account_path("clickfunnels"),
        "/clickfunnels/api/v2/workspaces/4201/funnels",
    ] {
        let resp = api_get(&http, &sb, path, &cf_token).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
    }
    assert_invalid_token(&api_get(&http, &sb, account_path("boomtown"), &bt.access).await);
    let (status, _) = refresh(&http, &sb, "boomtown", &bt.refresh).await;
    assert_eq!(status, StatusCode::OK);

    // The test hook that ages tokens ages only those that can age.
    sb.expire_access_tokens();
    let resp = api_get(&http, &sb, account_path("clickfunnels"), &cf_token).await;
    assert_eq!(resp.status(), StatusCode::OK);

    // There is nothing to refresh with: the access token is not a refresh token.
    let (status, body) = refresh(&http, &sb, "clickfunnels", &cf_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    // "Until revoked": revocation still ends it.
    let resp = http
        .post(format!("{}/clickfunnels/oauth/revoke", sb.url()))
        .form(&[("token", cf_token.as_str()), ("client_id", CLIENT_ID)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_invalid_token(&api_get(&http, &sb, account_path("clickfunnels"), &cf_token).await);
}

#[tokio::test]
async fn by_default_clickfunnels_tokens_expire_and_refresh() {
    let sb = start(SandboxConfig::default()).await;
    sb.set_access_ttl(Duration::from_secs(1));
    let http = http();
    let t = Tokens::from_json(&token_response(&http, &sb, "clickfunnels").await);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_invalid_token(&api_get(&http, &sb, account_path("clickfunnels"), &t.access).await);
    let (status, _) = refresh(&http, &sb, "clickfunnels", &t.refresh).await;
    assert_eq!(status, StatusCode::OK);
}
