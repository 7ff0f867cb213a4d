//! The authorization server of each provider: authorize + consent, token, revoke, metadata.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::consent::{consent_page, error_page, PendingRequest};
use crate::holds::HoldPoint;
use crate::pkce;
use crate::providers::Provider;
use crate::server::AppState;
use crate::tokens::{ApprovedRequest, GrantError, Issued};

/// Put on token responses so the request log can show the grant type without seeing the body.
#[derive(Debug, Clone)]
pub struct GrantTypeSeen(pub String);

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for p in Provider::ALL {
        let slug = p.slug();
        router = router
            .route(
                &format!("/{slug}/oauth/authorize"),
                get(move |s: State<AppState>, q: RawQuery| authorize_get(s, p, q)).post(
                    move |s: State<AppState>, h: HeaderMap, b: Bytes| authorize_post(s, p, h, b),
                ),
            )
            .route(
                &format!("/{slug}/oauth/token"),
                post(move |s: State<AppState>, h: HeaderMap, b: Bytes| token(s, p, h, b)),
            )
            .route(
                &format!("/{slug}/oauth/revoke"),
                post(move |s: State<AppState>, h: HeaderMap, b: Bytes| revoke(s, p, h, b)),
            )
            .route(
                &format!("/.well-known/oauth-authorization-server/{slug}"),
                get(move |s: State<AppState>| metadata(s, p)),
            );
    }
    router
}

pub fn issuer(state: &AppState, p: Provider) -> String {
    format!("{}/{}", state.base_url, p.slug())
}

/// Form or query parameters, refusing any name given twice (RFC 6749 section 3.1 / 3.2).
fn parse_unique(raw: &[u8]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(raw) {
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(k.to_string());
        }
    }
    Ok(out)
}

fn non_empty<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

fn html_error(p: Provider, message: &str) -> Response {
    tracing::info!(
        provider = p.slug(),
        message,
        "authorization refused without redirect"
    );
    (StatusCode::BAD_REQUEST, Html(error_page(p, message))).into_response()
}

/// `303 See Other` to the client's redirect URI with `params` and `iss` (RFC 9207) appended.
fn redirect(
    state: &AppState,
    p: Provider,
    redirect_uri: &str,
    params: &[(&str, &str)],
    client_state: Option<&str>,
) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return html_error(p, "redirect_uri is not a valid URI");
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = client_state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", &issuer(state, p));
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    let location = HeaderValue::from_str(url.as_str()).expect("a URL is a valid header value");
    response.headers_mut().insert(header::LOCATION, location);
    crate::server::no_store(response)
}

fn error_redirect(
    state: &AppState,
    p: Provider,
    redirect_uri: &str,
    error: &str,
    description: &str,
    client_state: Option<&str>,
) -> Response {
    tracing::info!(
        provider = p.slug(),
        error,
        description,
        "authorization error redirect"
    );
    redirect(
        state,
        p,
        redirect_uri,
        &[("error", error), ("error_description", description)],
        client_state,
    )
}

