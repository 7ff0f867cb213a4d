//! One API call: its credentials, the request, and the loop that follows
//! [`classify`](super::retry::classify) until the call is done or failed.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use oauth2::AccessToken;
use reqwest::header::{HeaderMap, ACCEPT};
use reqwest::Method;
use serde_json::Value;
use url::Url;

use super::retry::{classify, Body, Next, Received, ResponseFacts, Schedule};
use super::{check_endpoint, Connection, KeyValues};
use crate::error::ApiError;
use crate::http::{read_capped, CappedReadError};
use crate::providers::{ConnectionDef, KeySend};

/// How one request authenticates.
enum RequestAuth {
    Bearer(AccessToken, u64),
    Key(KeyValues),
}

/// The response of one API call: its body parsed as JSON, or (from
/// [`Connection::get_bytes`]) as the bytes that came.
#[derive(Debug)]
pub struct ApiResponse<B = Value> {
    pub body: B,
    pub headers: HeaderMap,
}

/// How a 2xx body becomes what the caller gets: parsed (a body that is not JSON is a reason to
/// ask again), or kept as bytes for a caller that parses it itself.
type Decode<B> = fn(Vec<u8>) -> Result<B, String>;

fn parse_json(bytes: Vec<u8>) -> Result<Value, String> {
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

fn keep_bytes(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    Ok(bytes)
}

impl Connection {
    /// The API base with the account's variables filled in.
    pub fn api_url(&self, path: &str, vars: &BTreeMap<String, String>) -> Result<Url, ApiError> {
        // Filled as one template: a value from the provider's response is one DNS label in
        // the host and one percent-encoded segment in the path, so it cannot move the
        // request (and its token) to another host or path.
        let template = format!("{}{}", self.def.api_base.trim_end_matches('/'), path);
        crate::url_rules::fill_url(&template, |n| vars.get(n).cloned()).map_err(|e| {
            tracing::warn!(provider = %self.def.id, code = e.code(), "API address refused");
            ApiError::RefusedUrl(e.to_string())
        })
    }

    /// GET with retries (GET is idempotent).
    pub async fn get_json(&self, url: &Url) -> Result<ApiResponse, ApiError> {
        self.request_json(Method::GET, url, None, true).await
    }

    /// GET with retries, the body kept as the bytes that came: a pager parses a page while
    /// the next one is requested. The body is not checked to be JSON here, so the caller
    /// asks again with [`Connection::get_json`] (which retries a malformed body) when it
    /// cannot parse it.
    pub async fn get_bytes(&self, url: &Url) -> Result<ApiResponse<Vec<u8>>, ApiError> {
        self.request_inner(Method::GET, url, None, true, None, keep_bytes)
            .await
    }

    /// One API call: bearer token, refresh once on 401, `Retry-After` on 429, backoff with
    /// full jitter on 5xx, 408 and connection errors (only when `idempotent`), bounded in
    /// attempts and total time.
    pub async fn request_json(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
        idempotent: bool,
    ) -> Result<ApiResponse, ApiError> {
        self.request_inner(method, url, body, idempotent, None, parse_json)
            .await
    }

    /// The credentials of one attempt: the given key (a key being tested), the stored key,
    /// or the OAuth access token.
    async fn request_auth(&self, probe: Option<&KeyValues>) -> Result<RequestAuth, ApiError> {
        if let Some(k) = probe {
            return Ok(RequestAuth::Key(k.clone()));
        }
        if self.def.connection.is_api_key() {
            let mut state = self.state.lock().await;
            self.ensure_loaded(&mut state).await?;
            self.ensure_origin(&mut state).await?;
            return match state.tokens.as_ref().and_then(|t| t.api_key.clone()) {
                Some(k) => Ok(RequestAuth::Key(k)),
                None if state.needs_reconnect => Err(ApiError::NeedsReconnect),
                None => Err(ApiError::NotConnected),
            };
        }
        let (token, generation) = self.access_token().await?;
        Ok(RequestAuth::Bearer(token, generation))
    }

    fn apply_auth(
        &self,
        req: reqwest::RequestBuilder,
        auth: &RequestAuth,
    ) -> reqwest::RequestBuilder {
        match (auth, &self.def.connection) {
            (RequestAuth::Bearer(token, _), _) => req.bearer_auth(token.secret()),
            (RequestAuth::Key(k), ConnectionDef::ApiKey { send, .. }) => match send {
                KeySend::Basic { username, password } => {
                    req.basic_auth(k.get(username), Some(k.get(password)))
                }
                KeySend::Bearer { field } => req.bearer_auth(k.get(field)),
                KeySend::Header { name, field } => req.header(name.as_str(), k.get(field)),
            },
            // A key for a provider whose definition names no key scheme: send nothing.
            (RequestAuth::Key(_), ConnectionDef::Oauth { .. }) => req,
        }
    }

    async fn request_inner<B>(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
        idempotent: bool,
        probe: Option<&KeyValues>,
        decode: Decode<B>,
    ) -> Result<ApiResponse<B>, ApiError> {
        check_endpoint(&self.def, self.world, url.as_str())?;
        let policy = &self.settings.retry;
        let mut schedule = Schedule::start(policy);
        let mut refreshed = false;
        loop {
            let auth = self.request_auth(probe).await?;
            let permit = self.concurrency.clone().acquire_owned().await;
            self.budget.admit().await?;
            let req = self
                .http
                .request(method.clone(), url.clone())
                .header(ACCEPT, "application/json");
            let mut req = self.apply_auth(req, &auth);
            if let Some(b) = body {
                req = req.json(b);
            }
            let outcome = req.send().await;
            // A request that could not even connect never reached the provider.
            if !matches!(&outcome, Err(e) if e.is_connect()) {
                self.sent.fetch_add(1, Ordering::SeqCst);
            }
            let (received, unread) = match outcome {
                Err(e) => (Received::NoResponse(describe(&e)), None),
                Ok(resp) => self.receive(resp, decode).await,
            };
            let next = classify(ResponseFacts {
                received,
                idempotent,
                refreshable: matches!(auth, RequestAuth::Bearer(..)),
                refreshed,
                max_retry_after: policy.max_retry_after,
            });
            drop(permit);
            let (wait, reason) = match next {
                Next::Done(response) => return Ok(response),
                Next::Refresh => {
                    // classify asks for a refresh only after an access token was refused.
                    let RequestAuth::Bearer(_, generation) = auth else {
                        return Err(ApiError::Unauthorized);
                    };
                    refreshed = true;
                    self.refresh_after_rejection(generation).await?;
                    continue;
                }
                Next::Retry { wait, reason } => (wait, reason),
                Next::Reject { status } => {
                    let detail = match unread {
                        Some(resp) => rejection_detail(resp).await,
                        None => String::new(),
                    };
                    return Err(ApiError::Http { status, detail });
                }
                Next::Fail(e) => return Err(e),
            };
            let delay = schedule.next_delay(wait, reason.clone())?;
            tracing::debug!(provider = %self.def.id, attempt = schedule.attempts(), reason = %reason, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// Reads what [`classify`] needs from a response: a 2xx's body, a 429's limits. The body
    /// of another status is left unread (a rejection reads it for its reason).
    async fn receive<B>(
        &self,
        resp: reqwest::Response,
        decode: Decode<B>,
    ) -> (Received<B>, Option<reqwest::Response>) {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        self.budget.observe(&headers);
        match status {
            200..=299 => {
                let limit = self.def.limits.max_body_bytes;
                let body = match read_capped(resp, limit).await {
                    Ok(bytes) => match decode(bytes) {
                        Ok(v) => Body::Json(v),
                        Err(e) => Body::Malformed(e),
                    },
                    Err(CappedReadError::TooLarge { declared }) => {
                        tracing::warn!(provider = %self.def.id, limit, ?declared, "response body past the limit; not read further");
                        Body::TooLarge { limit, declared }
                    }
                    Err(CappedReadError::Broken(e)) => Body::Broken(describe(&e)),
                };
                (Received::Success { body, headers }, None)
            }
            429 => {
                let received = Received::Status {
                    status,
                    quota: self.budget.refused_for_the_day(&headers),
                    retry_after: self.budget.retry_after(&headers),
                };
                (received, None)
            }
            _ => {
                let received = Received::Status {
                    status,
                    quota: None,
                    retry_after: None,
                };
                (received, Some(resp))
            }
        }
    }

    /// The account look-up: the display name and the variables the definition asks for.
    pub(crate) async fn fetch_account(
        &self,
    ) -> Result<(String, BTreeMap<String, String>), ApiError> {
        self.fetch_account_with(None).await
    }

    /// The account look-up with a key that is not stored yet ("Test and save").
    pub(crate) async fn fetch_account_with(
        &self,
        probe: Option<&KeyValues>,
    ) -> Result<(String, BTreeMap<String, String>), ApiError> {
        let url = match &self.def.account.url {
            Some(u) => {
                Url::parse(u).map_err(|e| ApiError::Decode(format!("bad account URL: {e}")))?
            }
            None => self.api_url(&self.def.account.path, &BTreeMap::new())?,
        };
        let resp = self
            .request_inner(Method::GET, &url, None, true, probe, parse_json)
            .await?;
        let name = resp
            .body
            .pointer(&self.def.account.name)
            .map(value_text)
            .unwrap_or_else(|| self.def.display_name.clone());
        let mut vars = BTreeMap::new();
        for (var, pointer) in &self.def.account.vars {
            if let Some(v) = resp.body.pointer(pointer) {
                vars.insert(var.clone(), value_text(v));
            }
        }
        Ok((name, vars))
    }
}

/// A JSON value as text: strings bare, everything else as JSON.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A reqwest error without its URL (the URL is fine, but keep messages short and uniform).
pub(super) fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "connection broke while reading"
    } else {
        "connection failed"
    };
    let e = e.without_url_ref();
    format!("{kind}: {e}")
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let mut s = self.to_string();
        if let Some(u) = self.url() {
            s = s.replace(u.as_str(), "<url>");
        }
        s
    }
}

/// Why the provider refused a request, from its body: an OAuth-style `error`, or RFC 7807
/// problem details (EmailOctopus v2); empty when the body says nothing readable.
async fn rejection_detail(resp: reqwest::Response) -> String {
    // A reason is a sentence: a longer body is not read (nor its reason shown).
    const CAP: u64 = 64 * 1024;
    read_capped(resp, CAP)
        .await
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|v| {
            ["error", "title", "detail", "error_message"]
                .iter()
                .find_map(|k| v[*k].as_str().map(str::to_string))
        })
        .unwrap_or_default()
}
