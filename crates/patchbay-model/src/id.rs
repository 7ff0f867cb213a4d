//! The one rule for provider and resource ids.
//!
//! Ids name keychain entries, cache rows and files, and reach SQL and URLs, so they are plain:
//! 1 to 64 of `a-z`, `0-9` and `_`. No `-`: the cache has always refused it, so a definition
//! that used one loaded but could never be cached. Checked once, when an [`Id`] is made.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A provider or resource id that follows the rule; the only way to get one is to parse it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Id(String);

/// Why an id was refused (shown as it was written, cut short: it may be anything).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid id: use 1 to 64 lowercase letters, digits or _ (no -, spaces or capitals)")]
pub struct BadId(pub String);

impl BadId {
    /// A stable code for the window and for tests.
    pub fn code(&self) -> &'static str {
        "id.invalid"
    }
}

/// The one id rule: 1 to `max_len` of a-z, 0-9 and `_`, so an id names keychain entries,
/// cache tables and files without quoting. [`Id`] applies it at 64; shorter ids (accounts)
/// apply it with their own length.
pub fn is_id_text(s: &str, max_len: usize) -> bool {
    !s.is_empty()
        && s.len() <= max_len
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Id {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self, BadId> {
        if is_id_text(s, Self::MAX_LEN) {
            Ok(Self(s.to_string()))
        } else {
            Err(BadId(s.chars().take(80).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Id {
    type Err = BadId;
    fn from_str(s: &str) -> Result<Self, BadId> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Id {
    type Error = BadId;
    fn try_from(s: String) -> Result<Self, BadId> {
        Self::parse(&s)
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0
    }
}

// Read access as a string, so code that looks ids up by `&str` keeps working; there is no
// way back from a string that skips `parse`.
impl Deref for Id {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Id {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Id {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Id {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Id {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Id {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_ids_and_refuses_the_rest() {
        for ok in [
            "whatconverts",
            "leads",
            "email_octopus",
            "v2",
            &"x".repeat(64),
        ] {
            assert_eq!(ok.parse::<Id>().unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "Leads",
            "a-b",
            "a b",
            "a;drop table x",
            "a\"b",
            "ä",
            "a/b",
            &"x".repeat(65),
        ] {
            let e = bad.parse::<Id>().unwrap_err();
            assert_eq!(e.code(), "id.invalid");
            assert!(e.to_string().contains("no -"), "{e}");
        }
    }

    #[test]
    fn a_bad_id_does_not_deserialize_and_a_good_one_round_trips() {
        let e = serde_json::from_str::<Id>(r#""web-inars""#).unwrap_err();
        assert!(
            e.to_string().contains("\"web-inars\" is not a valid id"),
            "{e}"
        );
        let id: Id = serde_json::from_str(r#""webinars""#).unwrap();
        assert_eq!(id, "webinars");
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""webinars""#);
    }

    #[test]
    fn a_long_bad_id_is_cut_short_in_the_message() {
        let e = "-".repeat(10_000).parse::<Id>().unwrap_err();
        assert!(e.to_string().len() < 300, "{e}");
    }
}
