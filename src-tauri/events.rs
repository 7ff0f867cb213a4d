//! Events the window listens to. Payloads are typed views; none carries a token, a code or
//! a verifier.

use patchbay_core::{ErrorCode, UserError};
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

/// A quiet, dismissable message (a refused link, a finished export). Its sentence names the
/// provider when it concerns one, so the window shows it as it is. Built with
/// [`Notice::info`] or [`Notice::error`]: an error notice always carries its code and advice.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Notice {
    level: NoticeLevel,
    message: String,
    /// What the marketer can do about it; `None` for information.
    advice: Option<String>,
    /// The error's code, for the window to branch on; `None` for information.
    code: Option<ErrorCode>,
    provider: Option<String>,
}

impl Notice {
    pub fn info(message: impl Into<String>, provider: Option<&str>) -> Self {
        Self {
            level: NoticeLevel::Info,
            message: message.into(),
            advice: None,
            code: None,
            provider: provider.map(str::to_string),
        }
    }

    pub fn error(error: UserError, provider: Option<&str>) -> Self {
        Self {
            level: NoticeLevel::Error,
            message: error.message,
            advice: Some(error.advice),
            code: Some(error.code),
            provider: provider.map(str::to_string),
        }
    }
}

pub fn notice<R: Runtime>(app: &AppHandle<R>, notice: Notice) {
    if let Err(e) = app.emit(NOTICE, notice) {
        tracing::warn!(error = %e, "could not send a notice to the window");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_notice_carries_code_and_advice_and_names_the_provider_once() {
        let e = patchbay_core::ConnectError::Grant {
            provider_id: "boomtown".into(),
            error: patchbay_core::oauth::OAuthError::new("invalid_client", None, None),
        };
        let n =
            serde_json::to_value(Notice::error(e.to_user("BoomTown"), Some("boomtown"))).unwrap();
        assert_eq!(n["level"], "error");
        assert_eq!(n["code"], "connect.client_refused");
        assert_eq!(
            n["message"],
            "BoomTown did not accept Patchbay's client id or client secret."
        );
        assert_eq!(n["advice"], "Check them in Settings, then click Connect.");
        assert_eq!(n["provider"], "boomtown");
        let info = serde_json::to_value(Notice::info(
            "Connecting BoomTown was cancelled.",
            Some("boomtown"),
        ))
        .unwrap();
        assert_eq!(info["level"], "info");
        assert_eq!(info["code"], serde_json::Value::Null);
        assert_eq!(info["advice"], serde_json::Value::Null);
    }
}
