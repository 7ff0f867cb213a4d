//! The settings page over a started app: rejected definition files reach Settings, and
//! which world is shown follows the saved choice.

use std::path::PathBuf;
use std::sync::Arc;

use patchbay_app::{settings_page, AppState, Paths, Sinks};
use patchbay_core::views::SyncProgress;
use patchbay_sync::{ProgressSink, StatusSink, SyncStatus};

struct Nowhere;

impl ProgressSink for Nowhere {
    fn progress(&self, _: SyncProgress) {}
}

impl StatusSink for Nowhere {
    fn status(&self, _: SyncStatus) {}
}

fn require_private_keychain() {
    assert!(
        std::env::var_os("PATCHBAY_KEYRING_INNER").is_some(),
        "run under scripts/with-keyring.sh: the app opens the keychain, which belongs to the \
         test's throwaway HOME and private keychain"
    );
}

/// An app over files in a new folder, in the real world (demo mode off: no sandbox), with
/// the user's definition `files` (name, text) in its `providers` folder.
async fn start(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf, AppState) {
    require_private_keychain();
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    let overrides = dir.join("providers");
    std::fs::create_dir_all(&overrides).unwrap();
    for (name, text) in files {
        std::fs::write(overrides.join(name), text).unwrap();
    }
    std::fs::write(dir.join("settings.json"), r#"{"demo_mode": false}"#).unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_definition_file_is_listed_in_settings_with_what_is_wrong() {
    let bad = ("boomtown.toml", "id = \"boomtown\"\nthis is not toml\n");
    let (_folder, overrides, state) = start(&[bad]).await;

    let settings = settings_page::get(&state).await;
    assert!(!settings.demo_mode);
    assert_eq!(settings.demo_available, cfg!(feature = "demo"));
    let [problem] = settings.definition_errors.as_slice() else {
        panic!("one rejected file: {:?}", settings.definition_errors);
    };
    assert!(problem.file.ends_with("boomtown.toml"), "{}", problem.file);
    assert!(
        problem.message.starts_with("Patchbay ignored ")
            && problem.message.contains("boomtown.toml")
            && problem.message.contains("built-in settings"),
        "a sentence saying which file and what Patchbay does instead: {}",
        problem.message
    );
    // The built-in BoomTown is used instead: all five providers are there.
    assert_eq!(settings.providers.len(), 5);

    // Saving the page keeps reporting it (the rebuilt world loads the folder again), and
    // what the page sends back in the read-only fields changes nothing.
    let mut sent = settings.clone();
    sent.definition_errors.clear();
    let saved = settings_page::save(&state, sent).await.unwrap();
    assert_eq!(saved.definition_errors, settings.definition_errors);

    // Fixed, and saved again: no more problems.
    std::fs::remove_file(overrides.join("boomtown.toml")).unwrap();
    let fixed = settings_page::save(&state, saved).await.unwrap();
    assert_eq!(fixed.definition_errors, []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_override_file_reports_nothing() {
    let valid = include_str!("../../../patchbay-core/providers/boomtown.toml");
    let (_folder, _, state) = start(&[("boomtown.toml", valid)]).await;
    assert_eq!(settings_page::get(&state).await.definition_errors, []);
}
