//! DNS rebinding defence: the sandbox answers only requests addressed to itself. A web page
//! whose name an attacker re-points at 127.0.0.1 can make the browser send requests here, but
//! they carry the attacker's name in `Host`; only `127.0.0.1:PORT` (what the app and the
//! issuers use) is served, anything else gets 421 Misdirected Request (RFC 9110 15.5.20).

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::server::AppState;

/// Whether `host` (a `Host` header value) names this sandbox, `base_url` being
/// `http://127.0.0.1:PORT`. Exact match: no other spelling of loopback, no `localhost`.
pub(crate) fn is_own_host(base_url: &str, host: Option<&[u8]>) -> bool {
    let own = base_url.strip_prefix("http://").unwrap_or(base_url);
    host.is_some_and(|h| h == own.as_bytes())
}

pub async fn own_host_only(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let host = request.headers().get(header::HOST).map(|v| v.as_bytes());
    if is_own_host(&state.base_url, host) {
        next.run(request).await
    } else {
        tracing::warn!("a request for another host was refused (421)");
        (
            StatusCode::MISDIRECTED_REQUEST,
            "this sandbox answers only requests for its own address",
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::is_own_host;

    #[test]
    fn only_the_exact_loopback_address_is_served() {
        let base = "http://127.0.0.1:4321";
        assert!(is_own_host(base, Some(b"127.0.0.1:4321")));
        for other in [
            &b"evil.example:4321"[..],
            b"localhost:4321",
            b"127.0.0.1",
            b"127.0.0.1:4322",
            b"127.0.0.2:4321",
            b"[::1]:4321",
            b"",
        ] {
            assert!(
                !is_own_host(base, Some(other)),
                "{}",
                String::from_utf8_lossy(other)
            );
        }
        assert!(!is_own_host(base, None), "no Host at all");
    }
}
