//! Tiles: what an account's state says after a restart.

use patchbay_app::tiles::with_cached_sync;
use patchbay_core::views::{self as core_views, AccountState, AccountView};

fn account(state: AccountState) -> AccountView {
    AccountView {
        account_id: "a1".into(),
        name: "Ana".into(),
        state,
        records: None,
    }
}

#[test]
fn a_connected_account_falls_back_to_the_cached_sync_time() {
    let connected = |synced: Option<&str>| {
        account(AccountState::Connected {
            last_synced: synced.map(str::to_string),
            warning: None,
        })
    };
    let cached = |id: &str| {
        assert_eq!(id, "a1", "the cache is asked about this account");
        Some("2026-11-20T10:00:00Z".to_string())
    };
    let shown = |a: AccountView| match a.state {
        AccountState::Connected { last_synced, .. } => last_synced,
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

#[test]
fn an_account_carries_the_number_of_its_cached_records() {
    use patchbay_app::tiles::with_record_count;
    let connected = || {
        account(AccountState::Connected {
            last_synced: None,
            warning: None,
        })
    };
    let asked = with_record_count(connected(), |id| {
        assert_eq!(id, "a1", "the cache is asked about this account");
        Some(1234)
    });
    assert_eq!(asked.records, Some(1234));
    assert_eq!(with_record_count(connected(), |_| None).records, None);
    assert_eq!(
        with_record_count(connected(), |_| Some(u64::MAX)).records,
        Some(u32::MAX),
        "a count too large for the window is capped, not wrapped"
    );
}
