//! What the app keeps between commands: one core and one record cache per world (demo and
//! real), which world is shown, the demo sandbox, the settings.
//!
//! The worlds never share anything: each core has its own keychain service, pending requests
//! and account index, and each world its own cache file. Switching worlds only changes which
//! one the window sees; both stay alive, so switching back and forth loses nothing.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use patchbay_core::providers::{self, DefinitionError, ProviderDef};
use patchbay_core::{CoreConfig, Patchbay, World};
use patchbay_sync::{Background, ProgressSink, StatusSink};

use crate::settings::{DefinitionProblem, StoredSettings};

/// Where a world's background syncs report (the shell sends them to the window).
#[derive(Clone)]
pub struct Sinks {
    pub progress: Arc<dyn ProgressSink>,
    pub statuses: Arc<dyn StatusSink>,
}

/// Where the app keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    pub settings: PathBuf,
    pub data_dir: PathBuf,
    /// The user's provider definition files, each overriding the built-in one of its name
    /// (`providers::user_override_dir()` in the app); `None` for none.
    pub overrides: Option<PathBuf>,
}

impl Paths {
    /// A world's record cache. The real world keeps the file single-account versions wrote
    /// (the cache moves its rows into the first account when it opens it).
    pub(crate) fn cache_file(&self, world: World) -> PathBuf {
        match world {
            World::Real => self.data_dir.join("records.sqlite3"),
            World::Demo => self.data_dir.join("demo").join("records.sqlite3"),
        }
    }

