//! Records: a sync (the `patchbay-sync` engine) fetches through the core and writes each page
//! to the local cache; the table, search, sort, detail, chart and export read the cache. So
//! the records view opens instantly from what was fetched before and keeps working offline.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use patchbay_cache::ExportFormat;
use patchbay_cache::{Cache, Query, Sort};
use patchbay_core::providers::{ProviderDef, ResourceDef};
use patchbay_core::{AccountId, Patchbay};
use patchbay_sync::{Pass, ProgressSink, SyncStatus, SyncTarget};

use crate::error::{self, internal, ErrorCode, Result, UserError};
use crate::state::{AppState, WorldState};
use crate::views::{
    chart_column, saturate as n, DetailField, ExportProgress, ExportResult, ListRef, RecordDetail,
    RecordPage, RecordQuery, RecordRow, ResourceView, SyncSummary, ValueCount, WeekCount,
};

/// Choices a one-of filter offers: the most common values of the column.
const MAX_CHOICES: u32 = 50;

/// Rows a single `query_records` call may ask for: the window pages through the rest.
const MAX_PAGE: u32 = 1000;

/// The provider and resource definitions, or an error the window can show.
pub fn resource(
    core: &Patchbay,
    provider: &str,
    resource: &str,
) -> Result<(Arc<ProviderDef>, ResourceDef)> {
    let def = provider_def(core, provider)?;
    let r = def
        .resource(resource)
        .cloned()
        .ok_or_else(|| UserError::new(ErrorCode::ResourceUnknown, &def.display_name))?;
    Ok((def, r))
}

pub(crate) fn cache_error(e: patchbay_cache::CacheError) -> UserError {
    error::cache(&e)
}

/// The world's record cache, or why it could not be opened.
pub(crate) fn cache(world: &WorldState) -> Result<Arc<Cache>> {
    world.cache()
}

/// A list of the world shown, ready to read: its cache, ids and definition; refused with a
/// sentence when any of them is not there.
struct Opened {
    cache: Arc<Cache>,
    provider: String,
    account: AccountId,
    resource: String,
    def: ResourceDef,
}

impl Opened {
    /// What a cache read needs, to move into its worker thread.
    fn parts(self) -> (Arc<Cache>, String, AccountId, String) {
        (self.cache, self.provider, self.account, self.resource)
    }
}

fn open(state: &AppState, list: &ListRef) -> Result<Opened> {
    let account = error::account_id(&list.account)?;
    let world = state.active();
    let (_, def) = self::resource(&world.core(), &list.provider, &list.resource)?;
    Ok(Opened {
        cache: cache(&world)?,
        provider: list.provider.clone(),
        account,
        resource: list.resource.clone(),
        def,
    })
}

/// The provider's definition in the core, or an error the window can show.
fn provider_def(core: &Patchbay, provider: &str) -> Result<Arc<ProviderDef>> {
    core.providers()
        .iter()
        .find(|d| d.id == provider)
        .cloned()
        .ok_or_else(error::unknown_provider)
}

/// A provider's lists with their columns.
pub fn list_resources(state: &AppState, provider_id: &str) -> Result<Vec<ResourceView>> {
    let def = provider_def(&state.active().core(), provider_id)?;
    Ok(def.resources.iter().map(ResourceView::from).collect())
}

/// The sync panel of one account: each list's last run, next run, error or quota pause.
pub fn statuses(state: &AppState, provider_id: &str, account_id: &str) -> Result<Vec<SyncStatus>> {
    let account = error::account_id(account_id)?;
    let world = state.active();
    provider_def(&world.core(), provider_id)?;
    Ok(world
        .background()
        .map(|b| b.statuses(provider_id, &account))
        .unwrap_or_default())
}

/// Passes a sync's progress on and marks the first page fetched and stored (connect
/// latency, see `timing`). `S` is the sink: borrowed for a Refresh, owned for a sync that runs
/// on its own.
struct TimedSink<S> {
    inner: S,
    provider: String,
    first_fetched: AtomicBool,
    first_stored: AtomicBool,
}

impl<S> TimedSink<S> {
    fn new(inner: S, provider: &str) -> Self {
        Self {
            inner,
            provider: provider.to_string(),
            first_fetched: AtomicBool::new(true),
            first_stored: AtomicBool::new(true),
        }
    }
}

impl<'a, S: Deref<Target = dyn ProgressSink + 'a> + Send + Sync> ProgressSink for TimedSink<S> {
    fn progress(&self, p: patchbay_core::views::SyncProgress) {
        if self.first_stored.swap(false, Ordering::Relaxed) {
            crate::timing::mark("first_page_stored", &self.provider);
        }
        self.inner.progress(p);
    }

