//! The OAuth 2.0 rules, driven over real HTTP for all five providers.

use crate::common;

use std::time::Duration;

use common::*;
use patchbay_sandbox::SandboxConfig;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn metadata_follows_rfc8414_for_every_provider() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    for p in PROVIDERS {
        let meta: Value = http
            .get(format!(
                "{}/.well-known/oauth-authorization-server/{p}",
                sb.url()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let iss = format!("{}/{p}", sb.url());
        assert_eq!(meta["issuer"], iss.as_str());
        assert_eq!(
            meta["authorization_endpoint"],
            format!("{iss}/oauth/authorize").as_str()
        );
        assert_eq!(
            meta["token_endpoint"],
            format!("{iss}/oauth/token").as_str()
        );
        assert_eq!(
            meta["revocation_endpoint"],
            format!("{iss}/oauth/revoke").as_str()
        );
        assert_eq!(
            meta["response_types_supported"],
            serde_json::json!(["code"])
        );
        assert_eq!(
            meta["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(
            meta["token_endpoint_auth_methods_supported"],
            serde_json::json!(["none"])
        );
        assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
        assert!(!meta["scopes_supported"].as_array().unwrap().is_empty());
        let grants = meta["grant_types_supported"].as_array().unwrap();
        assert!(
            grants.contains(&"authorization_code".into())
                && grants.contains(&"refresh_token".into())
        );
    }
}

#[tokio::test]
async fn full_flow_consent_token_api_refresh_for_every_provider() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    for p in PROVIDERS {
        let pkce = pkce();
        let page = http
            .get(authorize_url(&sb, p, &standard_params(&pkce, "s1")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let html = page.text().await.unwrap();
        assert!(html.contains(&format!(
            "<form method=\"post\" action=\"/{p}/oauth/authorize\">"
        )));
        assert!(html.contains("<button name=\"decision\" value=\"allow\">Allow</button>"));
        assert!(html.contains("<button name=\"decision\" value=\"deny\">Deny</button>"));
        let meta: Value = http
            .get(format!(
                "{}/.well-known/oauth-authorization-server/{p}",
                sb.url()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for scope in meta["scopes_supported"].as_array().unwrap() {
            assert!(
                html.contains(scope.as_str().unwrap()),
                "{p}: page lists {scope}"
            );
        }

        let code = get_code(&http, &sb, p, &pkce).await;
        assert!(code.len() >= 43);
        let (status, body) = redeem(&http, &sb, p, &code, &pkce.verifier).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(
            body["scope"],
            meta["scopes_supported"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(" ")
                .as_str()
        );
        let tokens = Tokens::from_json(&body);
        assert!(tokens.access.len() >= 43 && tokens.refresh.len() >= 43);
        assert_ne!(tokens.access, tokens.refresh);

        let resp = api_get(&http, &sb, account_path(p), &tokens.access).await;
        assert_eq!(resp.status(), StatusCode::OK, "{p}");

        // Rotation: new refresh token, old one retired, the new access token works.
        let (status, body) = refresh(&http, &sb, p, &tokens.refresh).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let rotated = Tokens::from_json(&body);
        assert_ne!(rotated.refresh, tokens.refresh);
        assert_ne!(rotated.access, tokens.access);
        assert_eq!(
            api_get(&http, &sb, account_path(p), &rotated.access)
                .await
                .status(),
            StatusCode::OK
        );
        let (status, body) = refresh(&http, &sb, p, &rotated.refresh).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_state() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    for p in PROVIDERS {
        let pkce = pkce();
        let resp = consent(&http, &sb, p, &standard_params(&pkce, "deny-me"), "deny").await;
        let params = location_params(&resp, REDIRECT);
        assert_eq!(params["error"], "access_denied");
        assert_eq!(params["state"], "deny-me");
        assert_eq!(params["iss"], sb.issuer(p));
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test]
async fn consent_id_is_single_use() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    let pkce = pkce();
    let page = http
        .get(authorize_url(&sb, "boomtown", &standard_params(&pkce, "s")))
        .send()
        .await
        .unwrap();
    let id = consent_id(&page.text().await.unwrap());
    let post = |decision: &'static str| {
        http.post(format!("{}/boomtown/oauth/authorize", sb.url()))
            .form(&[("consent", id.clone()), ("decision", decision.to_string())])
            .send()
    };
    assert_eq!(post("allow").await.unwrap().status(), StatusCode::SEE_OTHER);
    let again = post("allow").await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.headers().get("location").is_none());
    // A consent of one provider is not accepted by another.
    let page = http
        .get(authorize_url(&sb, "boomtown", &standard_params(&pkce, "s")))
        .send()
        .await
        .unwrap();
    let id = consent_id(&page.text().await.unwrap());
    let other = http
        .post(format!("{}/whatconverts/oauth/authorize", sb.url()))
        .form(&[("consent", id.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn auto_approve_redirects_at_once_and_loopback_ports_are_accepted() {
    let sb = start(SandboxConfig {
        auto_approve: true,
        ..SandboxConfig::default()
    })
    .await;
    let http = http();
    for p in PROVIDERS {
        let pkce = pkce();
        let mut params = standard_params(&pkce, "auto");
        params[2] = ("redirect_uri", "http://127.0.0.1:61000/oauth/callback");
        let resp = http
            .get(authorize_url(&sb, p, &params))
            .send()
            .await
            .unwrap();
        let q = location_params(&resp, "http://127.0.0.1:61000/oauth/callback");
        assert_eq!(q["state"], "auto");
        assert!(q.contains_key("code"));
    }
    // The registered custom scheme works too.
    let pkce = pkce();
    let mut params = standard_params(&pkce, "auto");
    params[2] = ("redirect_uri", "dev.patchbay:/oauth/callback");
    let resp = http
        .get(authorize_url(&sb, "boomtown", &params))
        .send()
        .await
        .unwrap();
    let q = location_params(&resp, "dev.patchbay:/oauth/callback");
    assert!(q.contains_key("code"));
}

/// Unknown client or unregistered redirect_uri: an error page, never a redirect.
#[tokio::test]
async fn wrong_client_or_redirect_at_authorize_gets_an_error_page() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    for p in PROVIDERS {
        let pkce = pkce();
        let cases: Vec<(usize, (&str, &str))> = vec![
            (1, ("client_id", "someone-else")),
            (2, ("redirect_uri", "http://127.0.0.1:5000/elsewhere")),
            (2, ("redirect_uri", "https://evil.example/oauth/callback")),
            (2, ("redirect_uri", "dev.patchbay:/oauth/other")),
        ];
        for (i, replacement) in cases {
            let mut params = standard_params(&pkce, "s");
            params[i] = replacement;
            let resp = http
                .get(authorize_url(&sb, p, &params))
                .send()
                .await
                .unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::BAD_REQUEST,
                "{p} {replacement:?}"
            );
            assert!(resp.headers().get("location").is_none());
            assert!(resp.text().await.unwrap().contains("authorization error"));
        }
        let mut params = standard_params(&pkce, "s");
        params.remove(1);
        let resp = http
            .get(authorize_url(&sb, p, &params))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert!(resp.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn missing_or_plain_pkce_and_bad_scope_redirect_with_errors() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    for p in PROVIDERS {
        let pkce = pkce();
        let expect = |resp: &reqwest::Response, error: &str| {
            let q = location_params(resp, REDIRECT);
            assert_eq!(q["error"], error, "{p}");
            assert_eq!(q["state"], "s");
            assert_eq!(q["iss"], sb.issuer(p));
            assert!(!q.contains_key("code"));
        };
        // plain
        let mut params = standard_params(&pkce, "s");
        params[4] = ("code_challenge_method", "plain");
        expect(
            &http
                .get(authorize_url(&sb, p, &params))
                .send()
                .await
                .unwrap(),
            "invalid_request",
        );
        // method missing (defaults to plain in RFC 7636)
        let mut params = standard_params(&pkce, "s");
        params.remove(4);
        expect(
            &http
                .get(authorize_url(&sb, p, &params))
                .send()
                .await
                .unwrap(),
            "invalid_request",
        );
        // challenge missing
        let mut params = standard_params(&pkce, "s");
        params.remove(3);
        expect(
            &http
                .get(authorize_url(&sb, p, &params))
                .send()
                .await
                .unwrap(),
            "invalid_request",
        );
        // unknown scope
        let mut params = standard_params(&pkce, "s");
        params.push(("scope", "admin:write"));
        expect(
            &http
                .get(authorize_url(&sb, p, &params))
                .send()
                .await
                .unwrap(),
            "invalid_scope",
        );
        // wrong response type
        let mut params = standard_params(&pkce, "s");
        params[0] = ("response_type", "token");
        expect(
            &http
                .get(authorize_url(&sb, p, &params))
                .send()
                .await
                .unwrap(),
            "unsupported_response_type",
        );
    }
}

#[tokio::test]
async fn reused_code_is_refused_and_revokes_what_it_issued() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    for p in PROVIDERS {
        let pkce = pkce();
        let code = get_code(&http, &sb, p, &pkce).await;
        let (status, body) = redeem(&http, &sb, p, &code, &pkce.verifier).await;
        assert_eq!(status, StatusCode::OK);
        let tokens = Tokens::from_json(&body);
        assert_eq!(
            api_get(&http, &sb, account_path(p), &tokens.access)
                .await
                .status(),
            StatusCode::OK
        );
        let (status, body) = redeem(&http, &sb, p, &code, &pkce.verifier).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
        assert_invalid_token(&api_get(&http, &sb, account_path(p), &tokens.access).await);
        let (status, body) = refresh(&http, &sb, p, &tokens.refresh).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
    }
}

#[tokio::test]
async fn wrong_verifier_wrong_redirect_wrong_client_are_refused() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    for p in PROVIDERS {
        // Wrong verifier (well formed, but another pair's).
        let pkce1 = pkce();
        let code = get_code(&http, &sb, p, &pkce1).await;
        let (status, body) = redeem(&http, &sb, p, &code, &pkce().verifier).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant")),
            "{p}"
        );
        // The code was consumed by that attempt.
        let (status, _) = redeem(&http, &sb, p, &code, &pkce1.verifier).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // The challenge itself sent as verifier (what a `plain` client would do).
        let pkce2 = pkce();
        let code = get_code(&http, &sb, p, &pkce2).await;
        let (status, body) = redeem(&http, &sb, p, &code, &pkce2.challenge).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );

        // Wrong redirect_uri at the token endpoint.
        let pkce3 = pkce();
        let code = get_code(&http, &sb, p, &pkce3).await;
        let (status, body) = token_request(
            &http,
            &sb,
            p,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:53683/oauth/callback"),
                ("client_id", CLIENT_ID),
                ("code_verifier", &pkce3.verifier),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );

        // Wrong client.
        let pkce4 = pkce();
        let code = get_code(&http, &sb, p, &pkce4).await;
        let (status, body) = token_request(
            &http,
            &sb,
            p,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", "someone-else"),
                ("code_verifier", &pkce4.verifier),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client"))
        );
        // Missing verifier.
        let (status, body) = token_request(
            &http,
            &sb,
            p,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("client_id", CLIENT_ID),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_request"))
        );
    }
}

#[tokio::test]
async fn code_of_one_provider_is_unknown_to_another() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    let pkce = pkce();
    let code = get_code(&http, &sb, "whatconverts", &pkce).await;
    let (status, body) = redeem(&http, &sb, "boomtown", &code, &pkce.verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn expired_code_is_refused() {
    let sb = start(SandboxConfig {
        code_ttl: Duration::from_millis(300),
        ..SandboxConfig::default()
    })
    .await;
    let http = http();
    let mut codes = Vec::new();
    for p in PROVIDERS {
        let pkce = pkce();
        codes.push((p, get_code(&http, &sb, p, &pkce).await, pkce));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    for (p, code, pkce) in codes {
        let (status, body) = redeem(&http, &sb, p, &code, &pkce.verifier).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant")),
            "{p}"
        );
    }
}

#[tokio::test]
async fn reused_rotated_refresh_token_revokes_the_family() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    for p in PROVIDERS {
        let t0 = connect(&http, &sb, p).await;
        let (_, body) = refresh(&http, &sb, p, &t0.refresh).await;
        let t1 = Tokens::from_json(&body);
        let (_, body) = refresh(&http, &sb, p, &t1.refresh).await;
        let t2 = Tokens::from_json(&body);
        assert_eq!(
            api_get(&http, &sb, account_path(p), &t2.access)
                .await
                .status(),
            StatusCode::OK
        );
        // t1.refresh was retired by the second rotation: reuse is theft, the family dies.
        let (status, body) = refresh(&http, &sb, p, &t1.refresh).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant")),
            "{p}"
        );
        assert_invalid_token(&api_get(&http, &sb, account_path(p), &t2.access).await);
        let (status, _) = refresh(&http, &sb, p, &t2.refresh).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Another connection (another family) is untouched.
        let other = connect(&http, &sb, p).await;
        assert_eq!(
            api_get(&http, &sb, account_path(p), &other.access)
                .await
                .status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn revoked_tokens_are_refused() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    for p in PROVIDERS {
        let revoke = |token: String, client: &'static str| {
            http.post(format!("{}/{p}/oauth/revoke", sb.url()))
                .form(&[("token", token), ("client_id", client.to_string())])
                .send()
        };
        // Access token revoked: only it dies.
        let t = connect(&http, &sb, p).await;
        assert_eq!(
            revoke(t.access.clone(), CLIENT_ID).await.unwrap().status(),
            StatusCode::OK
        );
        assert_invalid_token(&api_get(&http, &sb, account_path(p), &t.access).await);
        let (status, body) = refresh(&http, &sb, p, &t.refresh).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let t2 = Tokens::from_json(&body);
        // Refresh token revoked: the whole grant dies.
        assert_eq!(
            revoke(t2.refresh.clone(), CLIENT_ID)
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
        assert_invalid_token(&api_get(&http, &sb, account_path(p), &t2.access).await);
        let (status, _) = refresh(&http, &sb, p, &t2.refresh).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Unknown token: still 200 (RFC 7009 section 2.2); wrong client: 401.
        assert_eq!(
            revoke("nonsense".into(), CLIENT_ID).await.unwrap().status(),
            StatusCode::OK
        );
        let t3 = connect(&http, &sb, p).await;
        assert_eq!(
            revoke(t3.access.clone(), "someone-else")
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            api_get(&http, &sb, account_path(p), &t3.access)
                .await
                .status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn missing_expired_foreign_tokens_get_401_invalid_token() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    let mut tokens = Vec::new();
    for p in PROVIDERS {
        let resp = http
            .get(format!("{}{}", sb.url(), account_path(p)))
            .send()
            .await
            .unwrap();
        assert_invalid_token(&resp);
        assert_invalid_token(&api_get(&http, &sb, account_path(p), "not-a-token").await);
        tokens.push((p, connect(&http, &sb, p).await));
    }
    // A token is only good at its own provider.
    assert_invalid_token(&api_get(&http, &sb, account_path("boomtown"), &tokens[0].1.access).await);
    sb.expire_access_tokens();
    for (p, t) in &tokens {
        assert_invalid_token(&api_get(&http, &sb, account_path(p), &t.access).await);
        // The refresh token still works and yields a fresh access token.
        let (status, body) = refresh(&http, &sb, p, &t.refresh).await;
        assert_eq!(status, StatusCode::OK);
        let fresh = Tokens::from_json(&body);
        assert_eq!(
            api_get(&http, &sb, account_path(p), &fresh.access)
                .await
                .status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn short_access_ttl_expires_by_itself() {
    let sb = start(SandboxConfig::default()).await;
    sb.set_access_ttl(Duration::from_secs(1));
    let http = http();
    let t = connect(&http, &sb, "webinargeek").await;
    assert_eq!(
        api_get(&http, &sb, account_path("webinargeek"), &t.access)
            .await
            .status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_invalid_token(&api_get(&http, &sb, account_path("webinargeek"), &t.access).await);
}

#[tokio::test]
async fn token_endpoint_rejects_malformed_requests() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    let url = format!("{}/whatconverts/oauth/token", sb.url());
    // JSON instead of a form.
    let resp = http
        .post(&url)
        .json(&serde_json::json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let (status, body) = token_request(
        &http,
        &sb,
        "whatconverts",
        &[("grant_type", "password"), ("client_id", CLIENT_ID)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    let (status, body) = token_request(
        &http,
        &sb,
        "whatconverts",
        &[
            ("grant_type", "refresh_token"),
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (status, body) = token_request(
        &http,
        &sb,
        "whatconverts",
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
}

#[tokio::test]
async fn narrower_scope_is_enforced_per_endpoint() {
    let sb = start(SandboxConfig::default()).await;
    let http = http();
    let pkce = pkce();
    let mut params = standard_params(&pkce, "s");
    params.push(("scope", "funnels:read"));
    let resp = consent(&http, &sb, "clickfunnels", &params, "allow").await;
    let code = location_params(&resp, REDIRECT)["code"].clone();
    let (status, body) = redeem(&http, &sb, "clickfunnels", &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["scope"], "funnels:read");
    let t = Tokens::from_json(&body);
    let ok = api_get(
        &http,
        &sb,
        "/clickfunnels/api/v2/workspaces/4201/funnels",
        &t.access,
    )
    .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let denied = api_get(
        &http,
        &sb,
        "/clickfunnels/api/v2/workspaces/4201/contacts",
        &t.access,
    )
    .await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert!(denied.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
    // Refresh cannot widen the scope.
    let (status, body) = token_request(
        &http,
        &sb,
        "clickfunnels",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &t.refresh),
            ("client_id", CLIENT_ID),
            ("scope", "funnels:read contacts:read"),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
}
