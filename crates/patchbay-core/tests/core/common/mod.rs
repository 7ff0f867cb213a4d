//! Shared test helpers: a sandbox on 127.0.0.1:0 and a core in demo mode pointed at it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use patchbay_core::http::{HttpSettings, RetryPolicy};
use patchbay_core::providers::{builtin, ProviderDef};
use patchbay_core::secret::SecretString;
use patchbay_core::vault::{MemoryVault, Vault, VaultError, VaultKey, VaultKind};
use patchbay_core::views::{AccountState, ProviderTile};
use patchbay_core::{AccountId, ConnectOutcome, CoreConfig, Patchbay};
use patchbay_sandbox::{Sandbox, SandboxConfig};

pub const PROVIDERS: [&str; 5] = [
    "whatconverts",
    "clickfunnels",
    "webinargeek",
    "boomtown",
    "emailoctopus",
];

pub async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig {
            auto_approve: true,
            ..config
        },
    )
    .await
    .expect("sandbox starts")
}

/// Fast retries for tests.
pub fn fast_config() -> CoreConfig {
    CoreConfig {
        namespace: format!("dev.patchbay.test.{}", std::process::id()),
        http: HttpSettings {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            retry: RetryPolicy {
                max_attempts: 12,
                base_delay: Duration::from_millis(2),
                max_delay: Duration::from_millis(50),
                max_total: Duration::from_secs(60),
                max_retry_after: Duration::from_secs(5),
            },
        },
        ..CoreConfig::default()
    }
}

/// Built-in definitions rewritten for the sandbox, with `tweak` applied to each.
pub fn demo_defs(sandbox: &Sandbox, tweak: impl Fn(&mut ProviderDef)) -> Vec<ProviderDef> {
    builtin()
        .into_iter()
        .map(|mut d| {
            patchbay_core::demo::rewrite_for_demo(&mut d, &sandbox.url());
            tweak(&mut d);
            d
        })
        .collect()
}

pub fn core_with(
    sandbox: &Sandbox,
    vault: Arc<dyn Vault>,
    tweak: impl Fn(&mut ProviderDef),
) -> Patchbay {
    Patchbay::new(demo_defs(sandbox, tweak), vault, fast_config())
}

pub fn core(sandbox: &Sandbox) -> (Patchbay, Arc<MemoryVault>) {
    let vault = Arc::new(MemoryVault::new());
    (core_with(sandbox, vault.clone(), |_| {}), vault)
}

/// No-redirect client: reads the authorize answer's Location like a browser would follow it.
pub async fn approve(authorize_url: &url::Url) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client
        .get(authorize_url.as_str())
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(
        resp.status().as_u16(),
        303,
        "authorize redirects (auto-approve)"
    );
    resp.headers()["location"].to_str().unwrap().to_string()
}

pub async fn connect(core: &Patchbay, provider: &str) -> ConnectOutcome {
    let url = core.begin_connect(provider).await.expect("begin");
    let location = approve(&url).await;
    core.complete(&location).await.expect("complete")
}

/// The account a connect outcome names (panics on anything but `Connected`).
pub fn account_of(outcome: &ConnectOutcome) -> AccountId {
    match outcome {
        ConnectOutcome::Connected { account_id, .. } => {
            AccountId::parse(account_id).expect("a valid account id")
        }
        other => panic!("not connected: {other:?}"),
    }
}

/// Connects and answers the new (or reconnected) account.
pub async fn connect_account(core: &Patchbay, provider: &str) -> AccountId {
    account_of(&connect(core, provider).await)
}

/// The provider's one account, as the core's account index lists it.
pub async fn the_account(core: &Patchbay, provider: &str) -> AccountId {
    let list = core.accounts(provider).await.expect("accounts listed");
    assert_eq!(list.len(), 1, "{provider}: exactly one account: {list:?}");
    list[0].id.clone()
}

/// The tile of a provider.
pub async fn tile(core: &Patchbay, provider: &str) -> ProviderTile {
    core.tiles()
        .await
        .into_iter()
        .find(|t| t.id == provider)
        .expect("a tile per provider")
}

/// The state of the provider's one account, or `None` when the tile lists no account.
pub async fn account_state(core: &Patchbay, provider: &str) -> Option<AccountState> {
    let tile = tile(core, provider).await;
    assert!(tile.accounts.len() <= 1, "{tile:?}");
    tile.accounts.into_iter().next().map(|a| a.state)
}

/// The tokens entry of an account in the core's world (`fast_config()`'s real world).
pub fn tokens_entry(provider: &str, account: &AccountId) -> VaultKey {
    patchbay_core::session::tokens_key(&fast_config().vault_namespace(), provider, account)
}

pub fn token_requests(sandbox: &Sandbox, grant: &str) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.grant_type.as_deref() == Some(grant))
        .count()
}

/// Replaces one query parameter of a URL string (keeps the custom scheme intact).
pub fn with_param(url: &str, key: &str, value: &str) -> String {
    let mut u = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            if k == key {
                (k.into_owned(), value.to_string())
            } else {
                (k.into_owned(), v.into_owned())
            }
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

/// A vault that remembers which keys were read, written and deleted.
#[derive(Debug, Default)]
pub struct WatchedVault {
    pub inner: MemoryVault,
    touched: Mutex<Vec<(&'static str, VaultKey)>>,
}

impl WatchedVault {
    /// What was touched since the last call, in order.
    pub fn take(&self) -> Vec<(&'static str, VaultKey)> {
        std::mem::take(&mut *self.touched.lock().unwrap())
    }
    fn note(&self, op: &'static str, key: &VaultKey) {
        self.touched.lock().unwrap().push((op, key.clone()));
    }
}

impl Vault for WatchedVault {
    fn kind(&self) -> VaultKind {
        self.inner.kind()
    }
    fn get(&self, key: &VaultKey) -> Result<Option<SecretString>, VaultError> {
        self.note("read", key);
        self.inner.get(key)
    }
    fn set(&self, key: &VaultKey, value: &SecretString) -> Result<(), VaultError> {
        self.note("wrote", key);
        self.inner.set(key, value)
    }
    fn delete(&self, key: &VaultKey) -> Result<(), VaultError> {
        self.note("deleted", key);
        self.inner.delete(key)
    }
}
