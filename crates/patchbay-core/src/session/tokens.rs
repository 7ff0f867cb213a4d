//! What the vault holds for a connection and for a client secret, read and written through
//! serde structs. The JSON text travels as a [`SecretString`]; the plain strings in the
//! `*Json` structs live only while one value is read or written.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oauth2::{AccessToken, RefreshToken};
use serde::{Deserialize, Serialize};

use crate::secret::{ExposeSecret, SecretString};
use crate::vault::{VaultError, VaultKey};
use crate::world::AccountId;

/// Refresh at most this long before the access token expires (and exactly this long for a
/// token stored before lifetimes were kept).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// How many seconds before expiry a token issued for `lifetime` seconds is refreshed: a tenth
/// of its lifetime, at most [`REFRESH_MARGIN`], at least min(2 s, half the lifetime). A fixed
/// 60 s would refresh a 30-second token (oidc-provider's shortest) before every request.
pub fn refresh_margin(lifetime: Option<u64>) -> u64 {
    let max = REFRESH_MARGIN.as_secs();
    match lifetime {
        None => max,
        Some(l) => (l / 10).min(max).max(2.min(l / 2)),
    }
}

/// The longest an access token is believed to live, whatever `expires_in` says: a year. A
/// provider's `expires_in` is untrusted (`u64::MAX` would overflow the expiry or make the
/// token immortal); a token that really lives longer is just refreshed (or reconnected, for a
/// provider without refresh tokens) after a year. Providers whose tokens never expire say so
/// in their definition (`access_token_expires = false`), not through `expires_in`.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// When a token issued at `now` (Unix seconds) with `expires_in` expires, `expires_in` clamped
/// to [`MAX_TOKEN_LIFETIME`]; never overflows.
pub(crate) fn expiry_at(now: u64, expires_in: Duration) -> u64 {
    now.saturating_add(expires_in.min(MAX_TOKEN_LIFETIME).as_secs())
}

/// What the vault holds for a connection. Debug never shows a token.
#[derive(Debug, Clone)]
pub struct StoredTokens {
    pub access: AccessToken,
    pub refresh: Option<RefreshToken>,
    /// Unix seconds.
    pub expires_at: Option<u64>,
    /// How long the access token was issued for (seconds, clamped to [`MAX_TOKEN_LIFETIME`]):
    /// the refresh margin scales with it. `None` for a token that does not expire and for
    /// values stored before it was kept.
    pub lifetime: Option<u64>,
    pub account: String,
    pub vars: BTreeMap<String, String>,
    /// For a provider connected with an API key: the key's fields (then `access` is empty).
    pub api_key: Option<KeyValues>,
    /// Where these credentials were issued: they are only ever sent there.
    pub origin: Origin,
}

/// The addresses a set of credentials was issued for. When the definition in use points
/// anywhere else (an override file, Settings, a changed discovery document), nothing is sent
/// and the account asks to be reconnected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The authorization server (OAuth), as the definition or its discovery names it.
    pub issuer: Option<String>,
    /// Where the refresh token (and the client secret) go.
    pub token_endpoint: Option<String>,
    /// The API base template (`https://{workspace_subdomain}.example.com/api`): its filled
    /// values are single DNS labels, so the template fixes the domain that gets the token.
    pub api_base: String,
    /// The absolute account look-up URL, when the definition has one.
    pub account_url: Option<String>,
    /// Where a disconnect revokes the refresh token. Checked by the revocation only: a moved
    /// revocation endpoint skips the revocation (nothing sent) but does not stop syncing.
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
}

impl Origin {
    /// Everything but the revocation endpoint, which only the revocation checks.
    pub(crate) fn used_for_access(
        &self,
    ) -> (&Option<String>, &Option<String>, &str, &Option<String>) {
        (
            &self.issuer,
            &self.token_endpoint,
            &self.api_base,
            &self.account_url,
        )
    }
}

/// The fields of an API key (token, secret...), each a secret.
#[derive(Debug, Clone, Default)]
pub struct KeyValues(pub BTreeMap<String, SecretString>);

impl KeyValues {
    /// One field's value, for the request that sends it ("" when the key has no such field).
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map(|s| s.expose_secret()).unwrap_or("")
    }
}

/// The stored form of [`StoredTokens`] (version 1). Every field but the token may be missing
/// from a value an earlier version wrote.
#[derive(Serialize, Deserialize)]
struct TokensJson {
    #[serde(default = "version_1")]
    v: u32,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_at: Option<u64>,
    /// Absent in values written before lifetimes were kept.
    #[serde(default)]
    lifetime: Option<u64>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    vars: Option<BTreeMap<String, String>>,
    #[serde(default)]
    api_key: Option<BTreeMap<String, String>>,
    /// Absent in values written before credentials were bound to their origin.
    #[serde(default)]
    origin: Option<Origin>,
}

fn version_1() -> u32 {
    1
}

