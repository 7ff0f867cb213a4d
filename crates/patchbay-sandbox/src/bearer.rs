//! The guard in front of every provider API call: a valid Bearer token of that provider,
//! then the provider's rate limit.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::errors::ApiError;
use crate::providers::Provider;
use crate::ratelimit::retry_after_secs;
use crate::server::AppState;
use crate::tokens::AccessGrant;

pub async fn require_token(
    State((state, provider)): State<(AppState, Provider)>,
    mut request: Request,
    next: Next,
) -> Response {
    let realm = provider.slug();
    if state.config.auth_mode(realm) == crate::config::AuthMode::ApiKey {
        return match crate::apikey::check(provider, request.headers()) {
            Ok(grant) => {
                if state.config.rate_limits {
                    if let Err(wait) = state.limiter.check(provider, grant.grant_id) {
                        return ApiError::RateLimited {
                            retry_after: retry_after_secs(wait),
                        }
                        .into_response();
                    }
                }
                request.extensions_mut().insert(grant);
                next.run(request).await
            }
            Err(response) => response,
        };
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
        return ApiError::InvalidToken {
            realm,
            description: "a Bearer access token is required",
        }
        .into_response();
    };
    let grant = match state.tokens.check_access(provider, token) {
        Ok(grant) => grant,
        Err(description) => {
            tracing::info!(provider = realm, description, "API call refused");
            return ApiError::InvalidToken { realm, description }.into_response();
        }
    };
    if state.config.rate_limits {
        if let Err(wait) = state.limiter.check(provider, grant.grant_id) {
            return ApiError::RateLimited {
                retry_after: retry_after_secs(wait),
            }
            .into_response();
        }
    }
    request.extensions_mut().insert(grant);
    next.run(request).await
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
