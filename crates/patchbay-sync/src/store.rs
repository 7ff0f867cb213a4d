//! The cache writer's thread: each page lands in its own transaction, with the cursor to resume
//! from and the watermark reached, while the next page is being fetched. Progress is passed on
//! only once its page is stored, so what the window hears of can be shown.

use std::sync::mpsc::Receiver;
use std::sync::Arc;

use patchbay_cache::{Cache, CacheError, ColumnSpec, SyncMode, SyncStats};
use patchbay_core::views::SyncProgress;
use time::OffsetDateTime;
use tokio::sync::mpsc::UnboundedSender;

use crate::SyncTarget;

/// What the fetching side hands to the writer.
pub(crate) enum ToWriter {
    Page {
        rows: Vec<(String, serde_json::Value)>,
        cursor: String,
        watermark: Option<String>,
        progress: SyncProgress,
    },
    /// Every page was handed over: finish (deleting what a full pass did not see), then pass
    /// on the final progress.
    Finish(SyncProgress),
}

/// Stores pages until `Finish` (answers the sync's stats) or until the fetching side hangs up
/// without it (a failed sync: the pages stored stay, nothing is deleted; answers `None`). A full
/// pass is dated `as_of`, the present the sync planned with.
pub(crate) fn write_all(
    cache: Arc<Cache>,
    target: SyncTarget,
    columns: Vec<ColumnSpec>,
    mode: SyncMode,
    as_of: OffsetDateTime,
    pages: Receiver<ToWriter>,
    stored: UnboundedSender<SyncProgress>,
) -> Result<Option<SyncStats>, CacheError> {
    let mut w = cache.begin_sync(
        &target.provider,
        target.account.as_str(),
        &target.resource,
        &columns,
        mode,
    )?;
    for msg in pages {
        match msg {
            ToWriter::Page {
                rows,
                cursor,
                watermark,
                progress,
            } => {
                w.write_page_marked(&rows, Some(&cursor), watermark.as_deref())?;
                // The receiver is gone only when the sync's caller stopped waiting.
                let _ = stored.send(progress);
            }
            ToWriter::Finish(progress) => {
                let stats = w.finish_as_of(as_of)?;
                let _ = stored.send(progress);
                return Ok(Some(stats));
            }
        }
    }
    Ok(None)
}
