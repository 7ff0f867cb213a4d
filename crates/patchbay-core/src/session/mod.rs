//! One provider connection: its tokens (in the vault and in memory), where they may go, and
//! the API client. Submodules: stored tokens, endpoints, refresh, revocation, requests and
//! their retry policy.

mod endpoints;
mod refresh;
mod request;
mod retry;
mod revoke;
mod tokens;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::budget::{Budget, Clock, UsageKey, UsageLedger};
use crate::error::ApiError;
use crate::http::{HttpSettings, TokenHttp};
use crate::providers::ProviderDef;
use crate::vault::{Vault, VaultError, VaultKey};
use crate::world::{AccountId, World};

pub(crate) use endpoints::check_endpoint;
pub(crate) use endpoints::Endpoints;
pub(crate) use request::value_text;
pub use request::ApiResponse;
pub use tokens::{
    client_secret_key, refresh_margin, tokens_key, BoundSecret, KeyValues, Origin, StoredTokens,
    MAX_TOKEN_LIFETIME, REFRESH_MARGIN,
};
pub(crate) use tokens::{expiry_at, unix_now};

#[derive(Debug, Default)]
struct TokenState {
    loaded: bool,
    tokens: Option<StoredTokens>,
    generation: u64,
    needs_reconnect: bool,
    /// The generation whose origin was checked against the definition (checked once per
    /// token set, not on every request: the definition of a connection never changes).
    origin_checked: Option<u64>,
    /// The tokens in memory are newer than the vault's: the keychain write after a refresh
    /// failed. They are used anyway (the provider retired the old refresh token, so falling
    /// back to it would end the connection) and written again on the next use.
    unsaved: bool,
}

impl TokenState {
    /// Fresh tokens become the connection's: a new generation, nothing to reconnect or retry.
    fn take_fresh(&mut self, tokens: StoredTokens) {
        self.tokens = Some(tokens);
        self.loaded = true;
        self.generation += 1;
        self.needs_reconnect = false;
        self.unsaved = false;
    }
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

    pub(crate) fn def(&self) -> &Arc<ProviderDef> {
        &self.def
    }

    pub(crate) fn account(&self) -> &AccountId {
        &self.account
    }

    /// Counts this connection's requests in `ledger` (the core's, shared by its connections and
    /// kept across restarts) instead of a memory-only one.
    pub(crate) fn with_usage(mut self, ledger: Arc<UsageLedger>) -> Self {
        self.budget = Budget::new(&self.def.rate_limit, ledger, self.budget.key().clone());
        self
    }

    /// How many API requests this connection sent, retries included (not the token
    /// endpoint's, nor attempts that could not connect). Only grows.
    pub fn request_count(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Whose requests this connection's count is.
    pub(crate) fn usage_key(&self) -> &UsageKey {
        self.budget.key()
    }

    /// The world this connection belongs to (real unless said).
    pub(crate) fn in_world(mut self, world: World) -> Self {
        self.world = world;
        self
    }

    /// When a token issued now with `expires_in` expires (Unix seconds) and the lifetime it
    /// was issued for (seconds, clamped): neither for a provider whose access tokens do not
    /// expire (its `expires_in` is informational).
    pub(crate) fn expiry_of(&self, expires_in: Option<Duration>) -> (Option<u64>, Option<u64>) {
        if !self.def.access_token_expires() {
            return (None, None);
        }
        match expires_in {
            Some(d) => (
                Some(expiry_at(unix_now(), d)),
                Some(d.min(MAX_TOKEN_LIFETIME).as_secs()),
            ),
            None => (None, None),
        }
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
    pub(crate) async fn origin_matches(&self) -> Result<Option<bool>, ApiError> {
        let Some(tokens) = self.current().await? else {
            return Ok(None);
        };
        match self.check_origin(&tokens).await {
            Ok(()) => Ok(Some(true)),
            Err(ApiError::OriginChanged | ApiError::NeedsReconnect) => Ok(Some(false)),
            Err(e) => Err(e),
        }
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

    /// Whether the tokens in use are only in memory (their keychain write failed; it is
    /// retried on the next use). The tile warns: quitting now would lose the connection.
    pub async fn tokens_unsaved(&self) -> bool {
        self.state.lock().await.unsaved
    }

    /// Writes tokens kept only in memory to the vault again; they stay unsaved when it fails.
    async fn retry_unsaved(&self, state: &mut TokenState) {
        if !state.unsaved {
            return;
        }
        if let Some(tokens) = &state.tokens {
            match self.persist(tokens).await {
                Ok(()) => {
                    state.unsaved = false;
                    tracing::info!(provider = %self.def.id, "refreshed tokens saved to the keychain");
                }
                Err(e) => {
                    tracing::warn!(provider = %self.def.id, error = %e, "the refreshed tokens are still not in the keychain");
                }
            }
        }
    }

    /// Holds a connect's fresh tokens in memory only, for the account look-up: they are
    /// stored once, under the account they turn out to belong to ([`Self::install`]). Storing
    /// them here too cost a second keychain write (about 7 ms of every connect), and a connect
    /// that failed after it left them in the keychain under an account never listed.
    pub(crate) async fn hold(&self, tokens: StoredTokens) {
        self.state.lock().await.take_fresh(tokens);
    }

    /// Installs freshly issued tokens: written to the vault first, then used.
    pub(crate) async fn install(&self, tokens: StoredTokens) -> Result<(), VaultError> {
        let mut state = self.state.lock().await;
        self.persist(&tokens).await?;
        state.take_fresh(tokens);
        Ok(())
    }

    async fn persist(&self, tokens: &StoredTokens) -> Result<(), VaultError> {
        let vault = self.vault.clone();
        let key = self.key.clone();
        let secret = tokens.to_vault_secret();
        blocking(move || vault.set(&key, &secret)).await
    }

    /// Deletes the tokens from the vault and memory.
    pub(crate) async fn forget(&self, needs_reconnect: bool) -> Result<(), VaultError> {
        let mut state = self.state.lock().await;
        state.loaded = true;
        self.forget_locked(&mut state, needs_reconnect).await
    }

    /// Deletes the tokens from the vault and memory, under the caller's lock.
    async fn forget_locked(
        &self,
        state: &mut TokenState,
        needs_reconnect: bool,
    ) -> Result<(), VaultError> {
        state.tokens = None;
        state.generation += 1;
        state.needs_reconnect = needs_reconnect;
        state.unsaved = false;
        let vault = self.vault.clone();
        let key = self.key.clone();
        blocking(move || vault.delete(&key)).await
    }
}
