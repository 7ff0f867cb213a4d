//! Shared helpers: a sandbox on 127.0.0.1:0, a core in demo mode pointed at it, a cache file.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use patchbay_cache::Cache;
use patchbay_core::http::{HttpSettings, RetryPolicy};
use patchbay_core::providers::{builtin, ProviderDef};
use patchbay_core::vault::{MemoryVault, Vault};
use patchbay_core::views::SyncProgress;
use patchbay_core::{AccountId, ConnectOutcome, CoreConfig, Patchbay};
use patchbay_sandbox::{Sandbox, SandboxConfig};
use patchbay_sync::{ProgressSink, SyncTarget};

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

/// Fast retries, under this process's vault namespace.
pub fn config() -> CoreConfig {
    config_named(&format!("dev.patchbay.synctest.{}", std::process::id()))
}

/// Fast retries, under vault namespace `namespace`.
pub fn config_named(namespace: &str) -> CoreConfig {
    CoreConfig {
        namespace: namespace.to_string(),
        http: HttpSettings {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(20),
            retry: RetryPolicy {
                max_attempts: 8,
                base_delay: Duration::from_millis(2),
                max_delay: Duration::from_millis(50),
                max_total: Duration::from_secs(60),
                max_retry_after: Duration::from_secs(5),
            },
        },
        ..CoreConfig::default()
    }
}

/// A core on the sandbox at `url` (built-in definitions, rewritten for it), `tweak` applied.
pub fn core_at(url: &str, tweak: impl Fn(&mut ProviderDef)) -> Patchbay {
    core_with(url, Arc::new(MemoryVault::new()), config(), tweak)
}

/// Like [`core_at`], with its vault and config.
pub fn core_with(
    url: &str,
    vault: Arc<dyn Vault>,
    config: CoreConfig,
    tweak: impl Fn(&mut ProviderDef),
) -> Patchbay {
    let defs = builtin()
        .into_iter()
        .map(|mut d| {
            patchbay_core::demo::rewrite_for_demo(&mut d, url);
            tweak(&mut d);
            d
        })
        .collect();
    Patchbay::new(defs, vault, config)
}

/// Connects (the sandbox approves at once) and answers the account.
pub async fn connect(core: &Patchbay, provider: &str) -> AccountId {
    let url = core.begin_connect(provider).await.expect("begin");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client
        .get(url.as_str())
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(
        resp.status().as_u16(),
        303,
        "authorize redirects (auto-approve)"
    );
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    match core.complete(&location).await.expect("complete") {
        ConnectOutcome::Connected { account_id, .. } => {
            AccountId::parse(&account_id).expect("a valid account id")
        }
        other => panic!("not connected: {other:?}"),
    }
}

/// The list `resource` of `provider` for `account`.
pub fn target(provider: &str, account: &AccountId, resource: &str) -> SyncTarget {
    SyncTarget {
        provider: provider.into(),
        account: account.clone(),
        resource: resource.into(),
    }
}

pub fn open_cache(path: &std::path::Path) -> Arc<Cache> {
    Arc::new(Cache::open(path).expect("cache opens"))
}

/// Keeps every progress report.
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<SyncProgress>>);

impl ProgressSink for Recorder {
    fn progress(&self, p: SyncProgress) {
        self.0.lock().unwrap().push(p);
    }
}

/// Waits for `what` (checked every few milliseconds); fails after `limit` saying what it waited
/// for. Only a failure depends on the time.
pub async fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every cached row's cell in column `col`, in row order.
pub fn cached_column(
    cache: &Cache,
    provider: &str,
    account: &AccountId,
    resource: &str,
    col: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let page = cache
            .query(
                provider,
                account.as_str(),
                resource,
                &patchbay_cache::Query {
                    offset: out.len() as u64,
                    limit: 10_000,
                    ..Default::default()
                },
            )
            .expect("the cache answers");
        if page.rows.is_empty() {
            return out;
        }
        out.extend(page.rows.into_iter().map(|r| r.cells[col].clone()));
    }
}

/// Every cached record's raw JSON by record id (the JSON export holds each record as stored).
pub fn cached_records(
    cache: &Cache,
    provider: &str,
    account: &AccountId,
    resource: &str,
) -> Vec<serde_json::Value> {
    let mut json = Vec::new();
    cache
        .export(
            provider,
            account.as_str(),
            resource,
            &patchbay_cache::Query {
                limit: u64::MAX / 2,
                ..Default::default()
            },
            patchbay_cache::ExportFormat::Json,
            &mut json,
            &mut |_, _| {},
        )
        .expect("the cache exports");
    serde_json::from_slice(&json).expect("the export is JSON")
}

/// WhatConverts leads to sync: a sandbox of `records` of them (no rate limits), a core asking
/// for `page_size` a page, a connected account, and a cache file in the returned folder. Bind
/// every field you keep: one left to `..` is dropped at once (the sandbox stops serving).
pub struct Leads {
    pub sandbox: Sandbox,
    pub core: Patchbay,
    pub account: AccountId,
    pub cache: Arc<Cache>,
    pub target: SyncTarget,
    /// The cache file's folder: deleted when dropped, so kept as long as the cache.
    pub folder: tempfile::TempDir,
}

pub async fn leads(records: usize, seed: u64, page_size: u64) -> Leads {
    let sandbox = sandbox(SandboxConfig {
        records,
        seed,
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let core = core_at(&sandbox.url(), |d| {
        for r in &mut d.resources {
            if let patchbay_core::providers::Paging::PagePerPage {
                page_size: size, ..
            } = &mut r.paging
            {
                *size = page_size;
            }
        }
    });
    let account = connect(&core, "whatconverts").await;
    let folder = tempfile::tempdir().unwrap();
    let cache = open_cache(&folder.path().join("cache.sqlite3"));
    let target = target("whatconverts", &account, "leads");
    Leads {
        sandbox,
        core,
        account,
        cache,
        target,
        folder,
    }
}
