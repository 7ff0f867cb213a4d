//! The demo world: the in-process sandbox it talks to, and its core. Only in builds with the
//! `demo` feature; without it the app links no sandbox and shows the real world only.

use patchbay_core::providers;
use patchbay_core::{CoreConfig, Patchbay, World};
use patchbay_sandbox::{Sandbox, SandboxConfig};

use crate::state::{lock_read, lock_write, open_cache, AppState, WorldState};

/// The in-process sandbox of the demo world; it runs from the first time demo mode is on
/// until the app quits (its tokens live in its memory: stopping it would end the demo
/// connections). The lock also keeps two starts from racing.
pub(crate) type SandboxSlot = tokio::sync::Mutex<Option<Sandbox>>;

/// How the app starts its own sandbox: the defaults, so its request log (states and PKCE
/// challenges) is never served to the machine; only tests turn that on.
pub(crate) fn embedded_sandbox_config() -> SandboxConfig {
    SandboxConfig::default()
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
    let sandbox = Sandbox::start(([127, 0, 0, 1], 0).into(), embedded_sandbox_config())
        .await
        .map_err(|e| format!("the demo sandbox could not start: {e}"))?;
    Ok((sandbox.url(), Some(sandbox)))
}

impl AppState {
    /// Starts the demo world (its sandbox, core and cache) unless it runs already.
    pub(crate) async fn ensure_demo(&self) {
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
            Vec::new(),
            &self.settings(),
            &self.notify,
            &self.sinks,
        );
        lock_write(&self.demo, Some(world));
    }
}

#[cfg(test)]
mod embedded_sandbox_tests {
    #[test]
    fn the_embedded_sandbox_never_serves_its_request_log() {
        assert!(!super::embedded_sandbox_config().serve_request_log);
    }
}
