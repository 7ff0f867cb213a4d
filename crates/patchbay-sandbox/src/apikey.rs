//! The real providers' API-key schemes, for `--auth api-key`: WhatConverts (HTTP Basic
//! token:secret), EmailOctopus v2 (Bearer key, RFC 7807 errors), WebinarGeek (`Api-Token`
//! header). A bad or missing key gets 401 with that provider's error body.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

use crate::config::SandboxConfig;
use crate::providers::Provider;
use crate::secret_eq::secret_eq;
use crate::tokens::AccessGrant;

/// Checks the key a request carries; the grant has every scope of the provider (an account
/// API key is not scoped) and a fixed id per provider for the rate limiter.
#[allow(clippy::result_large_err)] // the Err is the response itself, built once
pub fn check(provider: Provider, headers: &HeaderMap) -> Result<AccessGrant, Response> {
    let slug = provider.slug();
    let Some(expected) = SandboxConfig::api_key_for(slug) else {
        return Err(unauthorized(
            provider,
            "this provider has no API-key scheme",
        ));
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    // Which account the key opens (WhatConverts has a second one); None: refused.
    let account = match provider {
        Provider::WhatConverts => authorization
            .and_then(|v| strip_scheme(v, "basic"))
            .and_then(|b64| STANDARD.decode(b64).ok())
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|pair| {
                let (token, secret) = pair.split_once(':')?;
                (1..=2).find_map(|n| {
                    let key = SandboxConfig::api_key_for_account(slug, n)?;
                    (secret_eq(token, &key["api_token"]) & secret_eq(secret, &key["api_secret"]))
                        .then_some(u64::from(n) - 1)
                })
            }),
        Provider::EmailOctopus => authorization
            .and_then(|v| strip_scheme(v, "bearer"))
            .is_some_and(|k| secret_eq(k, &expected["api_key"]))
            .then_some(0),
        Provider::WebinarGeek => headers
            .get("api-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| secret_eq(t.trim(), &expected["api_token"]))
            .then_some(0),
        _ => None,
    };
    if let Some(account) = account {
        Ok(AccessGrant {
            // One rate-limit bucket per account key.
            grant_id: u64::MAX - provider.tag() - 16 * account,
            scope: provider.scopes().join(" "),
            account,
        })
    } else {
        tracing::info!(provider = slug, "API key refused");
        Err(unauthorized(provider, "bad or missing key"))
    }
}

fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (s, rest) = value.split_once(' ')?;
    s.eq_ignore_ascii_case(scheme)
        .then(|| rest.trim())
        .filter(|r| !r.is_empty())
}

/// 401 with the provider's own error body (sandbox choice where the docs are silent).
fn unauthorized(provider: Provider, why: &str) -> Response {
    let response = match provider {
        // EmailOctopus API v2 answers RFC 7807 problem details.
        Provider::EmailOctopus => {
            let mut r = (
                StatusCode::UNAUTHORIZED,
                json!({
                    "type": "https://emailoctopus.com/api-documentation/v2#unauthorized",
                    "title": "Unauthorized.",
                    "status": 401,
                    "detail": "Your API key is invalid.",
                })
                .to_string(),
            )
                .into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"emailoctopus\""),
            );
            r
        }
        Provider::WhatConverts => {
            let mut r = (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "error_message": "Invalid API token or secret." })),
            )
                .into_response();
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"WhatConverts API\""),
            );
            r
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            Json(
                json!({ "error": "Unauthorized", "message": format!("Invalid Api-Token: {why}") }),
            ),
        )
            .into_response(),
    };
    crate::server::no_store(response)
}
