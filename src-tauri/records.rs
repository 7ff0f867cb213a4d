//! Records: a sync (the `patchbay-sync` engine) fetches through the core and writes each page to the local cache; the
//! table, search, sort, detail, chart and export read the cache. So the records view opens
//! instantly from what was fetched before and keeps working offline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use patchbay_cache::{Cache, ExportFormat, Query, Sort};
use patchbay_core::providers::{ProviderDef, ResourceDef};
use patchbay_core::{AccountId, ErrorCode, Patchbay};
use patchbay_sync::{Background, Pass, ProgressSink, SyncTarget};
use tauri::{AppHandle, Runtime};

use crate::error::{self, CommandError};
use crate::views::{
    DetailField, ExportResult, RecordDetail, RecordPage, RecordQuery, RecordRow, SyncSummary,
    WeekCount,
};

type Result<T> = std::result::Result<T, CommandError>;

/// Rows a single `query_records` call may ask for: the window pages through the rest.
const MAX_PAGE: u32 = 1000;

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
        .ok_or_else(|| CommandError::of(ErrorCode::ProviderUnknown))?;
    let r = def
        .resource(resource)
        .cloned()
        .ok_or_else(|| CommandError::new(ErrorCode::ResourceUnknown, &def.display_name))?;
    Ok((def, r))
}

fn cache_error(e: patchbay_cache::CacheError) -> CommandError {
    error::cache(&e)
}

/// Forwards a sync's progress to the window: a page is announced once it is stored, so the
/// window can show it.
struct WindowSink<R: Runtime> {
    app: AppHandle<R>,
    provider: String,
    first_fetched: AtomicBool,
    first_stored: AtomicBool,
}

impl<R: Runtime> ProgressSink for WindowSink<R> {
    fn progress(&self, p: patchbay_core::views::SyncProgress) {
        if self.first_stored.swap(false, Ordering::Relaxed) {
            crate::timing::mark("first_page_stored", &self.provider);
        }
        crate::background::emit_progress(&self.app, p);
    }

    fn fetched(&self, _p: &patchbay_core::views::SyncProgress) {
        if self.first_fetched.swap(false, Ordering::Relaxed) {
            crate::timing::mark("first_page", &self.provider);
        }
    }
}

/// Syncs one list of one account (the sync engine, `patchbay-sync`: resumed after an
/// interruption, incremental when it can be) through the world's background schedule, and
/// sums it up for the window.
pub async fn sync<R: Runtime>(
    app: &AppHandle<R>,
    background: &Background,
    provider: &str,
    account: &AccountId,
    resource_id: &str,
) -> Result<SyncSummary> {
    let target = SyncTarget {
        provider: provider.to_string(),
        account: account.clone(),
        resource: resource_id.to_string(),
    };
    let sink = WindowSink {
        app: app.clone(),
        provider: provider.to_string(),
        first_fetched: AtomicBool::new(true),
        first_stored: AtomicBool::new(true),
    };
    let report = background
        .sync_now(&target, Pass::Auto, &sink)
        .await
        .map_err(|e| CommandError::from(e.to_user()))?;
    Ok(SyncSummary {
        total: n(report.total),
        synced_at: report.finished_at,
        pass: report.pass,
        added: n(report.added),
        updated: n(report.updated),
        removed: n(report.removed),
        requests: n(report.requests),
    })
}

fn to_query(q: RecordQuery) -> Result<Query> {
    if q.search.len() > 1000 {
        return Err(CommandError::of(ErrorCode::RecordsQueryTooLong));
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
        .map_err(|_| error::internal("reading your records"))?
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
            .ok_or_else(|| CommandError::of(ErrorCode::RecordsNotFound))?;
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
        std::fs::create_dir_all(&dir).map_err(|e| error::export_write(&e, &dir))?;
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
        let file = std::fs::File::create(&path).map_err(|e| error::export_write(&e, &path))?;
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
        std::io::Write::flush(&mut out).map_err(|e| error::export_write(&e, &path))?;
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
