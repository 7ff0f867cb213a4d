//! One provider connection: its tokens (in the vault and in memory), the refresh with single
//! flight and rotation, and the resilient API client.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AccessToken, AuthType, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    RefreshToken, RequestTokenError, RevocationUrl, TokenResponse, TokenUrl,
};
use reqwest::header::{HeaderMap, ACCEPT};
use reqwest::Method;
use serde_json::Value;
use url::Url;

use crate::budget::{Budget, Clock, UsageKey, UsageLedger};
use crate::error::ApiError;
use crate::http::{HttpSettings, TokenHttp, TokenHttpError};
use crate::providers::{ClientAuth, ConnectionDef, KeySend, ProviderDef};
use crate::secret::SecretString;
use crate::vault::{Vault, VaultError, VaultKey};
use crate::world::{AccountId, World};

/// Refresh this long before the access token expires.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// What the vault holds for a connection. Debug never shows a token.
#[derive(Debug, Clone)]
pub struct StoredTokens {
    pub access: AccessToken,
    pub refresh: Option<RefreshToken>,
    /// Unix seconds.
    pub expires_at: Option<u64>,
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    fn used_for_access(&self) -> (&Option<String>, &Option<String>, &str, &Option<String>) {
        (
            &self.issuer,
            &self.token_endpoint,
            &self.api_base,
            &self.account_url,
        )
    }
}

/// The fields of an API key (token, secret...), each a secret.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyValues(pub BTreeMap<String, SecretString>);

impl KeyValues {
    pub fn get(&self, field: &str) -> &str {
        self.0.get(field).map(SecretString::expose).unwrap_or("")
    }
}

/// How one request authenticates.
enum RequestAuth {
    Bearer(AccessToken, u64),
    Key(KeyValues),
}

impl StoredTokens {
    /// A connection made with an API key.
    pub fn from_key(
        key: KeyValues,
        account: String,
        vars: BTreeMap<String, String>,
        origin: Origin,
    ) -> Self {
        Self {
            access: AccessToken::new(String::new()),
            refresh: None,
            expires_at: None,
            account,
            vars,
            api_key: Some(key),
            origin,
        }
    }

    fn to_secret(&self) -> SecretString {
        SecretString::new(
            serde_json::json!({
                "v": 1,
                "access_token": self.access.secret(),
                "refresh_token": self.refresh.as_ref().map(|r| r.secret()),
                "expires_at": self.expires_at,
                "account": self.account,
                "vars": self.vars,
                "api_key": self.api_key.as_ref().map(|k| k
                    .0
                    .iter()
                    .map(|(f, v)| (f.clone(), v.expose().to_string()))
                    .collect::<BTreeMap<_, _>>()),
                "origin": self.origin,
            })
            .to_string(),
        )
    }

    /// Reads a stored value. One without an origin (written before credentials were bound)
    /// is refused here; the upgrade binds them once ([`StoredTokens::from_legacy_secret`]).
    pub(crate) fn from_secret(s: &SecretString) -> Result<Self, VaultError> {
        let v: Value = serde_json::from_str(s.expose()).map_err(|_| VaultError::Corrupt {
            detail: "not JSON".into(),
        })?;
        let origin =
            serde_json::from_value(v["origin"].clone()).map_err(|_| VaultError::Corrupt {
                detail: "no origin".into(),
            })?;
        Self::from_value(&v, origin)
    }

    /// A value written before credentials were bound to their origin, bound now to `origin`
    /// (the definition they were used with).
    pub(crate) fn from_legacy_secret(s: &SecretString, origin: Origin) -> Result<Self, VaultError> {
        let v: Value = serde_json::from_str(s.expose()).map_err(|_| VaultError::Corrupt {
            detail: "not JSON".into(),
        })?;
        Self::from_value(&v, origin)
    }

