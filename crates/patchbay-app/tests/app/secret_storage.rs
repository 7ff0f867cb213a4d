//! Settings' secret storage choice is what the app's vault does when there is no keychain:
//! the keychain only (connecting fails and says so), or the 0600 file the user opted in to.
//! Each test runs in its own process (nextest), so pointing D-Bus nowhere touches no other.

use patchbay_app::secret_storage::{SecretStorage, SecretsKeptIn};
use patchbay_app::settings_page;
use patchbay_core::ErrorCode;

use crate::support::start_with;

/// No Secret Service to talk to: the keychain is unavailable, as on a bare Linux session.
fn no_keychain() {
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/patchbay-test-bus",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keychain_the_opted_in_file_keeps_the_secret_0600() {
    no_keychain();
    let (folder, _, state) = start_with(
        &[],
        r#"{"demo_mode": false, "secret_storage": "file_when_no_keychain"}"#,
    )
    .await;
    let settings = settings_page::get(&state).await;
    assert_eq!(settings.secret_storage, SecretStorage::FileWhenNoKeychain);
    assert_eq!(settings.secrets_kept_in, SecretsKeptIn::File);

    let saved = settings_page::set_client_secret(&state, "boomtown", Some("bt-secret-1".into()))
        .await
        .unwrap();
    let bt = saved.providers.iter().find(|p| p.id == "boomtown").unwrap();
    assert!(bt.client_secret_saved, "read back from the file");

    let file = folder.path().join("data").join("secrets.json");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("bt-secret-1"), "kept in the opted-in file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the user may read it");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keychain_and_without_the_choice_nothing_is_written_and_the_error_names_it() {
    no_keychain();
    let (folder, _, state) = start_with(&[], r#"{"demo_mode": false}"#).await;
    let settings = settings_page::get(&state).await;
    assert_eq!(settings.secret_storage, SecretStorage::KeychainOnly);
    assert_eq!(settings.secrets_kept_in, SecretsKeptIn::Nowhere);

    let e = settings_page::set_client_secret(&state, "boomtown", Some("bt-secret-2".into()))
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::VaultNoKeychain);
    assert!(
        format!("{} {}", e.message, e.advice).contains("file storage in Settings"),
        "the error names the choice Settings now offers: {e:?}"
    );
    assert!(!folder.path().join("data").join("secrets.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_choice_is_saved_with_the_page_and_a_working_keychain_still_wins() {
    let (folder, _, state) = start_with(&[], r#"{"demo_mode": false}"#).await;
    let mut page = settings_page::get(&state).await;
    assert_eq!(page.secrets_kept_in, SecretsKeptIn::Keychain);
    page.secret_storage = SecretStorage::FileWhenNoKeychain;
    let saved = settings_page::save(&state, page).await.unwrap();
    assert_eq!(saved.secret_storage, SecretStorage::FileWhenNoKeychain);
    let text = std::fs::read_to_string(folder.path().join("settings.json")).unwrap();
    assert!(text.contains("\"file_when_no_keychain\""), "{text}");
    // The keychain answers: secrets still go there, never to the file.
    settings_page::set_client_secret(&state, "boomtown", Some("bt-secret-3".into()))
        .await
        .unwrap();
    assert!(!folder.path().join("data").join("secrets.json").exists());
}
