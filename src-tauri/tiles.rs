//! The active world's provider tiles, as the window shows them.

use patchbay_core::views::{self as core_views, AccountState, AccountView};

use crate::state::AppState;
use crate::views::ProviderTile;

/// An account's state with the cache's last finished sync when this run has none, so a
/// restarted app still says when the records were fetched.
fn with_cached_sync(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn account(state: AccountState) -> AccountView {
        AccountView {
            account_id: "a1".into(),
            name: "Ana".into(),
            state,
        }
    }

    #[test]
    fn a_connected_account_falls_back_to_the_cached_sync_time() {
        let connected = |synced: Option<&str>| {
            account(AccountState::Connected {
                last_synced: synced.map(str::to_string),
            })
        };
        let cached = |id: &str| {
            assert_eq!(id, "a1", "the cache is asked about this account");
            Some("2026-11-20T10:00:00Z".to_string())
        };
        let shown = |a: AccountView| match a.state {
            AccountState::Connected { last_synced } => last_synced,
            other => panic!("not connected: {other:?}"),
        };
        // After a restart the core knows nothing yet: the cache tells.
        assert_eq!(
            shown(with_cached_sync(connected(None), cached)).as_deref(),
            Some("2026-11-20T10:00:00Z")
        );
        // A sync in this run wins.
        assert_eq!(
            shown(with_cached_sync(
                connected(Some("2026-11-23T09:00:00Z")),
                cached
            ))
            .as_deref(),
            Some("2026-11-23T09:00:00Z")
        );
        // Nothing anywhere: no date.
        assert_eq!(shown(with_cached_sync(connected(None), |_| None)), None);
        // Not connected: the cache is not even asked.
        let not = with_cached_sync(
            account(AccountState::NeedsReconnect {
                reason: core_views::ReconnectReason::Ended,
            }),
            |_| panic!("asked the cache for an account that is not connected"),
        );
        assert!(matches!(not.state, AccountState::NeedsReconnect { .. }));
    }
}
