//! The accounts of each provider in one world, kept in the vault beside their tokens.
//!
//! Keychains cannot list their entries portably, so each provider has one index entry naming
//! its accounts (id, the name the provider gave, the account variables). An account stays in
//! the index when its tokens are gone (the provider ended the connection): the tile then says
//! "reconnect" after a restart too, and a reconnect finds the same account again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::secret::{ExposeSecret, SecretString};
use crate::session::blocking;
use crate::vault::{Vault, VaultError, VaultKey};
use crate::world::AccountId;

/// One account as the index keeps it (nothing secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEntry {
    pub id: AccountId,
    /// What the provider calls the account ("Acme Realty").
    pub name: String,
    /// The account variables of the definition (a workspace subdomain, a profile id).
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// When its current credentials (a key, or tokens) were saved, RFC 3339 UTC; `None` for
    /// an entry written before Patchbay kept the date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_at: Option<String>,
}

impl AccountEntry {
    /// Whether a fresh account look-up names this account: its variables when the
    /// definition has any (they identify the account), else its name.
    pub fn same_account(&self, name: &str, vars: &BTreeMap<String, String>) -> bool {
        if !self.vars.is_empty() || !vars.is_empty() {
            self.vars == *vars
        } else {
            self.name == name
        }
    }
}

/// The index of one world's accounts; one writer at a time.
#[derive(Debug)]
pub struct AccountIndex {
    vault: Arc<dyn Vault>,
    namespace: String,
    write: tokio::sync::Mutex<()>,
    /// Each provider's list as last read or written. This index is its entries' only writer,
    /// and reading a keychain entry is a round trip to the keychain's service (1 to 3 ms): the
    /// tiles, asked for on every connection change, read all five (bench/README.md, "Connect").
    known: parking_lot::Mutex<HashMap<String, Vec<AccountEntry>>>,
}

/// The index entry's account segment: not a valid [`AccountId`], so it can never collide
/// with an account's own entries.
const INDEX_ACCOUNT: &str = "_";

impl AccountIndex {
    pub fn new(vault: Arc<dyn Vault>, namespace: &str) -> Self {
        Self {
            vault,
            namespace: namespace.to_string(),
            write: tokio::sync::Mutex::new(()),
            known: parking_lot::Mutex::new(HashMap::new()),
        }
    }

    pub fn key(namespace: &str, provider: &str) -> VaultKey {
        VaultKey::new(namespace, provider, INDEX_ACCOUNT, "accounts")
    }

    /// The provider's accounts, in the order they were added.
    pub async fn list(&self, provider: &str) -> Result<Vec<AccountEntry>, VaultError> {
        if let Some(list) = self.known.lock().get(provider) {
            return Ok(list.clone());
        }
        let (vault, key) = (self.vault.clone(), Self::key(&self.namespace, provider));
        let stored = blocking(move || vault.get(&key)).await?;
        let list: Vec<AccountEntry> = match stored {
            None => Vec::new(),
            Some(s) => {
                serde_json::from_str(s.expose_secret()).map_err(|_| VaultError::Corrupt {
                    detail: "the account list is unreadable".into(),
                })?
            }
        };
        // A write that finished meanwhile has put the newer list there: it stays.
        self.known
            .lock()
            .entry(provider.to_string())
            .or_insert_with(|| list.clone());
        Ok(list)
    }

    async fn store(&self, provider: &str, list: &[AccountEntry]) -> Result<(), VaultError> {
        let (vault, key) = (self.vault.clone(), Self::key(&self.namespace, provider));
        let written = if list.is_empty() {
            blocking(move || vault.delete(&key)).await
        } else {
            let text = serde_json::to_string(list).map_err(|e| VaultError::Corrupt {
                detail: e.to_string(),
            })?;
            blocking(move || vault.set(&key, &SecretString::from(text))).await
        };
        let mut known = self.known.lock();
        match written {
            Ok(()) => known.insert(provider.to_string(), list.to_vec()),
            // What the keychain holds now is unknown: the next read asks it.
            Err(_) => known.remove(provider),
        };
        written
    }

    /// Adds the account, or updates its name and variables when its id is known.
    pub async fn upsert(&self, provider: &str, entry: AccountEntry) -> Result<(), VaultError> {
        let _one = self.write.lock().await;
        let mut list = self.list(provider).await?;
        match list.iter_mut().find(|a| a.id == entry.id) {
            Some(slot) => *slot = entry,
            None => list.push(entry),
        }
        self.store(provider, &list).await
    }

