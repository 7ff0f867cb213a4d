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
        error: String,
        description: Option<String>,
    },
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
                error,
                description,
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
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(def.scopes().iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .url();
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
