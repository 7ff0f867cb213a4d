//! Events the window listens to. Payloads are typed views; none carries a token, a code or
//! a verifier.

use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};
use ts_rs::TS;

pub const PROVIDERS_CHANGED: &str = "providers-changed";
pub const SYNC_PROGRESS: &str = "sync-progress";
/// A list's background-refresh status changed (`patchbay_sync::SyncStatus`).
pub const SYNC_STATUS: &str = "sync-status";
pub const NOTICE: &str = "notice";
pub const EXPORT_PROGRESS: &str = "export-progress";

#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    Info,
    Error,
}

/// A quiet, dismissable message (a refused link, a finished export).
#[derive(Debug, Clone, Serialize, TS)]
pub struct Notice {
    pub level: NoticeLevel,
    pub message: String,
    pub provider: Option<String>,
}

pub fn notice<R: Runtime>(
    app: &AppHandle<R>,
    level: NoticeLevel,
    message: impl Into<String>,
    provider: Option<&str>,
) {
    let n = Notice {
        level,
        message: message.into(),
        provider: provider.map(str::to_string),
    };
    if let Err(e) = app.emit(NOTICE, n) {
        tracing::warn!(error = %e, "could not send a notice to the window");
    }
}
