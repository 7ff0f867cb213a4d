//! Patchbay's local record cache: the records fetched from each provider live in one SQLite file
//! in the app's data dir, so the records view opens instantly and offline, a Refresh only writes
//! what changed, and search, sort, filter, charts and exports run in SQLite.
//!
//! A provider can be connected with several accounts (an agency with many WhatConverts
//! profiles), so everything cached is keyed by (provider, account, resource) and every call
//! names its account; accounts never see each other's records. An install from before accounts
//! existed has its records under [`DEFAULT_ACCOUNT`].
//!
//! The file is a cache, not a secret store: it only ever holds records and sync progress
//! (`open` refuses a file with any other table), and tokens stay in the OS keychain.
//!
//! Threading: [`Cache`] is `Send + Sync`. Writes go through one connection behind a mutex; reads
//! use a small pool of read-only connections, and WAL mode lets them run while a sync writes.

pub mod csv_cell;
mod error;
mod export;
mod extract;
pub mod filter;
mod fts;
mod ids;
mod migrations;
mod people;
mod query;
mod saved_views;
mod schema;
mod writer;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use std::time::Duration;

use parking_lot::{Mutex, MutexGuard};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use tracing::{debug, info};

pub use error::CacheError;
pub use filter::{Condition, FilterTest};
pub use migrations::{DEFAULT_ACCOUNT, SCHEMA_VERSION};
/// The one column type, shared with the core's definitions and the window.
pub use patchbay_model::ColumnKind;
pub use people::{
    AttributionBy, AttributionRow, BelongsTo, DateRange, DecisionId, Funnel, FunnelStep,
    FunnelStepKind, IdentityFields, MergeSuggestion, PeoplePage, PeopleQuery, PeopleSort,
    PeopleSortKey, PersonDetail, PersonRow, RecordRef, RecordRole, TimelineEntry,
};
pub use saved_views::{SavedView, MAX_NAME as MAX_VIEW_NAME};
pub use writer::{PageStats, SyncWriter};

/// One column the records table shows, read from each record with an RFC 6901 JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSpec {
    pub key: String,
    pub label: String,
    pub pointer: String,
    pub kind: ColumnKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Every record is fetched; records not seen by the end are deleted from the cache.
    Full,
    /// Only changed records are fetched; nothing is deleted.
    Incremental,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sort {
    pub key: String,
    pub descending: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub search: String,
    /// Every condition must hold (AND), together with the search.
    #[serde(default)]
    pub filter: Vec<Condition>,
    pub sort: Option<Sort>,
    pub offset: u64,
    pub limit: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// Stable for the life of the record in the cache; pass it to [`Cache::detail`].
    pub index: i64,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryPage {
    /// Rows cached for the resource.
    pub total: u64,
    /// Rows matching the search.
    pub matched: u64,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    pub index: i64,
    pub record_id: String,
    pub fields: Vec<Field>,
    pub raw_json: String,
}

/// How many rows show one value of a column (the counts beside a one-of filter's choices).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekCount {
    /// Monday of the week, `YYYY-MM-DD`.
    pub week_start: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceStats {
    pub count: u64,
    /// RFC 3339, UTC; `None` until a sync has finished.
    pub last_synced: Option<String>,
    /// The last sync ran to the end (false while one is under way or was interrupted).
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStats {
    /// Records written during this sync, across resumed attempts of it.
    pub written: u64,
    /// Records new to the cache, across resumed attempts.
    pub added: u64,
    /// Records already cached whose content changed, across resumed attempts.
    pub updated: u64,
    /// Records removed because the provider no longer has them (full sync only).
    pub deleted: u64,
    /// Rows cached for the resource afterwards.
    pub total: u64,
}

/// What the cache knows about a resource's syncs, to plan the next one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncMarks {
    /// Where the next incremental pass starts (the sync engine's text; the cache only keeps
    /// it), as of the last finished sync.
    pub watermark: Option<String>,
    /// When the last full pass finished (RFC 3339, UTC).
    pub last_full: Option<String>,
    /// A sync that was interrupted: resume it.
    pub unfinished: Option<Unfinished>,
}

/// An interrupted sync, as its last stored page left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfinished {
    pub mode: SyncMode,
    /// The cursor stored with its last page (`None`: no page was stored).
    pub cursor: Option<String>,
    /// The watermark its stored pages reached.
    pub watermark: Option<String>,
}

