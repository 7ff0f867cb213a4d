//! One error for a sync: a stable code to branch on and a sentence a marketer can act on. The
//! codes are the ones the shell used before the sync left it, so the window's handling stays.

use patchbay_cache::CacheError;
use patchbay_core::{ApiError, UserError};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("Patchbay has no provider called \"{0}\".")]
    UnknownProvider(String),

    #[error("{provider} has no list called \"{resource}\".")]
    UnknownResource {
        /// The provider's display name.
        provider: String,
        resource: String,
    },

    /// The provider's API failed; `view` is the core's message for it, named after the provider.
    #[error("{}", view.message)]
    Api {
        #[source]
        error: ApiError,
        view: UserError,
    },

    /// The cache's messages already say what to do (free disk space, delete a damaged file).
    #[error(transparent)]
    Cache(#[from] CacheError),

    /// The thread that stores pages ended without an answer (it panicked).
    #[error(
        "Something went wrong while saving your records. Please try again; if it keeps \
         happening, restart Patchbay."
    )]
    WriterStopped,
}

impl SyncError {
    /// The stable code the window branches on.
    pub fn code(&self) -> String {
        match self {
            SyncError::UnknownProvider(_) => "unknown_provider".into(),
            SyncError::UnknownResource { .. } => "unknown_resource".into(),
            SyncError::Api { view, .. } => view.code.clone(),
            SyncError::Cache(_) => "cache".into(),
            SyncError::WriterStopped => "internal".into(),
        }
    }

    /// The error as the window shows it.
    pub fn to_user(&self) -> UserError {
        UserError {
            code: self.code(),
            message: self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_code_and_a_sentence() {
        let e = SyncError::UnknownResource {
            provider: "WhatConverts".into(),
            resource: "calls".into(),
        };
        assert_eq!(e.code(), "unknown_resource");
        assert_eq!(
            e.to_user().message,
            "WhatConverts has no list called \"calls\"."
        );
        let e = SyncError::Cache(CacheError::DiskFull);
        assert_eq!(e.code(), "cache");
        assert!(e.to_string().contains("Free some space"), "{e}");
        assert_eq!(SyncError::WriterStopped.code(), "internal");
    }
}