    fn fetched(&self, p: &patchbay_core::views::SyncProgress) {
        if self.first_fetched.swap(false, Ordering::Relaxed) {
            crate::timing::mark("first_page", &self.provider);
        }
        self.inner.fetched(p);
    }
}

/// Refreshes one list of one account (the sync engine, `patchbay-sync`: resumed after an
/// interruption, incremental when it can be) through the world's background schedule: it
/// waits for a background refresh of the same account to end first, and joins the sync a
/// connect of the account started a moment ago. `sink` hears of each page once it is stored.
pub async fn sync(
    state: &AppState,
    list: &ListRef,
    sink: &dyn ProgressSink,
) -> Result<SyncSummary> {
    let account = error::account_id(&list.account)?;
    let world = state.active();
    cache(&world)?;
    let background = world
        .background()
        .ok_or_else(|| internal("refreshing your records"))?;
    let target = SyncTarget {
        provider: list.provider.clone(),
        account,
        resource: list.resource.clone(),
    };
    let report = background
        .sync_now(&target, Pass::Auto, &TimedSink::new(sink, &list.provider))
        .await
        .map_err(|e| e.to_user())?;
    Ok(report.into())
}

/// Starts the first list of an account that was just connected syncing at once, its progress
/// going to the window: the records view the window opens next (its first tab, this list)
/// joins that run rather than starting it one round trip chain later. Called by each way of
/// connecting (the browser's link, an API key).
pub(crate) fn sync_first_list(
    state: &AppState,
    world: &WorldState,
    provider: &str,
    account_id: &str,
) {
    // No background refresh only when the cache could not be opened: nothing to store into
    // (the window says so when it opens the list).
    let Some(background) = world.background() else {
        return;
    };
    let (Ok(account), Ok(def)) = (
        AccountId::parse(account_id),
        provider_def(&world.core(), provider),
    ) else {
        return;
    };
    let Some(first) = def.resources.first() else {
        return;
    };
    let target = SyncTarget {
        provider: provider.to_string(),
        account,
        resource: first.id.to_string(),
    };
    let progress = state.sinks.progress.clone();
    background.sync_connected(target, Arc::new(TimedSink::new(progress, provider)));
}

/// A search the window sends (records or People): refused past 1000 bytes, which no one types.
pub(crate) fn check_search(search: &str) -> Result<()> {
    if search.len() > 1000 {
        return Err(UserError::of(ErrorCode::RecordsQueryTooLong));
    }
    Ok(())
}

fn to_query(q: RecordQuery) -> Result<Query> {
    check_search(&q.search)?;
    Ok(Query {
        search: q.search,
        filter: q.filter,
        sort: q.sort.map(|s| Sort {
            key: s.key,
            descending: s.descending,
        }),
        offset: u64::from(q.offset),
        limit: u64::from(q.limit.min(MAX_PAGE)),
    })
}

/// Runs blocking cache work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| internal("reading your records"))?
}