async fn authorize_get(
    State(state): State<AppState>,
    p: Provider,
    RawQuery(query): RawQuery,
) -> Response {
    let raw = query.unwrap_or_default();
    // Without a trustworthy client_id and redirect_uri nothing may be redirected anywhere.
    let params = match parse_unique(raw.as_bytes()) {
        Ok(params) => params,
        Err(name) if name == "client_id" || name == "redirect_uri" => {
            return html_error(p, &format!("{name} given more than once"))
        }
        Err(name) => {
            // Still find out whether redirecting is safe, from the first values.
            let mut first: HashMap<String, String> = HashMap::new();
            for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
                first
                    .entry(k.into_owned())
                    .or_insert_with(|| v.into_owned());
            }
            return match check_client(&state, p, &first) {
                Ok((_, uri)) => error_redirect(
                    &state,
                    p,
                    &uri,
                    "invalid_request",
                    &format!("{name} given more than once"),
                    None,
                ),
                Err(message) => html_error(p, message),
            };
        }
    };
    let (client_id, redirect_uri) = match check_client(&state, p, &params) {
        Ok(ok) => ok,
        Err(message) => return html_error(p, message),
    };
    let client_state = non_empty(&params, "state");
    let fail = |error: &str, description: &str| {
        error_redirect(&state, p, &redirect_uri, error, description, client_state)
    };
    if params.get("response_type").map(String::as_str) != Some("code") {
        return fail("unsupported_response_type", "response_type must be code");
    }
    let Some(challenge) = non_empty(&params, "code_challenge") else {
        return fail("invalid_request", "code_challenge is required (PKCE)");
    };
    match params.get("code_challenge_method").map(String::as_str) {
        Some("S256") => {}
        Some(other) => {
            return fail(
                "invalid_request",
                &format!("code_challenge_method {other} is not supported; use S256"),
            )
        }
        // RFC 7636 defaults a missing method to `plain`, which this server refuses.
        None => {
            return fail(
                "invalid_request",
                "code_challenge_method is required and must be S256",
            )
        }
    }
    if !pkce::challenge_is_well_formed(challenge) {
        return fail(
            "invalid_request",
            "code_challenge must be 43 base64url characters",
        );
    }
    let scope = match non_empty(&params, "scope") {
        None => p.scopes().join(" "),
        Some(requested) => {
            let requested: Vec<&str> = requested.split(' ').filter(|s| !s.is_empty()).collect();
            if let Some(unknown) = requested.iter().find(|s| !p.scopes().contains(s)) {
                return fail("invalid_scope", &format!("unknown scope {unknown}"));
            }
            requested.join(" ")
        }
    };
    let pending = PendingRequest {
        request: ApprovedRequest {
            provider: p,
            client_id: client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            code_challenge: challenge.to_string(),
            scope: scope.clone(),
        },
        state: client_state.map(str::to_string),
    };
    if state.config.auto_approve {
        return approve(&state, pending);
    }
    let consent_id = state.consents.insert(pending);
    let mut response = Html(consent_page(p, &client_id, &scope, &consent_id)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The consent page must not be framed by another site (clickjacking).
    response
        .headers_mut()
        .insert("x-frame-options", HeaderValue::from_static("DENY"));
    response
}

/// The registered redirect URI of a request whose client is known, or why the request
/// must get an error page instead of a redirect.
fn check_client(
    state: &AppState,
    p: Provider,
    params: &HashMap<String, String>,
) -> Result<(String, String), &'static str> {
    let client_id = match non_empty(params, "client_id") {
        Some(id) if client_known(state, p, id) => id.to_string(),
        Some(_) => return Err("unknown client_id"),
        None => return Err("client_id is required"),
    };
    let allowed = |uri: &str| {
        if client_id == state.config.client_id {
            state.config.redirect_uri_allowed(uri)
        } else {
            state.registrations.redirect_allowed(&client_id, uri)
        }
    };
    match non_empty(params, "redirect_uri") {
        Some(uri) if allowed(uri) => Ok((client_id, uri.to_string())),
        Some(_) => Err("redirect_uri is not registered for this client"),
        None => Err("redirect_uri is required"),
    }
}

/// The configured client, or a live dynamically registered one of this provider.
fn client_known(state: &AppState, p: Provider, client_id: &str) -> bool {
    client_id == state.config.client_id
        || state.registrations.check(p, client_id) == crate::registration::Known::Yes
}

