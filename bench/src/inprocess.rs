//! One sandbox, one core and one cache file in this process: the setup `incremental` and
//! `limits` share. Everything listens on 127.0.0.1 and lives in a temporary directory.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use patchbay_cache::Cache;
use patchbay_core::http::{HttpSettings, RetryPolicy};
use patchbay_core::providers::{builtin, ProviderDef};
use patchbay_core::vault::MemoryVault;
use patchbay_core::views::SyncProgress;
use patchbay_core::{AccountId, ConnectOutcome, CoreConfig, Patchbay};
use patchbay_sandbox::{LoggedRequest, Sandbox, SandboxConfig};
use patchbay_sync::ProgressSink;

use crate::Error;

/// The sandbox's latency in both figures: a plausible round trip to a SaaS API, so the
/// concurrency the client uses shows in the seconds.
pub const LATENCY: Duration = Duration::from_millis(80);

/// A sandbox on 127.0.0.1:0 that approves consent at once.
pub async fn sandbox(config: SandboxConfig) -> Result<Sandbox, Error> {
    let addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    Sandbox::start(
        addr,
        SandboxConfig {
            auto_approve: true,
            ..config
        },
    )
    .await
    .map_err(|e| format!("the sandbox did not start: {e}").into())
}

/// A core on the sandbox at `url` with the shipped definitions, `tweak` applied to each.
pub fn core_at(url: &str, tweak: impl Fn(&mut ProviderDef)) -> Patchbay {
    let defs = builtin()
        .into_iter()
        .map(|mut d| {
            patchbay_core::demo::rewrite_for_demo(&mut d, url);
            tweak(&mut d);
            d
        })
        .collect();
    let config = CoreConfig {
        namespace: format!("dev.patchbay.bench.{}", std::process::id()),
        // The app's retry policy, but a rate-limited page is retried after the sandbox's
        // Retry-After (at most a few seconds) rather than failing the measured run.
        http: HttpSettings {
            retry: RetryPolicy {
                max_retry_after: Duration::from_secs(10),
                ..RetryPolicy::default()
            },
            ..HttpSettings::default()
        },
        ..CoreConfig::default()
    };
    Patchbay::new(defs, Arc::new(MemoryVault::new()), config)
}

/// Connects `provider` (the sandbox approves at once) and answers the account.
pub async fn connect(core: &Patchbay, provider: &str) -> Result<AccountId, Error> {
    let authorize = core.begin_connect(provider).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let resp = http.get(authorize.as_str()).send().await?;
    let location = resp
        .headers()
        .get("location")
        .ok_or("authorize did not redirect: the sandbox must auto-approve")?
        .to_str()?
        .to_string();
    match core.complete(&location).await? {
        ConnectOutcome::Connected { account_id, .. } => Ok(AccountId::parse(&account_id)?),
        other => Err(format!("{provider} did not connect: {other:?}").into()),
    }
}

/// Opens (creates) the cache file at `path`.
pub fn open_cache(path: &std::path::Path) -> Result<Arc<Cache>, Error> {
    Cache::open(path)
        .map(Arc::new)
        .map_err(|e| format!("the cache at {} did not open: {e}", path.display()).into())
}

/// The benchmark watches requests in the sandbox's log, not progress.
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn progress(&self, _: SyncProgress) {}
}

/// The provider API calls in `log` (OAuth and `/_sandbox` endpoints excluded): what the
/// provider's limits count.
pub fn api_calls<'a>(log: &'a [LoggedRequest], provider: &str) -> Vec<&'a LoggedRequest> {
    log.iter()
        .filter(|r| r.provider.as_deref() == Some(provider))
        .filter(|r| !r.path.contains("/oauth/") && !r.path.contains("/_sandbox"))
        .collect()
}
