//! Where the app keeps tokens, keys and client secrets: the system keychain only (the
//! default), or, when the user chose it in Settings, a file when there is no keychain. The
//! no-keychain error tells the user this choice exists; this module is the choice.
//!
//! The file is plaintext JSON, mode 0600, in the app's data folder (as `gh auth login
//! --insecure-storage`): anyone who can read the user's files can read it, which Settings
//! says beside the choice. A keychain that works is always used, whatever the choice.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use patchbay_core::vault::{system_vault, Vault, VaultKind};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The user's choice of secret storage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SecretStorage {
    /// The system keychain, and nothing else: without one, connecting fails and says why.
    #[default]
    KeychainOnly,
    /// The keychain when there is one; else a 0600 file in the app's data folder.
    FileWhenNoKeychain,
}

/// Where the running app keeps secrets, as Settings says it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SecretsKeptIn {
    /// The system keychain.
    #[default]
    Keychain,
    /// The 0600 file the user opted in to (no keychain answered).
    File,
    /// Nowhere: no keychain, and the file was not chosen; connecting fails and says why.
    Nowhere,
}

impl SecretsKeptIn {
    pub fn of(kind: VaultKind) -> Self {
        match kind {
            // Memory is a test's or the demo's vault: not a place the user chooses.
            VaultKind::Keychain | VaultKind::Memory => SecretsKeptIn::Keychain,
            VaultKind::InsecureFile => SecretsKeptIn::File,
            VaultKind::Unavailable => SecretsKeptIn::Nowhere,
        }
    }
}

/// The file's name in the app's data folder.
pub const SECRETS_FILE: &str = "secrets.json";

impl SecretStorage {
    /// The file the user opted in to, or `None` for the keychain only.
    pub fn file_opt_in(self, data_dir: &Path) -> Option<PathBuf> {
        match self {
            SecretStorage::KeychainOnly => None,
            SecretStorage::FileWhenNoKeychain => Some(data_dir.join(SECRETS_FILE)),
        }
    }
}

/// The vault the app uses under this choice: the keychain; else the file when chosen; else a
/// vault whose every call explains how to fix it (the no-keychain error).
pub fn vault(storage: SecretStorage, data_dir: &Path) -> Arc<dyn Vault> {
    system_vault(storage.file_opt_in(data_dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_file_choice_names_a_file_in_the_data_folder() {
        let dir = Path::new("/data/patchbay");
        assert_eq!(SecretStorage::KeychainOnly.file_opt_in(dir), None);
        assert_eq!(
            SecretStorage::FileWhenNoKeychain.file_opt_in(dir),
            Some(dir.join("secrets.json"))
        );
        assert_eq!(SecretStorage::default(), SecretStorage::KeychainOnly);
    }

    #[test]
    fn the_choice_is_stored_by_name() {
        assert_eq!(
            serde_json::to_string(&SecretStorage::FileWhenNoKeychain).unwrap(),
            "\"file_when_no_keychain\""
        );
        assert_eq!(
            serde_json::from_str::<SecretStorage>("\"keychain_only\"").unwrap(),
            SecretStorage::KeychainOnly
        );
    }
}