    fn from_value(v: &Value, origin: Origin) -> Result<Self, VaultError> {
        let corrupt = |d: &str| VaultError::Corrupt { detail: d.into() };
        let api_key = match v.get("api_key") {
            Some(Value::Object(m)) => Some(KeyValues(
                m.iter()
                    .map(|(f, v)| (f.clone(), SecretString::new(v.as_str().unwrap_or_default())))
                    .collect(),
            )),
            _ => None,
        };
        let access = match (v["access_token"].as_str(), &api_key) {
            (Some(a), _) => a,
            (None, Some(_)) => "",
            (None, None) => return Err(corrupt("no access token")),
        };
        Ok(Self {
            access: AccessToken::new(access.to_string()),
            refresh: v["refresh_token"]
                .as_str()
                .map(|r| RefreshToken::new(r.to_string())),
            expires_at: v["expires_at"].as_u64(),
            account: v["account"].as_str().unwrap_or_default().to_string(),
            vars: serde_json::from_value(v["vars"].clone()).unwrap_or_default(),
            api_key,
            origin,
        })
    }

    pub(crate) fn to_vault_secret(&self) -> SecretString {
        self.to_secret()
    }

    fn needs_refresh(&self, now: u64) -> bool {
        self.expires_at
            .is_some_and(|e| now + REFRESH_MARGIN.as_secs() >= e)
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[derive(Debug, Default)]
struct TokenState {
    loaded: bool,
    tokens: Option<StoredTokens>,
    generation: u64,
    needs_reconnect: bool,
    /// The generation whose origin was checked against the definition (checked once per
    /// token set, not on every request: the definition of a connection never changes).
    origin_checked: Option<u64>,
}

/// The oauth2 client a connection uses for refresh and revoke.
pub(crate) type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointSet>;

/// The response of one API call.
#[derive(Debug)]
pub struct ApiResponse {
    pub body: Value,
    pub headers: HeaderMap,
}

/// Runs a blocking vault call off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, VaultError> + Send + 'static,
) -> Result<T, VaultError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| VaultError::Platform {
            detail: format!("vault task failed: {e}"),
        })?
}

/// The token and revocation endpoints a connection uses, and the issuer they belong to.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    pub client_id: String,
    pub issuer: Option<String>,
    pub token_url: String,
    pub revoke_url: Option<String>,
}

/// One account's connection to a provider, in one world.
#[derive(Debug)]
pub struct Connection {
    def: Arc<ProviderDef>,
    account: AccountId,
    /// Decides whether plain http on loopback may receive credentials.
    world: World,
    vault: Arc<dyn Vault>,
    key: VaultKey,
    secret_key: VaultKey,
    client_key: VaultKey,
    http: reqwest::Client,
    token_http: TokenHttp,
    settings: HttpSettings,
    /// Every API request passes it: window, token bucket, daily quota.
    budget: Budget,
    /// API requests actually sent (retries included).
    sent: AtomicU64,
    concurrency: Arc<tokio::sync::Semaphore>,
    state: tokio::sync::Mutex<TokenState>,
    refreshes: AtomicU64,
}

impl Connection {
    /// `namespace` is the world's keychain service ([`crate::world::World::vault_namespace`]).
    pub fn new(
        def: Arc<ProviderDef>,
        account: AccountId,
        vault: Arc<dyn Vault>,
        namespace: &str,
        http: reqwest::Client,
        settings: HttpSettings,
    ) -> Self {
        let key = tokens_key(namespace, &def.id, &account);
        let secret_key = client_secret_key(namespace, &def.id);
        let client_key = crate::discovery::client_key(namespace, &def.id);
        Self {
            client_key,
            // Memory only until the core hands over its shared ledger ([`Connection::with_usage`]).
            budget: Budget::new(
                &def.rate_limit,
                Arc::new(UsageLedger::memory(Clock::system())),
                UsageKey {
                    namespace: namespace.to_string(),
                    provider: def.id.to_string(),
                    account: account.as_str().to_string(),
                },
            ),
            sent: AtomicU64::new(0),
            concurrency: Arc::new(tokio::sync::Semaphore::new(
                def.rate_limit.concurrency.max(1),
            )),
            token_http: TokenHttp {
                client: http.clone(),
            },
            def,
            account,
            world: World::Real,
            vault,
            key,
            secret_key,
            http,
            settings,
            state: tokio::sync::Mutex::new(TokenState::default()),
            refreshes: AtomicU64::new(0),
        }
    }

    pub fn def(&self) -> &Arc<ProviderDef> {
        &self.def
    }

    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// Counts this connection's requests in `ledger` (the core's, shared by its connections and
    /// kept across restarts) instead of a memory-only one.
    pub fn with_usage(mut self, ledger: Arc<UsageLedger>) -> Self {
        self.budget = Budget::new(&self.def.rate_limit, ledger, self.budget.key().clone());
        self
    }

