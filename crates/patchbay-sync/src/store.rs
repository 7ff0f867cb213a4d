//! The cache writer's thread: each page lands in its own transaction, with the cursor to resume
//! from and the watermark reached, while the next page is being fetched. Progress is passed on
//! only once its page is stored, so what the window hears of can be shown.

use std::sync::mpsc::Receiver;
use std::sync::Arc;

use patchbay_cache::{Cache, CacheError, ColumnSpec, SyncMode, SyncStats};
use patchbay_core::views::SyncProgress;
use time::OffsetDateTime;
use tokio::sync::mpsc::UnboundedSender;

use crate::below_window;
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

/// How many of a sync's first records go ahead of the rest of their page, in a transaction of
/// their own: more than a window's first screen of rows. A page of 250 leads takes 15 to 25 ms
/// to store (their search entries and people); these 50, 3 to 5 (bench/README.md, "Connect").
const FIRST_ROWS: usize = 50;

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
    let mut first = true;
    for msg in pages {
        match msg {
            ToWriter::Page {
                rows,
                cursor,
                watermark,
                progress,
            } => {
                // The window shows a sync's first rows as soon as they are stored; the rest of
                // their page is stored below the window's priority while it draws them.
                if std::mem::take(&mut first) && rows.len() > FIRST_ROWS {
                    let (ahead, rest) = rows.split_at(FIRST_ROWS);
                    w.write_rows(ahead)?;
                    let _ = stored.send(SyncProgress {
                        fetched: progress.fetched.saturating_sub(rest.len() as u32),
                        done: false,
                        ..progress.clone()
                    });
                    below_window::run(|| {
                        w.write_page_marked(rest, Some(&cursor), watermark.as_deref())
                    })?;
                } else {
                    w.write_page_marked(&rows, Some(&cursor), watermark.as_deref())?;
                }
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