/// Read connections kept open between calls; more are opened on demand (e.g. during an export).
const POOLED_READERS: usize = 3;

/// The writer's page cache, in KiB. A sync of 100,000 leads fills it whatever its size: 64 MiB
/// made the app's peak 35 MiB higher than 32 and stored no faster in alternating runs; 16 MiB
/// was about a sixth slower (bench/README.md, "The app's peak during a sync").
pub(crate) const WRITER_CACHE_KIB: i64 = 32 * 1024;

pub struct Cache {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// (provider, account, resource) of the syncs whose `SyncWriter` is alive: two writers on
    /// one resource would share a generation and overwrite each other's resume cursor.
    active_syncs: Mutex<HashSet<(String, String, String)>>,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Cache>();
};

impl Cache {
    /// Opens the cache file, creating it and bringing its schema up to date.
    pub fn open(path: &Path) -> Result<Cache, CacheError> {
        let open_err = |source| CacheError::opening(path, source);
        let mut writer = Connection::open(path).map_err(open_err)?;
        writer
            .busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        // WAL: readers never wait for a sync that is writing. synchronous=NORMAL is durable
        // against an app crash and cannot corrupt on power loss; the worst case is losing the
        // last page, which the resume token makes the next sync fetch again.
        let mode: String = writer
            .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))
            .map_err(open_err)?;
        debug!(%mode, "cache journal mode");
        writer
            .pragma_update(None, "synchronous", "normal")
            .map_err(open_err)?;
        writer
            .pragma_update(None, "foreign_keys", true)
            .map_err(open_err)?;
        // Records hold customers' personal data: what is deleted (upstream deletions, a
        // disconnect) is overwritten on disk, not just unlinked.
        writer
            .pragma_update(None, "secure_delete", true)
            .map_err(open_err)?;
        // A page's transaction touches pages all over the people tables (keys by address and
        // number, records by person): with SQLite's default 2 MiB page cache they spill to
        // the WAL mid-transaction and are read back.
        writer
            .pragma_update(None, "cache_size", -WRITER_CACHE_KIB)
            .map_err(open_err)?;
        migrations::migrate(&mut writer).map_err(|e| match e {
            CacheError::Sqlite(source) => CacheError::opening(path, source),
            other => other,
        })?;
        migrations::check_tables(&writer)?;
        info!(path = %path.display(), version = SCHEMA_VERSION, "cache opened");
        Ok(Cache {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            active_syncs: Mutex::new(HashSet::new()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Gives back what the syncs' writes kept once the last one has ended: the writer's page
    /// cache (up to `WRITER_CACHE_KIB`, which only a sync's People transactions need) and the
    /// C heap's free pages it leaves behind. Skipped when another write holds the writer; the
    /// next sync's end tries again.
    fn release_sync_memory(&self) {
        let Some(conn) = self.writer.try_lock() else {
            return;
        };
        if let Err(error) = conn.execute_batch("PRAGMA shrink_memory") {
            debug!(%error, "the writer's page cache was not given back");
        }
        drop(conn);
        trim_c_heap();
    }

    /// parking_lot's lock does not poison: a panic while a write held it dropped its
    /// transaction (rolled back), so the next write may go ahead.
    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock()
    }

    /// Runs `f` on a read-only connection from the pool (or a fresh one when all are busy).
    fn with_reader<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, CacheError>,
    ) -> Result<T, CacheError> {
        let pooled = self.readers.lock().pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let open_err = |source| CacheError::opening(&self.path, source);
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(open_err)?;
                c.busy_timeout(Duration::from_secs(5)).map_err(open_err)?;
                // `rarray(?)`: a query passes a list of ids it already holds (the People
                // search's matches) instead of running the search again.
                rusqlite::vtab::array::load_module(&c).map_err(open_err)?;
                c
            }
        };
        let result = f(&conn);
        let mut pool = self.readers.lock();
        if pool.len() < POOLED_READERS {
            pool.push(conn);
        }
        result
    }
}

/// Hands the C heap's free pages (SQLite's, which glibc keeps for reuse) back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_c_heap() {
    // SAFETY: malloc_trim has no preconditions; it only returns free memory to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim_c_heap() {}
