//! The window's commands: each a few lines that delegate to the core.

use std::sync::Arc;

use patchbay_cache::ExportFormat;
use patchbay_core::AccountId;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use patchbay_core::ErrorCode;

use crate::error::{self, CommandError};
use crate::events;
use crate::records;
use crate::settings::{Settings, StoredSettings};
use crate::state::{AppState, WorldState};
use crate::tiles;
use crate::views::{
    ExportProgress, ExportResult, ProviderTile, RecordDetail, RecordPage, RecordQuery,
    ResourceView, SyncSummary, WeekCount,
};

type Result<T> = std::result::Result<T, CommandError>;

fn account_id(raw: &str) -> Result<AccountId> {
    AccountId::parse(raw).map_err(|_| CommandError::of(ErrorCode::AccountUnknown))
}

#[tauri::command]
pub async fn list_providers(state: State<'_, AppState>) -> Result<Vec<ProviderTile>> {
    Ok(tiles::tiles(&state).await)
}

/// Opens the provider's consent page in the system browser (never a webview) to add an
/// account, or reconnect one (the provider's answer tells which). The tiles follow through
/// the `providers-changed` event.
#[tauri::command]
pub async fn connect(state: State<'_, AppState>, provider_id: String) -> Result<()> {
    let core = state.active().core();
    let url = core
        .begin_connect(&provider_id)
        .await
        .map_err(|e| CommandError::from(core.connect_error_view(&e)))?;
    if let Err(e) = tauri_plugin_opener::open_url(url.as_str(), None::<&str>) {
        tracing::warn!(provider = %provider_id, error = %e, "could not open the system browser");
        // The tile keeps "Copy link" so the user can paste it into a browser themselves.
    }
    Ok(())
}

/// "Test and save" on an API-key provider's form: the core tries the key on the provider
/// and keeps it in the keychain only when it works. The values are never logged or returned.
#[tauri::command]
pub async fn save_api_key(
    state: State<'_, AppState>,
    provider_id: String,
    values: std::collections::BTreeMap<String, String>,
) -> Result<()> {
    let core = state.active().core();
    let values = values
        .into_iter()
        .map(|(k, v)| (k, patchbay_core::secret::SecretString::from(v)))
        .collect();
    core.save_api_key(&provider_id, values)
        .await
        .map_err(|e| CommandError::from(core.connect_error_view(&e)))?;
    Ok(())
}

/// Opens the page of the provider's web app where its API key lives, in the system browser.
#[tauri::command]
pub fn open_key_help(state: State<'_, AppState>, provider_id: String) -> Result<()> {
    let core = state.active().core();
    let url = match core.auth_method(&provider_id) {
        Ok(patchbay_core::views::AuthMethodView::ApiKey {
            help_url: Some(url),
            ..
        }) => url,
        _ => return Err(no_help(&core, &provider_id)),
    };
    // Only a web page: a definition file must not make this open anything else.
    if !(url.starts_with("https://") || url.starts_with("http://127.0.0.1")) {
        return Err(no_help(&core, &provider_id));
    }
    tauri_plugin_opener::open_url(&url, None::<&str>).map_err(|e| {
        tracing::warn!(error = %e, "could not open the help page");
        CommandError::with_message(
            ErrorCode::AppBrowserUnavailable,
            format!("Patchbay could not open your browser. The page is {url}"),
        )
    })
}

fn no_help(core: &patchbay_core::Patchbay, provider_id: &str) -> CommandError {
    CommandError::new(
        ErrorCode::ConnectNoHelpPage,
        &display_name(core, provider_id),
    )
}

/// The name an error sentence uses for a provider ("This provider" when unknown).
fn display_name(core: &patchbay_core::Patchbay, provider_id: &str) -> String {
    core.providers()
        .iter()
        .find(|d| d.id == provider_id)
        .map_or_else(|| "This provider".into(), |d| d.display_name.clone())
}

