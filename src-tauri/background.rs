//! Background refresh to the window: a background sync's progress and each list's status go
//! out as events (`sync-progress`, `sync-status`); the schedule itself is `patchbay-sync`'s.

use std::sync::Arc;

use patchbay_sync::{ProgressSink, StatusSink, SyncStatus};
use tauri::{AppHandle, Emitter, Runtime};

use crate::events;
use crate::views::SyncProgress;

/// Where a world's background syncs report.
#[derive(Clone)]
pub struct Sinks {
    pub progress: Arc<dyn ProgressSink>,
    pub statuses: Arc<dyn StatusSink>,
}

struct Window<R: Runtime>(AppHandle<R>);

/// Tells the window a sync stored a page (or finished), as `sync-progress`.
pub fn emit_progress<R: Runtime>(app: &AppHandle<R>, p: patchbay_core::views::SyncProgress) {
    let view = SyncProgress {
        provider: p.provider_id,
        account: p.account_id,
        resource: p.resource_id,
        fetched: p.fetched,
        total: p.total,
        done: p.done,
    };
    if let Err(e) = app.emit(events::SYNC_PROGRESS, view) {
        tracing::warn!(error = %e, "could not send sync progress");
    }
}

impl<R: Runtime> ProgressSink for Window<R> {
    fn progress(&self, p: patchbay_core::views::SyncProgress) {
        emit_progress(&self.0, p);
    }
}

impl<R: Runtime> StatusSink for Window<R> {
    fn status(&self, status: SyncStatus) {
        if let Err(e) = self.0.emit(events::SYNC_STATUS, status) {
            tracing::warn!(error = %e, "could not send a sync status");
        }
    }
}

pub fn window_sinks<R: Runtime>(app: &AppHandle<R>) -> Sinks {
    let window = Arc::new(Window(app.clone()));
    Sinks {
        progress: window.clone(),
        statuses: window,
    }
}
