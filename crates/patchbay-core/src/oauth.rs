//! The connect flow: authorization code with PKCE for a native app (RFC 8252, RFC 7636,
//! RFC 9700, RFC 9207), built on the oauth2 crate's types.
//!
//! `begin` records a [`PendingAuth`] and returns the authorize URL; [`PendingTable::take`]
//! validates a callback strictly before anything is sent to the token endpoint.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenUrl,
};
use parking_lot::Mutex;
use url::Url;

use crate::providers::ProviderDef;
use crate::secret::ct_eq;

/// The default redirect URI: a private-use URI scheme (RFC 8252 §7.1).
pub const CUSTOM_SCHEME_REDIRECT: &str = "dev.patchbay:/oauth/callback";

/// How long a pending request stays valid.
pub const PENDING_TTL: Duration = Duration::from_secs(600);
/// At most this many pending requests are kept; the oldest go first.
pub const PENDING_MAX: usize = 16;

/// One authorization request waiting for its callback. Not `Clone`: the verifier is used once.
/// Debug redacts the state, the verifier (oauth2's own types do) and the authorize URL (which
/// carries the state).
pub struct PendingAuth {
    pub provider_id: String,
    pub state: CsrfToken,
    pub verifier: PkceCodeVerifier,
    pub redirect_uri: String,
    /// The consent page's address, offered on the tile for copying while the request waits
    /// (it carries the public `state` and challenge, never the verifier).
    pub authorize_url: String,
    pub issued_at: Instant,
}

impl std::fmt::Debug for PendingAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAuth")
            .field("provider_id", &self.provider_id)
            .field("state", &self.state)
            .field("verifier", &self.verifier)
            .field("redirect_uri", &self.redirect_uri)
            .field("authorize_url", &"[redacted]")
            .field("issued_at", &self.issued_at)
            .finish()
    }
}

/// Why a callback was refused (no token request was made).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    #[error("the callback is not a valid URL")]
    Malformed,
    #[error("the callback's address does not match the redirect URI")]
    WrongRedirect,
    #[error("the callback repeats a parameter")]
    RepeatedParameter,
    #[error("the callback has no state")]
    MissingState,
    #[error("the callback's state matches no pending request (wrong or already used)")]
    UnknownState,
    #[error("the pending request expired")]
    Expired { provider_id: String },
    #[error("the callback's issuer does not match the provider")]
    IssuerMismatch { provider_id: String },
    #[error("the callback has no code")]
    MissingCode { provider_id: String },
}

/// A callback that passed every check.
#[derive(Debug)]
pub enum Callback {
    /// `code` to redeem with the pending request's verifier.
    Code {
        pending: PendingAuth,
        code: oauth2::AuthorizationCode,
    },
    /// The provider answered `error=...` (`access_denied` when the user said no).
    Error {
        pending: PendingAuth,
        error: OAuthError,
    },
}

/// An OAuth 2.0 error code: RFC 6749 §4.1.2.1 (the consent page) and §5.2 (the token
/// endpoint), and whatever else a provider sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    UnauthorizedClient,
    AccessDenied,
    UnsupportedResponseType,
    InvalidScope,
    ServerError,
    TemporarilyUnavailable,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    /// A code outside RFC 6749 (kept for the log, at most [`OAuthErrorCode::OTHER_MAX`] chars).
    Other(String),
}

impl OAuthErrorCode {
    /// Longer unknown codes are cut: the value comes from the provider (or a forged link).
    pub const OTHER_MAX: usize = 64;

    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "unauthorized_client" => Self::UnauthorizedClient,
            "access_denied" => Self::AccessDenied,
            "unsupported_response_type" => Self::UnsupportedResponseType,
            "invalid_scope" => Self::InvalidScope,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            other => Self::Other(other.chars().take(Self::OTHER_MAX).collect()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::Other(code) => code,
        }
    }
}

impl std::fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth 2.0 error response with its RFC 6749 fields, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub error: OAuthErrorCode,
    /// `error_description` as sent: log it with `{:?}` (escaped); show only
    /// [`OAuthError::quotable_description`].
    pub description: Option<String>,
    /// `error_uri`, kept only when it is an https address (RFC 6749 asks for a URI the user
    /// may open: anything else is not one Patchbay would send them to).
    pub uri: Option<Url>,
}

