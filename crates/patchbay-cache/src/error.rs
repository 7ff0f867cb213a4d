//! One error type for the cache. Messages that reach a marketer say what to do next; the ones
//! that only a programming mistake in the shell can cause say what was wrong.

use std::path::PathBuf;

use rusqlite::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(
        "Patchbay couldn't open its local cache at {path}: {source}. Check that the folder exists \
         and that you can write to it."
    )]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error(
        "The local cache was written by a newer version of Patchbay (format {found}; this version \
         knows up to {known}). Update Patchbay, or delete the cache file and press Refresh."
    )]
    TooNew { found: i64, known: i64 },

    #[error(
        "The local cache file holds an unexpected table `{0}`, so it is not a cache Patchbay wrote. \
         Delete the cache file and press Refresh to rebuild it."
    )]
    ForeignTable(String),

    #[error(
        "`{0}` is not a valid provider, account or resource id (only a-z, 0-9 and _ are allowed)."
    )]
    InvalidId(String),

    #[error(
        "Nothing is cached for {provider} / {resource} yet. Press Refresh to fetch the records."
    )]
    NotCached {
        provider: String,
        /// Not in the message: a marketer knows the account by the name the shell shows, which
        /// the cache does not have.
        account: String,
        resource: String,
    },

    #[error("That person is no longer in People (their records were merged, split or removed). Search for them again.")]
    UnknownPerson(i64),

    #[error("That merge or split was already undone, or never made.")]
    UnknownDecision(i64),

    #[error("There is no column `{0}` in this view.")]
    UnknownColumn(String),

    #[error("The column `{0}` holds no dates, so it cannot be charted by week.")]
    NotADateColumn(String),

    #[error("Invalid column definitions: {0}")]
    InvalidColumns(String),

    #[error("Invalid query: {0}")]
    InvalidQuery(String),

    #[error("There is no such saved view (it was deleted). Choose another view.")]
    UnknownView(i64),

    #[error("A view called “{0}” already exists for this list. Choose another name.")]
    ViewNameTaken(String),

    #[error("A view needs a name of 1 to 100 characters.")]
    InvalidViewName,

    /// A filter that does not fit its column (or is not a filter at all); the text says which
    /// rule it broke, for the log.
    #[error("That filter can't be used: {0}.")]
    InvalidFilter(String),

    #[error(
        "This refresh was stopped because the cached records were deleted or another refresh \
         started. Press Refresh again."
    )]
    SyncSuperseded,

    #[error(
        "{provider} / {resource} is already being refreshed. Wait for that refresh to finish."
    )]
    SyncRunning {
        provider: String,
        account: String,
        resource: String,
    },

    #[error("A record could not be saved to the local cache: {0}")]
    Record(String),

    #[error(
        "Writing the export failed: {0}. Check that there is space on the disk and that you can \
         write to the chosen folder."
    )]
    ExportWrite(#[source] std::io::Error),

    #[error(
        "The local cache file at {path} is damaged or is not a Patchbay cache. Delete it and press \
         Refresh to fetch your records again."
    )]
    Damaged { path: PathBuf },

    #[error("The disk is full, so the local cache cannot save records. Free some space and press Refresh.")]
    DiskFull,

    #[error("The local cache failed: {0}")]
    Sqlite(#[source] rusqlite::Error),
}

impl CacheError {
    /// Errors opening the file: a damaged file and a full disk get their own advice.
    pub(crate) fn opening(path: &std::path::Path, source: rusqlite::Error) -> Self {
        match source.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => CacheError::Damaged {
                path: path.to_path_buf(),
            },
            Some(ErrorCode::DiskFull) => CacheError::DiskFull,
            _ => CacheError::Open {
                path: path.to_path_buf(),
                source,
            },
        }
    }
}

impl From<rusqlite::Error> for CacheError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            // Damage found after open stays `Sqlite`: without the path the advice would be vague.
            Some(ErrorCode::DiskFull) => CacheError::DiskFull,
            _ => CacheError::Sqlite(e),
        }
    }
}

impl From<csv::Error> for CacheError {
    fn from(e: csv::Error) -> Self {
        // The csv writer only fails on the underlying writer (we never ask it to validate).
        CacheError::ExportWrite(std::io::Error::other(e))
    }
}
