//! The guard in front of every provider API call: a valid credential of that provider (a
//! Bearer token, or its API key in api-key mode), then its rate limit, then its daily quota;
//! after the handler, the limit headers and the configured latency.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::errors::ApiError;
use crate::providers::Provider;
use crate::quota::{QuotaExceeded, QuotaLeft};
use crate::ratelimit::retry_after_secs;
use crate::server::AppState;
use crate::tokens::AccessGrant;

/// Marks a response the sandbox refused for a limit, for the request log: `quota` or
/// `rate_limit`.
#[derive(Debug, Clone, Copy)]
pub struct Refused(pub &'static str);

/// The latency added to a response, for the request log.
#[derive(Debug, Clone, Copy)]
pub struct LatencyAdded(pub std::time::Duration);

pub async fn require_token(
    State((state, provider)): State<(AppState, Provider)>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = guard(&state, provider, request, next).await;
    let latency = state.config.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
        response.extensions_mut().insert(LatencyAdded(latency));
    }
    response
}

async fn guard(state: &AppState, provider: Provider, mut request: Request, next: Next) -> Response {
    let grant = match authenticate(state, provider, &request) {
        Ok(grant) => grant,
        Err(response) => return response,
    };
    let mut bucket_left = None;
    if state.config.rate_limits {
        match state.limiter.check(provider, grant.grant_id) {
            Ok(left) => bucket_left = Some(left),
            Err(wait) => {
                let mut response = ApiError::RateLimited {
                    retry_after: retry_after_secs(wait),
                }
                .into_response();
                rate_headers(provider, response.headers_mut(), 0);
                response.extensions_mut().insert(Refused("rate_limit"));
                return response;
            }
        }
    }
    let now = state.clock.now_unix();
    let quota = match state.quotas.check(provider, grant.grant_id, now) {
        Ok(q) => q,
        Err(exceeded) => {
            tracing::info!(
                provider = provider.slug(),
                limit = exceeded.limit,
                "daily quota reached: request refused"
            );
            return quota_refusal(provider, exceeded, now);
        }
    };
    request.extensions_mut().insert(grant);
    let mut response = next.run(request).await;
    if let Some(left) = bucket_left {
        rate_headers(provider, response.headers_mut(), left);
    }
    if let Some(q) = quota {
        quota_headers(response.headers_mut(), q.limit, q.remaining, q.reset);
    }
    response
}

#[allow(clippy::result_large_err)] // the Err is the response itself, built once
fn authenticate(
    state: &AppState,
    provider: Provider,
    request: &Request,
) -> Result<AccessGrant, Response> {
    let realm = provider.slug();
    if state.config.auth_mode(realm) == crate::config::AuthMode::ApiKey {
        return crate::apikey::check(provider, request.headers());
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(ApiError::InvalidToken {
            realm,
            description: "a Bearer access token is required",
        }
        .into_response());
    };
    state
        .tokens
        .check_access(provider, token)
        .map_err(|description| {
            tracing::info!(provider = realm, description, "API call refused");
            ApiError::InvalidToken { realm, description }.into_response()
        })
}

/// EmailOctopus reports its token bucket on every response (`X-RateLimiting-*`); the other
/// providers document no such headers, so none are sent for them.
fn rate_headers(provider: Provider, headers: &mut HeaderMap, left: u32) {
    if provider == Provider::EmailOctopus {
        let limit = provider.rate_limit().burst;
        headers.insert("x-ratelimiting-limit", HeaderValue::from(limit));
        headers.insert("x-ratelimiting-remaining", HeaderValue::from(left));
    }
}

/// The daily quota on every counted response (sandbox choice: no provider documents
/// headers for it): limit, requests left today, and the next reset (RFC 3339).
fn quota_headers(headers: &mut HeaderMap, limit: u32, remaining: u32, reset: i64) {
    headers.insert("x-quota-limit", HeaderValue::from(limit));
    headers.insert("x-quota-remaining", HeaderValue::from(remaining));
    if let Ok(v) = HeaderValue::from_str(&crate::dates::rfc3339(reset)) {
        headers.insert("x-quota-reset", v);
    }
}

/// 429 with `Retry-After` until the reset, in the provider's own error shape. WhatConverts
/// says only that requests "will fail until the limit resets"; the status and body are a
/// sandbox choice in its `error_message` style.
fn quota_refusal(provider: Provider, e: QuotaExceeded, now: i64) -> Response {
    let reset = crate::dates::rfc3339(e.reset);
    let message = format!(
        "The daily API request limit of {} requests for this key has been reached. It resets at midnight UTC ({reset}).",
        e.limit
    );
    let mut response = match provider {
        Provider::WhatConverts => (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({ "error_message": message })),
        )
            .into_response(),
        Provider::EmailOctopus => {
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                json!({
                    "type": "https://emailoctopus.com/api-documentation/v2#too-many-requests",
                    "title": "Too Many Requests.",
                    "status": 429,
                    "detail": message,
                })
                .to_string(),
            )
                .into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            );
            r
        }
        _ => (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({ "error": "daily_limit_reached", "error_description": message })),
        )
            .into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::RETRY_AFTER,
        HeaderValue::from((e.reset - now).max(1)),
    );
    let left = QuotaLeft {
        limit: e.limit,
        remaining: 0,
        reset: e.reset,
    };
    quota_headers(headers, left.limit, left.remaining, left.reset);
    response.extensions_mut().insert(Refused("quota"));
    response
}

/// Refuses the call unless the token was granted `scope`.
pub fn require_scope(
    grant: &AccessGrant,
    provider: Provider,
    scope: &'static str,
) -> Result<(), ApiError> {
    if grant.scope.split(' ').any(|s| s == scope) {
        Ok(())
    } else {
        Err(ApiError::InsufficientScope {
            realm: provider.slug(),
            scope,
        })
    }
}