    /// A world's count of requests used today per provider account (daily quotas), so a
    /// restart does not forget what today's syncs spent. It holds no credential.
    pub(crate) fn usage_file(&self, world: World) -> PathBuf {
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
    /// Definition files this world's definitions left out (Settings lists them).
    definition_errors: Vec<DefinitionProblem>,
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

    pub fn definition_errors(&self) -> &[DefinitionProblem] {
        &self.definition_errors
    }

    /// Builds a world and starts its background refresh; the refresh follows the core's
    /// connection changes from now on.
    /// Runs on the app's tokio runtime (the schedule and the watcher are spawned on it).
    pub(crate) fn new(
        core: Patchbay,
        cache: Result<Arc<patchbay_cache::Cache>, patchbay_core::UserError>,
        definition_errors: Vec<DefinitionProblem>,
        settings: &StoredSettings,
        notify: &Notify,
        sinks: &Sinks,
    ) -> Arc<Self> {
        let core = Arc::new(core);
        if let Ok(cache) = &cache {
            set_identities(&core, cache);
        }
        let background = cache.as_ref().ok().map(|cache| {
            Arc::new(Background::start(
                &tokio::runtime::Handle::current(),
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
            definition_errors,
        })
    }
}

/// Tells the cache which fields of each list say who a person is (the definitions' identity
/// sections), before anything syncs: People is resolved as pages are stored. An unchanged
/// section costs one read; a changed one re-resolves that list's cached records.
fn set_identities(core: &Patchbay, cache: &patchbay_cache::Cache) {
    for def in core.providers().iter() {
        for r in &def.resources {
            if let Err(e) = cache.set_identity(&def.id, &r.id, r.identity.as_ref()) {
                // People then misses this list; its records still sync and show.
                tracing::error!(provider = %def.id, resource = %r.id, error = %e, "People could not use this list");
            }
        }
    }
}

pub struct AppState {
    real: RwLock<Arc<WorldState>>,
    /// `None` until demo mode is first on (and always in a build without demo mode).
    pub(crate) demo: RwLock<Option<Arc<WorldState>>>,
    /// The keychain (or the user's opted-in file), opened once for the app's life.
    pub(crate) vault: Arc<dyn patchbay_core::vault::Vault>,
    pub paths: Paths,
    settings: RwLock<StoredSettings>,
    #[cfg(feature = "demo")]
    pub(crate) sandbox: crate::demo::SandboxSlot,
    pub(crate) notify: Notify,
    pub(crate) sinks: Sinks,
}

pub(crate) fn lock_read<T: Clone>(l: &RwLock<T>) -> T {
    l.read().unwrap_or_else(|e| e.into_inner()).clone()
}

pub(crate) fn lock_write<T>(l: &RwLock<T>, value: T) {
    *l.write().unwrap_or_else(|e| e.into_inner()) = value;
}

/// The real world's definitions: built-in, the user's override files, then Settings; and the
/// override files that were rejected.
fn real_definitions(
    settings: &StoredSettings,
    overrides: Option<&std::path::Path>,
) -> (Vec<ProviderDef>, Vec<DefinitionError>) {
    let (mut defs, errors) = providers::load_with_overrides(overrides);
    for e in &errors {
        tracing::warn!(error = %e, "a provider definition file was rejected; using the built-in one");
    }
    settings.apply(&mut defs);
    (defs, errors)
}

pub(crate) fn open_cache(
    paths: &Paths,
    world: World,
) -> Result<Arc<patchbay_cache::Cache>, patchbay_core::UserError> {
    let file = paths.cache_file(world);
    // The folder 0700 and the file 0600 before SQLite opens it: SQLite gives the -wal and
    // -shm files the database's mode, so all three are the user's only. Files of an older
    // version are made 0600 too (their -wal/-shm, rebuilt by SQLite, follow).
    let private = || -> std::io::Result<()> {
        if let Some(dir) = file.parent() {
            patchbay_core::private_fs::create_private_dir_all(dir)?;
        }
        patchbay_core::private_fs::ensure_private_file(&file)?;
        for side in ["-wal", "-shm"] {
            let mut name = file.as_os_str().to_owned();
            name.push(side);
            let side = std::path::PathBuf::from(name);
            if side.exists() {
                patchbay_core::private_fs::ensure_private_file(&side)?;
            }
        }
        Ok(())
    };
    if let Err(e) = private() {
        tracing::error!(world = world.as_str(), file = %file.display(), error = %e, "the cache's folder or file could not be made");
        return Err(patchbay_core::UserError::of(
            patchbay_core::ErrorCode::CacheOpen,
        ));
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
    tokio::spawn(async move {
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
    /// Opens both worlds' files and starts the real world (and the demo world when demo mode
    /// is on). Call it on the tokio runtime the app runs on: background work is spawned there.
    pub async fn start(paths: Paths, notify: Notify, sinks: Sinks) -> Self {
        let settings = StoredSettings::load(&paths.settings);
        // The user's storage choice is read at start: a change in Settings applies next start.
        let vault = crate::secret_storage::vault(settings.secret_storage(), &paths.data_dir);
        let real = Self::real_world(&settings, &vault, &paths, &notify, &sinks);
        let state = Self {
            real: RwLock::new(real),
            demo: RwLock::new(None),
            vault,
            paths,
            settings: RwLock::new(settings),
            #[cfg(feature = "demo")]
            sandbox: Default::default(),
            notify,
            sinks,
        };
        #[cfg(feature = "demo")]
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
        let (defs, errors) = real_definitions(settings, paths.overrides.as_deref());
        let core = Patchbay::new(
            defs,
            vault.clone(),
            CoreConfig {
                world: World::Real,
                usage_path: Some(paths.usage_file(World::Real)),
                ..CoreConfig::default()
            },
        );
        let errors = errors.iter().map(DefinitionProblem::from).collect();
        WorldState::new(core, cache, errors, settings, notify, sinks)
    }

    /// Moves single-account keychain entries into the real world's first account, once,
    /// without holding up the first window.
    fn upgrade_in_background(&self) {
        let core = lock_read(&self.real).core();
        let notify = self.notify.clone();
        tokio::spawn(async move {
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
        #[cfg(feature = "demo")]
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

    /// The world whose pending request a callback answers, looked up in both worlds so an
    /// approval that arrives after a switch still completes where it began; else the active
    /// world's (which refuses it with the right message).
    pub fn world_for_callback(&self, callback_url: &str) -> Arc<WorldState> {
        let worlds = [Some(lock_read(&self.real)), lock_read(&self.demo)];
        worlds
            .into_iter()
            .flatten()
            .find(|w| w.core.expects_callback(callback_url))
            .unwrap_or_else(|| self.active())
    }

    /// A core over the real providers' definitions: Settings stores the user's client
    /// secrets through it (whatever world is shown).
    pub fn real_core(&self) -> Arc<Patchbay> {
        lock_read(&self.real).core()
    }

    /// The real world (Settings edits its definitions, whatever world is shown).
    pub fn real(&self) -> Arc<WorldState> {
        lock_read(&self.real)
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
