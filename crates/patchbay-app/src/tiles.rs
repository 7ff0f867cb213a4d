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

/// The account with the number of its records in the cache (a count past `u32` shows as
/// `u32::MAX`: the tile says "4,294,967,295 records", which is never reached in practice).
pub fn with_record_count(
    mut account: AccountView,
    count: impl FnOnce(&str) -> Option<u64>,
) -> AccountView {
    account.records = count(&account.account_id).map(|n| u32::try_from(n).unwrap_or(u32::MAX));
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
                    let a = with_cached_sync(a, |account| {
                        // A small indexed read; an unreadable cache only means no date.
                        cache.and_then(|c| c.last_synced(&provider, account).ok().flatten())
                    });
                    with_record_count(a, |account| {
                        cache.and_then(|c| c.record_count(&provider, account).ok().flatten())
                    })
                })
                .collect();
            t
        })
        .collect()
}