/// A page of the list's table: searched, sorted, from `offset` (at most 1000 rows). Nothing
/// fetched yet is an empty table.
pub async fn query(state: &AppState, list: &ListRef, q: RecordQuery) -> Result<RecordPage> {
    let (cache, provider, account, resource) = open(state, list)?.parts();
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

/// Every field of one record, and the record as the provider sent it.
pub async fn detail(state: &AppState, list: &ListRef, index: u32) -> Result<RecordDetail> {
    let (cache, provider, account, resource) = open(state, list)?.parts();
    blocking(move || {
        let d = cache
            .detail(&provider, account.as_str(), &resource, i64::from(index))
            .map_err(cache_error)?
            .ok_or_else(|| UserError::of(ErrorCode::RecordsNotFound))?;
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

/// The address of one record's own page at its provider ("Open in <Provider>"), from the
/// list's `record_page` template and the record as cached. The window names the record by its
/// index only, so it never chooses any part of the address.
pub async fn record_page(state: &AppState, list: &ListRef, index: u32) -> Result<url::Url> {
    let account = error::account_id(&list.account)?;
    let world = state.active();
    let (def, resource) = self::resource(&world.core(), &list.provider, &list.resource)?;
    let name = def.display_name.clone();
    let Some(template) = resource.record_page else {
        return Err(UserError::new(ErrorCode::RecordsNoProviderPage, &name));
    };
    let cache = cache(&world)?;
    let (provider, resource_id) = (list.provider.clone(), list.resource.clone());
    blocking(move || {
        let d = cache
            .detail(&provider, account.as_str(), &resource_id, i64::from(index))
            .map_err(cache_error)?
            .ok_or_else(|| UserError::of(ErrorCode::RecordsNotFound))?;
        let record: serde_json::Value = serde_json::from_str(&d.raw_json)
            .map_err(|_| UserError::new(ErrorCode::RecordsPageMissingValue, &name))?;
        patchbay_core::record_page::expand(&template, &record).map_err(|e| {
            tracing::warn!(provider = %provider, resource = %resource_id, error = %e, "record page refused");
            UserError::new(e.code(), &name)
        })
    })
    .await
}

/// Records per week for the list's chart (leads and contacts; other lists have none), of the
/// rows the table shows (its search and filters).
pub async fn weekly(state: &AppState, list: &ListRef, q: RecordQuery) -> Result<Vec<WeekCount>> {
    let shown = to_query(q)?;
    let Opened {
        cache,
        provider,
        account,
        resource,
        def,
    } = open(state, list)?;
    let Some(column) = chart_column(&def).map(str::to_string) else {
        return Ok(Vec::new());
    };
    blocking(move || {
        match cache.weekly_counts(&provider, account.as_str(), &resource, &column, &shown) {
            Ok(weeks) => Ok(weeks
                .into_iter()
                .map(|w| WeekCount {
                    week_start: w.week_start,
                    count: n(w.count),
                })
                .collect()),
            Err(patchbay_cache::CacheError::NotCached { .. }) => Ok(Vec::new()),
            Err(e) => Err(cache_error(e)),
        }
    })
    .await
}

/// The most common values of a column among the rows the table shows (the other filters and
/// the search), with how many rows hold each: a one-of filter's choices.
pub async fn value_counts(
    state: &AppState,
    list: &ListRef,
    column: String,
    q: RecordQuery,
) -> Result<Vec<ValueCount>> {
    let (cache, provider, account, resource) = open(state, list)?.parts();
    let shown = to_query(q)?;
    blocking(move || {
        match cache.value_counts(
            &provider,
            account.as_str(),
            &resource,
            &column,
            &shown,
            MAX_CHOICES,
        ) {
            Ok(counts) => Ok(counts
                .into_iter()
                .map(|c| ValueCount {
                    value: c.value,
                    count: n(c.count),
                })
                .collect()),
            Err(patchbay_cache::CacheError::NotCached { .. }) => Ok(Vec::new()),
            Err(e) => Err(cache_error(e)),
        }
    })
    .await
}

/// Writes the current view (every matched row, in order) to a new file in `dir` (the user's
/// Downloads folder; `None` when the system has none), streamed, telling `progress` how far
/// it came (at most every 2000 rows, and at the end).
pub async fn export(
    state: &AppState,
    dir: Option<std::path::PathBuf>,
    list: &ListRef,
    q: RecordQuery,
    format: ExportFormat,
    progress: impl Fn(ExportProgress) + Send + 'static,
) -> Result<ExportResult> {
    let (cache, provider, account, resource) = open(state, list)?.parts();
    let dir = dir.ok_or_else(|| UserError::of(ErrorCode::ExportNoFolder))?;
    let (p, r) = (provider.clone(), resource.clone());
    let mut progress = move |done: u64, total: u64| {
        if done.is_multiple_of(2000) || done == total {
            progress(ExportProgress {
                provider: p.clone(),
                resource: r.clone(),
                done: n(done),
                total: n(total),
            });
        }
    };
    let mut q = to_query(q)?;
    // The export holds every matched row, not just the window's page.
    q.offset = 0;
    q.limit = u64::MAX / 2;
    blocking(move || {
        let extension = match format {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        };
        let (path, mut out) = export_file(&dir, &format!("{provider}-{resource}"), extension)?;
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

/// A new export file in `dir`, named for what it holds and when
/// (`patchbay-{name}-{UTC time}.{extension}`), made along with its folder.
pub(crate) fn export_file(
    dir: &std::path::Path,
    name: &str,
    extension: &str,
) -> Result<(std::path::PathBuf, std::io::BufWriter<std::fs::File>)> {
    std::fs::create_dir_all(dir).map_err(|e| error::export_write(&e, dir))?;
    let stamp = patchbay_core::app::rfc3339_utc(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    )
    .replace(':', "-");
    let path = dir.join(format!("patchbay-{name}-{stamp}.{extension}"));
    // 0600: the export holds the marketer's records (the Downloads folder is theirs to keep).
    let file = patchbay_core::private_fs::create_private_file(&path)
        .map_err(|e| error::export_write(&e, &path))?;
    Ok((path, std::io::BufWriter::new(file)))
}

/// Deletes every cached record of one account (Disconnect without "keep").
pub(crate) async fn forget(world: &WorldState, provider: String, account: AccountId) -> Result<()> {
    let cache = cache(world)?;
    blocking(move || {
        cache
            .delete(&provider, account.as_str(), None)
            .map_err(cache_error)
    })
    .await
}
