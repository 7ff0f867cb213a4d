//! Where tokens live: the OS keychain through the `keyring` crate, an in-memory store for unit
//! tests, and an opt-in plaintext file (mode 0600) for machines with no keychain.
//!
//! Without a keychain and without the user's explicit opt-in, every operation fails with
//! [`VaultError::NoKeychain`], which names the fix. Nothing is ever written in plaintext
//! silently.

use std::collections::BTreeMap;
use std::path::PathBuf;

use parking_lot::Mutex;

use crate::secret::{ExposeSecret, SecretString};

/// Keys are namespaced by build kind, provider and provider account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VaultKey {
    /// `dev.patchbay` for release builds, `dev.patchbay.debug` for debug builds, anything
    /// else for tests.
    pub namespace: String,
    pub provider: String,
    pub account: String,
    /// What is stored: `tokens`, `client_secret`.
    pub item: String,
}

impl VaultKey {
    pub fn new(namespace: &str, provider: &str, account: &str, item: &str) -> Self {
        Self {
            namespace: namespace.into(),
            provider: provider.into(),
            account: account.into(),
            item: item.into(),
        }
    }

    /// The keychain "service".
    pub fn service(&self) -> String {
        self.namespace.clone()
    }

    /// The keychain "user": `provider/account/item`.
    pub fn user(&self) -> String {
        format!("{}/{}/{}", self.provider, self.account, self.item)
    }
}

/// The namespace of this build kind.
pub fn build_namespace() -> &'static str {
    if cfg!(debug_assertions) {
        "dev.patchbay.debug"
    } else {
        "dev.patchbay"
    }
}

/// Why the vault failed. Codes are stable and locale-independent.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    #[error("no keychain is available ({detail}). Fix: start and unlock your keyring (on Linux, gnome-keyring or KWallet with the Secret Service), or choose file storage explicitly in Settings (like `gh auth login --insecure-storage`)")]
    NoKeychain { detail: String },
    #[error("the keychain is locked or refused access ({detail}); unlock it and try again")]
    Locked { detail: String },
    #[error("the stored value is damaged ({detail})")]
    Corrupt { detail: String },
    #[error("the keychain failed: {detail}")]
    Platform { detail: String },
    #[error("the file store failed: {detail}")]
    File { detail: String },
}

impl VaultError {
    pub fn code(&self) -> crate::ErrorCode {
        use crate::ErrorCode;
        match self {
            VaultError::NoKeychain { .. } => ErrorCode::VaultNoKeychain,
            VaultError::Locked { .. } => ErrorCode::VaultLocked,
            VaultError::Corrupt { .. } => ErrorCode::VaultCorrupt,
            VaultError::Platform { .. } => ErrorCode::VaultPlatform,
            VaultError::File { .. } => ErrorCode::VaultFile,
        }
    }
}

/// Where secrets are kept, for the Settings page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum VaultKind {
    /// The OS keychain.
    Keychain,
    /// A plaintext file the user chose (mode 0600).
    InsecureFile,
    /// In memory (tests, demo).
    Memory,
    /// No keychain and no opt-in: connecting fails with the fix.
    Unavailable,
}

/// A store of secrets. Calls may block (keychain IPC): call them from blocking threads.
pub trait Vault: Send + Sync + std::fmt::Debug {
    fn kind(&self) -> VaultKind;
    fn get(&self, key: &VaultKey) -> Result<Option<SecretString>, VaultError>;
    fn set(&self, key: &VaultKey, value: &SecretString) -> Result<(), VaultError>;
    /// Deleting a missing key is not an error.
    fn delete(&self, key: &VaultKey) -> Result<(), VaultError>;
}

/// In memory, for unit tests.
#[derive(Debug, Default)]
pub struct MemoryVault {
    map: Mutex<BTreeMap<VaultKey, SecretString>>,
}

impl MemoryVault {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Vault for MemoryVault {
    fn kind(&self) -> VaultKind {
        VaultKind::Memory
    }
    fn get(&self, key: &VaultKey) -> Result<Option<SecretString>, VaultError> {
        Ok(self.map.lock().get(key).cloned())
    }
    fn set(&self, key: &VaultKey, value: &SecretString) -> Result<(), VaultError> {
        self.map.lock().insert(key.clone(), value.clone());
        Ok(())
    }
    fn delete(&self, key: &VaultKey) -> Result<(), VaultError> {
        self.map.lock().remove(key);
        Ok(())
    }
}

/// Windows' Credential Manager holds at most 2560 bytes a credential: values are split into
/// chunks well under that (UTF-16 doubles the size).
pub const CHUNK_CHARS: usize = 1000;

/// A value spans at most this many keychain entries.
pub const MAX_CHUNKS: usize = 64;

/// The OS keychain through the `keyring` crate (Secret Service, Keychain, Credential Manager).
///
/// A value is stored as `n:CHUNK` in the entry `user`, and the further chunks in
/// `user#2` .. `user#n`.
#[derive(Debug, Default)]
pub struct KeyringVault {
    _private: (),
}

impl KeyringVault {
    /// Checks that a keychain is reachable.
    pub fn open() -> Result<Self, VaultError> {
        if let Err(e) = keyring::Entry::store_status() {
            return Err(VaultError::NoKeychain {
                detail: e.to_string(),
            });
        }
        Ok(Self { _private: () })
    }

