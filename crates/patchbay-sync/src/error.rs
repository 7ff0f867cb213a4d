//! One error for a sync, and the window's view of a cache error: each maps to an
//! [`ErrorCode`] whose sentence and advice the window shows. The cache's own text (SQLite's
//! errors, file paths) goes to the log only.

use patchbay_cache::CacheError;
use patchbay_core::{ApiError, ErrorCode, UserError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("no provider called {0:?}")]
    UnknownProvider(String),

    #[error("{provider} has no list called {resource:?}")]
    UnknownResource {
        /// The provider's display name.
        provider: String,
        resource: String,
    },

    /// The provider's API failed; `view` is the core's view of it, named after the provider.
    #[error("{error}")]
    Api {
        #[source]
        error: ApiError,
        view: UserError,
    },

    #[error(transparent)]
    Cache(#[from] CacheError),

    /// The thread that stores pages ended without an answer (it panicked).
    #[error("the thread that stores pages stopped")]
    WriterStopped,

    /// A sync this Refresh joined (a connect's own) failed with this.
    #[error(transparent)]
    Shared(std::sync::Arc<SyncError>),
}

impl SyncError {
    /// The stable code the window branches on.
    pub fn code(&self) -> ErrorCode {
        match self {
            SyncError::UnknownProvider(_) => ErrorCode::ProviderUnknown,
            SyncError::UnknownResource { .. } => ErrorCode::ResourceUnknown,
            SyncError::Api { view, .. } => view.code,
            SyncError::Cache(e) => cache_code(e),
            SyncError::WriterStopped => ErrorCode::AppInternal,
            SyncError::Shared(e) => e.code(),
        }
    }

    /// The error as the window shows it.
    pub fn to_user(&self) -> UserError {
        match self {
            SyncError::UnknownResource { provider, .. } => {
                UserError::new(ErrorCode::ResourceUnknown, provider)
            }
            SyncError::Api { view, .. } => view.clone(),
            SyncError::Cache(e) => cache_error_view(e),
            SyncError::UnknownProvider(_) | SyncError::WriterStopped => UserError::of(self.code()),
            SyncError::Shared(e) => e.to_user(),
        }
    }
}

/// The code of a cache error. Errors only a bug in Patchbay can cause (a bad id, column or
/// query) and SQLite's own failures share `cache.failed`: the marketer can do the same about
/// each, and the log tells them apart.
pub fn cache_code(e: &CacheError) -> ErrorCode {
    match e {
        CacheError::Open { .. } => ErrorCode::CacheOpen,
        CacheError::TooNew { .. } => ErrorCode::CacheTooNew,
        CacheError::ForeignTable(_) => ErrorCode::CacheForeign,
        CacheError::Damaged { .. } => ErrorCode::CacheDamaged,
        CacheError::DiskFull => ErrorCode::CacheDiskFull,
        CacheError::NotCached { .. } => ErrorCode::CacheNotCached,
        CacheError::SyncRunning { .. } => ErrorCode::CacheSyncRunning,
        CacheError::SyncSuperseded => ErrorCode::CacheSyncSuperseded,
        CacheError::ExportWrite(_) => ErrorCode::ExportWriteFailed,
        CacheError::UnknownPerson(_) => ErrorCode::PeopleUnknownPerson,
        CacheError::UnknownDecision(_) => ErrorCode::PeopleUnknownDecision,
        CacheError::InvalidFilter(_) => ErrorCode::RecordsFilterInvalid,
        CacheError::UnknownView(_) => ErrorCode::ViewsNotFound,
        CacheError::ViewNameTaken(_) => ErrorCode::ViewsNameTaken,
        CacheError::InvalidViewName => ErrorCode::ViewsNameInvalid,
        CacheError::InvalidId(_)
        | CacheError::UnknownColumn(_)
        | CacheError::NotADateColumn(_)
        | CacheError::InvalidColumns(_)
        | CacheError::InvalidQuery(_)
        | CacheError::Record(_)
        | CacheError::Sqlite(_) => ErrorCode::CacheFailed,
    }
}

/// A cache error for the window: the table's sentence and advice. The error itself (which may
/// hold a path, SQLite's words or a record's content) is logged here, never sent.
pub fn cache_error_view(e: &CacheError) -> UserError {
    let code = cache_code(e);
    tracing::warn!(%code, error = %e, "cache error");
    UserError::of(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_code_and_a_sentence_without_internal_text() {
        let e = SyncError::UnknownResource {
            provider: "WhatConverts".into(),
            resource: "calls".into(),
        };
        assert_eq!(e.code(), ErrorCode::ResourceUnknown);
        assert_eq!(e.to_user().message, "WhatConverts has no such list.");

        let e = SyncError::Cache(CacheError::DiskFull);
        assert_eq!(e.code(), ErrorCode::CacheDiskFull);
        assert!(e.to_user().advice.contains("Free some space"), "{e}");

        let e = SyncError::Cache(CacheError::InvalidQuery(
            "near \"SELEC\": syntax error".into(),
        ));
        let user = e.to_user();
        assert_eq!(user.code, ErrorCode::CacheFailed);
        assert!(
            !user.message.contains("SELEC") && !user.advice.contains("SELEC"),
            "{user:?}"
        );

        let e = SyncError::Cache(CacheError::Damaged {
            path: "/home/ann/.local/share/patchbay/records.sqlite3".into(),
        });
        assert_eq!(e.code(), ErrorCode::CacheDamaged);
        assert!(!e.to_user().message.contains("/home/ann"));

        assert_eq!(SyncError::WriterStopped.code(), ErrorCode::AppInternal);
        assert_eq!(
            SyncError::UnknownProvider("nope".into()).code(),
            ErrorCode::ProviderUnknown
        );
    }
}
