//! The core's provider states, as the window's tiles.

use std::collections::HashMap;
use std::sync::Mutex;

use patchbay_core::views as core_views;

use crate::state::AppState;

use crate::views::{ConnectionState, ProviderTile};

/// The authorize URL of each connect in progress, for the tile's "Copy link". It carries the
/// public `state` and PKCE challenge only; the verifier never leaves the core.
#[derive(Default)]
pub struct AuthorizeLinks(Mutex<HashMap<String, String>>);

impl AuthorizeLinks {
    pub fn set(&self, provider: &str, url: String) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(provider.to_string(), url);
    }

    pub fn remove(&self, provider: &str) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(provider);
    }

    fn get(&self, provider: &str) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(provider)
            .cloned()
    }
}

fn state_of(
    core_state: core_views::ConnectionState,
    link: Option<String>,
    name: &str,
    cached_sync: impl FnOnce() -> Option<String>,
) -> ConnectionState {
    match core_state {
        core_views::ConnectionState::NotConnected => ConnectionState::NotConnected,
        core_views::ConnectionState::WaitingForApproval => match link {
            Some(authorize_url) => ConnectionState::WaitingForApproval { authorize_url },
            None => ConnectionState::NotConnected,
        },
        core_views::ConnectionState::Connected {
            account,
            last_synced,
        } => ConnectionState::Connected {
            account,
            // This run's sync when there is one, else the cache's: a restarted app still says
            // when the records were fetched.
            last_synced: last_synced.or_else(cached_sync),
        },
        core_views::ConnectionState::NeedsReconnect => ConnectionState::NeedsReconnect {
            reason: format!("{name} asked for your approval again. Click the tile to reconnect."),
        },
    }
}

/// Every provider's tile as the window shows it.
pub async fn tiles(state: &AppState) -> Vec<ProviderTile> {
    let core = state.core();
    let cache = state.cache.as_deref().ok();
    core.tiles()
        .await
        .into_iter()
        .map(|t| ProviderTile {
            auth: core
                .auth_method(&t.id)
                .unwrap_or(core_views::AuthMethodView::Oauth),
            state: state_of(t.state, state.links.get(&t.id), &t.display_name, || {
                // A small indexed read; an unreadable cache only means no date on the tile.
                cache.and_then(|c| c.last_synced(&t.id).ok().flatten())
            }),
            id: t.id,
            display_name: t.display_name,
            holds: t.holds,
        })
        .collect()
}

pub async fn tile(state: &AppState, provider: &str) -> Option<ProviderTile> {
    tiles(state).await.into_iter().find(|t| t.id == provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connected_tile_falls_back_to_the_cached_sync_time() {
        let connected = |synced: Option<&str>| core_views::ConnectionState::Connected {
            account: "Ana".into(),
            last_synced: synced.map(str::to_string),
        };
        let cached = || Some("2026-11-20T10:00:00Z".to_string());
        let shown = |s: ConnectionState| match s {
            ConnectionState::Connected { last_synced, .. } => last_synced,
            other => panic!("not connected: {other:?}"),
        };
        // After a restart the core knows nothing yet: the cache tells.
        assert_eq!(
            shown(state_of(connected(None), None, "WhatConverts", cached)).as_deref(),
            Some("2026-11-20T10:00:00Z")
        );
        // A sync in this run wins.
        assert_eq!(
            shown(state_of(
                connected(Some("2026-11-23T09:00:00Z")),
                None,
                "WhatConverts",
                cached
            ))
            .as_deref(),
            Some("2026-11-23T09:00:00Z")
        );
        // Nothing anywhere: no date.
        assert_eq!(
            shown(state_of(connected(None), None, "WhatConverts", || None)),
            None
        );
        // Not connected: the cache is not even asked.
        let not = state_of(
            core_views::ConnectionState::NotConnected,
            None,
            "WhatConverts",
            || panic!("asked the cache for a tile that is not connected"),
        );
        assert!(matches!(not, ConnectionState::NotConnected));
    }
}