#[tauri::command]
pub async fn cancel_connect(state: State<'_, AppState>, provider_id: String) -> Result<()> {
    state.active().core().cancel_connect(&provider_id);
    Ok(())
}

/// Revokes and forgets one account; its cached records go too unless the user keeps them.
/// The provider's other accounts are untouched.
#[tauri::command]
pub async fn disconnect(
    state: State<'_, AppState>,
    provider_id: String,
    account_id: String,
    keep_records: bool,
) -> Result<()> {
    let account = self::account_id(&account_id)?;
    let world = state.active();
    let core = world.core();
    core.disconnect(&provider_id, &account)
        .await
        .map_err(|e| CommandError::from(core.api_error_view(&provider_id, &e)))?;
    if !keep_records {
        records::forget(cache(&world)?, provider_id, account).await?;
    }
    Ok(())
}

#[tauri::command]
pub fn list_resources(
    state: State<'_, AppState>,
    provider_id: String,
) -> Result<Vec<ResourceView>> {
    let core = state.active().core();
    let def = core
        .providers()
        .iter()
        .find(|d| d.id == provider_id)
        .cloned()
        .ok_or_else(|| CommandError::of(ErrorCode::ProviderUnknown))?;
    Ok(def.resources.iter().map(ResourceView::from).collect())
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<Settings> {
    let real = state.real_core();
    let defs = real
        .providers()
        .iter()
        .map(|d| (**d).clone())
        .collect::<Vec<_>>();
    let mut view = state.settings().view(&defs);
    view.demo_mode = state.demo_mode();
    for p in &mut view.providers {
        p.needs_client_secret = real.needs_client_secret(&p.id);
        if p.needs_client_secret {
            p.client_secret_saved = real.has_client_secret(&p.id).await;
        }
    }
    Ok(view)
}

/// Keeps the user's own client secret (BoomTown) in the keychain; `None` forgets it.
#[tauri::command]
pub async fn set_client_secret(
    state: State<'_, AppState>,
    provider_id: String,
    secret: Option<String>,
) -> Result<Settings> {
    let real = state.real_core();
    if !real.needs_client_secret(&provider_id) {
        return Err(CommandError::new(
            ErrorCode::SettingsNoClientSecret,
            &display_name(&real, &provider_id),
        ));
    }
    real.set_client_secret(
        &provider_id,
        secret.map(patchbay_core::secret::SecretString::from),
    )
    .await
    .map_err(|e| CommandError::from(real.api_error_view(&provider_id, &e)))?;
    get_settings(state).await
}

#[tauri::command]
pub async fn save_settings(state: State<'_, AppState>, settings: Settings) -> Result<Settings> {
    let defs = state
        .real_core()
        .providers()
        .iter()
        .map(|d| (**d).clone())
        .collect::<Vec<_>>();
    let stored = StoredSettings::from_view(&settings, &defs).map_err(|e| error::settings(&e))?;
    stored
        .save(&state.paths.settings)
        .map_err(|e| error::settings(&e))?;
    state.set_settings(stored);
    state.rebuild().await;
    get_settings(state).await
}

fn cache(world: &WorldState) -> Result<Arc<patchbay_cache::Cache>> {
    world.cache()
}

/// Refreshes one list of one account (resuming an interrupted refresh, fetching only what
/// changed when the provider allows it), emitting `sync-progress` as pages are stored. It
/// waits for a background refresh of the same account to end first.
#[tauri::command]
pub async fn sync_resource<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    provider_id: String,
    account_id: String,
    resource_id: String,
) -> Result<SyncSummary> {
    let account = self::account_id(&account_id)?;
    let world = state.active();
    cache(&world)?;
    let background = world
        .background()
        .ok_or_else(|| error::internal("refreshing your records"))?;
    records::sync(&app, &background, &provider_id, &account, &resource_id).await
}

