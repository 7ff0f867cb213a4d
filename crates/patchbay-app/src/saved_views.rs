//! Saved views of a records list: the window's settings (filters, search, sort, columns) under
//! a name, per list of one account, kept in the cache of the world shown (so a demo view never
//! shows up among real ones). The cache keeps the settings as JSON; their type is here.

use patchbay_cache::Cache;

use crate::error::{internal, Result};
use crate::records::{blocking, cache, cache_error, check_search};
use crate::state::AppState;
use crate::views::{ListRef, SavedView, ViewId, ViewSettings};

/// The list's cache and ids, checked like every records command.
fn opened(state: &AppState, list: &ListRef) -> Result<(std::sync::Arc<Cache>, ListRef)> {
    let account = crate::error::account_id(&list.account)?;
    let world = state.active();
    crate::records::resource(&world.core(), &list.provider, &list.resource)?;
    let list = ListRef::new(&list.provider, account.as_str(), &list.resource);
    Ok((cache(&world)?, list))
}

fn to_json(settings: &ViewSettings) -> Result<String> {
    check_search(&settings.search)?;
    serde_json::to_string(settings).map_err(|_| internal("saving the view"))
}

fn from_cache(v: patchbay_cache::SavedView) -> SavedView {
    // Settings this version cannot read (written by a newer one) open as an empty view rather
    // than hiding the view: its name still shows, and saving over it repairs it.
    let settings = serde_json::from_str(&v.settings).unwrap_or_else(|e| {
        tracing::warn!(view = v.id, error = %e, "saved view settings unreadable");
        ViewSettings::default()
    });
    SavedView {
        id: ViewId(v.id),
        name: v.name,
        settings,
    }
}

/// The list's saved views, by name.
pub async fn list(state: &AppState, list: &ListRef) -> Result<Vec<SavedView>> {
    let (cache, l) = opened(state, list)?;
    blocking(move || {
        Ok(cache
            .views(&l.provider, &l.account, &l.resource)
            .map_err(cache_error)?
            .into_iter()
            .map(from_cache)
            .collect())
    })
    .await
}

/// Saves the window's settings as a new view called `name`.
pub async fn save(
    state: &AppState,
    list: &ListRef,
    name: String,
    settings: ViewSettings,
) -> Result<SavedView> {
    let (cache, l) = opened(state, list)?;
    let json = to_json(&settings)?;
    blocking(move || {
        cache
            .create_view(&l.provider, &l.account, &l.resource, &name, &json)
            .map(from_cache)
            .map_err(cache_error)
    })
    .await
}

/// Renames a view, replaces its settings, or both.
pub async fn update(
    state: &AppState,
    list: &ListRef,
    id: ViewId,
    name: Option<String>,
    settings: Option<ViewSettings>,
) -> Result<SavedView> {
    let (cache, l) = opened(state, list)?;
    let json = settings.as_ref().map(to_json).transpose()?;
    blocking(move || {
        cache
            .update_view(
                &l.provider,
                &l.account,
                &l.resource,
                id.0,
                name.as_deref(),
                json.as_deref(),
            )
            .map(from_cache)
            .map_err(cache_error)
    })
    .await
}

/// A copy of a view under a new name.
pub async fn duplicate(
    state: &AppState,
    list: &ListRef,
    id: ViewId,
    name: String,
) -> Result<SavedView> {
    let (cache, l) = opened(state, list)?;
    blocking(move || {
        let original = cache
            .views(&l.provider, &l.account, &l.resource)
            .map_err(cache_error)?
            .into_iter()
            .find(|v| v.id == id.0)
            .ok_or_else(|| cache_error(patchbay_cache::CacheError::UnknownView(id.0)))?;
        cache
            .create_view(
                &l.provider,
                &l.account,
                &l.resource,
                &name,
                &original.settings,
            )
            .map(from_cache)
            .map_err(cache_error)
    })
    .await
}

/// Deletes a view.
pub async fn delete(state: &AppState, list: &ListRef, id: ViewId) -> Result<()> {
    let (cache, l) = opened(state, list)?;
    blocking(move || {
        cache
            .delete_view(&l.provider, &l.account, &l.resource, id.0)
            .map_err(cache_error)
    })
    .await
}
