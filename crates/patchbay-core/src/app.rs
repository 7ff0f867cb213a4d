//! The facade the Tauri shell calls: [`Patchbay`], one per world.

use std::collections::{BTreeMap, HashMap};
use std::ops::Deref;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oauth2::basic::BasicErrorResponseType;
use oauth2::{RequestTokenError, TokenResponse};
use url::Url;

use crate::accounts::{AccountEntry, AccountIndex};
use crate::budget::{BudgetView, UsageKey, UsageLedger};
use crate::discovery::{self, OauthClient};
use crate::error::{ApiError, ConnectError};
use crate::http::{build_client, HttpSettings, TokenHttpError};
use crate::loopback::{CompletionPage, LoopbackHandle, LoopbackListener};
use crate::oauth::{
    authorize_request, Callback, PendingTable, CUSTOM_SCHEME_REDIRECT, PENDING_MAX, PENDING_TTL,
};
use crate::paging::{stream_from, PageEvent, PagePosition, Record};
use crate::providers::{
    load_with_overrides, ClientAuth, ConnectionDef, DefinitionError, ProviderDef, RedirectKind,
};
use crate::secret::SecretString;
use crate::session::{
    blocking, client_secret_key, tokens_key, unix_now, value_text, BoundSecret, Connection,
    KeyValues, StoredTokens,
};
use crate::vault::{build_namespace, Vault, VaultKey};
use crate::views::{
    AccountState, AccountView, AuthMethodView, Cell, ConnectOutcome, ConnectionChange,
    ProviderTile, ReconnectReason, RecordPage, ResourceView, SyncProgress, UserError,
};
use crate::world::{AccountId, World};

/// What a sync reads: its filter (query parameters an incremental pass adds) and where to
/// resume. A resumed read keeps the filter its cursor was made with, so it reads the same list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncPlan {
    pub filter: Vec<(String, String)>,
    pub resume: Option<SyncCursor>,
}

/// Where a sync stands once a page is stored: every record before it was handed over. Stored
/// with each page (as JSON) and given back in [`SyncPlan::resume`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncCursor {
    /// The query parameters the read started with.
    #[serde(default)]
    pub filter: Vec<(String, String)>,
    /// The parent record (its id) whose children were being read.
    #[serde(default)]
    pub parent: Option<String>,
    /// The value of the resource's split parameter being read.
    #[serde(default)]
    pub split: Option<String>,
    /// Where in that list.
    pub position: PagePosition,
}

/// One page of a sync, as it arrives.
pub struct SyncPage<'a> {
    pub progress: SyncProgress,
    /// Empty for the final report (`progress.done`).
    pub records: &'a [Record],
    /// Where to resume once this page (and every one handed over before it) is stored.
    pub cursor: SyncCursor,
}

/// What a sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOutcome {
    /// Records handed over (a repeated record counts each time).
    pub records: usize,
    /// API requests sent (first attempts; retries are not counted).
    pub requests: u64,
    /// It started from a resume cursor.
    pub resumed: bool,
}

/// Fetches every record of a (parent) resource; answers them and the requests sent.
async fn fetch_counted(
    conn: &Connection,
    url: &Url,
    resource: &crate::providers::ResourceDef,
) -> Result<(Vec<Record>, u64), ApiError> {
    let records = std::sync::Mutex::new(Vec::new());
    let streamed = stream_from(conn, url, resource, None, &|e: PageEvent<'_>| {
        lock(&records).extend_from_slice(e.records)
    })
    .await?;
    let records = records.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok((
        crate::paging::dedupe(records, &resource.id_pointer),
        streamed.requests,
    ))
}

/// Settings of a [`Patchbay`]; tests shorten the timings.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Build namespace; defaults to [`build_namespace`]. The world's keychain service is
    /// derived from it ([`CoreConfig::vault_namespace`]).
    pub namespace: String,
    pub world: World,
    pub http: HttpSettings,
    pub pending_ttl: Duration,
    pub pending_max: usize,
    /// Where the daily request counts are kept across restarts (a small private file, one per
    /// core: each core rewrites the whole file with what it knows); `None` keeps them in
    /// memory only.
    pub usage_path: Option<std::path::PathBuf>,
    /// The time the daily quotas go by (tests move it with the sandbox's clock).
    pub clock: crate::budget::Clock,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            namespace: build_namespace().to_string(),
            world: World::Real,
            http: HttpSettings::default(),
            pending_ttl: PENDING_TTL,
            pending_max: PENDING_MAX,
            usage_path: None,
            clock: crate::budget::Clock::system(),
        }
    }
}

impl CoreConfig {
    /// The keychain service of this core's world.
    pub fn vault_namespace(&self) -> String {
        self.world.vault_namespace(&self.namespace)
    }
}

/// Patchbay's core for one world: provider definitions, accounts, connects, syncs. Cheap to
/// share: the state lives in [`CoreState`], which background work (the loopback listener,
/// pending-request expiry) holds on to.
#[derive(Debug)]
pub struct Patchbay {
    state: Arc<CoreState>,
}

impl Deref for Patchbay {
    type Target = CoreState;
    fn deref(&self) -> &CoreState {
        &self.state
    }
}

/// What a [`Patchbay`] knows; reached through it.
#[derive(Debug)]
pub struct CoreState {
    defs: Vec<Arc<ProviderDef>>,
    load_errors: Vec<DefinitionError>,
    vault: Arc<dyn Vault>,
    config: CoreConfig,
    /// The world's keychain service.
    namespace: String,
    http: reqwest::Client,
    pending: PendingTable,
    accounts: AccountIndex,
    connections: Mutex<HashMap<(String, AccountId), Arc<Connection>>>,
    /// The loopback listener of each provider's connect in progress; dropping one closes it.
    loopbacks: Mutex<HashMap<String, LoopbackHandle>>,
    last_synced: Mutex<HashMap<(String, AccountId), String>>,
    /// Definitions completed by discovery and registration, by provider (the issuer a
    /// callback is checked against).
    resolved: Mutex<HashMap<String, Arc<ProviderDef>>>,
    /// One discovery/registration at a time, so two quick clicks register once.
    resolving: tokio::sync::Mutex<()>,
    changes: tokio::sync::broadcast::Sender<ConnectionChange>,
    /// Today's request counts of every account, shared by the connections.
    usage: Arc<UsageLedger>,
}