/// The sync panel of one account: each list's last run, next run, error or quota pause.
#[tauri::command]
pub async fn sync_statuses(
    state: State<'_, AppState>,
    provider_id: String,
    account_id: String,
) -> Result<Vec<patchbay_sync::SyncStatus>> {
    let account = self::account_id(&account_id)?;
    let world = state.active();
    if world.core().providers().iter().all(|d| d.id != provider_id) {
        return Err(CommandError::of(ErrorCode::ProviderUnknown));
    }
    Ok(world
        .background()
        .map(|b| b.statuses(&provider_id, &account))
        .unwrap_or_default())
}

#[tauri::command]
pub async fn query_records(
    state: State<'_, AppState>,
    provider_id: String,
    account_id: String,
    resource_id: String,
    query: RecordQuery,
) -> Result<RecordPage> {
    let account = self::account_id(&account_id)?;
    let world = state.active();
    records::resource(&world.core(), &provider_id, &resource_id)?;
    records::query(cache(&world)?, provider_id, account, resource_id, query).await
}

#[tauri::command]
pub async fn record_detail(
    state: State<'_, AppState>,
    provider_id: String,
    account_id: String,
    resource_id: String,
    index: u32,
) -> Result<RecordDetail> {
    let account = self::account_id(&account_id)?;
    let world = state.active();
    records::resource(&world.core(), &provider_id, &resource_id)?;
    records::detail(cache(&world)?, provider_id, account, resource_id, index).await
}

#[tauri::command]
pub async fn weekly_counts(
    state: State<'_, AppState>,
    provider_id: String,
    account_id: String,
    resource_id: String,
) -> Result<Vec<WeekCount>> {
    let account = self::account_id(&account_id)?;
    let world = state.active();
    let (_, r) = records::resource(&world.core(), &provider_id, &resource_id)?;
    let column = crate::views::chart_column(&r).map(str::to_string);
    records::weekly(cache(&world)?, provider_id, account, resource_id, column).await
}

/// One account's list, as the window shows it (for exports).
pub struct ListRef {
    provider_id: String,
    account_id: String,
    resource_id: String,
}

/// Writes the current view (every matched row, in order) as CSV to the Downloads folder.
#[tauri::command]
pub async fn export_csv<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    provider_id: String,
    account_id: String,
    resource_id: String,
    query: RecordQuery,
) -> Result<ExportResult> {
    let list = ListRef {
        provider_id,
        account_id,
        resource_id,
    };
    export(app, &state, list, query, ExportFormat::Csv).await
}

/// The same as JSON: an array of the records as the provider sent them.
#[tauri::command]
pub async fn export_json<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    provider_id: String,
    account_id: String,
    resource_id: String,
    query: RecordQuery,
) -> Result<ExportResult> {
    let list = ListRef {
        provider_id,
        account_id,
        resource_id,
    };
    export(app, &state, list, query, ExportFormat::Json).await
}

async fn export<R: Runtime>(
    app: AppHandle<R>,
    state: &AppState,
    list: ListRef,
    query: RecordQuery,
    format: ExportFormat,
) -> Result<ExportResult> {
    let ListRef {
        provider_id,
        account_id,
        resource_id,
    } = list;
    let account = self::account_id(&account_id)?;
    let world = state.active();
    records::resource(&world.core(), &provider_id, &resource_id)?;
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|_| CommandError::of(ErrorCode::ExportNoFolder))?;
    let (p, r) = (provider_id.clone(), resource_id.clone());
    // Progress for the window's bar: at most every 2000 rows, and the last one.
    let progress = move |done: u64, total: u64| {
        if done.is_multiple_of(2000) || done == total {
            let view = ExportProgress {
                provider: p.clone(),
                resource: r.clone(),
                done: u32::try_from(done).unwrap_or(u32::MAX),
                total: u32::try_from(total).unwrap_or(u32::MAX),
            };
            let _ = app.emit(events::EXPORT_PROGRESS, view);
        }
    };
    let list = records::List {
        provider: provider_id,
        account,
        resource: resource_id,
    };
    records::export(cache(&world)?, dir, list, query, format, progress).await
}
