//! What the shell keeps between commands: one core and one record cache per world (demo and
//! real), which world is shown, the demo sandbox, the settings.
//!
//! The worlds never share anything: each core has its own keychain service, pending requests
//! and account index, and each world its own cache file. Switching worlds only changes which
//! one the window sees; both stay alive, so switching back and forth loses nothing.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use patchbay_core::providers::{self, ProviderDef};
use patchbay_core::{CoreConfig, Patchbay, World};
use patchbay_sandbox::{Sandbox, SandboxConfig};

use patchbay_sync::Background;

use crate::background::Sinks;
use crate::settings::StoredSettings;

/// Where the app keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub settings: PathBuf,
    pub data_dir: PathBuf,
}

impl Paths {
    /// A world's record cache. The real world keeps the file single-account versions wrote
    /// (the cache moves its rows into the first account when it opens it).
    fn cache_file(&self, world: World) -> PathBuf {
        match world {
            World::Real => self.data_dir.join("records.sqlite3"),
            World::Demo => self.data_dir.join("demo").join("records.sqlite3"),
        }
    }

    /// A world's count of requests used today per provider account (daily quotas), so a
    /// restart does not forget what today's syncs spent. It holds no credential.
    fn usage_file(&self, world: World) -> PathBuf {
        match world {
            World::Real => self.data_dir.join("request-usage.json"),
            World::Demo => self.data_dir.join("demo").join("request-usage.json"),
        }
    }
}

/// Called whenever a core reports a connection change: the shell sends the window new tiles.
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// One world: its core, its record cache and the background refresh of its lists.
pub struct WorldState {
    core: Arc<Patchbay>,
    /// An error here (an unreadable file) is shown where records are.
    cache: Result<Arc<patchbay_cache::Cache>, patchbay_core::UserError>,
    /// `None` only when the cache could not be opened (nothing to refresh into).
    background: Option<Arc<Background>>,
}

impl WorldState {
    pub fn core(&self) -> Arc<Patchbay> {
        self.core.clone()
    }

    pub fn cache(&self) -> Result<Arc<patchbay_cache::Cache>, patchbay_core::UserError> {
        self.cache.clone()
    }

    pub fn world(&self) -> World {
        self.core.world()
    }

    pub fn background(&self) -> Option<Arc<Background>> {
        self.background.clone()
    }

    /// Builds a world and starts its background refresh; the refresh follows the core's
    /// connection changes from now on.
    fn new(
        core: Patchbay,
        cache: Result<Arc<patchbay_cache::Cache>, patchbay_core::UserError>,
        settings: &StoredSettings,
        notify: &Notify,
        sinks: &Sinks,
    ) -> Arc<Self> {
        let core = Arc::new(core);
        let background = cache.as_ref().ok().map(|cache| {
            Arc::new(Background::start(
                tauri::async_runtime::handle().inner(),
                core.clone(),
                cache.clone(),
                settings.plan_settings(),
                sinks.progress.clone(),
                sinks.statuses.clone(),
            ))
        });
        watch(&core, notify, background.as_ref());
        Arc::new(Self {
            core,
            cache,
            background,
        })
    }
}

pub struct AppState {
    real: RwLock<Arc<WorldState>>,
    demo: RwLock<Option<Arc<WorldState>>>,
    /// The keychain (or the user's opted-in file), opened once for the app's life.
    vault: Arc<dyn patchbay_core::vault::Vault>,
    pub paths: Paths,
    settings: RwLock<StoredSettings>,
    /// The in-process sandbox of the demo world; it runs from the first time demo mode is
    /// on until the app quits (its tokens live in its memory: stopping it would end the
    /// demo connections).
    sandbox: tokio::sync::Mutex<Option<Sandbox>>,
    notify: Notify,
    sinks: Sinks,
}

fn lock_read<T: Clone>(l: &RwLock<T>) -> T {
    l.read().unwrap_or_else(|e| e.into_inner()).clone()
}

fn lock_write<T>(l: &RwLock<T>, value: T) {
    *l.write().unwrap_or_else(|e| e.into_inner()) = value;
}

