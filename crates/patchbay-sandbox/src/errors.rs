//! Errors: starting the sandbox, and the JSON errors its provider APIs answer.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read the listening address: {0}")]
    LocalAddr(std::io::Error),
    /// Stable code `unknown_collection`.
    #[error("{provider}/{resource} is not a collection that changes; use one of {known}")]
    UnknownCollection {
        provider: String,
        resource: String,
        known: String,
    },
    /// Stable code `unknown_provider`.
    #[error("unknown provider {0:?}; use one of whatconverts, clickfunnels, webinargeek, boomtown, emailoctopus")]
    UnknownProvider(String),
    /// Stable code `change_set_too_large`.
    #[error("{0}")]
    ChangeSet(String),
}

impl SandboxError {
    /// A stable code for the admin endpoints' JSON errors.
    pub fn code(&self) -> &'static str {
        match self {
            SandboxError::Bind { .. } => "bind_failed",
            SandboxError::LocalAddr(_) => "local_addr",
            SandboxError::UnknownCollection { .. } => "unknown_collection",
            SandboxError::ChangeSet(_) => "change_set_too_large",
            SandboxError::UnknownProvider(_) => "unknown_provider",
        }
    }
}

/// A provider API error: `{"error": "...", "error_description": "..."}` with a status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// RFC 6750 section 3.1 `invalid_token`.
    #[error("{description}")]
    InvalidToken {
        realm: &'static str,
        description: &'static str,
    },
    /// RFC 6750 section 3.1 `insufficient_scope`.
    #[error("this call needs the scope {scope}")]
    InsufficientScope {
        realm: &'static str,
        scope: &'static str,
    },
    #[error("rate limit exceeded; retry after {retry_after} s")]
    RateLimited { retry_after: u64 },
}

impl ApiError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        ApiError::BadRequest(msg.into())
    }

    fn code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::InvalidToken { .. } => (StatusCode::UNAUTHORIZED, "invalid_token"),
            ApiError::InsufficientScope { .. } => (StatusCode::FORBIDDEN, "insufficient_scope"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.code();
        let body = json!({ "error": code, "error_description": self.to_string() });
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::InvalidToken { realm, .. } => {
                let value = format!("Bearer realm=\"{realm}\", error=\"invalid_token\"");
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_str(&value).expect("ascii header"),
                );
            }
            ApiError::InsufficientScope { realm, scope } => {
                let value = format!(
                    "Bearer realm=\"{realm}\", error=\"insufficient_scope\", scope=\"{scope}\""
                );
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_str(&value).expect("ascii header"),
                );
            }
            ApiError::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            _ => {}
        }
        response
    }
}