fn corrupt(detail: &str) -> VaultError {
    VaultError::Corrupt {
        detail: detail.into(),
    }
}

impl StoredTokens {
    /// A connection made with an API key.
    pub(crate) fn from_key(
        key: KeyValues,
        account: String,
        vars: BTreeMap<String, String>,
        origin: Origin,
    ) -> Self {
        Self {
            access: AccessToken::new(String::new()),
            refresh: None,
            expires_at: None,
            lifetime: None,
            account,
            vars,
            api_key: Some(key),
            origin,
        }
    }

    /// The value the vault keeps.
    pub(crate) fn to_vault_secret(&self) -> SecretString {
        let json = TokensJson {
            v: 1,
            access_token: Some(self.access.secret().clone()),
            refresh_token: self.refresh.as_ref().map(|r| r.secret().clone()),
            expires_at: self.expires_at,
            lifetime: self.lifetime,
            account: Some(self.account.clone()),
            vars: Some(self.vars.clone()),
            api_key: self.api_key.as_ref().map(|k| {
                k.0.iter()
                    .map(|(f, v)| (f.clone(), v.expose_secret().to_string()))
                    .collect()
            }),
            origin: Some(self.origin.clone()),
        };
        SecretString::from(serde_json::to_string(&json).expect("strings and numbers serialize"))
    }

    /// Reads a stored value. One without an origin (written before credentials were bound)
    /// is refused here; the upgrade binds them once ([`StoredTokens::from_legacy_secret`]).
    pub(crate) fn from_secret(s: &SecretString) -> Result<Self, VaultError> {
        let mut json = parse(s)?;
        let origin = json.origin.take().ok_or_else(|| corrupt("no origin"))?;
        Self::from_json(json, origin)
    }

    /// A value written before credentials were bound to their origin, bound now to `origin`
    /// (the definition they were used with).
    pub(crate) fn from_legacy_secret(s: &SecretString, origin: Origin) -> Result<Self, VaultError> {
        Self::from_json(parse(s)?, origin)
    }

    fn from_json(json: TokensJson, origin: Origin) -> Result<Self, VaultError> {
        let api_key = json
            .api_key
            .map(|m| KeyValues(m.into_iter().map(|(f, v)| (f, v.into())).collect()));
        let access = match (json.access_token, &api_key) {
            (Some(a), _) => a,
            (None, Some(_)) => String::new(),
            (None, None) => return Err(corrupt("no access token")),
        };
        Ok(Self {
            access: AccessToken::new(access),
            refresh: json.refresh_token.map(RefreshToken::new),
            expires_at: json.expires_at,
            lifetime: json.lifetime,
            account: json.account.unwrap_or_default(),
            vars: json.vars.unwrap_or_default(),
            api_key,
            origin,
        })
    }

    pub(crate) fn needs_refresh(&self, now: u64) -> bool {
        self.expires_at
            .is_some_and(|e| now.saturating_add(refresh_margin(self.lifetime)) >= e)
    }
}

