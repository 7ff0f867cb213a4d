//! What the shell keeps between commands: the core, the demo sandbox, the settings.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use patchbay_core::providers::{self, ProviderDef};
use patchbay_core::{CoreConfig, Patchbay};
use patchbay_sandbox::{Sandbox, SandboxConfig};

use crate::settings::StoredSettings;

/// Where the app keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub settings: PathBuf,
    pub data_dir: PathBuf,
}

pub struct AppState {
    core: RwLock<Arc<Patchbay>>,
    /// The local record cache; an error here (an unreadable file) is shown where records are.
    pub cache: Result<Arc<patchbay_cache::Cache>, String>,
    pub links: crate::tiles::AuthorizeLinks,
    /// The keychain (or the user's opted-in file), opened once for the app's life.
    vault: Arc<dyn patchbay_core::vault::Vault>,
    pub paths: Paths,
    settings: RwLock<StoredSettings>,
    sandbox_url: RwLock<Option<String>>,
    /// The in-process sandbox of demo mode; dropping it stops it.
    sandbox: tokio::sync::Mutex<Option<Sandbox>>,
}

/// The sandbox a demo-mode app talks to: `PATCHBAY_SANDBOX_URL` when set (tests start their
/// own and read its request log), else one started in this process on 127.0.0.1.
async fn demo_sandbox() -> Result<(String, Option<Sandbox>), String> {
    if let Ok(url) = std::env::var("PATCHBAY_SANDBOX_URL") {
        let parsed = url::Url::parse(&url).map_err(|e| format!("PATCHBAY_SANDBOX_URL: {e}"))?;
        let loopback = parsed
            .host_str()
            .is_some_and(|h| h == "127.0.0.1" || h == "[::1]" || h == "localhost");
        if parsed.scheme() != "http" || !loopback {
            return Err("PATCHBAY_SANDBOX_URL must be an http://127.0.0.1:PORT address".into());
        }
        return Ok((url.trim_end_matches('/').to_string(), None));
    }
    let sandbox = Sandbox::start(([127, 0, 0, 1], 0).into(), SandboxConfig::default())
        .await
        .map_err(|e| format!("the demo sandbox could not start: {e}"))?;
    Ok((sandbox.url(), Some(sandbox)))
}

/// The sandbox URL when demo mode is on (starting the sandbox if none runs yet), else `None`
/// (stopping a running one).
async fn demo_url(
    settings: &StoredSettings,
    running: &mut Option<Sandbox>,
    known: Option<String>,
) -> Option<String> {
    let demo = settings.demo_mode() || std::env::var_os("PATCHBAY_SANDBOX_URL").is_some();
    if !demo {
        running.take();
        return None;
    }
    if known.is_some() {
        return known;
    }
    match demo_sandbox().await {
        Ok((url, handle)) => {
            tracing::info!(%url, "demo mode: using the sandbox");
            *running = handle;
            Some(url)
        }
        Err(e) => {
            tracing::error!("{e}");
            None
        }
    }
}

fn definitions(settings: &StoredSettings, sandbox_url: Option<&str>) -> Vec<ProviderDef> {
    let (mut defs, errors) =
        providers::load_with_overrides(providers::user_override_dir().as_deref());
    for e in errors {
        tracing::warn!(error = %e, "a provider definition file was rejected; using the built-in one");
    }
    match sandbox_url {
        // Demo mode talks to the sandbox as the one client it knows; the user's own client
        // ids and base URLs are for the real providers.
        Some(url) => defs.iter_mut().for_each(|d| d.rewrite_for_demo(url)),
        None => settings.apply(&mut defs),
    }
    defs
}

impl AppState {
    pub async fn start(paths: Paths) -> Self {
        let settings = StoredSettings::load(&paths.settings);
        let cache = patchbay_cache::Cache::open(&paths.data_dir.join("records.sqlite3"))
            .map(Arc::new)
            .map_err(|e| {
                tracing::error!(error = %e, "the record cache could not be opened");
                e.to_string()
            });
        let vault = patchbay_core::vault::system_vault(None);
        let mut sandbox = None;
        let sandbox_url = demo_url(&settings, &mut sandbox, None).await;
        let core = Patchbay::new(
            definitions(&settings, sandbox_url.as_deref()),
            vault.clone(),
            CoreConfig::default(),
        );
        Self {
            cache,
            core: RwLock::new(Arc::new(core)),
            vault,
            links: Default::default(),
            paths,
            settings: RwLock::new(settings),
            sandbox_url: RwLock::new(sandbox_url),
            sandbox: tokio::sync::Mutex::new(sandbox),
        }
    }

    /// Rebuilds the core after the settings changed; starts or stops the demo sandbox.
    pub async fn rebuild(&self) {
        let settings = self.settings();
        let mut sandbox = self.sandbox.lock().await;
        let known = self
            .sandbox_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let sandbox_url = demo_url(&settings, &mut sandbox, known).await;
        let core = Patchbay::new(
            definitions(&settings, sandbox_url.as_deref()),
            self.vault.clone(),
            CoreConfig::default(),
        );
        *self.sandbox_url.write().unwrap_or_else(|e| e.into_inner()) = sandbox_url;
        *self.core.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(core);
    }

    /// A core over the real providers' definitions (whatever demo mode says), sharing the
    /// keychain: Settings stores the user's client secrets through it.
    pub fn real_core(&self) -> Patchbay {
        Patchbay::new(
            definitions(&self.settings(), None),
            self.vault.clone(),
            CoreConfig::default(),
        )
    }

    pub fn core(&self) -> Arc<Patchbay> {
        self.core.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn settings(&self) -> StoredSettings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_settings(&self, s: StoredSettings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = s;
    }

    pub fn demo_mode(&self) -> bool {
        self.sandbox_url
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}
