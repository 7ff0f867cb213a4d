//! The active world's provider tiles, as the window shows them.

use patchbay_core::views::{AccountState, AccountView};

use crate::state::AppState;
use crate::views::ProviderTile;

/// An account's state with the cache's last finished sync when this run has none, so a
/// restarted app still says when the records were fetched.
pub fn with_cached_sync(
    mut account: AccountView,
    cached_sync: impl FnOnce(&str) -> Option<String>,
) -> AccountView {
    if let AccountState::Connected { last_synced, .. } = &mut account.state {
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
        .map(|mut t| {
            let provider = t.id.clone();
            t.accounts = std::mem::take(&mut t.accounts)
                .into_iter()
                .map(|a| {
                    with_cached_sync(a, |account| {
                        // A small indexed read; an unreadable cache only means no date.
                        cache.and_then(|c| c.last_synced(&provider, account).ok().flatten())
                    })
                })
                .collect();
            t
        })
        .collect()
}
