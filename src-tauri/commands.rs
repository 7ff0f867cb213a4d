//! The commands' adapters (`ipc_table.rs` lists them): each takes the app's state, calls
//! `patchbay_app`, and turns its refusal into the window's error. Only what needs Tauri is
//! done here: opening the system browser, the Downloads folder, sending events.

use std::collections::BTreeMap;

use patchbay_app::first_screen::{self, InitialState};
use patchbay_app::people::{
    AttributionBy, AttributionRow, DateRange, DecisionId, Funnel, MergeSuggestion, PeoplePage,
    PeopleQuery, PersonDetail, RecordRef,
};
use patchbay_app::records::{self, ExportFormat};
use patchbay_app::settings::Settings;
use patchbay_app::updates::{UpdateInfo, UpdateReady};
use patchbay_app::views::{
    ExportResult, ListRef, PeopleDecision, PersonId, ProviderTile, RecordDetail, RecordPage,
    RecordQuery, ResourceView, SavedView, SyncSummary, ValueCount, ViewId, ViewSettings, WeekCount,
};
use patchbay_app::{connections, people, saved_views, settings_page, tiles, AppState};
use patchbay_sync::SyncStatus;
use tauri::{AppHandle, Manager, Runtime};

use crate::error::CommandError;
use crate::ipc::{emit, event};

type Result<T> = std::result::Result<T, CommandError>;

fn state<R: Runtime>(app: &AppHandle<R>) -> tauri::State<'_, AppState> {
    app.state::<AppState>()
}

pub async fn initial_state<R: Runtime>(app: &AppHandle<R>) -> Result<InitialState> {
    Ok(first_screen::initial_state(&state(app)).await)
}

pub async fn list_providers<R: Runtime>(app: &AppHandle<R>) -> Result<Vec<ProviderTile>> {
    Ok(tiles::tiles(&state(app)).await)
}

pub async fn connect<R: Runtime>(app: &AppHandle<R>, provider_id: String) -> Result<()> {
    let url = connections::begin(&state(app), &provider_id).await?;
    // The link the browser sends back needs its handler registered (done off the start-up path).
    if let Some(registration) = app.try_state::<crate::deep_link::Registration>() {
        registration.wait().await;
    }
    if let Err(e) = tauri_plugin_opener::open_url(url.as_str(), None::<&str>) {
        tracing::warn!(provider = %provider_id, error = %e, "could not open the system browser");
        // The tile keeps "Copy link" so the user can paste it into a browser themselves.
    }
    Ok(())
}

pub async fn save_api_key<R: Runtime>(
    app: &AppHandle<R>,
    provider_id: String,
    values: BTreeMap<String, String>,
) -> Result<()> {
    connections::save_api_key(&state(app), &provider_id, values).await
}

pub async fn open_key_help<R: Runtime>(app: &AppHandle<R>, provider_id: String) -> Result<()> {
    let url = connections::key_help_url(&state(app), &provider_id)?;
    tauri_plugin_opener::open_url(&url, None::<&str>).map_err(|e| {
        tracing::warn!(error = %e, "could not open the help page");
        CommandError::with_message(
            patchbay_core::ErrorCode::AppBrowserUnavailable,
            format!("Patchbay could not open your browser. The page is {url}"),
        )
    })
}

pub async fn cancel_connect<R: Runtime>(app: &AppHandle<R>, provider_id: String) -> Result<()> {
    connections::cancel(&state(app), &provider_id);
    Ok(())
}

pub async fn disconnect<R: Runtime>(
    app: &AppHandle<R>,
    provider_id: String,
    account_id: String,
    keep_records: bool,
) -> Result<()> {
    let state = state(app);
    let notice = connections::disconnect(&state, &provider_id, &account_id, keep_records).await?;
    if let Some(notice) = notice {
        emit::<event::Notice, R>(app, notice);
    }
    Ok(())
}

pub async fn list_resources<R: Runtime>(
    app: &AppHandle<R>,
    provider_id: String,
) -> Result<Vec<ResourceView>> {
    records::list_resources(&state(app), &provider_id)
}

pub async fn get_settings<R: Runtime>(app: &AppHandle<R>) -> Result<Settings> {
    Ok(settings_page::get(&state(app)).await)
}

pub async fn save_settings<R: Runtime>(app: &AppHandle<R>, settings: Settings) -> Result<Settings> {
    settings_page::save(&state(app), settings).await
}

pub async fn set_client_secret<R: Runtime>(
    app: &AppHandle<R>,
    provider_id: String,
    secret: Option<String>,
) -> Result<Settings> {
    settings_page::set_client_secret(&state(app), &provider_id, secret).await
}

pub async fn set_welcome_seen<R: Runtime>(app: &AppHandle<R>, seen: bool) -> Result<Settings> {
    settings_page::set_welcome_seen(&state(app), seen).await
}

pub async fn forget_saved_key<R: Runtime>(
    app: &AppHandle<R>,
    provider_id: String,
    account_id: String,
) -> Result<Settings> {
    settings_page::forget_saved_key(&state(app), &provider_id, &account_id).await
}

pub async fn sync_resource<R: Runtime>(app: &AppHandle<R>, list: ListRef) -> Result<SyncSummary> {
    let window = crate::window_events::Window(app.clone());
    records::sync(&state(app), &list, &window).await
}

pub async fn sync_statuses<R: Runtime>(
    app: &AppHandle<R>,
    provider_id: String,
    account_id: String,
) -> Result<Vec<SyncStatus>> {
    records::statuses(&state(app), &provider_id, &account_id)
}

pub async fn query_records<R: Runtime>(
    app: &AppHandle<R>,
    list: ListRef,
    query: RecordQuery,
) -> Result<RecordPage> {
    records::query(&state(app), &list, query).await
}