/// A std mutex whose holder panicked still guards plain data: take it anyway.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Patchbay {
    /// The given definitions.
    pub fn new(defs: Vec<ProviderDef>, vault: Arc<dyn Vault>, config: CoreConfig) -> Self {
        let namespace = config.vault_namespace();
        let usage = Arc::new(UsageLedger::open(
            config.usage_path.clone(),
            config.clock.clone(),
        ));
        Self {
            state: Arc::new(CoreState {
                defs: defs.into_iter().map(Arc::new).collect(),
                load_errors: Vec::new(),
                http: build_client(&config.http),
                pending: PendingTable::new(config.pending_ttl, config.pending_max),
                accounts: AccountIndex::new(vault.clone(), &namespace),
                namespace,
                vault,
                config,
                connections: Mutex::new(HashMap::new()),
                loopbacks: Mutex::new(HashMap::new()),
                last_synced: Mutex::new(HashMap::new()),
                resolved: Mutex::new(HashMap::new()),
                resolving: tokio::sync::Mutex::new(()),
                changes: tokio::sync::broadcast::channel(64).0,
                usage,
            }),
        }
    }

    fn state_mut(&mut self) -> &mut CoreState {
        Arc::get_mut(&mut self.state).expect("a core is configured before it is shared")
    }

    /// The built-in definitions, each overridden by a valid file in `override_dir`; invalid
    /// files are kept as [`CoreState::definition_errors`].
    pub fn load(override_dir: Option<&Path>, vault: Arc<dyn Vault>, config: CoreConfig) -> Self {
        let (defs, errors) = load_with_overrides(override_dir);
        for e in &errors {
            tracing::warn!(error = %e, "provider definition rejected");
        }
        let mut me = Self::new(defs, vault, config);
        me.state_mut().load_errors = errors;
        me
    }

    /// The desktop app's real-world core: built-in definitions with the user's overrides
    /// (`<config dir>/patchbay/providers/*.toml`), the OS keychain, or the plaintext file the
    /// user explicitly opted in to when there is no keychain.
    pub fn open_default(insecure_storage_opt_in: Option<std::path::PathBuf>) -> Self {
        let dir = crate::providers::user_override_dir();
        Self::load(
            dir.as_deref(),
            crate::vault::system_vault(insecure_storage_opt_in),
            CoreConfig::default(),
        )
    }

    /// Demo mode: every provider URL points at the sandbox at `sandbox_url`, and the core
    /// works in the demo world (its own keychain entries).
    pub fn demo(mut self, sandbox_url: &str) -> Self {
        let state = self.state_mut();
        state.defs = state
            .defs
            .iter()
            .map(|d| {
                let mut d = (**d).clone();
                d.rewrite_for_demo(sandbox_url);
                Arc::new(d)
            })
            .collect();
        state.config.world = World::Demo;
        state.namespace = state.config.vault_namespace();
        state.accounts = AccountIndex::new(state.vault.clone(), &state.namespace);
        lock(&state.connections).clear();
        self
    }

    /// Starts connecting a new account (or reconnecting one: the provider's account look-up
    /// tells which): returns the authorize URL to open in the browser. The pending request
    /// expires by itself (a [`ConnectionChange`] tells); with a loopback redirect, the
    /// listener completes the connection when the browser comes back.
    pub async fn begin_connect(&self, provider_id: &str) -> Result<Url, ConnectError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ConnectError::UnknownProvider(provider_id.into()))?
            .clone();
        if def.connection.is_api_key() {
            return Err(ConnectError::UsesApiKey {
                provider_id: provider_id.into(),
            });
        }
        if def.client_auth != ClientAuth::None
            && (def.client_id.is_empty() || !self.has_client_secret(provider_id).await)
        {
            return Err(ConnectError::NeedsClientCredentials {
                provider_id: provider_id.into(),
            });
        }
        let def = if def.connection.discovery().is_some() {
            self.resolve_oauth(&def).await?
        } else {
            def
        };
        self.check_endpoint(&def, &def.authorize_url)
            .and_then(|()| self.check_endpoint(&def, &def.token_url))
            .map_err(|e| ConnectError::Api {
                provider_id: provider_id.into(),
                error: e,
            })?;
        // A new connect replaces the provider's earlier one, listener included.
        lock(&self.loopbacks).remove(provider_id);
        let url = match def.redirect {
            RedirectKind::CustomScheme => {
                let (url, pending) = authorize_request(&def, CUSTOM_SCHEME_REDIRECT)
                    .map_err(ConnectError::Config)?;
                self.pending.insert(pending);
                url
            }
            RedirectKind::Loopback => self.begin_loopback(&def).await?,
        };
        self.expire_later(provider_id);
        tracing::info!(provider = %provider_id, "connect started");
        self.changed(provider_id);
        Ok(url)
    }

    /// RFC 8252 §7.3: a listener on 127.0.0.1 receives the browser's redirect and completes
    /// the connection itself; requests whose `state` is not the pending one are answered 400
    /// and consume nothing.
    async fn begin_loopback(&self, def: &Arc<ProviderDef>) -> Result<Url, ConnectError> {
        let listener = LoopbackListener::bind()
            .await
            .map_err(|e| ConnectError::Listener(e.to_string()))?;
        let redirect = listener.redirect_uri();
        let (url, pending) = authorize_request(def, &redirect).map_err(ConnectError::Config)?;
        self.pending.insert(pending);
        let accepts = {
            let core = Arc::downgrade(&self.state);
            let redirect = redirect.clone();
            move |state: &str| {
                core.upgrade()
                    .is_some_and(|c| c.pending.knows_state(state, &redirect))
            }
        };
        let complete = {
            let core = Arc::downgrade(&self.state);
            let name = def.display_name.clone();
            move |callback: String| async move {
                let Some(core) = core.upgrade() else {
                    return CompletionPage::Failed {
                        message: "Patchbay closed before the connection was made.".into(),
                    };
                };
                match core.complete(&callback).await {
                    Ok(ConnectOutcome::Connected { .. }) => CompletionPage::Connected {
                        provider_name: name,
                    },
                    Ok(ConnectOutcome::Cancelled { .. }) => CompletionPage::Cancelled {
                        provider_name: name,
                    },
                    Err(e) => {
                        let view = core.connect_error_view(&e);
                        CompletionPage::Failed {
                            message: format!("{} {}", view.message, view.advice),
                        }
                    }
                }
            }
        };
        let handle = listener.serve(self.config.pending_ttl, accepts, complete);
        lock(&self.loopbacks).insert(def.id.clone(), handle);
        Ok(url)
    }

    /// Tells the window when the provider's pending request runs out.
    fn expire_later(&self, provider_id: &str) {
        let core = Arc::downgrade(&self.state);
        let provider = provider_id.to_string();
        let ttl = self.config.pending_ttl;
        tokio::spawn(async move {
            tokio::time::sleep(ttl + Duration::from_millis(20)).await;
            if let Some(core) = core.upgrade() {
                if core.pending.has_expired(&provider) {
                    lock(&core.loopbacks).remove(&provider);
                    tracing::info!(%provider, "connect expired");
                    core.changed(&provider);
                }
            }
        });
    }
}

