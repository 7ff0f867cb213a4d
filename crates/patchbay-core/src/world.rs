//! Worlds and accounts: what a connection belongs to.
//!
//! A connection is (world, provider, account). The demo world talks to the sandbox, the real
//! world to the marketer's accounts; nothing of one is ever read, sent, overwritten or deleted
//! by the other. The world is part of the keychain service name ([`World::vault_namespace`]),
//! so even a bug that built the wrong key could not reach the other world's secrets.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Which set of accounts a core works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum World {
    /// The embedded sandbox and its sample data.
    Demo,
    /// The marketer's own accounts at the real providers.
    Real,
}

impl World {
    pub fn as_str(self) -> &'static str {
        match self {
            World::Demo => "demo",
            World::Real => "real",
        }
    }

    /// The keychain service of this world's entries: `<build namespace>.<world>`.
    pub fn vault_namespace(self, build_namespace: &str) -> String {
        format!("{build_namespace}.{}", self.as_str())
    }
}

/// One account of a provider within a world: `[a-z0-9_]{1,32}`, so it can name keychain
/// entries and cache rows without quoting. New accounts get a random id; the account an
/// upgrade from single-account data creates is [`AccountId::upgraded`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

/// Why an account id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an account id (1 to 32 of a-z, 0-9 and _)")]
pub struct BadAccountId(pub String);

impl AccountId {
    pub fn parse(s: &str) -> Result<Self, BadAccountId> {
        if patchbay_model::is_id_text(s, 32) {
            Ok(Self(s.to_string()))
        } else {
            Err(BadAccountId(s.chars().take(40).collect()))
        }
    }

    /// A fresh random id (`a` and 10 hex digits): never reused, so records kept after a
    /// disconnect can never be shown as another account's.
    pub fn generate() -> Self {
        use rand::Rng;
        let n: u64 = rand::thread_rng().gen_range(0..(1u64 << 40));
        Self(format!("a{n:010x}"))
    }

    /// The id of the account made from single-account data on upgrade (the old entries'
    /// account name, so the cache's upgraded rows and the keychain agree).
    pub fn upgraded() -> Self {
        Self("default".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AccountId {
    type Error = BadAccountId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<AccountId> for String {
    fn from(a: AccountId) -> String {
        a.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_plain_and_bounded() {
        for ok in ["default", "a0123456789", "x_1"] {
            assert_eq!(AccountId::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "A", "a-b", "a/b", "a b", "_/../x", &"a".repeat(33)] {
            assert!(AccountId::parse(bad).is_err(), "{bad}");
        }
        let g = AccountId::generate();
        assert_eq!(AccountId::parse(g.as_str()).unwrap(), g);
        assert_ne!(AccountId::generate(), AccountId::generate());
    }

    #[test]
    fn worlds_have_their_own_keychain_service() {
        assert_eq!(
            World::Real.vault_namespace("dev.patchbay"),
            "dev.patchbay.real"
        );
        assert_eq!(
            World::Demo.vault_namespace("dev.patchbay"),
            "dev.patchbay.demo"
        );
    }

    #[test]
    fn a_bad_account_id_does_not_deserialize() {
        assert!(serde_json::from_str::<AccountId>("\"a-b\"").is_err());
        assert!(serde_json::from_str::<AccountId>("\"ok_1\"").is_ok());
    }
}