fn parse(s: &SecretString) -> Result<TokensJson, VaultError> {
    serde_json::from_str(s.expose_secret()).map_err(|_| corrupt("not JSON"))
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The keychain entry of one account's tokens.
pub fn tokens_key(namespace: &str, provider: &str, account: &AccountId) -> VaultKey {
    VaultKey::new(namespace, provider, account.as_str(), "tokens")
}

/// The keychain entry of the user's own client secret of a provider (BoomTown).
pub fn client_secret_key(namespace: &str, provider: &str) -> VaultKey {
    VaultKey::new(namespace, provider, "app", "client_secret")
}

/// A client secret with the token endpoint it was saved for.
#[derive(Debug, Clone)]
pub struct BoundSecret {
    pub secret: SecretString,
    pub token_endpoint: String,
}

/// The stored form of [`BoundSecret`] (version 1).
#[derive(Serialize, Deserialize)]
struct BoundSecretJson {
    #[serde(default = "version_1")]
    v: u32,
    secret: String,
    token_endpoint: String,
}

impl BoundSecret {
    pub fn to_secret(&self) -> SecretString {
        let json = BoundSecretJson {
            v: 1,
            secret: self.secret.expose_secret().to_string(),
            token_endpoint: self.token_endpoint.clone(),
        };
        SecretString::from(serde_json::to_string(&json).expect("strings serialize"))
    }

    /// A stored secret; one saved before secrets were bound (plain text) is refused here and
    /// bound once by the upgrade.
    pub fn read(stored: &SecretString) -> Result<Self, VaultError> {
        let json: BoundSecretJson = serde_json::from_str(stored.expose_secret())
            .map_err(|_| corrupt("the client secret entry is unreadable"))?;
        Ok(Self {
            secret: json.secret.into(),
            token_endpoint: json.token_endpoint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            issuer: Some("https://id.example.com".into()),
            token_endpoint: Some("https://id.example.com/token".into()),
            api_base: "https://api.example.com".into(),
            account_url: None,
            revocation_endpoint: None,
        }
    }

    #[test]
    fn oauth_tokens_round_trip() {
        let t = StoredTokens {
            access: AccessToken::new("at-1".into()),
            refresh: Some(RefreshToken::new("rt-1".into())),
            expires_at: Some(1_800_000_000),
            lifetime: Some(3600),
            account: "Acme".into(),
            vars: BTreeMap::from([("workspace".into(), "acme".into())]),
            api_key: None,
            origin: origin(),
        };
        let back = StoredTokens::from_secret(&t.to_vault_secret()).unwrap();
        assert_eq!(back.access.secret(), "at-1");
        assert_eq!(back.refresh.unwrap().secret(), "rt-1");
        assert_eq!(back.expires_at, Some(1_800_000_000));
        assert_eq!(back.lifetime, Some(3600));
        assert_eq!(back.account, "Acme");
        assert_eq!(back.vars, t.vars);
        assert!(back.api_key.is_none());
        assert_eq!(back.origin, origin());
    }

    #[test]
    fn the_refresh_margin_scales_with_the_lifetime() {
        assert_eq!(
            refresh_margin(None),
            60,
            "old entries keep the fixed margin"
        );
        assert_eq!(refresh_margin(Some(3600)), 60, "capped at a minute");
        assert_eq!(refresh_margin(Some(300)), 30);
        assert_eq!(refresh_margin(Some(30)), 3);
        assert_eq!(refresh_margin(Some(10)), 2, "the 2 s floor");
        assert_eq!(
            refresh_margin(Some(3)),
            1,
            "never more than half the lifetime"
        );
        assert_eq!(refresh_margin(Some(1)), 0);
        // A 30-second token is used for 27 s before it is refreshed.
        let issued = 1_800_000_000;
        let t = StoredTokens {
            access: AccessToken::new("at".into()),
            refresh: Some(RefreshToken::new("rt".into())),
            expires_at: Some(issued + 30),
            lifetime: Some(30),
            account: String::new(),
            vars: BTreeMap::new(),
            api_key: None,
            origin: origin(),
        };
        assert!(!t.needs_refresh(issued + 1));
        assert!(!t.needs_refresh(issued + 26));
        assert!(t.needs_refresh(issued + 27));
        // Stored before lifetimes were kept: read as unknown, refreshed a minute early.
        let old = SecretString::from(
            r#"{"v":1,"access_token":"a","expires_at":1800000030,"origin":{"issuer":null,"token_endpoint":null,"api_base":"x","account_url":null}}"#,
        );
        let old = StoredTokens::from_secret(&old).unwrap();
        assert_eq!(old.lifetime, None);
        assert!(old.needs_refresh(issued));
    }

    #[test]
    fn api_key_round_trips_and_debug_hides_it() {
        let key = KeyValues(BTreeMap::from([("token".into(), "k-secret".into())]));
        let t = StoredTokens::from_key(key, "Acme".into(), BTreeMap::new(), origin());
        assert!(!format!("{t:?}").contains("k-secret"));
        let back = StoredTokens::from_secret(&t.to_vault_secret()).unwrap();
        assert_eq!(back.api_key.unwrap().get("token"), "k-secret");
        assert_eq!(back.access.secret(), "");
    }

    #[test]
    fn values_without_origin_or_token_are_refused() {
        let no_origin = SecretString::from(r#"{"v":1,"access_token":"a"}"#);
        assert!(matches!(
            StoredTokens::from_secret(&no_origin),
            Err(VaultError::Corrupt { detail }) if detail == "no origin"
        ));
        // The upgrade binds such a value to the definition in use.
        let legacy = StoredTokens::from_legacy_secret(&no_origin, origin()).unwrap();
        assert_eq!(legacy.access.secret(), "a");
        assert_eq!(legacy.account, "");
        let no_token = SecretString::from(r#"{"v":1,"account":"x"}"#);
        assert!(matches!(
            StoredTokens::from_legacy_secret(&no_token, origin()),
            Err(VaultError::Corrupt { detail }) if detail == "no access token"
        ));
        assert!(matches!(
            StoredTokens::from_secret(&SecretString::from("not json")),
            Err(VaultError::Corrupt { detail }) if detail == "not JSON"
        ));
    }

    #[test]
    fn bound_secret_round_trips_and_plain_text_is_refused() {
        let b = BoundSecret {
            secret: "cs-1".into(),
            token_endpoint: "https://id.example.com/token".into(),
        };
        let back = BoundSecret::read(&b.to_secret()).unwrap();
        assert_eq!(back.secret.expose_secret(), "cs-1");
        assert_eq!(back.token_endpoint, b.token_endpoint);
        assert!(BoundSecret::read(&SecretString::from("cs-1")).is_err());
    }
}
