//! What the app reports, sent to the window as events: a sync's progress and each list's
//! status (`sync-progress`, `sync-status`; the schedule itself is `patchbay-sync`'s), and
//! new tiles after a connection change (`providers-changed`).

use std::sync::Arc;

use patchbay_app::AppState;
use patchbay_sync::{ProgressSink, StatusSink, SyncStatus};
use tauri::{AppHandle, Manager, Runtime};

use crate::ipc::{emit, event};

/// The window, as a sync's listener.
pub struct Window<R: Runtime>(pub AppHandle<R>);

impl<R: Runtime> ProgressSink for Window<R> {
    fn progress(&self, p: patchbay_core::views::SyncProgress) {
        emit::<event::SyncProgress, R>(&self.0, p);
    }
}

impl<R: Runtime> StatusSink for Window<R> {
    fn status(&self, status: SyncStatus) {
        emit::<event::SyncStatus, R>(&self.0, status);
    }
}

/// Where both worlds' syncs report.
pub fn sync_sinks<R: Runtime>(app: &AppHandle<R>) -> patchbay_app::Sinks {
    let window = Arc::new(Window(app.clone()));
    patchbay_app::Sinks {
        progress: window.clone(),
        statuses: window,
    }
}

/// The window renders tiles from this event only: each connection change of either world's
/// core sends the active world's tiles.
pub fn send_tiles_on_change<R: Runtime>(app: &AppHandle<R>) -> patchbay_app::Notify {
    let app = app.clone();
    Arc::new(move || {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let Some(state) = app.try_state::<AppState>() else {
                return; // still starting: the window's initial state carries them
            };
            let tiles = patchbay_app::tiles::tiles(&state).await;
            emit::<event::ProvidersChanged, R>(&app, tiles);
        });
    })
}
