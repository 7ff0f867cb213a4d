//! Records: a sync fetches through the core and writes each page to the local cache; the
//! table, search, sort, detail, chart and export read the cache. So the records view opens
//! instantly from what was fetched before and keeps working offline.

use std::sync::{Arc, Mutex};

use patchbay_cache::{
    Cache, ColumnKind as CacheKind, ColumnSpec, ExportFormat, Query, Sort, SyncMode,
};
use patchbay_core::providers::{ColumnType, ProviderDef, ResourceDef};
use patchbay_core::{AccountId, Patchbay};
use tauri::{AppHandle, Emitter, Runtime};

use crate::error::CommandError;
use crate::events;
use crate::views::{
    DetailField, ExportResult, RecordDetail, RecordPage, RecordQuery, RecordRow, SyncProgress,
    SyncSummary, WeekCount,
};

type Result<T> = std::result::Result<T, CommandError>;

/// Rows a single `query_records` call may ask for: the window pages through the rest.
const MAX_PAGE: u32 = 1000;

fn kind(t: ColumnType) -> CacheKind {
    match t {
        ColumnType::Text => CacheKind::Text,
        ColumnType::Integer => CacheKind::Integer,
        ColumnType::Number => CacheKind::Number,
        ColumnType::Money => CacheKind::Money,
        ColumnType::Boolean => CacheKind::Boolean,
        ColumnType::Date => CacheKind::Date,
        ColumnType::DateTime => CacheKind::DateTime,
        ColumnType::Email => CacheKind::Email,
        ColumnType::Phone => CacheKind::Phone,
        ColumnType::Url => CacheKind::Url,
    }
}

fn columns(r: &ResourceDef) -> Vec<ColumnSpec> {
    r.columns
        .iter()
        .map(|c| ColumnSpec {
            key: c.key.clone(),
            label: c.label.clone(),
            pointer: c.pointer.clone(),
            kind: kind(c.kind),
        })
        .collect()
}

/// The provider and resource definitions, or an error the window can show.
pub fn resource(
    core: &Patchbay,
    provider: &str,
    resource: &str,
) -> Result<(Arc<ProviderDef>, ResourceDef)> {
    let def = core
        .providers()
        .iter()
        .find(|d| d.id == provider)
        .cloned()
        .ok_or_else(|| CommandError::unknown_provider(provider))?;
    let r = def.resource(resource).cloned().ok_or_else(|| {
        CommandError::new(
            "unknown_resource",
            format!("{} has no list called \"{resource}\".", def.display_name),
        )
    })?;
    Ok((def, r))
}

fn cache_error(e: patchbay_cache::CacheError) -> CommandError {
    tracing::warn!(error = %e, "cache error");
    CommandError::new("cache", e.to_string())
}

/// A record's id for the cache: its id field, or for a record without one, its content.
fn record_id(r: &ResourceDef, record: &serde_json::Value) -> String {
    match record.pointer(&r.id_pointer) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) if !v.is_null() => v.to_string(),
        _ => record.to_string(),
    }
}

/// What the sync hands to the thread that owns the cache writer. Progress goes through it
/// too, so the window hears of a page only once the page is stored and can be shown.
enum ToWriter {
    Page(Vec<(String, serde_json::Value)>, SyncProgress),
    Progress(SyncProgress),
    Finish,
}

