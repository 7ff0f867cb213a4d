//! Syncs to the window: a sync's progress and each list's status go out as events
//! (`sync-progress`, `sync-status`); the schedule itself is `patchbay-sync`'s.

use std::sync::Arc;

use patchbay_sync::{ProgressSink, StatusSink, SyncStatus};
use tauri::{AppHandle, Runtime};

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

pub fn window_sinks<R: Runtime>(app: &AppHandle<R>) -> patchbay_app::Sinks {
    let window = Arc::new(Window(app.clone()));
    patchbay_app::Sinks {
        progress: window.clone(),
        statuses: window,
    }
}
