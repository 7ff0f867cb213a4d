//! The active world's provider tiles, as the window shows them.

use patchbay_core::views::{self as core_views, AccountState, AccountView};

use crate::state::AppState;
use crate::views::ProviderTile;

/// An account's state with the cache's last finished sync when this run has none, so a
/// restarted app still says when the records were fetched.
pub fn with_cached_sync(
    mut account: AccountView,
    cached_sync: impl FnOnce(&str) -> Option<String>,
) -> AccountView {
    if let AccountState::Connected { last_synced } = &mut account.state {
        if last_synced.is_none() {
            *last_synced = cached_sync(&account.account_id);
        }
    }
    account
}

/// Every provider's tile in the active world.
pub async fn tiles(state: &AppState) -> Vec<ProviderTile> {
    let world = state.active();
    let core = world.core();
    let cache = world.cache().ok();
    let cache = cache.as_deref();
    core.tiles()
        .await
        .into_iter()
        .map(|t| ProviderTile {
            auth: core
                .auth_method(&t.id)
                .unwrap_or(core_views::AuthMethodView::Oauth),
            accounts: t
                .accounts
                .into_iter()
                .map(|a| {
                    with_cached_sync(a, |account| {
                        // A small indexed read; an unreadable cache only means no date.
                        cache.and_then(|c| c.last_synced(&t.id, account).ok().flatten())
                    })
                })
                .collect(),
            id: t.id,
            display_name: t.display_name,
            holds: t.holds,
            waiting_authorize_url: t.waiting_authorize_url,
        })
        .collect()
}