impl OAuthError {
    /// The longest description the window quotes.
    pub const QUOTE_MAX: usize = 200;

    pub fn new(error: &str, description: Option<String>, uri: Option<&str>) -> Self {
        Self {
            error: OAuthErrorCode::parse(error),
            description,
            uri: uri
                .and_then(|u| Url::parse(u).ok())
                .filter(|u| u.scheme() == "https"),
        }
    }

    /// The description as the window may quote it ("BoomTown said: …"), or `None`.
    ///
    /// It is the provider's own text, so it is quoted only when it is what RFC 6749 allows
    /// (printable ASCII without `"` and `\`, so no markup or lookalike characters), short
    /// enough to read ([`OAuthError::QUOTE_MAX`]), and holds no web address or e-mail (a
    /// provider's words in Patchbay's window must not send a marketer anywhere). Otherwise
    /// only the log has it.
    pub fn quotable_description(&self) -> Option<&str> {
        let d = self.description.as_deref()?.trim();
        let rfc_chars = d
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E));
        let lower = d.to_ascii_lowercase();
        let has_address = ["://", "www.", "@"].iter().any(|a| lower.contains(a));
        (!d.is_empty() && d.len() <= Self::QUOTE_MAX && rfc_chars && !has_address).then_some(d)
    }
}

impl From<&oauth2::StandardErrorResponse<oauth2::basic::BasicErrorResponseType>> for OAuthError {
    fn from(e: &oauth2::StandardErrorResponse<oauth2::basic::BasicErrorResponseType>) -> Self {
        Self::new(
            e.error().as_ref(),
            e.error_description().cloned(),
            e.error_uri().map(String::as_str),
        )
    }
}

/// Pending requests: bounded, expiring, consumed on first use.
#[derive(Debug)]
pub struct PendingTable {
    ttl: Duration,
    max: usize,
    entries: Mutex<Vec<PendingAuth>>,
}

impl Default for PendingTable {
    fn default() -> Self {
        Self::new(PENDING_TTL, PENDING_MAX)
    }
}

