//! The one error shape the window sees is the core's [`UserError`]: a stable
//! [`ErrorCode`] to branch on, a sentence and advice a marketer can act on. Never a stack
//! trace, never a secret, never an internal error's text (that goes to the log, here).

use patchbay_core::{ErrorCode, UserError};

use crate::settings::SettingsError;

/// Every command's error: the same type as the core's view, not a second shape.
pub type CommandError = UserError;

/// A bug (a task that panicked): the log says what Patchbay was doing.
pub fn internal(what: &str) -> CommandError {
    tracing::error!(what, "internal error");
    UserError::of(ErrorCode::AppInternal)
}

/// A cache failure: the cache's text (paths, SQLite's words) is logged, not sent.
pub fn cache(e: &patchbay_cache::CacheError) -> CommandError {
    patchbay_sync::cache_error_view(e)
}

/// A settings change that was refused or not written.
pub fn settings(e: &SettingsError) -> CommandError {
    match e {
        // These name the user's own value and the rule it broke: safe, and what they need.
        SettingsError::BadClientId { .. }
        | SettingsError::BadBaseUrl { .. }
        | SettingsError::BadRefresh { .. } => {
            UserError::with_message(ErrorCode::SettingsInvalid, format!("{e}."))
        }
        SettingsError::UnknownProvider(_) => UserError::of(ErrorCode::ProviderUnknown),
        SettingsError::Write { .. } => {
            tracing::error!(error = %e, "settings not saved");
            UserError::of(ErrorCode::SettingsNotSaved)
        }
    }
}

/// An I/O failure while writing an export: the OS's words go to the log.
pub fn export_write(e: &std::io::Error, path: &std::path::Path) -> CommandError {
    tracing::warn!(path = %path.display(), error = %e, "export not written");
    UserError::of(ErrorCode::ExportWriteFailed)
}
