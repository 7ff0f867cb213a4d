//! A started app over throwaway files, for the tests that need one.

use std::path::PathBuf;
use std::sync::Arc;

use patchbay_app::{AppState, Paths, Sinks};
use patchbay_core::views::SyncProgress;
use patchbay_sync::{ProgressSink, StatusSink, SyncStatus};

pub struct Nowhere;

impl ProgressSink for Nowhere {
    fn progress(&self, _: SyncProgress) {}
}

impl StatusSink for Nowhere {
    fn status(&self, _: SyncStatus) {}
}

pub fn require_private_keychain() {
    assert!(
        std::env::var_os("PATCHBAY_KEYRING_INNER").is_some(),
        "run under scripts/with-keyring.sh: the app opens the keychain, which belongs to the \
         test's throwaway HOME and private keychain"
    );
}

/// An app over files in a new folder, in the real world (demo mode off: no sandbox), with
/// the user's definition `files` (name, text) in its `providers` folder.
pub async fn start(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf, AppState) {
    start_with(files, r#"{"demo_mode": false}"#).await
}

/// [`start`] over a settings file of the test's own.
pub async fn start_with(
    files: &[(&str, &str)],
    settings: &str,
) -> (tempfile::TempDir, PathBuf, AppState) {
    require_private_keychain();
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    let overrides = dir.join("providers");
    std::fs::create_dir_all(&overrides).unwrap();
    for (name, text) in files {
        std::fs::write(overrides.join(name), text).unwrap();
    }
    std::fs::write(dir.join("settings.json"), settings).unwrap();
    let paths = Paths {
        settings: dir.join("settings.json"),
        data_dir: dir.join("data"),
        overrides: Some(overrides.clone()),
    };
    let sinks = Sinks {
        progress: Arc::new(Nowhere),
        statuses: Arc::new(Nowhere),
    };
    let state = AppState::start(paths, Arc::new(|| {}), sinks).await;
    (folder, overrides, state)
}
