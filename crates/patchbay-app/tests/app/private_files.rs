//! The app's files are the user's only (issue 18): the record cache with its -wal and -shm,
//! the settings file and export files are 0600, whatever the umask and whatever mode an older
//! version left them with.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use patchbay_app::{AppState, Paths, Sinks};

use crate::support::{require_private_keychain, Nowhere};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn loosen(p: &Path) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_settings_and_exports_are_0600() {
    require_private_keychain();
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    // What an older version left under a 022 umask: a readable settings file and cache.
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let settings = dir.join("settings.json");
    std::fs::write(&settings, r#"{"demo_mode": false}"#).unwrap();
    let db = data.join("records.sqlite3");
    std::fs::write(&db, b"").unwrap();
    loosen(&settings);
    loosen(&db);
    let paths = Paths {
        settings: settings.clone(),
        data_dir: data.clone(),
        overrides: None,
    };
    let sinks = Sinks {
        progress: Arc::new(Nowhere),
        statuses: Arc::new(Nowhere),
    };
    let state = AppState::start(paths, Arc::new(|| {}), sinks).await;

    // The cache is open (a query reads it): the file and SQLite's WAL files are private.
    let people = patchbay_app::people::people(
        &state,
        patchbay_cache::PeopleQuery {
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .expect("the cache opened");
    assert_eq!(people.rows.len(), 0);
    assert_eq!(mode(&db), 0o600, "records.sqlite3");
    for side in ["records.sqlite3-wal", "records.sqlite3-shm"] {
        let p = data.join(side);
        assert!(
            p.exists(),
            "{side}: WAL mode keeps it while the cache is open"
        );
        assert_eq!(mode(&p), 0o600, "{side}");
    }

    // Saving the settings writes a private file.
    let current = patchbay_app::settings_page::get(&state).await;
    patchbay_app::settings_page::save(&state, current)
        .await
        .expect("settings saved");
    assert_eq!(mode(&settings), 0o600, "settings.json");

    // An export in a new Downloads folder is private.
    let downloads = dir.join("Downloads");
    let export = patchbay_app::people::export_csv(
        &state,
        Some(downloads.clone()),
        patchbay_cache::PeopleQuery::default(),
    )
    .await
    .expect("exported");
    assert_eq!(mode(Path::new(&export.path)), 0o600, "{}", export.path);
}
