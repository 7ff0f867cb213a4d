//! `auth: api-key` (the real providers' key schemes) and confidential clients
//! (`client_secrets`), over real HTTP.

use crate::common;

use std::collections::HashMap;

use common::*;
use patchbay_sandbox::{AuthMode, SandboxConfig, API_KEY_PROVIDERS};

async fn api_key_sandbox() -> patchbay_sandbox::Sandbox {
    let mut config = SandboxConfig {
        records: 5,
        ..Default::default()
    };
    config.apply_auth_flag("api-key").unwrap();
    start(config).await
}

#[tokio::test]
async fn each_provider_takes_its_key_in_its_own_scheme_only() {
    let sb = api_key_sandbox().await;
    let http = http();
    let wc = SandboxConfig::api_key_for("whatconverts").unwrap();
    let eo = SandboxConfig::api_key_for("emailoctopus").unwrap();
    let wg = SandboxConfig::api_key_for("webinargeek").unwrap();
    let url = |p: &str| format!("{}{p}", sb.url());
    let cases = [
        (
            http.get(url("/whatconverts/api/v1/leads"))
                .basic_auth(&wc["api_token"], Some(&wc["api_secret"])),
            200,
        ),
        (
            http.get(url("/whatconverts/api/v1/leads"))
                .basic_auth(&wc["api_token"], Some("wrong")),
            401,
        ),
        (http.get(url("/whatconverts/api/v1/leads")), 401),
        (
            http.get(url("/emailoctopus/lists"))
                .bearer_auth(&eo["api_key"]),
            200,
        ),
        (
            http.get(url("/emailoctopus/lists")).bearer_auth("eo_wrong"),
            401,
        ),
        (
            http.get(url("/emailoctopus/lists"))
                .header("Api-Token", &eo["api_key"]),
            401,
        ),
        (
            http.get(url("/webinargeek/api/v2/webinars"))
                .header("Api-Token", &wg["api_token"]),
            200,
        ),
        (
            http.get(url("/webinargeek/api/v2/webinars"))
                .bearer_auth(&wg["api_token"]),
            401,
        ),
        (
            http.get(url("/webinargeek/api/v2/webinars"))
                .header("Api-Token", "wrong"),
            401,
        ),
    ];
    for (i, (req, want)) in cases.into_iter().enumerate() {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), want, "case {i}");
    }
    // Problem details for EmailOctopus, the provider's own shapes for the others.
    let resp = http.get(url("/emailoctopus/me")).send().await.unwrap();
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], 401);
    let body: serde_json::Value = http
        .get(url("/whatconverts/api/v1/accounts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body["error_message"].is_string());
    // OAuth tokens are not accepted by an API-key provider, and OAuth providers are unchanged.
    let resp = http
        .get(url("/boomtown/v1/users/me"))
        .bearer_auth(&eo["api_key"])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    for p in API_KEY_PROVIDERS {
        assert!(SandboxConfig::api_key_for(p).is_some());
    }
}

#[tokio::test]
async fn the_user_agent_is_logged() {
    let sb = api_key_sandbox().await;
    http()
        .get(format!("{}/emailoctopus/me", sb.url()))
        .header("User-Agent", "Patchbay/9.9.9")
        .send()
        .await
        .unwrap();
    let log = sb.requests();
    assert_eq!(
        log.last().unwrap().user_agent.as_deref(),
        Some("Patchbay/9.9.9")
    );
}

#[tokio::test]
async fn a_confidential_client_must_send_its_secret_by_post_or_basic() {
    let sb = start(SandboxConfig {
        auto_approve: true,
        auth: HashMap::from([("webinargeek".to_string(), AuthMode::OAuth)]),
        client_secrets: HashMap::from([("boomtown".to_string(), "s3cret".to_string())]),
        ..Default::default()
    })
    .await;
    let http = http();
    let meta: serde_json::Value = http
        .get(format!(
            "{}/.well-known/oauth-authorization-server/boomtown",
            sb.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_post", "client_secret_basic"])
    );
    let code = |sb: &patchbay_sandbox::Sandbox, pkce: &Pkce| {
        let url = authorize_url(sb, "boomtown", &standard_params(pkce, "st"));
        let http = common::http();
        async move {
            let resp = http.get(url).send().await.unwrap();
            let loc = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
            loc.query_pairs()
                .find(|(k, _)| k == "code")
                .unwrap()
                .1
                .into_owned()
        }
    };
    let token_url = format!("{}/boomtown/oauth/token", sb.url());
    // Without the secret, and with a wrong one: invalid_client.
    for secret in [None, Some("nope")] {
        let p = pkce();
        let c = code(&sb, &p).await;
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", c),
            ("redirect_uri", REDIRECT.to_string()),
            ("code_verifier", p.verifier.clone()),
            ("client_id", CLIENT_ID.to_string()),
        ];
        if let Some(s) = secret {
            form.push(("client_secret", s.to_string()));
        }
        let resp = http.post(&token_url).form(&form).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{secret:?}");
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v["error"], "invalid_client");
    }
    // client_secret_post and client_secret_basic both work.
    for basic in [false, true] {
        let p = pkce();
        let c = code(&sb, &p).await;
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", c),
            ("redirect_uri", REDIRECT.to_string()),
            ("code_verifier", p.verifier.clone()),
        ];
        let mut req = http.post(&token_url);
        if basic {
            req = req.basic_auth(CLIENT_ID, Some("s3cret"));
        } else {
            form.push(("client_id", CLIENT_ID.to_string()));
            form.push(("client_secret", "s3cret".to_string()));
        }
        let resp = req.form(&form).send().await.unwrap();
        assert_eq!(resp.status(), 200, "basic={basic}");
    }
}

/// RFC 6749 2.3.1: the Basic parts are form-encoded first. The sandbox decodes them strictly,
/// as oidc-provider does, so a client that sends a secret with special characters raw is
/// refused, and the same secret form-encoded is accepted.
#[tokio::test]
async fn basic_credentials_must_be_form_encoded() {
    const SECRET: &str = "a+b%c:d é";
    let sb = start(SandboxConfig {
        client_secrets: HashMap::from([("boomtown".to_string(), SECRET.to_string())]),
        ..Default::default()
    })
    .await;
    let http = http();
    let revoke_url = format!("{}/boomtown/oauth/revoke", sb.url());
    let revoke = |user: String, pass: String| {
        http.post(&revoke_url)
            .basic_auth(user, Some(pass))
            .form(&[("token", "unknown-token")])
            .send()
    };
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = revoke(CLIENT_ID.to_string(), SECRET.to_string())
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);
    let v: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(v["error"], "invalid_client");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("form-encoded"),
        "{v}"
    );
    // A wrong secret, properly encoded, is still wrong.
    let wrong = revoke(enc(CLIENT_ID), enc("a+b%c:e é")).await.unwrap();
    assert_eq!(wrong.status(), 401);
    let ok = revoke(enc(CLIENT_ID), enc(SECRET)).await.unwrap();
    assert_eq!(ok.status(), 200);
}
