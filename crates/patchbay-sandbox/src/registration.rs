//! RFC 7591 dynamic client registration (ClickFunnels only), with the RFC 7592 read of a
//! registration so a client can check that it still exists before sending a user to the
//! consent page. Only public native clients are accepted: `application_type: native`,
//! `token_endpoint_auth_method: none`, redirect URIs `dev.patchbay:/oauth/callback` (or
//! another registered one) and loopback callbacks.

use parking_lot::Mutex;
use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::providers::Provider;
use crate::secret_eq::secret_eq;
use crate::server::{no_store, AppState};
use crate::tokens::random_token;

/// The providers that offer dynamic registration.
pub const DYNAMIC_PROVIDERS: [Provider; 1] = [Provider::ClickFunnels];

#[derive(Debug, Clone)]
struct Client {
    provider: Provider,
    redirect_uris: Vec<String>,
    access_token: String,
    revoked: bool,
    metadata: Value,
}

/// Registered clients by client id.
#[derive(Debug, Default)]
pub struct Registrations {
    clients: Mutex<HashMap<String, Client>>,
}

/// Whether a registered client is usable, for the authorize, token and revoke endpoints.
#[derive(Debug, PartialEq, Eq)]
pub enum Known {
    Yes,
    Unknown,
}

impl Registrations {
    fn lock(&self) -> parking_lot::MutexGuard<'_, HashMap<String, Client>> {
        self.clients.lock()
    }

    /// Every registration is rejected from now on (`invalid_client`), as when a provider
    /// deletes an app's registration.
    pub fn revoke_all(&self) {
        for c in self.lock().values_mut() {
            c.revoked = true;
        }
    }

    pub fn count(&self) -> usize {
        self.lock().len()
    }

    pub fn check(&self, provider: Provider, client_id: &str) -> Known {
        match self.lock().get(client_id) {
            Some(c) if c.provider == provider && !c.revoked => Known::Yes,
            _ => Known::Unknown,
        }
    }

    /// Whether the registered client `client_id` may use `uri`: an exact registered URI, or a
    /// loopback callback on any port when it registered a loopback one (RFC 8252 section 7.3).
    pub fn redirect_allowed(&self, client_id: &str, uri: &str) -> bool {
        let clients = self.lock();
        let Some(c) = clients.get(client_id) else {
            return false;
        };
        c.redirect_uris.iter().any(|r| r == uri)
            || (crate::config::is_loopback_callback(uri)
                && c.redirect_uris.iter().any(|r| is_loopback_registration(r)))
    }
}

/// `http://127.0.0.1/oauth/callback` or with a port.
fn is_loopback_registration(uri: &str) -> bool {
    uri == "http://127.0.0.1/oauth/callback" || crate::config::is_loopback_callback(uri)
}

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for p in DYNAMIC_PROVIDERS {
        let slug = p.slug();
        router = router
            .route(
                &format!("/{slug}/oauth/register"),
                post(move |s: State<AppState>, h: HeaderMap, b: Bytes| register(s, p, h, b)),
            )
            .route(
                &format!("/{slug}/oauth/register/{{client_id}}"),
                get(move |s: State<AppState>, h: HeaderMap, id: Path<String>| read(s, p, h, id)),
            );
    }
    router
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    no_store(
        (
            status,
            Json(json!({ "error": code, "error_description": description })),
        )
            .into_response(),
    )
}

async fn register(
    State(state): State<AppState>,
    p: Provider,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    let meta = |d: &str| error(StatusCode::BAD_REQUEST, "invalid_client_metadata", d);
    if !is_json {
        return meta("the registration request must be application/json");
    }
    let Ok(Value::Object(req)) = serde_json::from_slice::<Value>(&body) else {
        return meta("the body must be a JSON object");
    };
    if req.get("application_type").and_then(Value::as_str) != Some("native") {
        return meta("application_type must be native");
    }
    if req
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        != Some("none")
    {
        return meta("only public clients may register: token_endpoint_auth_method must be none");
    }
    let list = |name: &str| -> Option<Vec<String>> {
        match req.get(name) {
            None => Some(Vec::new()),
            Some(Value::Array(a)) => a.iter().map(|v| v.as_str().map(str::to_string)).collect(),
            Some(_) => None,
        }
    };
    let Some(redirect_uris) = list("redirect_uris").filter(|l| !l.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "redirect_uris must be a non-empty array of strings",
        );
    };
    if let Some(bad) = redirect_uris
        .iter()
        .find(|u| !(state.config.redirect_uris.contains(u) || is_loopback_registration(u)))
    {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            &format!("redirect URI {bad} is not allowed: use dev.patchbay:/oauth/callback or a loopback callback"),
        );
    }
    let Some(grant_types) = list("grant_types") else {
        return meta("grant_types must be an array of strings");
    };
    if grant_types
        .iter()
        .any(|g| g != "authorization_code" && g != "refresh_token")
    {
        return meta("grant_types may hold only authorization_code and refresh_token");
    }
    let Some(response_types) = list("response_types") else {
        return meta("response_types must be an array of strings");
    };
    if response_types.iter().any(|r| r != "code") {
        return meta("response_types may hold only code");
    }
    let client_id = format!("cf-{}", &random_token()[..22]);
    let access_token = random_token();
    let issuer = crate::oauth::issuer(&state, p);
    let mut metadata = json!({
        "client_id": client_id,
        "client_id_issued_at": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "redirect_uris": redirect_uris,
        "grant_types": if grant_types.is_empty() { vec!["authorization_code".to_string()] } else { grant_types },
        "response_types": ["code"],
        "registration_client_uri": format!("{issuer}/oauth/register/{client_id}"),
    });
    if let Some(name) = req.get("client_name").and_then(Value::as_str) {
        metadata["client_name"] = json!(name);
    }
    state.registrations.lock().insert(
        client_id.clone(),
        Client {
            provider: p,
            redirect_uris,
            access_token: access_token.clone(),
            revoked: false,
            metadata: metadata.clone(),
        },
    );
    tracing::info!(provider = p.slug(), "client registered");
    let mut body = metadata;
    body["registration_access_token"] = json!(access_token);
    no_store((StatusCode::CREATED, Json(body)).into_response())
}

/// RFC 7592 read: the registration, or 401 when it no longer exists.
async fn read(
    State(state): State<AppState>,
    p: Provider,
    headers: HeaderMap,
    Path(client_id): Path<String>,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(s, _)| s.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string());
    let clients = state.registrations.lock();
    match (clients.get(&client_id), token) {
        (Some(c), Some(t)) if c.provider == p && !c.revoked && secret_eq(&t, &c.access_token) => {
            Json(c.metadata.clone()).into_response()
        }
        _ => {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "unknown client or registration access token",
            );
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            r
        }
    }
}