    /// How many API requests this connection sent, retries included (not the token
    /// endpoint's, nor attempts that could not connect). Only grows.
    pub fn request_count(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Whose requests this connection's count is.
    pub fn usage_key(&self) -> &UsageKey {
        self.budget.key()
    }

    /// Today's usage of the provider's daily quota, if it has one.
    pub fn usage(&self) -> Option<crate::budget::Usage> {
        self.budget.usage()
    }

    /// The world this connection belongs to (real unless said).
    pub fn in_world(mut self, world: World) -> Self {
        self.world = world;
        self
    }

    /// When a token issued now with `expires_in` expires: never for a provider whose access
    /// tokens do not expire (its `expires_in` is informational).
    pub(crate) fn expiry_of(&self, expires_in: Option<Duration>) -> Option<u64> {
        if !self.def.access_token_expires() {
            return None;
        }
        expires_in.map(|d| unix_now().saturating_add(d.as_secs()))
    }

    /// Where credentials issued now, under the definition in use, belong.
    pub(crate) async fn expected_origin(&self) -> Result<Origin, ApiError> {
        let (issuer, token_endpoint, revocation_endpoint) = if self.def.connection.is_api_key() {
            (None, None, None)
        } else {
            let e = self.endpoints().await?;
            (e.issuer, Some(e.token_url), e.revoke_url)
        };
        Ok(Origin {
            issuer,
            token_endpoint,
            api_base: self.def.api_base.clone(),
            account_url: self.def.account.url.clone(),
            revocation_endpoint,
        })
    }

    /// [`Connection::check_origin`] once per token generation.
    async fn ensure_origin(&self, state: &mut TokenState) -> Result<(), ApiError> {
        if state.origin_checked == Some(state.generation) {
            return Ok(());
        }
        if let Some(tokens) = &state.tokens {
            self.check_origin(tokens).await?;
            state.origin_checked = Some(state.generation);
        }
        Ok(())
    }

    /// Refuses to use credentials anywhere but where they were issued.
    async fn check_origin(&self, tokens: &StoredTokens) -> Result<(), ApiError> {
        let expected = self.expected_origin().await?;
        if tokens.origin.used_for_access() == expected.used_for_access() {
            Ok(())
        } else {
            tracing::warn!(provider = %self.def.id, "the provider's address changed since the account was connected; nothing sent");
            Err(ApiError::OriginChanged)
        }
    }

    /// Whether the stored credentials may be used with the definition in use (the tile asks
    /// to reconnect when not). `Ok(None)`: no credentials stored.
    pub async fn origin_matches(&self) -> Result<Option<bool>, ApiError> {
        let Some(tokens) = self.current().await? else {
            return Ok(None);
        };
        match self.check_origin(&tokens).await {
            Ok(()) => Ok(Some(true)),
            Err(ApiError::OriginChanged | ApiError::NeedsReconnect) => Ok(Some(false)),
            Err(e) => Err(e),
        }
    }

    /// How many refreshes this connection made (for tests and diagnostics).
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::SeqCst)
    }

    async fn ensure_loaded(&self, state: &mut TokenState) -> Result<(), ApiError> {
        if !state.loaded {
            let vault = self.vault.clone();
            let key = self.key.clone();
            let stored = blocking(move || vault.get(&key)).await?;
            state.tokens = match stored {
                Some(s) => Some(StoredTokens::from_secret(&s)?),
                None => None,
            };
            state.loaded = true;
        }
        Ok(())
    }

    /// The stored connection, if any (loads it from the vault once).
    pub async fn current(&self) -> Result<Option<StoredTokens>, ApiError> {
        let mut state = self.state.lock().await;
        self.ensure_loaded(&mut state).await?;
        Ok(state.tokens.clone())
    }

    pub async fn needs_reconnect(&self) -> bool {
        self.state.lock().await.needs_reconnect
    }

    /// Installs freshly issued tokens: written to the vault first, then used.
    pub async fn install(&self, tokens: StoredTokens) -> Result<(), VaultError> {
        let mut state = self.state.lock().await;
        self.persist(&tokens).await?;
        state.tokens = Some(tokens);
        state.loaded = true;
        state.generation += 1;
        state.needs_reconnect = false;
        Ok(())
    }

    async fn persist(&self, tokens: &StoredTokens) -> Result<(), VaultError> {
        let vault = self.vault.clone();
        let key = self.key.clone();
        let secret = tokens.to_secret();
        blocking(move || vault.set(&key, &secret)).await
    }

    /// Deletes the tokens from the vault and memory.
    pub async fn forget(&self, needs_reconnect: bool) -> Result<(), VaultError> {
        let mut state = self.state.lock().await;
        state.tokens = None;
        state.loaded = true;
        state.generation += 1;
        state.needs_reconnect = needs_reconnect;
        let vault = self.vault.clone();
        let key = self.key.clone();
        blocking(move || vault.delete(&key)).await
    }

    /// The oauth2 client for the token and revocation endpoints, with the client secret from
    /// the vault when the definition asks for one.
    /// The client id, token endpoint and revocation endpoint: typed in the definition, or
    /// found by discovery (and registration) and kept in the vault.
    pub(crate) async fn endpoints(&self) -> Result<Endpoints, ApiError> {
        let Some(discovery) = self.def.connection.discovery() else {
            return Ok(Endpoints {
                client_id: self.def.client_id().to_string(),
                issuer: self.def.issuer().map(|i| i.as_str().to_string()),
                token_url: self.def.token_url().map(Url::to_string).unwrap_or_default(),
                revoke_url: self.def.revoke_url().map(Url::to_string),
            });
        };
        let vault = self.vault.clone();
        let key = self.client_key.clone();
        let stored = blocking(move || vault.get(&key)).await?;
        match stored.and_then(|s| crate::discovery::OauthClient::from_secret(&s)) {
            // A registration made at another authorization server is not this provider's.
            Some(c) if crate::discovery::same_issuer(&c.issuer, discovery) => Ok(Endpoints {
                client_id: c.client_id,
                issuer: Some(c.issuer),
                token_url: c.token_endpoint,
                revoke_url: c.revocation_endpoint,
            }),
            Some(_) => Err(ApiError::OriginChanged),
            None => Err(ApiError::NeedsReconnect),
        }
    }

    /// The user's client secret, when it was saved for the token endpoint in use; a secret
    /// saved for another endpoint is never sent.
    async fn client_secret(&self, token_url: &str) -> Result<Option<SecretString>, ApiError> {
        let vault = self.vault.clone();
        let key = self.secret_key.clone();
        let Some(stored) = blocking(move || vault.get(&key)).await? else {
            return Ok(None);
        };
        let bound = BoundSecret::read(&stored)?;
        if bound.token_endpoint == token_url {
            Ok(Some(bound.secret))
        } else {
            tracing::warn!(provider = %self.def.id, "the client secret was saved for another token endpoint; not sent");
            Err(ApiError::OriginChanged)
        }
    }

    /// Forgets a registered client the provider refused (the next connect registers again).
    pub(crate) async fn drop_registration(&self) -> Result<(), VaultError> {
        if !self.def.connection.registers_dynamically() {
            return Ok(());
        }
        tracing::warn!(provider = %self.def.id, "the provider refused the registered client; dropping it");
        let vault = self.vault.clone();
        let key = self.client_key.clone();
        blocking(move || vault.delete(&key)).await
    }

    pub(crate) async fn token_client(&self) -> Result<TokenClient, ApiError> {
        let bad = |e: String| ApiError::TokenEndpoint(format!("bad endpoint URL: {e}"));
        let Endpoints {
            client_id,
            token_url,
            revoke_url,
            ..
        } = self.endpoints().await?;
        for url in std::iter::once(&token_url).chain(revoke_url.as_ref()) {
            check_endpoint(&self.def, self.world, url)?;
        }
        let secret = if self.def.client_auth() != ClientAuth::None {
            self.client_secret(&token_url).await?
        } else {
            None
        };
        let mut client = BasicClient::new(ClientId::new(client_id))
            .set_token_uri(TokenUrl::new(token_url).map_err(|e| bad(e.to_string()))?)
            .set_revocation_url_option(
                revoke_url
                    .map(RevocationUrl::new)
                    .transpose()
                    .map_err(|e| bad(e.to_string()))?,
            );
        if self.def.client_auth() != ClientAuth::None {
            if let Some(secret) = secret {
                client = client.set_client_secret(ClientSecret::new(secret.expose().to_string()));
            }
            client = client.set_auth_type(match self.def.client_auth() {
                ClientAuth::ClientSecretBasic => AuthType::BasicAuth,
                _ => AuthType::RequestBody,
            });
        }
        Ok(client)
    }

    pub(crate) fn token_http(&self) -> &TokenHttp {
        &self.token_http
    }

    /// A valid access token and its generation; refreshes 60 s before expiry. Concurrent
    /// callers wait on the same lock, so one refresh serves them all.
    pub async fn access_token(&self) -> Result<(AccessToken, u64), ApiError> {
        let mut state = self.state.lock().await;
        self.ensure_loaded(&mut state).await?;
        let tokens = match &state.tokens {
            Some(t) => t,
            None if state.needs_reconnect => return Err(ApiError::NeedsReconnect),
            None => return Err(ApiError::NotConnected),
        };
        let refresh = tokens.needs_refresh(unix_now());
        self.ensure_origin(&mut state).await?;
        if refresh {
            self.refresh_locked(&mut state).await?;
        }
        let tokens = state.tokens.as_ref().ok_or(ApiError::NotConnected)?;
        Ok((tokens.access.clone(), state.generation))
    }

    /// After a 401 with the token of `generation`: refresh unless someone already did.
    pub async fn refresh_after_rejection(&self, generation: u64) -> Result<(), ApiError> {
        let mut state = self.state.lock().await;
        if state.generation != generation {
            return Ok(());
        }
        self.refresh_locked(&mut state).await
    }

    /// Refreshes now (tests, "refresh" buttons).
    pub async fn refresh_now(&self) -> Result<(), ApiError> {
        let mut state = self.state.lock().await;
        self.ensure_loaded(&mut state).await?;
        self.refresh_locked(&mut state).await
    }

    async fn refresh_locked(&self, state: &mut TokenState) -> Result<(), ApiError> {
        let Some(current) = state.tokens.clone() else {
            return Err(ApiError::NotConnected);
        };
        self.check_origin(&current).await?;
        if current.api_key.is_some() {
            // An API key has nothing to refresh (and must never be dropped for that).
            return Ok(());
        }
        let Some(refresh) = current.refresh.clone() else {
            drop(self.forget_locked(state, true).await);
            return Err(ApiError::NeedsReconnect);
        };
        let client = self.token_client().await?;
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        tracing::debug!(provider = %self.def.id, "refreshing the access token");
        let result = client
            .exchange_refresh_token(&refresh)
            .request_async(&self.token_http)
            .await;
        match result {
            Ok(resp) => {
                let new = StoredTokens {
                    access: resp.access_token().clone(),
                    // Rotation: a new refresh token replaces the old one; else keep it.
                    refresh: resp.refresh_token().cloned().or(Some(refresh)),
                    expires_at: self.expiry_of(resp.expires_in()),
                    account: current.account.clone(),
                    vars: current.vars.clone(),
                    api_key: None,
                    origin: current.origin.clone(),
                };
                // The rotated refresh token is in the vault before the new access token is used.
                self.persist(&new).await?;
                state.tokens = Some(new);
                state.generation += 1;
                tracing::info!(provider = %self.def.id, "access token refreshed");
                Ok(())
            }
            Err(RequestTokenError::ServerResponse(e))
                if *e.error() == BasicErrorResponseType::InvalidGrant =>
            {
                tracing::warn!(provider = %self.def.id, "refresh refused (invalid_grant): reconnect needed");
                self.forget_locked(state, true).await?;
                Err(ApiError::NeedsReconnect)
            }
            Err(RequestTokenError::ServerResponse(e))
                if *e.error() == BasicErrorResponseType::InvalidClient
                    && self.def.connection.registers_dynamically() =>
            {
                self.drop_registration().await?;
                self.forget_locked(state, true).await?;
                Err(ApiError::NeedsReconnect)
            }
            Err(RequestTokenError::ServerResponse(e)) => {
                Err(ApiError::TokenEndpoint(format!("refused: {}", e.error())))
            }
            Err(RequestTokenError::Request(TokenHttpError::Status(s))) => {
                Err(ApiError::TokenEndpoint(format!("HTTP {s}")))
            }
            Err(RequestTokenError::Request(e)) => Err(ApiError::Network(e.to_string())),
            Err(RequestTokenError::Parse(..)) => {
                Err(ApiError::TokenEndpoint("unreadable response".into()))
            }
            Err(RequestTokenError::Other(o)) => Err(ApiError::TokenEndpoint(o)),
        }
    }

    async fn forget_locked(
        &self,
        state: &mut TokenState,
        needs_reconnect: bool,
    ) -> Result<(), VaultError> {
        state.tokens = None;
        state.generation += 1;
        state.needs_reconnect = needs_reconnect;
        let vault = self.vault.clone();
        let key = self.key.clone();
        blocking(move || vault.delete(&key)).await
    }

    /// Revokes the stored refresh token (or the access token when there is none) per
    /// RFC 7009. The definition check allows only https endpoints (or http on loopback, for
    /// the sandbox), so this is done here rather than by the oauth2 crate, which refuses
    /// plain http outright. Not retried: the caller deletes the tokens whatever happens.
    pub async fn revoke(&self) -> Result<(), ApiError> {
        let Some(tokens) = self.current().await? else {
            return Ok(());
        };
        if tokens.api_key.is_some() {
            // An API key is the user's own: deleting our copy is all a disconnect can do.
            return Ok(());
        }
        self.check_origin(&tokens).await?;
        let Endpoints {
            client_id,
            token_url,
            revoke_url,
            ..
        } = self.endpoints().await?;
        let Some(url) = revoke_url else {
            return Ok(());
        };
        if tokens.origin.revocation_endpoint.as_deref() != Some(url.as_str()) {
            tracing::warn!(provider = %self.def.id, "the revocation endpoint is not the one the tokens were issued with; not revoking there");
            return Err(ApiError::OriginChanged);
        }
        check_endpoint(&self.def, self.world, &url)?;
        let (token, hint) = match &tokens.refresh {
            Some(r) => (r.secret().to_string(), "refresh_token"),
            None => (tokens.access.secret().to_string(), "access_token"),
        };
        let mut form = vec![("token", token), ("token_type_hint", hint.to_string())];
        let mut req = self.http.post(url);
        let secret = if self.def.client_auth() != ClientAuth::None {
            self.client_secret(&token_url).await?
        } else {
            None
        };
        match (self.def.client_auth(), secret) {
            (ClientAuth::ClientSecretBasic, Some(s)) => {
                req = req.basic_auth(&client_id, Some(s.expose()));
            }
            (ClientAuth::ClientSecretPost, Some(s)) => {
                form.push(("client_id", client_id.clone()));
                form.push(("client_secret", s.expose().to_string()));
            }
            _ => form.push(("client_id", client_id.clone())),
        }
        let resp = req
            .form(&form)
            .send()
            .await
            .map_err(|e| ApiError::Network(describe(&e)))?;
        match resp.status().as_u16() {
            200 => Ok(()),
            s => Err(ApiError::Http {
                status: s,
                detail: "revocation refused".into(),
            }),
        }
    }

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
        self.request_inner(method, url, body, idempotent, None)
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

    async fn request_inner(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
        idempotent: bool,
        probe: Option<&KeyValues>,
    ) -> Result<ApiResponse, ApiError> {
        check_endpoint(&self.def, self.world, url.as_str())?;
        let policy = &self.settings.retry;
        let started = Instant::now();
        let mut attempts = 0u32;
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
            let (last, delay) = match outcome {
                Err(e) => {
                    if !idempotent {
                        return Err(ApiError::Network(describe(&e)));
                    }
                    (describe(&e), policy.backoff(attempts))
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    self.budget.observe(&headers);
                    match status {
                        200..=299 => match resp.bytes().await {
                            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                                Ok(body) => {
                                    drop(permit);
                                    return Ok(ApiResponse { body, headers });
                                }
                                Err(_) if idempotent => {
                                    ("malformed JSON body".to_string(), policy.backoff(attempts))
                                }
                                Err(e) => return Err(ApiError::Decode(e.to_string())),
                            },
                            Err(e) if idempotent => (describe(&e), policy.backoff(attempts)),
                            Err(e) => return Err(ApiError::Network(describe(&e))),
                        },
                        401 => {
                            drop(permit);
                            let RequestAuth::Bearer(_, generation) = auth else {
                                // A key cannot be refreshed: the provider refused it.
                                return Err(ApiError::Unauthorized);
                            };
                            if refreshed {
                                return Err(ApiError::Unauthorized);
                            }
                            refreshed = true;
                            self.refresh_after_rejection(generation).await?;
                            continue;
                        }
                        403 => return Err(ApiError::Forbidden { status }),
                        429 => {
                            // Refused until the daily reset: a pause, not an error to retry.
                            if let Some(refusal) = self.budget.refused_for_the_day(&headers) {
                                return Err(refusal.into());
                            }
                            match self.budget.retry_after(&headers) {
                                Some(d) if d > policy.max_retry_after => {
                                    return Err(ApiError::RateLimited {
                                        retry_after_secs: d.as_secs(),
                                    })
                                }
                                Some(d) => ("HTTP 429".to_string(), d),
                                None => ("HTTP 429".to_string(), policy.backoff(attempts)),
                            }
                        }
                        408 | 500..=599 if idempotent => {
                            (format!("HTTP {status}"), policy.backoff(attempts))
                        }
                        _ => {
                            let detail = resp
                                .json::<Value>()
                                .await
                                .ok()
                                .and_then(|v| {
                                    // OAuth-style `error`, or RFC 7807 problem details
                                    // (EmailOctopus v2).
                                    ["error", "title", "detail", "error_message"]
                                        .iter()
                                        .find_map(|k| v[*k].as_str().map(str::to_string))
                                })
                                .unwrap_or_default();
                            return Err(ApiError::Http { status, detail });
                        }
                    }
                }
            };
            drop(permit);
            attempts += 1;
            tracing::debug!(provider = %self.def.id, attempt = attempts, reason = %last, "retrying");
            if attempts >= policy.max_attempts || started.elapsed() + delay > policy.max_total {
                return Err(ApiError::RetriesExhausted { attempts, last });
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// The account look-up: the display name and the variables the definition asks for.
    pub async fn fetch_account(&self) -> Result<(String, BTreeMap<String, String>), ApiError> {
        self.fetch_account_with(None).await
    }

    /// The account look-up with a key that is not stored yet ("Test and save").
    pub async fn fetch_account_with(
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
            .request_inner(Method::GET, &url, None, true, probe)
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

/// Whether `url` may receive `def`'s credentials in `world`: https, or plain http on a
/// loopback address only in the demo world or when the provider itself lives on loopback
/// (its issuer, or for an API-key provider its API), so an https provider's credentials never
/// go to whatever listens on this machine.
pub fn check_endpoint(def: &ProviderDef, world: World, url: &str) -> Result<(), ApiError> {
    let refused = |why: &str| ApiError::RefusedUrl(format!("{why}: {}", def.id));
    let parsed = Url::parse(url).map_err(|_| refused("not a URL"))?;
    let home = def
        .issuer()
        .map(|i| i.as_str())
        .or(def.connection.discovery())
        .unwrap_or(&def.api_base);
    let home = Url::parse(home).ok();
    crate::url_rules::endpoint_allowed(&parsed, world, home.as_ref())
        .map_err(|e| refused(&e.to_string()))
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

impl BoundSecret {
    pub fn to_secret(&self) -> SecretString {
        SecretString::new(
            serde_json::json!({
                "v": 1,
                "secret": self.secret.expose(),
                "token_endpoint": self.token_endpoint,
            })
            .to_string(),
        )
    }

    /// A stored secret; one saved before secrets were bound (plain text) is refused here and
    /// bound once by the upgrade.
    pub fn read(stored: &SecretString) -> Result<Self, VaultError> {
        let corrupt = || VaultError::Corrupt {
            detail: "the client secret entry is unreadable".into(),
        };
        let v: Value = serde_json::from_str(stored.expose()).map_err(|_| corrupt())?;
        match (v["secret"].as_str(), v["token_endpoint"].as_str()) {
            (Some(secret), Some(endpoint)) => Ok(Self {
                secret: SecretString::new(secret),
                token_endpoint: endpoint.to_string(),
            }),
            _ => Err(corrupt()),
        }
    }
}

/// A JSON value as text: strings bare, everything else as JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A reqwest error without its URL (the URL is fine, but keep messages short and uniform).
fn describe(e: &reqwest::Error) -> String {
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
