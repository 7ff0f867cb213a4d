//! How much Patchbay reads from one provider (`[limits]` in a definition): the most pages and
//! records one list may have, and the largest response body. A provider's answer is untrusted
//! input: its `total_pages` or `total_items` never sizes an allocation or a loop beyond these,
//! and a body is read in chunks and dropped past its cap.

use serde::Deserialize;

use super::check::Refusal;

/// 32 MiB: an API page of a few thousand records is well under 10 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 32 * 1024 * 1024;
/// At 100 records a page (the usual size), ten million records.
pub const DEFAULT_MAX_PAGES: u64 = 100_000;
/// Ten million records in one list: far past a marketer's list, well inside the cache.
pub const DEFAULT_MAX_RECORDS: u64 = 10_000_000;

/// The largest cap a definition may set: a definition cannot make a body unbounded.
const MAX_BODY_CAP: u64 = 1024 * 1024 * 1024;

/// `[limits]` in a definition; every key is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The most pages one list (one parent's list, one split value's list) may have.
    #[serde(default = "default_max_pages")]
    pub max_pages: u64,
    /// The most records one list may have (as the provider counts them, or as they arrive).
    #[serde(default = "default_max_records")]
    pub max_records: u64,
    /// The largest response body, in bytes.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: u64,
}

fn default_max_pages() -> u64 {
    DEFAULT_MAX_PAGES
}

fn default_max_records() -> u64 {
    DEFAULT_MAX_RECORDS
}

fn default_max_body_bytes() -> u64 {
    DEFAULT_MAX_BODY_BYTES
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_pages: DEFAULT_MAX_PAGES,
            max_records: DEFAULT_MAX_RECORDS,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

impl Limits {
    pub(crate) fn check(&self) -> Result<(), Refusal> {
        let err = |key: &str, msg: &str| Err((key.to_string(), msg.to_string()));
        if self.max_pages == 0 {
            return err("max_pages", "limits max_pages must be at least 1");
        }
        if self.max_records == 0 {
            return err("max_records", "limits max_records must be at least 1");
        }
        if !(1024..=MAX_BODY_CAP).contains(&self.max_body_bytes) {
            return err(
                "max_body_bytes",
                "limits max_body_bytes must be from 1024 to 1073741824 (1 GiB)",
            );
        }
        Ok(())
    }
}