impl PendingTable {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max: max.max(1),
            entries: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> parking_lot::MutexGuard<'_, Vec<PendingAuth>> {
        self.entries.lock()
    }

    /// Adds a request, replacing any earlier one of the same provider.
    pub fn insert(&self, pending: PendingAuth) {
        let mut entries = self.lock();
        let ttl = self.ttl;
        entries.retain(|p| p.provider_id != pending.provider_id && p.issued_at.elapsed() < ttl);
        while entries.len() >= self.max {
            entries.remove(0);
        }
        entries.push(pending);
    }

    /// Drops the provider's pending request.
    pub fn cancel(&self, provider_id: &str) -> bool {
        let mut entries = self.lock();
        let before = entries.len();
        entries.retain(|p| p.provider_id != provider_id);
        before != entries.len()
    }

    /// Whether the provider has a live pending request.
    pub fn is_pending(&self, provider_id: &str) -> bool {
        self.lock()
            .iter()
            .any(|p| p.provider_id == provider_id && p.issued_at.elapsed() < self.ttl)
    }

    /// The consent page address of the provider's live pending request.
    pub fn authorize_url(&self, provider_id: &str) -> Option<String> {
        self.lock()
            .iter()
            .find(|p| p.provider_id == provider_id && p.issued_at.elapsed() < self.ttl)
            .map(|p| p.authorize_url.clone())
    }

    /// Whether `state` names a live pending request whose redirect URI is `redirect_uri`,
    /// without consuming it (the loopback listener answers strays before anything is used).
    pub fn knows_state(&self, state: &str, redirect_uri: &str) -> bool {
        let mut found = false;
        for p in self.lock().iter() {
            found |= ct_eq(p.state.secret(), state)
                & (p.redirect_uri == redirect_uri)
                & (p.issued_at.elapsed() < self.ttl);
        }
        found
    }

    /// Whether the provider's pending request has run out. It stays in the table (until a
    /// newer connect or the table's bound drops it) so a late callback still gets "expired"
    /// rather than "unknown".
    pub fn has_expired(&self, provider_id: &str) -> bool {
        self.lock()
            .iter()
            .any(|p| p.provider_id == provider_id && p.issued_at.elapsed() >= self.ttl)
    }

    /// The provider of the pending request a callback's `state` names, without consuming it
    /// (for messages); `None` when unknown.
    pub fn provider_of(&self, callback_url: &str) -> Option<String> {
        let url = Url::parse(callback_url).ok()?;
        let state = url
            .query_pairs()
            .find(|(k, _)| k == "state")?
            .1
            .into_owned();
        self.lock()
            .iter()
            .find(|p| ct_eq(p.state.secret(), &state))
            .map(|p| p.provider_id.clone())
    }

    /// Validates a callback URL and consumes its pending request.
    ///
    /// `issuer_of(provider_id)` gives `(issuer, advertised)`: when the provider advertises
    /// RFC 9207, `iss` is required; when present, it must equal the issuer.
    pub fn take(
        &self,
        callback_url: &str,
        issuer_of: impl Fn(&str) -> (Option<String>, bool),
    ) -> Result<Callback, CallbackError> {
        let url = Url::parse(callback_url).map_err(|_| CallbackError::Malformed)?;
        if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
            return Err(CallbackError::WrongRedirect);
        }
        // Compare the callback's address as sent, character for character (no URL
        // normalisation: `dev.patchbay:/oauth/./callback` is not our redirect URI).
        if callback_url.contains('#') {
            return Err(CallbackError::WrongRedirect);
        }
        let base = callback_url
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();

        let mut seen = HashSet::new();
        let mut state = None;
        let mut code = None;
        let mut iss = None;
        let mut error = None;
        let mut description = None;
        let mut error_uri = None;
        for (k, v) in url.query_pairs() {
            if !seen.insert(k.to_string()) {
                return Err(CallbackError::RepeatedParameter);
            }
            let v = v.into_owned();
            match k.as_ref() {
                "state" => state = Some(v),
                "code" => code = Some(v),
                "iss" => iss = Some(v),
                "error" => error = Some(v),
                "error_description" => description = Some(v),
                "error_uri" => error_uri = Some(v),
                _ => {}
            }
        }

        let mut entries = self.lock();
        // Every redirect URI we issued: the callback's address must be one of them exactly.
        if base != CUSTOM_SCHEME_REDIRECT && !entries.iter().any(|p| p.redirect_uri == base) {
            return Err(CallbackError::WrongRedirect);
        }
        let state = state.ok_or(CallbackError::MissingState)?;
        // Compare against every entry (constant time each), then pick the match.
        let mut found = None;
        for (i, p) in entries.iter().enumerate() {
            if ct_eq(p.state.secret(), &state) & (p.redirect_uri == base) {
                found = Some(i);
            }
        }
        let pending = entries.remove(found.ok_or(CallbackError::UnknownState)?);
        drop(entries);

        let provider_id = pending.provider_id.clone();
        if pending.issued_at.elapsed() >= self.ttl {
            return Err(CallbackError::Expired { provider_id });
        }
        let (issuer, advertised) = issuer_of(&provider_id);
        match (&iss, issuer) {
            (Some(got), Some(want)) if got != &want => {
                return Err(CallbackError::IssuerMismatch { provider_id })
            }
            (None, Some(_)) if advertised => {
                return Err(CallbackError::IssuerMismatch { provider_id })
            }
            _ => {}
        }
        if let Some(error) = error {
            return Ok(Callback::Error {
                pending,
                error: OAuthError::new(&error, description, error_uri.as_deref()),
            });
        }
        let code = code
            .filter(|c| !c.is_empty())
            .ok_or(CallbackError::MissingCode { provider_id })?;
        Ok(Callback::Code {
            pending,
            code: oauth2::AuthorizationCode::new(code),
        })
    }
}

/// Builds the authorize URL and the pending request for `def` with `redirect_uri`.
pub fn authorize_request(
    def: &ProviderDef,
    redirect_uri: &str,
) -> Result<(Url, PendingAuth), String> {
    let (Some(authorize_url), Some(token_url)) = (def.authorize_url(), def.token_url()) else {
        return Err(format!("{} has no OAuth endpoints yet", def.id));
    };
    let client = BasicClient::new(ClientId::new(def.client_id().to_string()))
        .set_auth_uri(AuthUrl::from_url(authorize_url.clone()))
        .set_token_uri(TokenUrl::from_url(token_url.clone()))
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(|e| e.to_string())?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(def.scopes().iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge);
    if asks_offline_access_from_openid(def.scopes()) {
        request = request.add_extra_param("prompt", "consent");
    }
    let (url, state) = request.url();
    let pending = PendingAuth {
        provider_id: def.id.to_string(),
        state,
        verifier,
        redirect_uri: redirect_uri.to_string(),
        authorize_url: url.to_string(),
        issued_at: Instant::now(),
    };
    Ok((url, pending))
}