    /// Removes the account (its tokens are the caller's to delete).
    pub async fn remove(&self, provider: &str, id: &AccountId) -> Result<(), VaultError> {
        let _one = self.write.lock().await;
        let mut list = self.list(provider).await?;
        list.retain(|a| &a.id != id);
        self.store(provider, &list).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::MemoryVault;

    fn entry(id: &str, name: &str) -> AccountEntry {
        AccountEntry {
            id: AccountId::parse(id).unwrap(),
            name: name.into(),
            vars: BTreeMap::new(),
            connected_at: None,
        }
    }

    #[tokio::test]
    async fn accounts_are_added_renamed_and_removed_per_provider() {
        let vault = Arc::new(MemoryVault::new());
        let index = AccountIndex::new(vault.clone(), "t.real");
        index.upsert("p", entry("a1", "One")).await.unwrap();
        index.upsert("p", entry("a2", "Two")).await.unwrap();
        index.upsert("q", entry("a1", "Other")).await.unwrap();
        index.upsert("p", entry("a1", "One renamed")).await.unwrap();
        let names = |l: Vec<AccountEntry>| l.into_iter().map(|a| a.name).collect::<Vec<_>>();
        assert_eq!(
            names(index.list("p").await.unwrap()),
            ["One renamed", "Two"]
        );
        index
            .remove("p", &AccountId::parse("a1").unwrap())
            .await
            .unwrap();
        assert_eq!(names(index.list("p").await.unwrap()), ["Two"]);
        assert_eq!(names(index.list("q").await.unwrap()), ["Other"]);
        index
            .remove("p", &AccountId::parse("a2").unwrap())
            .await
            .unwrap();
        assert!(index.list("p").await.unwrap().is_empty());
        // The last removal deletes the index entry itself: only q's is left.
        assert_eq!(vault.len(), 1);
    }

    /// A memory vault that counts its reads and can refuse writes.
    #[derive(Debug, Default)]
    struct CountingVault {
        inner: MemoryVault,
        gets: std::sync::atomic::AtomicUsize,
        refuse_writes: std::sync::atomic::AtomicBool,
    }

    impl Vault for CountingVault {
        fn kind(&self) -> crate::vault::VaultKind {
            self.inner.kind()
        }
        fn get(&self, key: &VaultKey) -> Result<Option<SecretString>, VaultError> {
            self.gets.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.inner.get(key)
        }
        fn set(&self, key: &VaultKey, value: &SecretString) -> Result<(), VaultError> {
            if self.refuse_writes.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(VaultError::Locked {
                    detail: "refused".into(),
                });
            }
            self.inner.set(key, value)
        }
        fn delete(&self, key: &VaultKey) -> Result<(), VaultError> {
            self.inner.delete(key)
        }
    }

    #[tokio::test]
    async fn a_list_is_read_from_the_keychain_once_and_again_after_a_failed_write() {
        use std::sync::atomic::Ordering::SeqCst;
        let vault = Arc::new(CountingVault::default());
        let index = AccountIndex::new(vault.clone(), "t.real");
        let names = |l: Vec<AccountEntry>| l.into_iter().map(|a| a.name).collect::<Vec<_>>();
        index.upsert("p", entry("a1", "One")).await.unwrap();
        let after_write = vault.gets.load(SeqCst);
        assert_eq!(names(index.list("p").await.unwrap()), ["One"]);
        assert_eq!(names(index.list("p").await.unwrap()), ["One"]);
        assert_eq!(vault.gets.load(SeqCst), after_write, "answered from memory");

        // A write the keychain refused: the keychain's own list is read again, and is the old one.
        vault.refuse_writes.store(true, SeqCst);
        index.upsert("p", entry("a2", "Two")).await.unwrap_err();
        assert_eq!(names(index.list("p").await.unwrap()), ["One"]);
        assert_eq!(vault.gets.load(SeqCst), after_write + 1);
    }

    #[test]
    fn an_account_is_recognised_by_its_variables_else_its_name() {
        let mut a = entry("a1", "Acme");
        assert!(a.same_account("Acme", &BTreeMap::new()));
        assert!(!a.same_account("Other", &BTreeMap::new()));
        a.vars.insert("workspace".into(), "acme".into());
        let vars = |v: &str| BTreeMap::from([("workspace".to_string(), v.to_string())]);
        assert!(a.same_account("Renamed", &vars("acme")));
        assert!(!a.same_account("Acme", &vars("other")));
    }
}