pub async fn sync<R: Runtime>(
    app: &AppHandle<R>,
    core: &Patchbay,
    cache: Arc<Cache>,
    provider: &str,
    account: &AccountId,
    resource_id: &str,
) -> Result<SyncSummary> {
    let (_, r) = resource(core, provider, resource_id)?;
    let cols = columns(&r);
    // The cache writer lives on one blocking thread; each page lands there in its own
    // transaction while the next one is being fetched.
    let (tx, rx) = std::sync::mpsc::channel::<ToWriter>();
    let writer = {
        let cache = cache.clone();
        let app = app.clone();
        let (provider, account, resource_id) = (
            provider.to_string(),
            account.to_string(),
            resource_id.to_string(),
        );
        tauri::async_runtime::spawn_blocking(
            move || -> Result<Option<patchbay_cache::SyncStats>> {
                let mut w = cache
                    .begin_sync(&provider, &account, &resource_id, &cols, SyncMode::Full)
                    .map_err(cache_error)?;
                let mut first = true;
                let progress = |view: SyncProgress| {
                    if let Err(e) = app.emit(events::SYNC_PROGRESS, view) {
                        tracing::warn!(error = %e, "could not send sync progress");
                    }
                };
                for msg in rx {
                    match msg {
                        ToWriter::Page(rows, view) => {
                            w.write_page(&rows, None).map_err(cache_error)?;
                            if std::mem::take(&mut first) {
                                crate::timing::mark("first_page_stored", &provider);
                            }
                            progress(view);
                        }
                        ToWriter::Progress(view) => progress(view),
                        ToWriter::Finish => return w.finish().map(Some).map_err(cache_error),
                    }
                }
                // The sync failed: the pages written stay, and nothing is deleted.
                Ok(None)
            },
        )
    };
    let tx_pages = Mutex::new(tx.clone());
    let first_page = std::sync::atomic::AtomicBool::new(true);
    let result = core
        .sync_stream(provider, account, resource_id, |progress, page| {
            if first_page.swap(false, std::sync::atomic::Ordering::Relaxed) {
                crate::timing::mark("first_page", provider);
            }
            let view = SyncProgress {
                provider: progress.provider_id,
                account: progress.account_id,
                resource: progress.resource_id,
                fetched: progress.fetched,
                total: progress.total,
                done: progress.done,
            };
            let msg = if page.is_empty() {
                ToWriter::Progress(view)
            } else {
                let rows = page
                    .iter()
                    .map(|rec| (record_id(&r, rec), rec.clone()))
                    .collect();
                ToWriter::Page(rows, view)
            };
            // A closed channel means the writer failed; its error is reported below.
            let _ = tx_pages.lock().unwrap_or_else(|e| e.into_inner()).send(msg);
        })
        .await;
    if result.is_ok() {
        let _ = tx.send(ToWriter::Finish);
    }
    drop(tx);
    drop(tx_pages);
    let written = writer
        .await
        .map_err(|_| CommandError::internal("saving your records"))?;
    result.map_err(|e| CommandError::from(core.api_error_view(provider, &e)))?;
    let stats = written?.ok_or_else(|| CommandError::internal("saving your records"))?;
    let synced_at = cache
        .stats(provider, account.as_str(), resource_id)
        .map_err(cache_error)?
        .and_then(|s| s.last_synced)
        .unwrap_or_default();
    Ok(SyncSummary {
        total: u32::try_from(stats.total).unwrap_or(u32::MAX),
        synced_at,
    })
}

fn to_query(q: RecordQuery) -> Result<Query> {
    if q.search.len() > 1000 {
        return Err(CommandError::new(
            "bad_query",
            "That search is too long. Try fewer words.",
        ));
    }
    Ok(Query {
        search: q.search,
        sort: q.sort.map(|s| Sort {
            key: s.key,
            descending: s.descending,
        }),
        offset: u64::from(q.offset),
        limit: u64::from(q.limit.min(MAX_PAGE)),
    })
}

/// Runs blocking cache work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|_| CommandError::internal("reading your records"))?
}

