//! The outermost middleware: injects faults into provider API calls and records every
//! request in the log.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::faults::{Fault, INFLATED_TOTAL, OVERSIZED_PADDING};
use crate::oauth::GrantTypeSeen;
use crate::providers::Provider;
use crate::requests_log::{redact_query, LoggedRequest};
use crate::server::{AppState, ConnectionKiller};

/// Which provider a path belongs to, and whether faults may hit it.
fn classify(state: &AppState, path: &str) -> (Option<Provider>, bool) {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let Some(p) = Provider::from_slug(first) else {
        let meta = path.strip_prefix("/.well-known/oauth-authorization-server/");
        return (meta.and_then(Provider::from_slug), false);
    };
    let rest = &path[first.len() + 1..];
    let eligible = if rest.starts_with("/oauth/") {
        rest == "/oauth/token" && state.faults.applies_to_tokens()
    } else {
        true
    };
    (Some(p), eligible)
}

pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = redact_query(request.uri().query());
    let bearer = request.headers().contains_key(header::AUTHORIZATION);
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let (provider, eligible) = classify(&state, &path);
    let killer = request.extensions().get::<ConnectionKiller>().cloned();

    let mut fault = None;
    if eligible && state.faults.is_active() {
        let (delay, drawn) = state.faults.draw();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        fault = drawn;
    }
    let mut entry = LoggedRequest {
        method,
        path,
        query,
        grant_type: None,
        status: 0,
        provider: provider.map(|p| p.slug().to_string()),
        bearer,
        fault: None,
        user_agent,
        refused: None,
        latency_ms: 0,
    };

    let response = match fault {
        Some(Fault::Drop) => {
            entry.fault = Some("drop".to_string());
            tracing::info!(path = %entry.path, "fault: dropping the connection");
            state.log.push(entry);
            if let Some(ConnectionKiller(k)) = killer {
                k.notify_one();
                // The connection task drops this future once it sees the notification.
                std::future::pending::<()>().await;
            }
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Some(Fault::Status(status)) => {
            entry.fault = Some("status".to_string());
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = json!({"error": "injected_fault", "error_description": format!("sandbox fault: {status}")});
            let mut response = (status, Json(body)).into_response();
            if status == StatusCode::TOO_MANY_REQUESTS {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(state.faults.retry_after()),
                );
            }
            response
        }
        Some(f @ (Fault::Malformed | Fault::Inflated | Fault::Oversized)) => {
            let response = next.run(request).await;
            if response.status() == StatusCode::OK {
                let (name, response) = match f {
                    Fault::Malformed => ("malformed", malformed(response).await),
                    Fault::Inflated => ("inflated", inflated(response).await),
                    _ => ("oversized", oversized(response)),
                };
                entry.fault = Some(name.to_string());
                response
            } else {
                response
            }
        }
        None => next.run(request).await,
    };
    entry.status = response.status().as_u16();
    entry.refused = response
        .extensions()
        .get::<crate::bearer::Refused>()
        .map(|r| r.0.to_string());
    if let Some(crate::bearer::LatencyAdded(d)) = response.extensions().get() {
        entry.latency_ms = d.as_millis() as u64;
    }
    entry.grant_type = response
        .extensions()
        .get::<GrantTypeSeen>()
        .map(|g| g.0.clone());
    tracing::debug!(method = %entry.method, path = %entry.path, status = entry.status, latency_ms = entry.latency_ms, "request");
    state.log.push(entry);
    response
}

/// The same response cut off halfway through its JSON, as a broken proxy would.
async fn malformed(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let cut = (bytes.len() / 2).max(1).min(bytes.len());
    let mut broken = bytes.slice(..cut).to_vec();
    broken.extend_from_slice(b"\x00<");
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(broken))
}

/// The same response claiming [`INFLATED_TOTAL`] in every `total*` number, at the top of the
/// body or one object down (`pagination.total_pages`).
async fn inflated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    fn inflate(v: &mut serde_json::Value, depth: u8) {
        let Some(map) = v.as_object_mut() else { return };
        for (k, x) in map.iter_mut() {
            if k.starts_with("total") && x.is_number() {
                *x = json!(INFLATED_TOTAL);
            } else if depth == 0 {
                inflate(x, 1);
            }
        }
    }
    inflate(&mut v, 0);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(v.to_string()))
}

/// The same response followed by [`OVERSIZED_PADDING`] spaces, made as they are sent (never
/// held whole), without a `Content-Length`.
fn oversized(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let padded = Padded {
        body,
        padding: OVERSIZED_PADDING,
    };
    Response::from_parts(parts, Body::new(padded))
}

/// A body, then `padding` spaces in 64 KiB frames; no size hint, so it goes chunked.
struct Padded {
    body: Body,
    padding: u64,
}

impl hyper::body::Body for Padded {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        use std::task::Poll;
        const CHUNK: u64 = 64 * 1024;
        match std::pin::Pin::new(&mut self.body).poll_frame(cx) {
            Poll::Ready(None) => {}
            other => return other,
        }
        if self.padding == 0 {
            return Poll::Ready(None);
        }
        let n = self.padding.min(CHUNK);
        self.padding -= n;
        let spaces = axum::body::Bytes::from(vec![b' '; n as usize]);
        Poll::Ready(Some(Ok(hyper::body::Frame::data(spaces))))
    }
}
