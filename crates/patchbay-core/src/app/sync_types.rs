//! What a sync is asked to read and what it reports: plan, cursor, page, outcome.

use crate::paging::{PagePosition, Record};
use crate::views::SyncProgress;

/// What a sync reads: its filter (query parameters an incremental pass adds) and where to
/// resume. A resumed read keeps the filter its cursor was made with, so it reads the same list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncPlan {
    pub filter: Vec<(String, String)>,
    pub resume: Option<SyncCursor>,
}

/// Where a sync stands once a page is stored: every record before it was handed over. Stored
/// with each page (as JSON) and given back in [`SyncPlan::resume`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncCursor {
    /// The query parameters the read started with.
    #[serde(default)]
    pub filter: Vec<(String, String)>,
    /// The parent record (its id) whose children were being read.
    #[serde(default)]
    pub parent: Option<String>,
    /// The value of the resource's split parameter being read.
    #[serde(default)]
    pub split: Option<String>,
    /// Where in that list.
    pub position: PagePosition,
}

/// One page of a sync, as it arrives.
pub struct SyncPage {
    pub progress: SyncProgress,
    /// The page's records, handed over (a caller that stores them takes them without a copy).
    /// Empty for the final report (`progress.done`).
    pub records: Vec<Record>,
    /// Where to resume once this page (and every one handed over before it) is stored.
    pub cursor: SyncCursor,
}

/// What a sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOutcome {
    /// Records handed over (a repeated record counts each time).
    pub records: usize,
    /// API requests sent (first attempts; retries are not counted).
    pub requests: u64,
    /// It started from a resume cursor.
    pub resumed: bool,
}