/// Authenticates the client of a token or revocation request: its id (form or HTTP Basic)
/// and, for a provider configured with a client secret, that secret
/// (`client_secret_post` or `client_secret_basic`, RFC 6749 section 2.3.1).
#[allow(clippy::result_large_err)] // the Err is the response itself, built once
fn authenticate_client(
    state: &AppState,
    p: Provider,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<String, Response> {
    let invalid = |d: &str| Err(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", d));
    let basic = match basic_credentials(headers) {
        Ok(b) => b,
        Err(detail) => return invalid(detail),
    };
    let body_id = non_empty(params, "client_id").map(str::to_string);
    let client_id = match (&basic, body_id) {
        (Some((a, _)), Some(b)) if *a != b => {
            return invalid("client_id differs between Basic and body")
        }
        (Some((a, _)), _) => a.clone(),
        (None, Some(b)) => b,
        (None, None) => return invalid("client_id is required"),
    };
    if !client_known(state, p, &client_id) {
        return invalid("unknown client_id");
    }
    if let Some(expected) = state.config.client_secrets.get(p.slug()) {
        let given = match (&basic, non_empty(params, "client_secret")) {
            (Some(_), Some(_)) => return invalid("use one client authentication method, not two"),
            (Some((_, s)), None) => Some(s.as_str()),
            (None, s) => s,
        };
        match given {
            Some(s) if crate::secret_eq::secret_eq(s, expected) => {}
            Some(_) => return invalid("wrong client secret"),
            None => return invalid("this client must authenticate with its client secret"),
        }
    }
    Ok(client_id)
}

/// The client id and secret of an `Authorization: Basic` header, each form-decoded strictly
/// (RFC 6749 2.3.1): a part that is not exactly `application/x-www-form-urlencoded` (a raw
/// `%`, `:` or other reserved character) is refused, as strict servers such as oidc-provider
/// do, so a client that sends them raw fails here too. `Ok(None)`: no Basic header.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, &'static str> {
    const BAD: &str =
        "client_id and client_secret in the Basic header are not properly form-encoded";
    let Some((scheme, b64)) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
    else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| "the Basic header is not base64")?;
    let pair = String::from_utf8(raw).map_err(|_| BAD)?;
    let (id, secret) = pair.split_once(':').ok_or(BAD)?;
    Ok(Some((
        strict_form_decode(id).ok_or(BAD)?,
        strict_form_decode(secret).ok_or(BAD)?,
    )))
}

/// Decodes one form-encoded value, or `None` when it holds a character form encoding never
/// leaves as it is, or a `%` not followed by two hex digits.
pub(crate) fn strict_form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || b"*-._+~".contains(&b) => i += 1,
            _ => return None,
        }
    }
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

fn approve(state: &AppState, pending: PendingRequest) -> Response {
    let p = pending.request.provider;
    let redirect_uri = pending.request.redirect_uri.clone();
    let code = state.tokens.issue_code(pending.request);
    tracing::info!(provider = p.slug(), "authorization approved; code issued");
    redirect(
        state,
        p,
        &redirect_uri,
        &[("code", &code)],
        pending.state.as_deref(),
    )
}

async fn authorize_post(
    State(state): State<AppState>,
    p: Provider,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return html_error(
            p,
            "the consent form must be posted as application/x-www-form-urlencoded",
        );
    }
    let Ok(params) = parse_unique(&body) else {
        return html_error(p, "a form field was given more than once");
    };
    let Some(consent) = non_empty(&params, "consent") else {
        return html_error(p, "consent is required");
    };
    let decision = params.get("decision").map(String::as_str);
    if !matches!(decision, Some("allow") | Some("deny")) {
        return html_error(p, "decision must be allow or deny");
    }
    let Some(pending) = state.consents.take(p, consent) else {
        return html_error(
            p,
            "this consent request is unknown, already answered or expired",
        );
    };
    if decision == Some("allow") {
        approve(&state, pending)
    } else {
        let uri = pending.request.redirect_uri.clone();
        error_redirect(
            &state,
            p,
            &uri,
            "access_denied",
            "the user denied access",
            pending.state.as_deref(),
        )
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// RFC 6749 section 5.2 error response.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    no_store(&mut response);
    response
}

fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn token_success(issued: Issued) -> Response {
    let mut body = json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    });
    // RFC 6749 §5.1: refresh_token is optional; a non-expiring provider leaves it out.
    if let Some(refresh_token) = issued.refresh_token {
        body["refresh_token"] = json!(refresh_token);
    }
    let mut response = Json(body).into_response();
    no_store(&mut response);
    response
}

fn grant_error(e: GrantError) -> Response {
    match e {
        GrantError::InvalidGrant(d) => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", d),
        GrantError::InvalidScope(d) => oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", d),
    }
}

