//! The refusals this crate gives, as the core's [`UserError`]: a stable [`ErrorCode`] and a
//! sentence with advice a marketer can act on. Internal detail (paths, SQLite's or the OS's
//! words) is logged here, never sent. The shell passes these to the window unchanged.

pub use patchbay_core::{ErrorCode, UserError};

use crate::settings::SettingsError;

pub type Result<T> = std::result::Result<T, UserError>;

pub fn unknown_provider() -> UserError {
    UserError::of(ErrorCode::ProviderUnknown)
}

pub fn unknown_account() -> UserError {
    UserError::of(ErrorCode::AccountUnknown)
}

/// A bug (a task that panicked): the log says what Patchbay was doing.
pub fn internal(what: &str) -> UserError {
    tracing::error!(what, "internal error");
    UserError::of(ErrorCode::AppInternal)
}

/// A cache failure: the cache's text is logged, not sent.
pub fn cache(e: &patchbay_cache::CacheError) -> UserError {
    patchbay_sync::cache_error_view(e)
}

/// A settings change that was refused or not written.
pub fn settings(e: &SettingsError) -> UserError {
    match e {
        // These name the user's own value and the rule it broke: safe, and what they need.
        SettingsError::BadClientId { .. }
        | SettingsError::BadBaseUrl { .. }
        | SettingsError::BadRefresh { .. } => {
            UserError::with_message(ErrorCode::SettingsInvalid, format!("{e}."))
        }
        SettingsError::UnknownProvider(_) => unknown_provider(),
        SettingsError::Write { .. } => {
            tracing::error!(error = %e, "settings not saved");
            UserError::of(ErrorCode::SettingsNotSaved)
        }
    }
}

/// An I/O failure while writing an export: the OS's words go to the log.
pub fn export_write(e: &std::io::Error, path: &std::path::Path) -> UserError {
    tracing::warn!(path = %path.display(), error = %e, "export not written");
    UserError::of(ErrorCode::ExportWriteFailed)
}

/// An account id from the window: refused before anything is looked up when it cannot be one.
pub fn account_id(raw: &str) -> Result<patchbay_core::AccountId> {
    patchbay_core::AccountId::parse(raw).map_err(|_| unknown_account())
}

/// The provider's name for a sentence ("This provider" when the id is unknown).
pub fn provider_name(core: &patchbay_core::Patchbay, provider_id: &str) -> String {
    core.providers()
        .iter()
        .find(|d| d.id == provider_id)
        .map_or_else(|| "This provider".into(), |d| d.display_name.clone())
}
