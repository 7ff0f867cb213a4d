//! The facade the Tauri shell calls: [`Patchbay`], one per world. Each submodule adds one
//! area of its methods.

mod account_ops;
mod api_keys;
mod client_secrets;
mod connect;
mod exchange;
mod registration;
mod sync;
mod sync_types;
mod tiles;

use std::collections::HashMap;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::accounts::{AccountEntry, AccountIndex};
use crate::budget::{BudgetView, UsageKey, UsageLedger};
use crate::error::{ApiError, ConnectError};
use crate::http::{build_client, HttpSettings};
use crate::loopback::LoopbackHandle;
use crate::oauth::{PendingTable, PENDING_MAX, PENDING_TTL};
use crate::providers::{load_with_overrides, DefinitionError, ProviderDef};
use crate::secret::SecretString;
use crate::session::{blocking, Connection};
use crate::vault::{build_namespace, Vault, VaultKey};
use crate::views::ConnectionChange;
use crate::world::{AccountId, World};

pub use crate::dates::rfc3339_utc;
pub use account_ops::Revocation;
pub use sync_types::{SyncCursor, SyncOutcome, SyncPage, SyncPlan};

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
    /// Built on first use (see [`CoreState::http`]).
    http: std::sync::OnceLock<reqwest::Client>,
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
                http: std::sync::OnceLock::new(),
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

    /// Demo mode: every provider URL points at the sandbox at `sandbox_url`, and the core
    /// works in the demo world (its own keychain entries).
    pub fn demo(mut self, sandbox_url: &str) -> Self {
        let state = self.state_mut();
        state.defs = state
            .defs
            .iter()
            .map(|d| {
                let mut d = (**d).clone();
                crate::demo::rewrite_for_demo(&mut d, sandbox_url);
                Arc::new(d)
            })
            .collect();
        state.config.world = World::Demo;
        state.namespace = state.config.vault_namespace();
        state.accounts = AccountIndex::new(state.vault.clone(), &state.namespace);
        state.connections.lock().clear();
        self
    }
}

impl CoreState {
    pub fn world(&self) -> World {
        self.config.world
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

    /// The world's HTTP client, built on its first request. Building one loads the system's
    /// TLS library and parses its CA certificates (OpenSSL, through native-tls): about 4 MiB
    /// and tens of CPU milliseconds that a start-up showing the tiles, or a world never used,
    /// has no need of (bench/README.md, "Start-up and connect").
    pub(crate) fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| build_client(&self.config.http))
    }

    fn new_connection(&self, def: Arc<ProviderDef>, account: AccountId) -> Connection {
        Connection::new(
            def,
            account,
            self.vault.clone(),
            &self.namespace,
            self.http().clone(),
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
        let mut map = self.connections.lock();
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
}

/// An API error met while connecting `provider_id`, as a connect error (named after it).
fn api_during_connect(provider_id: &str) -> impl Fn(ApiError) -> ConnectError + Copy + '_ {
    move |error| ConnectError::Api {
        provider_id: provider_id.to_string(),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::MemoryVault;

    #[test]
    fn a_world_builds_its_http_client_on_its_first_request_and_keeps_it() {
        let core = Patchbay::new(
            crate::providers::builtin(),
            Arc::new(MemoryVault::new()),
            CoreConfig::default(),
        );
        let def = core
            .def("whatconverts")
            .expect("a built-in provider")
            .clone();
        assert!(
            core.http.get().is_none(),
            "no client (nor the TLS library's CA certificates) before a request"
        );
        let first: *const reqwest::Client = core.http();
        assert!(std::ptr::eq(first, core.http()), "one client, kept");
        drop(core.new_connection(def, AccountId::parse("acct").unwrap()));
        assert!(std::ptr::eq(first, core.http()));
    }
}