/// The sandbox the demo world talks to: `PATCHBAY_SANDBOX_URL` when set (tests start their
/// own and read its request log), else one started in this process on 127.0.0.1.
async fn demo_sandbox() -> Result<(String, Option<Sandbox>), String> {
    if let Ok(url) = std::env::var("PATCHBAY_SANDBOX_URL") {
        let parsed = url::Url::parse(&url).map_err(|e| format!("PATCHBAY_SANDBOX_URL: {e}"))?;
        if !patchbay_core::url_rules::is_loopback_http(&parsed) {
            return Err("PATCHBAY_SANDBOX_URL must be an http://127.0.0.1:PORT address".into());
        }
        return Ok((url.trim_end_matches('/').to_string(), None));
    }
    let sandbox = Sandbox::start(([127, 0, 0, 1], 0).into(), SandboxConfig::default())
        .await
        .map_err(|e| format!("the demo sandbox could not start: {e}"))?;
    Ok((sandbox.url(), Some(sandbox)))
}

/// The real world's definitions: built-in, the user's override files, then Settings.
fn real_definitions(settings: &StoredSettings) -> Vec<ProviderDef> {
    let (mut defs, errors) =
        providers::load_with_overrides(providers::user_override_dir().as_deref());
    for e in errors {
        tracing::warn!(error = %e, "a provider definition file was rejected; using the built-in one");
    }
    settings.apply(&mut defs);
    defs
}

fn open_cache(
    paths: &Paths,
    world: World,
) -> Result<Arc<patchbay_cache::Cache>, patchbay_core::UserError> {
    let file = paths.cache_file(world);
    if let Some(dir) = file.parent() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            tracing::error!(world = world.as_str(), dir = %dir.display(), error = %e, "the cache's folder could not be made");
            return Err(patchbay_core::UserError::of(
                patchbay_core::ErrorCode::CacheOpen,
            ));
        }
    }
    patchbay_cache::Cache::open(&file).map(Arc::new).map_err(|e| {
        tracing::error!(world = world.as_str(), error = %e, "the record cache could not be opened");
        crate::error::cache(&e)
    })
}

/// Forwards a core's connection changes until the core is dropped: the window gets new
/// tiles, the background refresh the new set of connected lists. It holds the background
/// weakly: a world replaced by a rebuild drops its schedule with it.
fn watch(core: &Patchbay, notify: &Notify, background: Option<&Arc<Background>>) {
    let mut changes = core.subscribe();
    let notify = notify.clone();
    let background = background.map(Arc::downgrade);
    let lists_changed = move || {
        let background = background.as_ref().and_then(std::sync::Weak::upgrade);
        async move {
            if let Some(b) = background {
                b.lists_changed().await;
            }
        }
    };
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        lists_changed().await;
        // Lagged only means several changes came at once: one new set of tiles covers them.
        while let Ok(_) | Err(RecvError::Lagged(_)) = changes.recv().await {
            notify();
            lists_changed().await;
        }
    });
}

impl AppState {
    pub async fn start(paths: Paths, notify: Notify, sinks: Sinks) -> Self {
        let settings = StoredSettings::load(&paths.settings);
        let vault = patchbay_core::vault::system_vault(None);
        let real = Self::real_world(&settings, &vault, &paths, &notify, &sinks);
        let state = Self {
            real: RwLock::new(real),
            demo: RwLock::new(None),
            vault,
            paths,
            settings: RwLock::new(settings),
            sandbox: tokio::sync::Mutex::new(None),
            notify,
            sinks,
        };
        if state.settings().demo_mode() {
            state.ensure_demo().await;
        }
        state.upgrade_in_background();
        state
    }

    fn real_world(
        settings: &StoredSettings,
        vault: &Arc<dyn patchbay_core::vault::Vault>,
        paths: &Paths,
        notify: &Notify,
        sinks: &Sinks,
    ) -> Arc<WorldState> {
        let cache = open_cache(paths, World::Real);
        Self::real_world_over(settings, vault, paths, cache, notify, sinks)
    }