    fn entry(key: &VaultKey, chunk: usize) -> Result<keyring::Entry, VaultError> {
        let user = if chunk <= 1 {
            key.user()
        } else {
            format!("{}#{chunk}", key.user())
        };
        keyring::Entry::new(&key.service(), &user).map_err(map_keyring)
    }

    fn read_chunk(key: &VaultKey, chunk: usize) -> Result<Option<String>, VaultError> {
        match Self::entry(key, chunk)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring(e)),
        }
    }

    fn delete_chunk(key: &VaultKey, chunk: usize) -> Result<bool, VaultError> {
        match Self::entry(key, chunk)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_keyring(e)),
        }
    }

    fn chunk_count(first: &str) -> Result<(usize, &str), VaultError> {
        let (n, rest) = first.split_once(':').ok_or_else(|| VaultError::Corrupt {
            detail: "missing chunk header".into(),
        })?;
        let n: usize = n.parse().map_err(|_| VaultError::Corrupt {
            detail: "bad chunk header".into(),
        })?;
        if n == 0 || n > MAX_CHUNKS {
            return Err(VaultError::Corrupt {
                detail: "bad chunk count".into(),
            });
        }
        Ok((n, rest))
    }
}

fn map_keyring(e: keyring::Error) -> VaultError {
    match e {
        keyring::Error::NoStorageAccess(p) => VaultError::Locked {
            detail: p.to_string(),
        },
        keyring::Error::NoDefaultStore => VaultError::NoKeychain {
            detail: "no credential store".into(),
        },
        keyring::Error::PlatformFailure(p) => VaultError::Platform {
            detail: p.to_string(),
        },
        keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(..) => VaultError::Corrupt {
            detail: "not valid text".into(),
        },
        other => VaultError::Platform {
            detail: other.to_string(),
        },
    }
}

/// Splits at char boundaries into pieces of at most `CHUNK_CHARS` chars.
fn split_chunks(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(CHUNK_CHARS)
        .map(|c| c.iter().collect())
        .collect()
}

impl Vault for KeyringVault {
    fn kind(&self) -> VaultKind {
        VaultKind::Keychain
    }
    fn get(&self, key: &VaultKey) -> Result<Option<SecretString>, VaultError> {
        let Some(first) = Self::read_chunk(key, 1)? else {
            return Ok(None);
        };
        let (n, head) = Self::chunk_count(&first)?;
        let mut value = head.to_string();
        for i in 2..=n {
            let part = Self::read_chunk(key, i)?.ok_or_else(|| VaultError::Corrupt {
                detail: format!("chunk {i} of {n} missing"),
            })?;
            value.push_str(&part);
        }
        Ok(Some(SecretString::from(value)))
    }

    fn set(&self, key: &VaultKey, value: &SecretString) -> Result<(), VaultError> {
        let old = match Self::read_chunk(key, 1)? {
            Some(first) => Self::chunk_count(&first).map(|(n, _)| n).unwrap_or(1),
            None => 0,
        };
        let chunks = split_chunks(value.expose_secret());
        let n = chunks.len();
        // `get` refuses more than MAX_CHUNKS as damaged: refuse to write what cannot be read.
        if n > MAX_CHUNKS {
            return Err(VaultError::Platform {
                detail: format!(
                    "the value is too long for the keychain ({} characters, at most {})",
                    value.expose_secret().chars().count(),
                    MAX_CHUNKS * CHUNK_CHARS
                ),
            });
        }
        // Tail chunks first, the header last: a reader never sees a header without its chunks.
        for (i, c) in chunks.iter().enumerate().skip(1) {
            Self::entry(key, i + 1)?
                .set_password(c)
                .map_err(map_keyring)?;
        }
        Self::entry(key, 1)?
            .set_password(&format!("{n}:{}", chunks[0]))
            .map_err(map_keyring)?;
        for i in (n + 1)..=old {
            Self::delete_chunk(key, i)?;
        }
        Ok(())
    }

    fn delete(&self, key: &VaultKey) -> Result<(), VaultError> {
        let n = match Self::read_chunk(key, 1) {
            Ok(Some(first)) => Self::chunk_count(&first).map(|(n, _)| n).unwrap_or(1),
            Ok(None) => 1,
            Err(e) => return Err(e),
        };
        Self::delete_chunk(key, 1)?;
        for i in 2..=n {
            Self::delete_chunk(key, i)?;
        }
        Ok(())
    }
}