/// OpenID Connect Core 1.0 section 11: an OpenID server ignores `offline_access` (and issues
/// no refresh token) unless the request has `prompt=consent`, so it is added exactly when the
/// scopes ask for both `openid` and `offline_access`. A plain OAuth server never sees it.
fn asks_offline_access_from_openid(scopes: &[String]) -> bool {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    has("openid") && has("offline_access")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> ProviderDef {
        let mut d = crate::providers::builtin().remove(0);
        crate::demo::rewrite_for_demo(&mut d, "http://127.0.0.1:9");
        d
    }

    fn issuer(d: &ProviderDef) -> impl Fn(&str) -> (Option<String>, bool) + '_ {
        move |_| {
            (
                d.issuer().map(|i| i.as_str().to_string()),
                d.iss_parameter_supported(),
            )
        }
    }

    fn state_of(url: &Url) -> String {
        url.query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned()
    }

    #[test]
    fn authorize_url_has_pkce_and_state() {
        let d = def();
        let (url, pending) = authorize_request(&d, CUSTOM_SCHEME_REDIRECT).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"].len(), 43);
        assert_eq!(q["redirect_uri"], CUSTOM_SCHEME_REDIRECT);
        let v = pending.verifier.secret();
        assert!((43..=128).contains(&v.len()));
        assert!(v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)));
        assert!(!format!("{pending:?}").contains(v.as_str()));
    }

    #[test]
    fn prompt_consent_only_when_offline_access_is_asked_of_an_openid_server() {
        let prompt = |scopes: &[&str]| {
            let mut d = def();
            d.oauth_mut().unwrap().scopes = scopes.iter().map(|s| s.to_string()).collect();
            let (url, _) = authorize_request(&d, CUSTOM_SCHEME_REDIRECT).unwrap();
            let prompts: Vec<String> = url
                .query_pairs()
                .filter(|(k, _)| k == "prompt")
                .map(|(_, v)| v.into_owned())
                .collect();
            prompts
        };
        assert_eq!(
            prompt(&["openid", "leads:read", "offline_access"]),
            ["consent"]
        );
        assert!(prompt(&["openid", "leads:read"]).is_empty());
        assert!(prompt(&["leads:read", "offline_access"]).is_empty());
        assert!(prompt(&["leads:read"]).is_empty());
    }

    #[test]
    fn callback_checks() {
        let d = def();
        let iss = d.issuer().unwrap().as_str().to_string();
        let table = PendingTable::default();
        let (url, pending) = authorize_request(&d, CUSTOM_SCHEME_REDIRECT).unwrap();
        table.insert(pending);
        let state = state_of(&url);
        let ok = format!("{CUSTOM_SCHEME_REDIRECT}?code=abc&state={state}&iss={iss}");
        assert_eq!(
            table
                .take(
                    &format!("{CUSTOM_SCHEME_REDIRECT}?code=abc&state=nope&iss={iss}"),
                    issuer(&d)
                )
                .unwrap_err(),
            CallbackError::UnknownState
        );
        assert_eq!(
            table
                .take(
                    &format!("dev.patchbay:/oauth/other?code=abc&state={state}"),
                    issuer(&d)
                )
                .unwrap_err(),
            CallbackError::WrongRedirect
        );
        for near_miss in [
            "dev.patchbay:/oauth/./callback",
            "DEV.PATCHBAY:/oauth/callback",
            "dev.patchbay:/oauth/callback/",
            "dev.patchbay://oauth/callback",
        ] {
            assert_eq!(
                table
                    .take(
                        &format!("{near_miss}?code=abc&state={state}&iss={iss}"),
                        issuer(&d)
                    )
                    .unwrap_err(),
                CallbackError::WrongRedirect,
                "{near_miss}"
            );
        }
        assert_eq!(
            table.take(&format!("{ok}&code=x"), issuer(&d)).unwrap_err(),
            CallbackError::RepeatedParameter
        );
        assert!(matches!(
            table.take(&ok, issuer(&d)).unwrap(),
            Callback::Code { .. }
        ));
        assert_eq!(
            table.take(&ok, issuer(&d)).unwrap_err(),
            CallbackError::UnknownState
        );
    }

    #[test]
    fn oauth_errors_keep_their_rfc_6749_fields_typed() {
        let e = OAuthError::new(
            "temporarily_unavailable",
            Some("Maintenance until 10:00 UTC".into()),
            Some("https://status.example.com/oauth"),
        );
        assert_eq!(e.error, OAuthErrorCode::TemporarilyUnavailable);
        assert_eq!(
            e.quotable_description(),
            Some("Maintenance until 10:00 UTC")
        );
        assert_eq!(e.uri.unwrap().as_str(), "https://status.example.com/oauth");
        for code in [
            "invalid_request",
            "unauthorized_client",
            "access_denied",
            "unsupported_response_type",
            "invalid_scope",
            "server_error",
            "temporarily_unavailable",
            "invalid_client",
            "invalid_grant",
            "unsupported_grant_type",
        ] {
            let parsed = OAuthErrorCode::parse(code);
            assert!(!matches!(parsed, OAuthErrorCode::Other(_)), "{code}");
            assert_eq!(parsed.as_str(), code);
        }
        let long = "x".repeat(500);
        assert_eq!(
            OAuthErrorCode::parse(&long),
            OAuthErrorCode::Other("x".repeat(OAuthErrorCode::OTHER_MAX))
        );
        // error_uri: https only.
        for uri in ["http://example.com/e", "javascript:alert(1)", "not a uri"] {
            assert_eq!(
                OAuthError::new("invalid_scope", None, Some(uri)).uri,
                None,
                "{uri}"
            );
        }
    }

    #[test]
    fn only_a_short_plain_description_is_quotable() {
        let quotable = |d: &str| {
            OAuthError::new("server_error", Some(d.into()), None)
                .quotable_description()
                .map(str::to_string)
        };
        assert_eq!(quotable(" oops "), Some("oops".into()));
        for bad in [
            "",
            "visit https://evil.example to fix this",
            "see www.evil.example",
            "write to help@evil.example",
            "with \"quotes\"",
            "a\u{202e}reversed",
            "two\nlines",
            "<b>markup</b>\\",
            &"x".repeat(OAuthError::QUOTE_MAX + 1),
        ] {
            assert_eq!(quotable(bad), None, "{bad:?}");
        }
        assert_eq!(
            OAuthError::new("server_error", None, None).quotable_description(),
            None
        );
    }

    #[test]
    fn an_error_callback_keeps_code_description_and_https_uri() {
        let d = def();
        let iss = d.issuer().unwrap().as_str().to_string();
        let table = PendingTable::default();
        let (url, pending) = authorize_request(&d, CUSTOM_SCHEME_REDIRECT).unwrap();
        table.insert(pending);
        let cb = format!(
            "{CUSTOM_SCHEME_REDIRECT}?error=invalid_scope&error_description=Scope%20leads%20unknown\
             &error_uri=https%3A%2F%2Fdocs.example%2Fscopes&state={}&iss={iss}",
            state_of(&url)
        );
        let Callback::Error { error, .. } = table.take(&cb, issuer(&d)).unwrap() else {
            panic!("an error callback");
        };
        assert_eq!(error.error, OAuthErrorCode::InvalidScope);
        assert_eq!(error.description.as_deref(), Some("Scope leads unknown"));
        assert_eq!(error.uri.unwrap().as_str(), "https://docs.example/scopes");
    }

    #[test]
    fn table_is_bounded_and_expires() {
        let d = def();
        let table = PendingTable::new(Duration::from_millis(1), 2);
        let (url, pending) = authorize_request(&d, CUSTOM_SCHEME_REDIRECT).unwrap();
        table.insert(pending);
        std::thread::sleep(Duration::from_millis(5));
        let cb = format!("{CUSTOM_SCHEME_REDIRECT}?code=abc&state={}", state_of(&url));
        assert!(matches!(
            table.take(&cb, issuer(&d)).unwrap_err(),
            CallbackError::Expired { .. }
        ));
        for i in 0..5 {
            let mut d2 = d.clone();
            d2.id = format!("p{i}").parse().unwrap();
            table.insert(authorize_request(&d2, CUSTOM_SCHEME_REDIRECT).unwrap().1);
        }
        assert!(table.lock().len() <= 2);
    }
}