fn n(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

pub async fn query(
    cache: Arc<Cache>,
    provider: String,
    account: AccountId,
    resource: String,
    q: RecordQuery,
) -> Result<RecordPage> {
    let q = to_query(q)?;
    blocking(move || {
        let started = std::time::Instant::now();
        let answer = cache.query(&provider, account.as_str(), &resource, &q);
        tracing::debug!(
            target: crate::timing::TARGET,
            step = "query",
            searched = !q.search.is_empty(),
            ms = format_args!("{:.2}", started.elapsed().as_secs_f64() * 1000.0),
            "timing"
        );
        let page = match answer {
            Ok(p) => p,
            // Nothing fetched yet is an empty table, not an error.
            Err(patchbay_cache::CacheError::NotCached { .. }) => {
                return Ok(RecordPage {
                    total: 0,
                    matched: 0,
                    rows: Vec::new(),
                })
            }
            Err(e) => return Err(cache_error(e)),
        };
        Ok(RecordPage {
            total: n(page.total),
            matched: n(page.matched),
            rows: page
                .rows
                .into_iter()
                .map(|r| RecordRow {
                    index: u32::try_from(r.index).unwrap_or(u32::MAX),
                    cells: r.cells,
                })
                .collect(),
        })
    })
    .await
}

pub async fn detail(
    cache: Arc<Cache>,
    provider: String,
    account: AccountId,
    resource: String,
    index: u32,
) -> Result<RecordDetail> {
    blocking(move || {
        let d = cache
            .detail(&provider, account.as_str(), &resource, i64::from(index))
            .map_err(cache_error)?
            .ok_or_else(|| {
                CommandError::new(
                    "not_found",
                    "That record is no longer here. Press Refresh to update the list.",
                )
            })?;
        Ok(RecordDetail {
            fields: d
                .fields
                .into_iter()
                .map(|f| DetailField {
                    label: f.label,
                    value: f.value,
                })
                .collect(),
            raw_json: d.raw_json,
        })
    })
    .await
}

pub async fn weekly(
    cache: Arc<Cache>,
    provider: String,
    account: AccountId,
    resource: String,
    column: Option<String>,
) -> Result<Vec<WeekCount>> {
    let Some(column) = column else {
        return Ok(Vec::new());
    };
    blocking(
        move || match cache.weekly_counts(&provider, account.as_str(), &resource, &column) {
            Ok(weeks) => Ok(weeks
                .into_iter()
                .map(|w| WeekCount {
                    week_start: w.week_start,
                    count: n(w.count),
                })
                .collect()),
            Err(patchbay_cache::CacheError::NotCached { .. }) => Ok(Vec::new()),
            Err(e) => Err(cache_error(e)),
        },
    )
    .await
}

/// Writes the current view (every matched row, in order) to a new file in `dir`, streamed,
/// reporting (rows written, rows in all) as it goes.
/// One account's list of records.
pub struct List {
    pub provider: String,
    pub account: AccountId,
    pub resource: String,
}

pub async fn export(
    cache: Arc<Cache>,
    dir: std::path::PathBuf,
    list: List,
    q: RecordQuery,
    format: ExportFormat,
    mut progress: impl FnMut(u64, u64) + Send + 'static,
) -> Result<ExportResult> {
    let mut q = to_query(q)?;
    // The export holds every matched row, not just the window's page.
    q.offset = 0;
    q.limit = u64::MAX / 2;
    let List {
        provider,
        account,
        resource,
    } = list;
    blocking(move || {
        std::fs::create_dir_all(&dir).map_err(|e| {
            CommandError::new(
                "export",
                format!(
                    "Patchbay could not create the folder {}: {e}",
                    dir.display()
                ),
            )
        })?;
        let stamp = patchbay_core::app::rfc3339_utc(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        )
        .replace(':', "-");
        let extension = match format {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        };
        let path = dir.join(format!(
            "patchbay-{provider}-{resource}-{stamp}.{extension}"
        ));
        let file = std::fs::File::create(&path).map_err(|e| {
            CommandError::new(
                "export",
                format!("Patchbay could not write {}: {e}", path.display()),
            )
        })?;
        let mut out = std::io::BufWriter::new(file);
        let rows = cache
            .export(
                &provider,
                account.as_str(),
                &resource,
                &q,
                format,
                &mut out,
                &mut progress,
            )
            .map_err(cache_error)?;
        std::io::Write::flush(&mut out).map_err(|e| {
            CommandError::new(
                "export",
                format!("Patchbay could not finish writing {}: {e}", path.display()),
            )
        })?;
        Ok(ExportResult {
            path: path.display().to_string(),
            rows: n(rows),
        })
    })
    .await
}

/// Deletes every cached record of one account (Disconnect without "keep").
pub async fn forget(cache: Arc<Cache>, provider: String, account: AccountId) -> Result<()> {
    blocking(move || {
        cache
            .delete(&provider, account.as_str(), None)
            .map_err(cache_error)
    })
    .await
}