/// A plaintext JSON file, mode 0600: only when the user explicitly chose it.
#[derive(Debug)]
pub struct FileVault {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileVault {
    /// `path` is the user's explicit choice (as `gh auth login --insecure-storage`).
    pub fn opt_in(path: PathBuf) -> Self {
        Self {
            path,
            lock: Mutex::new(()),
        }
    }

    fn read(&self) -> Result<BTreeMap<String, String>, VaultError> {
        match std::fs::read_to_string(&self.path) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| VaultError::Corrupt {
                detail: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(VaultError::File {
                detail: e.to_string(),
            }),
        }
    }

    fn write(&self, map: &BTreeMap<String, String>) -> Result<(), VaultError> {
        use std::io::Write;
        let err = |e: std::io::Error| VaultError::File {
            detail: e.to_string(),
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let tmp = self.path.with_extension("tmp");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(err)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(err)?;
        }
        let text = serde_json::to_string(map).map_err(|e| VaultError::File {
            detail: e.to_string(),
        })?;
        f.write_all(text.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)?;
        std::fs::rename(&tmp, &self.path).map_err(err)
    }

    fn name(key: &VaultKey) -> String {
        format!("{}|{}", key.service(), key.user())
    }
}

impl Vault for FileVault {
    fn kind(&self) -> VaultKind {
        VaultKind::InsecureFile
    }
    fn get(&self, key: &VaultKey) -> Result<Option<SecretString>, VaultError> {
        let _g = self.lock.lock();
        Ok(self
            .read()?
            .get(&Self::name(key))
            .cloned()
            .map(SecretString::from))
    }
    fn set(&self, key: &VaultKey, value: &SecretString) -> Result<(), VaultError> {
        let _g = self.lock.lock();
        let mut map = self.read()?;
        map.insert(Self::name(key), value.expose_secret().to_string());
        self.write(&map)
    }
    fn delete(&self, key: &VaultKey) -> Result<(), VaultError> {
        let _g = self.lock.lock();
        let mut map = self.read()?;
        if map.remove(&Self::name(key)).is_some() {
            self.write(&map)?;
        }
        Ok(())
    }
}

/// No keychain and no opt-in: every call fails with the error that names the fix.
#[derive(Debug)]
pub struct UnavailableVault {
    pub error: VaultError,
}

impl Vault for UnavailableVault {
    fn kind(&self) -> VaultKind {
        VaultKind::Unavailable
    }
    fn get(&self, _: &VaultKey) -> Result<Option<SecretString>, VaultError> {
        Err(self.error.clone())
    }
    fn set(&self, _: &VaultKey, _: &SecretString) -> Result<(), VaultError> {
        Err(self.error.clone())
    }
    fn delete(&self, _: &VaultKey) -> Result<(), VaultError> {
        Err(self.error.clone())
    }
}

/// The vault the app uses: the keychain; else the file the user opted in to; else a vault
/// whose every call explains how to fix it.
pub fn system_vault(insecure_file_opt_in: Option<PathBuf>) -> std::sync::Arc<dyn Vault> {
    match (KeyringVault::open(), insecure_file_opt_in) {
        (Ok(v), _) => std::sync::Arc::new(v),
        (Err(_), Some(path)) => std::sync::Arc::new(FileVault::opt_in(path)),
        (Err(error), None) => std::sync::Arc::new(UnavailableVault { error }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_round_trip() {
        let v = MemoryVault::new();
        let k = VaultKey::new("t", "p", "a", "tokens");
        assert!(v.get(&k).unwrap().is_none());
        v.set(&k, &SecretString::from("x")).unwrap();
        assert_eq!(v.get(&k).unwrap().unwrap().expose_secret(), "x");
        v.delete(&k).unwrap();
        v.delete(&k).unwrap();
        assert!(v.get(&k).unwrap().is_none());
    }

    #[test]
    fn file_vault_is_0600() {
        let dir = std::env::temp_dir().join(format!("pb-vault-{}", std::process::id()));
        let path = dir.join("secrets.json");
        let v = FileVault::opt_in(path.clone());
        let k = VaultKey::new("t", "p", "a", "tokens");
        v.set(&k, &SecretString::from("y".repeat(5000))).unwrap();
        assert_eq!(v.get(&k).unwrap().unwrap().expose_secret().len(), 5000);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        v.delete(&k).unwrap();
        assert!(v.get(&k).unwrap().is_none());
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn unavailable_names_the_fix() {
        let v = UnavailableVault {
            error: VaultError::NoKeychain {
                detail: "no bus".into(),
            },
        };
        let e = v
            .set(&VaultKey::new("t", "p", "a", "x"), &SecretString::from("s"))
            .unwrap_err();
        assert!(e.to_string().contains("insecure-storage"));
        assert_eq!(e.code(), "vault.no_keychain");
    }

    #[test]
    fn chunks_split_on_chars() {
        let s = "é".repeat(2500);
        let c = split_chunks(&s);
        assert_eq!(c.len(), 3);
        assert!(c.iter().all(|c| c.len() <= 2 * CHUNK_CHARS));
        assert_eq!(c.concat(), s);
    }
}