    fn real_world_over(
        settings: &StoredSettings,
        vault: &Arc<dyn patchbay_core::vault::Vault>,
        paths: &Paths,
        cache: Result<Arc<patchbay_cache::Cache>, patchbay_core::UserError>,
        notify: &Notify,
        sinks: &Sinks,
    ) -> Arc<WorldState> {
        let core = Patchbay::new(
            real_definitions(settings),
            vault.clone(),
            CoreConfig {
                world: World::Real,
                usage_path: Some(paths.usage_file(World::Real)),
                ..CoreConfig::default()
            },
        );
        WorldState::new(core, cache, settings, notify, sinks)
    }

    /// Starts the demo world (its sandbox, core and cache) unless it runs already.
    async fn ensure_demo(&self) {
        let mut sandbox = self.sandbox.lock().await;
        if lock_read(&self.demo).is_some() {
            return;
        }
        let (url, handle) = match demo_sandbox().await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!("{e}");
                return;
            }
        };
        tracing::info!(%url, "demo world: using the sandbox");
        *sandbox = handle;
        // Demo mode talks to the sandbox as the one client it knows; the user's own client
        // ids, base URLs and override files are for the real providers.
        let core = Patchbay::new(
            providers::builtin(),
            self.vault.clone(),
            CoreConfig {
                usage_path: Some(self.paths.usage_file(World::Demo)),
                ..CoreConfig::default()
            },
        )
        .demo(&url);
        let world = WorldState::new(
            core,
            open_cache(&self.paths, World::Demo),
            &self.settings(),
            &self.notify,
            &self.sinks,
        );
        lock_write(&self.demo, Some(world));
    }

    /// Moves single-account keychain entries into the real world's first account, once,
    /// without holding up the first window.
    fn upgrade_in_background(&self) {
        let core = lock_read(&self.real).core();
        let notify = self.notify.clone();
        tauri::async_runtime::spawn(async move {
            match core.upgrade_single_account().await {
                Ok(moved) if !moved.is_empty() => notify(),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "single-account connections could not be moved")
                }
            }
        });
    }

    /// Applies changed settings: the real world's core is rebuilt over the new definitions;
    /// demo mode on starts the demo world (once); the window then shows the chosen world.
    pub async fn rebuild(&self) {
        let settings = self.settings();
        // The new core reads the same cache file: share the open one. Its background
        // refresh replaces the old core's (dropping that one stops its schedule).
        let cache = lock_read(&self.real).cache.clone();
        let real = Self::real_world_over(
            &settings,
            &self.vault,
            &self.paths,
            cache,
            &self.notify,
            &self.sinks,
        );
        lock_write(&self.real, real);
        if let Some(b) = lock_read(&self.demo).and_then(|d| d.background()) {
            b.set_settings(settings.plan_settings());
        }
        if settings.demo_mode() {
            self.ensure_demo().await;
        }
    }

    /// The world the window shows: demo when demo mode is on and its sandbox runs.
    pub fn active(&self) -> Arc<WorldState> {
        if self.settings().demo_mode() {
            if let Some(demo) = lock_read(&self.demo) {
                return demo;
            }
        }
        lock_read(&self.real)
    }

    /// The core whose pending request a callback answers, looked up in both worlds so an
    /// approval that arrives after a switch still completes where it began; else the active
    /// world's (which refuses it with the right message).
    pub fn core_for_callback(&self, callback_url: &str) -> Arc<Patchbay> {
        let worlds = [Some(lock_read(&self.real)), lock_read(&self.demo)];
        worlds
            .into_iter()
            .flatten()
            .map(|w| w.core())
            .find(|core| core.expects_callback(callback_url))
            .unwrap_or_else(|| self.active().core())
    }

    /// A core over the real providers' definitions: Settings stores the user's client
    /// secrets through it (whatever world is shown).
    pub fn real_core(&self) -> Arc<Patchbay> {
        lock_read(&self.real).core()
    }

    pub fn settings(&self) -> StoredSettings {
        lock_read(&self.settings)
    }

    pub fn set_settings(&self, s: StoredSettings) {
        lock_write(&self.settings, s);
    }

    pub fn demo_mode(&self) -> bool {
        self.active().world() == World::Demo
    }
}
