//! Patchbay's sync engine, without a window: fetch a resource through the core, store each page
//! in the cache as it arrives, and report progress once a page is stored. A sync interrupted by
//! a crash, a quit or a lost network resumes after its last stored page; a resource that can
//! ask its provider for changes only fetches those, with a full pass (the only one that sees
//! deletions) every few days. The shell (`src-tauri/records.rs`) starts [`run`] and forwards
//! progress to the window.

mod background;
mod backlog;
mod below_window;
mod columns;
mod error;
mod plan;
mod store;
mod watermark;

use std::sync::Arc;

use parking_lot::Mutex;

use patchbay_cache::Cache;
use patchbay_core::app::SyncPage;
use patchbay_core::views::SyncProgress;
use patchbay_core::{AccountId, Patchbay};
use serde::Serialize;
use time::OffsetDateTime;

pub use background::{Background, StatusSink, SyncRun, SyncStatus};
pub use columns::{columns, record_id};
pub use error::{cache_code, cache_error_view, SyncError};
pub use plan::{Pass, PassKind};

use store::ToWriter;

/// One resource of one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncTarget {
    pub provider: String,
    pub account: AccountId,
    pub resource: String,
}

/// Where progress goes (the shell: to the window).
pub trait ProgressSink: Send + Sync {
    /// A page was stored (or, with `done`, the sync finished): `fetched` records so far.
    fn progress(&self, p: SyncProgress);
    /// A page arrived from the provider, before it is stored (for timing marks).
    fn fetched(&self, _p: &SyncProgress) {}
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub pass: PassKind,
    /// Records new to the cache.
    pub added: u64,
    /// Records already cached whose content changed.
    pub updated: u64,
    /// Records removed because the provider no longer has them (full passes only).
    pub removed: u64,
    /// API requests this sync sent (this run's, not an interrupted earlier attempt's).
    pub requests: u64,
    /// Records cached for the resource afterwards.
    pub total: u64,
    /// It continued an interrupted sync from its last stored page.
    pub resumed: bool,
    /// When it finished (RFC 3339, UTC).
    pub finished_at: String,
}

/// Syncs one resource of one account into the cache. See the crate documentation.
pub async fn run(
    core: &Patchbay,
    cache: &Arc<Cache>,
    target: &SyncTarget,
    pass: Pass,
    sink: &dyn ProgressSink,
) -> Result<SyncReport, SyncError> {
    run_at(core, cache, target, pass, sink, OffsetDateTime::now_utc()).await
}

/// Like [`run`], taking `now` as the present: the end of a creation-date window and the age of
/// the last full pass are measured from it (a test sets it to a provider's simulated clock).
pub async fn run_at(
    core: &Patchbay,
    cache: &Arc<Cache>,
    target: &SyncTarget,
    pass: Pass,
    sink: &dyn ProgressSink,
    now: OffsetDateTime,
) -> Result<SyncReport, SyncError> {
    let def = core
        .providers()
        .iter()
        .find(|d| d.id == target.provider)
        .cloned()
        .ok_or_else(|| SyncError::UnknownProvider(target.provider.clone()))?;
    let resource =
        def.resource(&target.resource)
            .cloned()
            .ok_or_else(|| SyncError::UnknownResource {
                provider: def.display_name.clone(),
                resource: target.resource.clone(),
            })?;
    let marks = cache.sync_marks(&target.provider, target.account.as_str(), &target.resource)?;
    let planned = plan::plan(&resource, &marks, pass, now);
    tracing::info!(
        provider = %target.provider, resource = %target.resource, pass = ?planned.kind,
        resumed = planned.resumed, "sync planned"
    );

    // The connection counts every request it sends, retries included (one sync per account
    // runs at a time, so the difference is this sync's).
    let connection = core.connection(&target.provider, &target.account);
    let sent_before = connection.as_ref().map(|c| c.request_count());

    let (tx, rx) = backlog::backlog::<ToWriter>(backlog::WAITING_PAGES);
    let (stored_tx, mut stored_rx) = tokio::sync::mpsc::unbounded_channel::<SyncProgress>();
    let writer = {
        let (cache, target, columns) = (cache.clone(), target.clone(), columns(&resource));
        let mode = planned.kind.mode();
        tokio::task::spawn_blocking(move || {
            store::write_all(cache, target, columns, mode, now, rx, stored_tx)
        })
    };

    let tracker = Mutex::new(planned.tracker);
    let done = Mutex::new(None);
    let fetch = async {
        let on_page = |page: SyncPage| {
            if page.progress.done {
                *done.lock() = Some(page.progress);
                return;
            }
            sink.fetched(&page.progress);
            let watermark = tracker
                .lock()
                .as_mut()
                .and_then(|t| t.observe(&page.records));
            // The records are handed over: each goes to the writer as it came, not a copy.
            let rows = page
                .records
                .into_iter()
                .map(|rec| (record_id(&resource, &rec), rec))
                .collect();
            let cursor = serde_json::to_string(&page.cursor).unwrap_or_default();
            // A closed channel means the writer failed; its error is reported below.
            let _ = tx.send(ToWriter::Page {
                rows,
                cursor,
                watermark,
                progress: page.progress,
            });
        };
        let result = core
            .sync_resumable(
                &target.provider,
                &target.account,
                &target.resource,
                planned.plan,
                on_page,
            )
            .await;
        if result.is_ok() {
            let last = done.lock().take();
            if let Some(progress) = last {
                // Not a blocking send: the writer takes `Finish` only once the last page is
                // stored, and this task also forwards what is stored; blocked here, it passed
                // a one-page list's first rows on only with the whole page.
                tx.send_async(ToWriter::Finish(progress)).await;
            }
        }
        drop(tx);
        result
    };
    let forward = async {
        while let Some(p) = stored_rx.recv().await {
            sink.progress(p);
        }
    };
    let both = async { tokio::join!(fetch, forward) };
    tokio::pin!(both);
    let mut writer = writer;
    // A writer that fails (a full disk, the records deleted by a disconnect) stops the fetch:
    // nothing more can be stored, so nothing more is asked of the provider.
    let (result, written) = tokio::select! {
        (result, ()) = &mut both => (result, writer.await),
        written = &mut writer => match written {
            Ok(Err(e)) => return Err(e.into()),
            // It finished (or the fetch ended without `Finish`): the fetch is done or about to be.
            other => ((&mut both).await.0, other),
        },
    };
    let written = written.map_err(|_| SyncError::WriterStopped)?;
    let outcome = result.map_err(|error| SyncError::Api {
        view: core.api_error_view(&target.provider, &error),
        error,
    })?;
    let stats = written?.ok_or(SyncError::WriterStopped)?;
    let finished_at = cache
        .stats(&target.provider, target.account.as_str(), &target.resource)?
        .and_then(|s| s.last_synced)
        .unwrap_or_default();
    let report = SyncReport {
        pass: planned.kind,
        added: stats.added,
        updated: stats.updated,
        removed: stats.deleted,
        requests: match (&connection, sent_before) {
            (Some(c), Some(before)) => c.request_count().saturating_sub(before),
            _ => outcome.requests,
        },
        total: stats.total,
        resumed: planned.resumed,
        finished_at,
    };
    tracing::info!(provider = %target.provider, resource = %target.resource, ?report, "sync finished");
    Ok(report)
}