async fn token(
    State(state): State<AppState>,
    p: Provider,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let grant_type = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.into_owned());
    let hold = match grant_type.as_deref() {
        Some("refresh_token") => state.holds.take(p),
        _ => None,
    };
    let mut response = match hold {
        None => token_inner(&state, p, &headers, &body),
        Some(hold) if hold.point == HoldPoint::BeforeGrant => {
            hold.wait().await;
            oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "the request was held and abandoned before the grant was used",
            )
        }
        Some(hold) => {
            let response = token_inner(&state, p, &headers, &body);
            hold.wait().await;
            response
        }
    };
    if let Some(g) = grant_type {
        response.extensions_mut().insert(GrantTypeSeen(g));
    }
    response
}

fn token_inner(state: &AppState, p: Provider, headers: &HeaderMap, body: &[u8]) -> Response {
    let bad = |d: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", d);
    if !is_form(headers) {
        return bad("the token request must be application/x-www-form-urlencoded");
    }
    let params = match parse_unique(body) {
        Ok(params) => params,
        Err(name) => return bad(&format!("{name} given more than once")),
    };
    let Some(grant_type) = non_empty(&params, "grant_type") else {
        return bad("grant_type is required");
    };
    if !matches!(grant_type, "authorization_code" | "refresh_token") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        );
    }
    let client_id = match authenticate_client(state, p, headers, &params) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let client_id = client_id.as_str();
    let result = if grant_type == "authorization_code" {
        let (Some(code), Some(redirect_uri), Some(verifier)) = (
            non_empty(&params, "code"),
            non_empty(&params, "redirect_uri"),
            non_empty(&params, "code_verifier"),
        ) else {
            return bad("code, redirect_uri and code_verifier are required");
        };
        state.tokens.redeem_code(
            p,
            client_id,
            code,
            redirect_uri,
            verifier,
            state.config.access_lifetime(p.slug()),
        )
    } else {
        let Some(refresh_token) = non_empty(&params, "refresh_token") else {
            return bad("refresh_token is required");
        };
        state
            .tokens
            .refresh(p, client_id, refresh_token, non_empty(&params, "scope"))
    };
    match result {
        Ok(issued) => {
            tracing::info!(provider = p.slug(), grant_type, "tokens issued");
            token_success(issued)
        }
        Err(e) => {
            tracing::info!(provider = p.slug(), grant_type, error = %e, "token request refused");
            grant_error(e)
        }
    }
}

async fn revoke(
    State(state): State<AppState>,
    p: Provider,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bad = |d: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", d);
    if !is_form(&headers) {
        return bad("the revocation request must be application/x-www-form-urlencoded");
    }
    let params = match parse_unique(&body) {
        Ok(params) => params,
        Err(name) => return bad(&format!("{name} given more than once")),
    };
    if let Err(response) = authenticate_client(&state, p, &headers, &params) {
        return response;
    }
    let Some(token) = non_empty(&params, "token") else {
        return bad("token is required");
    };
    state.tokens.revoke(p, token);
    tracing::info!(provider = p.slug(), "revocation request handled");
    let mut response = StatusCode::OK.into_response();
    no_store(&mut response);
    response
}

async fn metadata(State(state): State<AppState>, p: Provider) -> Response {
    let iss = issuer(&state, p);
    let auth_methods: &[&str] = if state.config.client_secrets.contains_key(p.slug()) {
        &["client_secret_post", "client_secret_basic"]
    } else {
        &["none"]
    };
    let mut body = json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oauth/authorize"),
        "token_endpoint": format!("{iss}/oauth/token"),
        "revocation_endpoint": format!("{iss}/oauth/revoke"),
        "scopes_supported": p.scopes(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "authorization_response_iss_parameter_supported": true,
    });
    if crate::registration::DYNAMIC_PROVIDERS.contains(&p) {
        body["registration_endpoint"] = json!(format!("{iss}/oauth/register"));
    }
    Json(body).into_response()
}