pub async fn record_detail<R: Runtime>(
    app: &AppHandle<R>,
    list: ListRef,
    index: u32,
) -> Result<RecordDetail> {
    records::detail(&state(app), &list, index).await
}

pub async fn weekly_counts<R: Runtime>(
    app: &AppHandle<R>,
    list: ListRef,
    query: RecordQuery,
) -> Result<Vec<WeekCount>> {
    records::weekly(&state(app), &list, query).await
}

pub async fn value_counts<R: Runtime>(
    app: &AppHandle<R>,
    list: ListRef,
    column: String,
    query: RecordQuery,
) -> Result<Vec<ValueCount>> {
    records::value_counts(&state(app), &list, column, query).await
}

pub async fn export_csv<R: Runtime>(
    app: &AppHandle<R>,
    list: ListRef,
    query: RecordQuery,
) -> Result<ExportResult> {
    export(app, &list, query, ExportFormat::Csv).await
}

pub async fn export_json<R: Runtime>(
    app: &AppHandle<R>,
    list: ListRef,
    query: RecordQuery,
) -> Result<ExportResult> {
    export(app, &list, query, ExportFormat::Json).await
}

pub async fn people<R: Runtime>(app: &AppHandle<R>, query: PeopleQuery) -> Result<PeoplePage> {
    people::people(&state(app), query).await
}

pub async fn person<R: Runtime>(app: &AppHandle<R>, person: PersonId) -> Result<PersonDetail> {
    people::person(&state(app), person).await
}

pub async fn merge_suggestions<R: Runtime>(
    app: &AppHandle<R>,
    person: PersonId,
) -> Result<Vec<MergeSuggestion>> {
    people::merge_suggestions(&state(app), person).await
}

pub async fn attribution<R: Runtime>(
    app: &AppHandle<R>,
    range: DateRange,
    by: AttributionBy,
) -> Result<Vec<AttributionRow>> {
    people::attribution(&state(app), range, by).await
}

pub async fn funnel<R: Runtime>(app: &AppHandle<R>, range: DateRange) -> Result<Funnel> {
    people::funnel(&state(app), range).await
}

pub async fn export_people_csv<R: Runtime>(
    app: &AppHandle<R>,
    query: PeopleQuery,
) -> Result<ExportResult> {
    people::export_csv(&state(app), downloads(app), query).await
}

pub async fn merge_people<R: Runtime>(
    app: &AppHandle<R>,
    a: PersonId,
    b: PersonId,
) -> Result<PeopleDecision> {
    people::merge(&state(app), a, b).await
}

pub async fn split_person<R: Runtime>(
    app: &AppHandle<R>,
    person: PersonId,
    records: Vec<RecordRef>,
) -> Result<PeopleDecision> {
    people::split(&state(app), person, records).await
}

pub async fn undo_people_decision<R: Runtime>(
    app: &AppHandle<R>,
    decision: DecisionId,
) -> Result<()> {
    people::undo(&state(app), decision).await
}

/// The user's Downloads folder (their home when there is none).
pub(crate) fn downloads<R: Runtime>(app: &AppHandle<R>) -> Option<std::path::PathBuf> {
    let paths = app.path();
    paths.download_dir().or_else(|_| paths.home_dir()).ok()
}

/// An export into the user's Downloads folder (their home when there is none), its progress
/// sent as `export-progress`.
async fn export<R: Runtime>(
    app: &AppHandle<R>,
    list: &ListRef,
    query: RecordQuery,
    format: ExportFormat,
) -> Result<ExportResult> {
    let dir = downloads(app);
    let window = app.clone();
    let progress = move |p| emit::<event::ExportProgress, R>(&window, p);
    records::export(&state(app), dir, list, query, format, progress).await
}

pub async fn list_views<R: Runtime>(app: &AppHandle<R>, list: ListRef) -> Result<Vec<SavedView>> {
    saved_views::list(&state(app), &list).await
}

pub async fn save_view<R: Runtime>(
    app: &AppHandle<R>,
    list: ListRef,
    name: String,
    settings: ViewSettings,
) -> Result<SavedView> {
    saved_views::save(&state(app), &list, name, settings).await
}

pub async fn update_view<R: Runtime>(
    app: &AppHandle<R>,
    list: ListRef,
    id: ViewId,
    name: Option<String>,
    settings: Option<ViewSettings>,
) -> Result<SavedView> {
    saved_views::update(&state(app), &list, id, name, settings).await
}

pub async fn duplicate_view<R: Runtime>(
    app: &AppHandle<R>,
    list: ListRef,
    id: ViewId,
    name: String,
) -> Result<SavedView> {
    saved_views::duplicate(&state(app), &list, id, name).await
}

pub async fn delete_view<R: Runtime>(app: &AppHandle<R>, list: ListRef, id: ViewId) -> Result<()> {
    saved_views::delete(&state(app), &list, id).await
}

pub async fn check_for_update<R: Runtime>(app: &AppHandle<R>) -> Result<Option<UpdateInfo>> {
    crate::updates::check(app).await
}

pub async fn install_update<R: Runtime>(app: &AppHandle<R>) -> Result<UpdateReady> {
    crate::updates::install(app).await
}

pub async fn open_record_page<R: Runtime>(
    app: &AppHandle<R>,
    list: ListRef,
    index: u32,
) -> Result<()> {
    let url = records::record_page(&state(app), &list, index).await?;
    tauri_plugin_opener::open_url(url.as_str(), None::<&str>).map_err(|e| {
        tracing::warn!(provider = %list.provider, error = %e, "could not open the record's page");
        CommandError::of(patchbay_core::ErrorCode::AppBrowserUnavailable)
    })
}
