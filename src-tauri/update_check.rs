//! The quiet update check at start-up: when a newer Patchbay is offered, one info notice
//! says so; anything else (no update, no network, no configuration) goes to the log only.
//! Off in debug builds (the tests') unless `PATCHBAY_UPDATE_CHECK=1`; off anywhere with `=0`.

use patchbay_app::updates;
use patchbay_app::views::Notice;
use tauri::{AppHandle, Runtime};

use crate::ipc::{emit, event};

pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let setting = std::env::var(updates::CHECK_ENV).ok();
    if !updates::startup_check_enabled(setting.as_deref(), !cfg!(debug_assertions)) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match crate::commands::check_for_update(&app).await {
            Ok(Some(info)) => {
                tracing::info!(version = %info.version, "an update is available");
                emit::<event::Notice, R>(
                    &app,
                    Notice::info(updates::available_sentence(&info), None),
                );
            }
            Ok(None) => tracing::info!("Patchbay is up to date"),
            Err(e) => tracing::info!(code = %e.code, "the update check did not complete"),
        }
    });
}