impl CoreState {
    pub fn world(&self) -> World {
        self.config.world
    }

    /// Where secrets are kept (Settings shows it; `Unavailable` explains the fix on connect).
    pub fn vault_kind(&self) -> crate::vault::VaultKind {
        self.vault.kind()
    }

    pub fn definition_errors(&self) -> &[DefinitionError] {
        &self.load_errors
    }

    pub fn providers(&self) -> &[Arc<ProviderDef>] {
        &self.defs
    }

    fn def(&self, id: &str) -> Option<&Arc<ProviderDef>> {
        self.defs.iter().find(|d| d.id == id)
    }

    /// Connection changes of this core, for the shell to forward to the window.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<ConnectionChange> {
        self.changes.subscribe()
    }

    fn changed(&self, provider_id: &str) {
        // No receiver is not an error: nobody is watching (tests, start-up).
        let _ = self.changes.send(ConnectionChange {
            provider_id: provider_id.to_string(),
        });
    }

    /// Whether a URL may receive this provider's credentials in this world.
    pub(crate) fn check_endpoint(&self, def: &ProviderDef, url: &str) -> Result<(), ApiError> {
        crate::session::check_endpoint(def, self.config.world, url)
    }

    fn new_connection(&self, def: Arc<ProviderDef>, account: AccountId) -> Connection {
        Connection::new(
            def,
            account,
            self.vault.clone(),
            &self.namespace,
            self.http.clone(),
            self.config.http.clone(),
        )
        .with_usage(self.usage.clone())
        .in_world(self.config.world)
    }

    /// "N of M requests left today" for an account of a provider with a daily quota; `None`
    /// for an unknown provider or one without a daily quota.
    pub fn budget(&self, provider_id: &str, account: &AccountId) -> Option<BudgetView> {
        let quota = self.def(provider_id)?.rate_limit.daily?;
        let key = UsageKey {
            namespace: self.namespace.clone(),
            provider: provider_id.to_string(),
            account: account.as_str().to_string(),
        };
        Some(self.usage.usage(&key, &quota).into())
    }

    /// The connection object of one account (created on first use).
    pub fn connection(&self, provider_id: &str, account: &AccountId) -> Option<Arc<Connection>> {
        let def = self.def(provider_id)?.clone();
        let mut map = lock(&self.connections);
        Some(
            map.entry((provider_id.to_string(), account.clone()))
                .or_insert_with(|| Arc::new(self.new_connection(def, account.clone())))
                .clone(),
        )
    }

    /// The accounts of a provider in this world, in the order they were added.
    pub async fn accounts(&self, provider_id: &str) -> Result<Vec<AccountEntry>, ApiError> {
        self.def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        Ok(self.accounts.list(provider_id).await?)
    }

    /// The connection of an account the index knows.
    async fn account_connection(
        &self,
        provider_id: &str,
        account: &AccountId,
    ) -> Result<Arc<Connection>, ApiError> {
        if !self
            .accounts(provider_id)
            .await?
            .iter()
            .any(|a| &a.id == account)
        {
            return Err(ApiError::NotConnected);
        }
        self.connection(provider_id, account)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))
    }

    /// One tile a provider, with its accounts and any connect waiting for approval.
    pub async fn tiles(&self) -> Vec<ProviderTile> {
        let mut tiles = Vec::new();
        for def in &self.defs {
            tiles.push(self.tile(def).await);
        }
        tiles
    }

    async fn tile(&self, def: &Arc<ProviderDef>) -> ProviderTile {
        let entries = match self.accounts.list(&def.id).await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(provider = %def.id, error = %e, "the account list could not be read");
                Vec::new()
            }
        };
        let mut accounts = Vec::new();
        for entry in entries {
            let state = self.account_state(&def.id, &entry.id).await;
            accounts.push(AccountView {
                account_id: entry.id.to_string(),
                name: entry.name,
                state,
            });
        }
        ProviderTile {
            id: def.id.clone(),
            display_name: def.display_name.clone(),
            holds: def.holds.clone(),
            waiting_authorize_url: self.pending.authorize_url(&def.id),
            accounts,
        }
    }

    async fn account_state(&self, provider_id: &str, account: &AccountId) -> AccountState {
        let Some(conn) = self.connection(provider_id, account) else {
            return AccountState::NeedsReconnect {
                reason: ReconnectReason::Ended,
            };
        };
        match conn.origin_matches().await {
            Ok(Some(true)) => AccountState::Connected {
                last_synced: lock(&self.last_synced)
                    .get(&(provider_id.to_string(), account.clone()))
                    .cloned(),
            },
            Ok(Some(false)) => AccountState::NeedsReconnect {
                reason: ReconnectReason::AddressChanged,
            },
            Ok(None) => AccountState::NeedsReconnect {
                reason: ReconnectReason::Ended,
            },
            Err(e) => AccountState::Unavailable {
                error: self.api_error_view(provider_id, &e),
            },
        }
    }

    /// Whether a callback URL answers one of this core's pending requests (the shell asks
    /// each world's core in turn; a link never reaches a core that did not ask for it).
    pub fn expects_callback(&self, callback_url: &str) -> bool {
        self.pending.provider_of(callback_url).is_some()
    }

    /// Discovery (RFC 8414) and, for `registration = "dynamic"`, the registered client
    /// (RFC 7591) from the vault or registered now. A stored registration the provider says
    /// is gone (RFC 7592 read), or that was made at another issuer, is dropped and redone.
    async fn resolve_oauth(
        &self,
        def: &Arc<ProviderDef>,
    ) -> Result<Arc<ProviderDef>, ConnectError> {
        let _one_at_a_time = self.resolving.lock().await;
        let provider_id = def.id.clone();
        let issuer = def.connection.discovery().unwrap_or_default().to_string();
        let dynamic = def.connection.registers_dynamically();
        let key = discovery::client_key(&self.namespace, &provider_id);
        let (vault, k) = (self.vault.clone(), key.clone());
        let stored = blocking(move || vault.get(&k))
            .await?
            .and_then(|s| OauthClient::from_secret(&s))
            .filter(|c| {
                let same = discovery::same_issuer(&c.issuer, &issuer);
                if !same {
                    tracing::warn!(provider = %provider_id, "the stored registration belongs to another issuer; discovering again");
                }
                same
            });
        let stored = match stored {
            Some(c) if dynamic => match discovery::still_registered(&self.http, &c).await {
                Some(false) => {
                    tracing::warn!(provider = %provider_id, "the provider no longer knows our registration; registering again");
                    let (vault, k) = (self.vault.clone(), key.clone());
                    blocking(move || vault.delete(&k)).await?;
                    None
                }
                _ => Some(c),
            },
            Some(c) if c.client_id == def.client_id => Some(c),
            _ => None,
        };
        let client = match stored {
            Some(c) => c,
            None => {
                let md = discovery::fetch_metadata(&self.http, &issuer)
                    .await
                    .map_err(|detail| ConnectError::Discovery {
                        provider_id: provider_id.clone(),
                        detail,
                    })?;
                let c = if dynamic {
                    let c = discovery::register(&self.http, &md, &def.scopes)
                        .await
                        .map_err(|detail| ConnectError::Registration {
                            provider_id: provider_id.clone(),
                            detail,
                        })?;
                    tracing::info!(provider = %provider_id, "registered as a public native client");
                    c
                } else {
                    OauthClient {
                        client_id: def.client_id.clone(),
                        issuer: md.issuer,
                        authorization_endpoint: md.authorization_endpoint,
                        token_endpoint: md.token_endpoint,
                        revocation_endpoint: md.revocation_endpoint,
                        iss_parameter_supported: md.iss_parameter_supported,
                        registration_client_uri: None,
                        registration_access_token: None,
                    }
                };
                let (vault, k, secret) = (self.vault.clone(), key.clone(), c.to_secret());
                blocking(move || vault.set(&k, &secret)).await?;
                c
            }
        };
        let mut d = (**def).clone();
        d.authorize_url = client.authorization_endpoint;
        d.token_url = client.token_endpoint;
        d.revoke_url = client.revocation_endpoint;
        d.issuer = Some(client.issuer);
        d.iss_parameter_supported = client.iss_parameter_supported;
        d.client_id = client.client_id;
        let d = Arc::new(d);
        lock(&self.resolved).insert(provider_id, d.clone());
        Ok(d)
    }

    /// Forgets the discovered endpoints and the registered client of a provider, so the next
    /// connect discovers and registers afresh (Settings: "Reset the registration"). For a
    /// provider that cannot tell us a registration is gone (no RFC 7592 read), this is the way
    /// out when its consent page refuses the client.
    pub async fn forget_registration(&self, provider_id: &str) -> Result<(), ApiError> {
        self.def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        lock(&self.resolved).remove(provider_id);
        let vault = self.vault.clone();
        let key = discovery::client_key(&self.namespace, provider_id);
        blocking(move || vault.delete(&key)).await?;
        Ok(())
    }

    /// Forgets a pending connect (the user closed the browser tab, or clicked Cancel); its
    /// loopback listener closes.
    pub fn cancel_connect(&self, provider_id: &str) -> bool {
        lock(&self.loopbacks).remove(provider_id);
        let cancelled = self.pending.cancel(provider_id);
        if cancelled {
            self.changed(provider_id);
        }
        cancelled
    }

    /// Completes a connect from the redirect (`dev.patchbay:/oauth/callback?...` or the
    /// loopback listener's): checks it strictly, redeems the code, looks up the account and
    /// stores the tokens under it (a known account is reconnected, a new one added).
    pub async fn complete(&self, callback_url: &str) -> Result<ConnectOutcome, ConnectError> {
        let provider = self.pending.provider_of(callback_url);
        let result = self.complete_inner(callback_url).await;
        let provider = match &result {
            Ok(o) => Some(o.provider_id().to_string()),
            Err(e) => e.provider_id().map(str::to_string).or(provider),
        };
        if let Some(p) = provider {
            lock(&self.loopbacks).remove(&p);
            self.changed(&p);
        }
        result
    }

    async fn complete_inner(&self, callback_url: &str) -> Result<ConnectOutcome, ConnectError> {
        let resolved = lock(&self.resolved).clone();
        let callback = self.pending.take(callback_url, |id| {
            match resolved.get(id).or_else(|| self.def(id)) {
                Some(d) => (d.issuer.clone(), d.iss_parameter_supported),
                None => (None, false),
            }
        });
        let callback = match callback {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(reason = %e, "callback refused");
                return Err(e.into());
            }
        };
        let (pending, code) = match callback {
            Callback::Error { pending, error } => {
                let provider_id = pending.provider_id.clone();
                if error.error == crate::oauth::OAuthErrorCode::AccessDenied {
                    tracing::info!(provider = %provider_id, "connect cancelled by the user");
                    return Ok(ConnectOutcome::Cancelled { provider_id });
                }
                tracing::warn!(provider = %provider_id, error = %error.error, description = ?error.description, uri = ?error.uri.as_ref().map(url::Url::as_str), "authorization failed");
                return Err(ConnectError::Provider { provider_id, error });
            }
            Callback::Code { pending, code } => (pending, code),
        };
        let provider_id = pending.provider_id.clone();
        let def = self
            .def(&provider_id)
            .ok_or_else(|| ConnectError::UnknownProvider(provider_id.clone()))?
            .clone();
        // The new tokens go to a fresh account first; the account look-up tells whether it
        // is one the index already has.
        let conn = self.new_connection(def.clone(), AccountId::generate());
        let client = conn
            .token_client()
            .await
            .map_err(|error| ConnectError::Api {
                provider_id: provider_id.clone(),
                error,
            })?;
        let redirect = oauth2::RedirectUrl::new(pending.redirect_uri.clone())
            .map_err(|e| ConnectError::Config(e.to_string()))?;
        let result = client
            .exchange_code(code)
            .set_pkce_verifier(pending.verifier)
            .set_redirect_uri(std::borrow::Cow::Owned(redirect))
            .request_async(conn.token_http())
            .await;
        let resp = match result {
            Ok(r) => r,
            Err(RequestTokenError::ServerResponse(e))
                if *e.error() == BasicErrorResponseType::InvalidClient
                    && def.connection.registers_dynamically() =>
            {
                conn.drop_registration().await?;
                return Err(ConnectError::ClientRejected { provider_id });
            }
            Err(RequestTokenError::ServerResponse(e)) => {
                let error = crate::oauth::OAuthError::from(&e);
                tracing::warn!(provider = %provider_id, error = %error.error, description = ?error.description, "code exchange refused");
                return Err(ConnectError::Grant { provider_id, error });
            }
            Err(RequestTokenError::Request(TokenHttpError::Status(s))) => {
                return Err(ConnectError::Network {
                    provider_id,
                    detail: format!("HTTP {s}"),
                })
            }
            Err(e) => {
                return Err(ConnectError::Network {
                    provider_id,
                    detail: e.to_string(),
                })
            }
        };
        let origin = conn
            .expected_origin()
            .await
            .map_err(|error| ConnectError::Api {
                provider_id: provider_id.clone(),
                error,
            })?;
        let tokens = StoredTokens {
            access: resp.access_token().clone(),
            refresh: resp.refresh_token().cloned(),
            expires_at: conn.expiry_of(resp.expires_in()),
            account: String::new(),
            vars: BTreeMap::new(),
            api_key: None,
            origin,
        };
        conn.install(tokens).await?;
        let (name, vars) = match conn.fetch_account().await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(provider = %provider_id, error = %e, "account look-up failed");
                (def.display_name.clone(), BTreeMap::new())
            }
        };
        // The account look-up may have refreshed: keep the newest tokens.
        let api = |error| ConnectError::Api {
            provider_id: provider_id.clone(),
            error,
        };
        let mut tokens = conn
            .current()
            .await
            .map_err(api)?
            .ok_or_else(|| api(ApiError::NotConnected))?;
        tokens.account = name.clone();
        tokens.vars = vars.clone();
        let account = self.adopt(&def, conn, tokens).await?;
        tracing::info!(provider = %provider_id, "connected");
        Ok(ConnectOutcome::Connected {
            provider_id,
            account_id: account.to_string(),
            account: name,
        })
    }

    /// Stores fresh credentials under the account they belong to: the index's account with
    /// the same identity (a reconnect), else the fresh connection's own new account.
    async fn adopt(
        &self,
        def: &Arc<ProviderDef>,
        fresh: Connection,
        tokens: StoredTokens,
    ) -> Result<AccountId, ConnectError> {
        let known = self.accounts.list(&def.id).await?;
        let existing = known
            .iter()
            .find(|a| a.same_account(&tokens.account, &tokens.vars))
            .map(|a| a.id.clone());
        let entry = |id: AccountId| AccountEntry {
            id,
            name: tokens.account.clone(),
            vars: tokens.vars.clone(),
        };
        match existing {
            Some(id) => {
                let conn = self
                    .connection(&def.id, &id)
                    .ok_or_else(|| ConnectError::UnknownProvider(def.id.clone()))?;
                // Written under the known account before the fresh entry goes: a crash in
                // between leaves an extra entry, never no tokens.
                conn.install(tokens.clone()).await?;
                // The look-up went out under the fresh connection: it counts for this account.
                self.usage.absorb(fresh.usage_key(), conn.usage_key());
                fresh.forget(false).await?;
                self.accounts.upsert(&def.id, entry(id.clone())).await?;
                Ok(id)
            }
            None => {
                let id = fresh.account().clone();
                fresh.install(tokens.clone()).await?;
                self.accounts.upsert(&def.id, entry(id.clone())).await?;
                lock(&self.connections).insert((def.id.clone(), id.clone()), Arc::new(fresh));
                Ok(id)
            }
        }
    }

    /// Moves single-account data (keychain entries written before worlds and accounts) into
    /// this world's first account, once: tokens, the user's client secret and the registered
    /// client, each bound to the definition in use. Each new entry is written before its old
    /// one is deleted, so an interruption loses nothing. Answers the providers upgraded.
    pub async fn upgrade_single_account(&self) -> Result<Vec<String>, ApiError> {
        let legacy_ns = self.config.namespace.clone();
        let mut upgraded = Vec::new();
        for def in &self.defs {
            let id = AccountId::upgraded();
            let old_tokens = VaultKey::new(&legacy_ns, &def.id, id.as_str(), "tokens");
            let old_secret = client_secret_key(&legacy_ns, &def.id);
            let old_client = discovery::client_key(&legacy_ns, &def.id);
            // The registration first: the tokens' origin names its endpoints.
            if let Some(v) = self.vault_get(&old_client).await? {
                let new = discovery::client_key(&self.namespace, &def.id);
                self.vault_set(&new, v).await?;
                self.vault_delete(&old_client).await?;
            }
            if let Some(v) = self.vault_get(&old_secret).await? {
                let bound = BoundSecret {
                    secret: v,
                    token_endpoint: def.token_url.clone(),
                };
                let new = client_secret_key(&self.namespace, &def.id);
                self.vault_set(&new, bound.to_secret()).await?;
                self.vault_delete(&old_secret).await?;
            }
            let Some(v) = self.vault_get(&old_tokens).await? else {
                continue;
            };
            let conn = self.new_connection(def.clone(), id.clone());
            let origin = conn.expected_origin().await?;
            let tokens = StoredTokens::from_legacy_secret(&v, origin)?;
            let name = tokens.account.clone();
            let vars = tokens.vars.clone();
            self.vault_set(
                &tokens_key(&self.namespace, &def.id, &id),
                tokens.to_vault_secret(),
            )
            .await?;
            self.accounts
                .upsert(&def.id, AccountEntry { id, name, vars })
                .await?;
            self.vault_delete(&old_tokens).await?;
            tracing::info!(provider = %def.id, "single-account connection moved into the first account");
            upgraded.push(def.id.clone());
        }
        Ok(upgraded)
    }

    async fn vault_get(&self, key: &VaultKey) -> Result<Option<SecretString>, ApiError> {
        let (vault, key) = (self.vault.clone(), key.clone());
        Ok(blocking(move || vault.get(&key)).await?)
    }

    async fn vault_set(&self, key: &VaultKey, value: SecretString) -> Result<(), ApiError> {
        let (vault, key) = (self.vault.clone(), key.clone());
        Ok(blocking(move || vault.set(&key, &value)).await?)
    }

    async fn vault_delete(&self, key: &VaultKey) -> Result<(), ApiError> {
        let (vault, key) = (self.vault.clone(), key.clone());
        Ok(blocking(move || vault.delete(&key)).await?)
    }

    /// "Connected as": the account name, looked up again from the provider.
    pub async fn account(
        &self,
        provider_id: &str,
        account: &AccountId,
    ) -> Result<String, ApiError> {
        let conn = self.account_connection(provider_id, account).await?;
        let (name, _) = conn.fetch_account().await?;
        Ok(name)
    }

    /// Removes one account: revokes its refresh token (RFC 7009, only where it was issued)
    /// and deletes its vault entries whatever the revocation's outcome. The provider's other
    /// accounts are untouched.
    pub async fn disconnect(&self, provider_id: &str, account: &AccountId) -> Result<(), ApiError> {
        let conn = self.account_connection(provider_id, account).await?;
        match conn.revoke().await {
            Ok(()) => tracing::info!(provider = %provider_id, "token revoked"),
            Err(e) => {
                tracing::warn!(provider = %provider_id, error = %e, "revocation failed; deleting the tokens anyway")
            }
        }
        lock(&self.last_synced).remove(&(provider_id.to_string(), account.clone()));
        conn.forget(false).await?;
        self.accounts.remove(provider_id, account).await?;
        lock(&self.connections).remove(&(provider_id.to_string(), account.clone()));
        self.changed(provider_id);
        Ok(())
    }

    /// The lists a provider holds, with their columns.
    pub fn resources(&self, provider_id: &str) -> Result<Vec<ResourceView>, ApiError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        Ok(def
            .resources
            .iter()
            .map(|r| ResourceView::new(provider_id, r))
            .collect())
    }

    /// Fetches every record of a resource, reporting progress as pages arrive. A child
    /// resource (registrations of webinars) is fetched for each parent record. The records
    /// come back in the provider's order, each once.
    pub async fn sync(
        &self,
        provider_id: &str,
        account: &AccountId,
        resource_id: &str,
        progress: impl Fn(SyncProgress) + Send + Sync,
    ) -> Result<Vec<Record>, ApiError> {
        self.sync_pages(provider_id, account, resource_id, |p, _| progress(p))
            .await
    }

    /// Like [`Patchbay::sync`], also handing over each page's records as they arrive (so the
    /// window can fill the table while the sync runs; pages fetched concurrently may arrive
    /// out of order).
    pub async fn sync_pages(
        &self,
        provider_id: &str,
        account: &AccountId,
        resource_id: &str,
        on_page: impl Fn(SyncProgress, &[Record]) + Send + Sync,
    ) -> Result<Vec<Record>, ApiError> {
        let on_page = |p: SyncPage<'_>| on_page(p.progress, p.records);
        self.sync_with(
            provider_id,
            account,
            resource_id,
            SyncPlan::default(),
            &on_page,
            true,
        )
        .await
        .map(|(_, records)| records)
    }

    /// Like [`Patchbay::sync_pages`], keeping no record: each page is only handed over, so a
    /// caller that stores pages as they come (the cache) never holds the whole resource in
    /// memory. Answers how many records arrived.
    pub async fn sync_stream(
        &self,
        provider_id: &str,
        account: &AccountId,
        resource_id: &str,
        on_page: impl Fn(SyncProgress, &[Record]) + Send + Sync,
    ) -> Result<usize, ApiError> {
        let on_page = |p: SyncPage<'_>| on_page(p.progress, p.records);
        self.sync_with(
            provider_id,
            account,
            resource_id,
            SyncPlan::default(),
            &on_page,
            false,
        )
        .await
        .map(|(outcome, _)| outcome.records)
    }

    /// Like [`Patchbay::sync_stream`], reading what `plan` asks (its filter, from its resume
    /// cursor) and handing over with each page the [`SyncCursor`] to resume from once that
    /// page is stored. The sync engine (`patchbay-sync`) drives this.
    pub async fn sync_resumable(
        &self,
        provider_id: &str,
        account: &AccountId,
        resource_id: &str,
        plan: SyncPlan,
        on_page: impl Fn(SyncPage<'_>) + Send + Sync,
    ) -> Result<SyncOutcome, ApiError> {
        self.sync_with(provider_id, account, resource_id, plan, &on_page, false)
            .await
            .map(|(outcome, _)| outcome)
    }

    async fn sync_with(
        &self,
        provider_id: &str,
        account: &AccountId,
        resource_id: &str,
        plan: SyncPlan,
        on_page: &(dyn Fn(SyncPage<'_>) + Send + Sync),
        keep: bool,
    ) -> Result<(SyncOutcome, Vec<Record>), ApiError> {
        let conn = self.account_connection(provider_id, account).await?;
        let def = conn.def().clone();
        let resource = def
            .resource(resource_id)
            .ok_or_else(|| ApiError::UnknownResource(resource_id.into()))?;
        let tokens = conn.current().await?.ok_or(ApiError::NotConnected)?;
        let progress = |fetched: usize, total: Option<usize>, done: bool| SyncProgress {
            provider_id: provider_id.to_string(),
            account_id: account.to_string(),
            resource_id: resource_id.to_string(),
            fetched: fetched as u32,
            total: total.map(|t| t as u32),
            done,
        };
        let mut requests = 0u64;
        let vars = tokens.vars.clone();
        // The lists to read one after another: each parent record's children, each split value.
        let parents: Vec<Option<String>> = match &resource.parent {
            None => vec![None],
            Some(parent) => {
                let parent_res = def
                    .resource(&parent.resource)
                    .ok_or_else(|| ApiError::UnknownResource(parent.resource.clone()))?;
                let (records, streamed) =
                    fetch_counted(&conn, &conn.api_url(&parent_res.path, &vars)?, parent_res)
                        .await?;
                requests += streamed;
                records
                    .iter()
                    .filter_map(|rec| rec.pointer(&parent.pointer).map(value_text))
                    .map(Some)
                    .collect()
            }
        };
        let splits: Vec<Option<&String>> = match &resource.split {
            None => vec![None],
            Some(split) => split.values.iter().map(Some).collect(),
        };
        let units: Vec<(Option<String>, Option<&String>)> = parents
            .iter()
            .flat_map(|p| splits.iter().map(move |s| (p.clone(), *s)))
            .collect();
        let (filter, skip, resume_at) = match plan.resume {
            None => (plan.filter, 0, None),
            Some(cursor) => {
                let unit = units.iter().position(|(p, s)| {
                    *p == cursor.parent && s.map(String::as_str) == cursor.split.as_deref()
                });
                match unit {
                    Some(i) => (cursor.filter, i, Some(cursor.position)),
                    None => {
                        // The parent it stopped in is gone (a deleted list): read it all again,
                        // which stores nothing twice and loses nothing.
                        tracing::warn!(provider = %provider_id, resource = %resource_id,
                            "the list a sync stopped in is gone; starting it again");
                        (cursor.filter, 0, None)
                    }
                }
            }
        };
        let resumed = resume_at.is_some();
        let known_total = units.len() == 1;
        let mut count = 0usize;
        let mut out = Vec::new();
        let mut parent_records = Vec::new();
        for (i, (parent, split)) in units.iter().enumerate().skip(skip) {
            let mut vars = vars.clone();
            if let (Some(p), Some(id)) = (&resource.parent, parent) {
                vars.insert(p.var.clone(), id.clone());
            }
            let mut url = conn.api_url(&resource.path, &vars)?;
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in &filter {
                    q.append_pair(k, v);
                }
                if let (Some(sd), Some(v)) = (&resource.split, split) {
                    q.append_pair(&sd.param, v);
                }
            }
            let start = if i == skip { resume_at.as_ref() } else { None };
            let before = count;
            let page = |e: PageEvent<'_>| {
                on_page(SyncPage {
                    progress: progress(before + e.fetched, e.total.filter(|_| known_total), false),
                    records: e.records,
                    cursor: SyncCursor {
                        filter: filter.clone(),
                        parent: parent.clone(),
                        split: split.cloned(),
                        position: e.position.clone(),
                    },
                })
            };
            let (kept, streamed) = if keep {
                crate::paging::fetch_from(&conn, &url, resource, start, &page).await?
            } else {
                (
                    Vec::new(),
                    stream_from(&conn, &url, resource, start, &page).await?,
                )
            };
            requests += streamed.requests;
            count += streamed.records;
            // A record on a page that shifted while it was read arrives twice; a record in two
            // split values (its status changed mid-read) too. Children of different parents
            // are different records, whatever their ids.
            let last_of_parent = units.get(i + 1).is_none_or(|(next, _)| next != parent);
            parent_records.extend(kept);
            if last_of_parent {
                let records = std::mem::take(&mut parent_records);
                out.extend(crate::paging::dedupe(records, &resource.id_pointer));
            }
        }
        let records = out;
        let count = if keep { records.len() } else { count };
        on_page(SyncPage {
            progress: progress(count, Some(count), true),
            records: &[],
            cursor: SyncCursor {
                filter,
                parent: units.last().and_then(|u| u.0.clone()),
                split: units.last().and_then(|u| u.1.cloned()),
                position: PagePosition::End,
            },
        });
        lock(&self.last_synced).insert(
            (provider_id.to_string(), account.clone()),
            rfc3339_utc(unix_now()),
        );
        Ok((
            SyncOutcome {
                records: count,
                requests,
                resumed,
            },
            records,
        ))
    }

    /// Projects records on a resource's columns for the table.
    pub fn rows(
        &self,
        provider_id: &str,
        resource_id: &str,
        records: &[Record],
    ) -> Result<RecordPage, ApiError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        let r = def
            .resource(resource_id)
            .ok_or_else(|| ApiError::UnknownResource(resource_id.into()))?;
        let view = ResourceView::new(provider_id, r);
        let rows = records
            .iter()
            .map(|rec| {
                r.columns
                    .iter()
                    .map(|c| Cell::from_json(rec.pointer(&c.pointer)))
                    .collect()
            })
            .collect();
        Ok(RecordPage {
            provider_id: provider_id.into(),
            resource_id: resource_id.into(),
            columns: view.columns,
            rows,
        })
    }

    /// A connect error for the window, named after the provider.
    pub fn connect_error_view(&self, e: &ConnectError) -> UserError {
        let name = e
            .provider_id()
            .and_then(|p| self.def(p))
            .map(|d| d.display_name.as_str())
            .unwrap_or("The app");
        e.to_user(name)
    }

    /// An API error for the window, named after the provider.
    pub fn api_error_view(&self, provider_id: &str, e: &ApiError) -> UserError {
        let name = self
            .def(provider_id)
            .map(|d| d.display_name.as_str())
            .unwrap_or("The app");
        e.to_user(name)
    }

    /// How a provider's tile connects (demo mode: always OAuth).
    pub fn auth_method(&self, provider_id: &str) -> Result<AuthMethodView, ApiError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        Ok(AuthMethodView::of(def))
    }

    /// "Test and save": checks the key on the provider's account endpoint and keeps it in the
    /// vault only when the provider accepts it. `values` maps each form field's `key` to
    /// what the user pasted (surrounding blanks are ignored).
    pub async fn save_api_key(
        &self,
        provider_id: &str,
        values: BTreeMap<String, SecretString>,
    ) -> Result<ConnectOutcome, ConnectError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ConnectError::UnknownProvider(provider_id.into()))?
            .clone();
        let ConnectionDef::ApiKey {
            fields, location, ..
        } = &def.connection
        else {
            return Err(ConnectError::NotApiKey {
                provider_id: provider_id.into(),
            });
        };
        let mut key = KeyValues::default();
        for f in fields {
            let value = values
                .get(&f.key)
                .map(|v| v.expose().trim())
                .unwrap_or_default();
            let incomplete = |message: String| ConnectError::KeyIncomplete {
                provider_id: provider_id.into(),
                message,
            };
            if value.is_empty() {
                return Err(incomplete(format!(
                    "Paste your {name} {label} first. You find it in {name} under {location}.",
                    name = def.display_name,
                    label = f.label
                )));
            }
            if value.chars().any(|c| !c.is_ascii_graphic()) {
                return Err(incomplete(format!(
                    "That {} has characters an {} {} never has. Copy it again from {location}.",
                    f.label, def.display_name, f.label
                )));
            }
            key.0.insert(f.key.clone(), SecretString::new(value));
        }
        let conn = self.new_connection(def.clone(), AccountId::generate());
        match conn.fetch_account_with(Some(&key)).await {
            Ok((account, vars)) => {
                let origin = conn
                    .expected_origin()
                    .await
                    .map_err(|error| ConnectError::Api {
                        provider_id: provider_id.into(),
                        error,
                    })?;
                let tokens = StoredTokens::from_key(key, account.clone(), vars, origin);
                let account_id = self.adopt(&def, conn, tokens).await?;
                tracing::info!(provider = %provider_id, "API key accepted and stored");
                self.changed(provider_id);
                Ok(ConnectOutcome::Connected {
                    provider_id: provider_id.into(),
                    account_id: account_id.to_string(),
                    account,
                })
            }
            Err(ApiError::Unauthorized | ApiError::Forbidden { .. }) => {
                tracing::info!(provider = %provider_id, "API key refused by the provider");
                let labels: Vec<&str> = fields.iter().map(|f| f.label.as_str()).collect();
                let them = if labels.len() == 1 { "it" } else { "them" };
                Err(ConnectError::KeyRejected {
                    provider_id: provider_id.into(),
                    message: format!(
                        "{} did not accept that {}. Copy {them} again from {location}.",
                        def.display_name,
                        labels.join(" and ")
                    ),
                })
            }
            Err(error) => Err(ConnectError::Api {
                provider_id: provider_id.into(),
                error,
            }),
        }
    }

    /// Whether the provider's token endpoint wants the user's own client secret (BoomTown
    /// outside demo mode): Settings shows a secret field for these.
    pub fn needs_client_secret(&self, provider_id: &str) -> bool {
        self.def(provider_id)
            .is_some_and(|d| d.client_auth != ClientAuth::None && !d.connection.is_api_key())
    }

    /// Keeps (or with `None` deletes) the user's client secret in the vault, bound to the
    /// token endpoint of the definition in use: it is never sent anywhere else. It never goes
    /// to a file or back to the window.
    pub async fn set_client_secret(
        &self,
        provider_id: &str,
        secret: Option<SecretString>,
    ) -> Result<(), ApiError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        let key = client_secret_key(&self.namespace, provider_id);
        match secret.filter(|s| !s.expose().trim().is_empty()) {
            Some(s) => {
                self.check_endpoint(def, &def.token_url)?;
                let bound = BoundSecret {
                    secret: SecretString::new(s.expose().trim()),
                    token_endpoint: def.token_url.clone(),
                };
                self.vault_set(&key, bound.to_secret()).await
            }
            None => self.vault_delete(&key).await,
        }
    }

    /// Whether a client secret is stored for the token endpoint in use (Settings shows
    /// "saved", never the value).
    pub async fn has_client_secret(&self, provider_id: &str) -> bool {
        let Some(def) = self.def(provider_id) else {
            return false;
        };
        let key = client_secret_key(&self.namespace, provider_id);
        match self.vault_get(&key).await {
            Ok(Some(s)) => BoundSecret::read(&s).is_ok_and(|b| b.token_endpoint == def.token_url),
            _ => false,
        }
    }

    /// The API base URL of a provider with its account variables (diagnostics).
    pub fn api_base(&self, provider_id: &str, vars: &BTreeMap<String, String>) -> Option<String> {
        self.def(provider_id)
            .and_then(|d| crate::url_rules::fill_url(&d.api_base, |n| vars.get(n).cloned()).ok())
            .map(String::from)
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds (civil-from-days, proleptic Gregorian).
pub fn rfc3339_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339() {
        assert_eq!(super::rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339_utc(1_782_820_800), "2026-06-30T12:00:00Z");
        assert_eq!(super::rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
    }
}
