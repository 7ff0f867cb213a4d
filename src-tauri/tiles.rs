//! The core's provider states, as the window's tiles.

use std::collections::HashMap;
use std::sync::Mutex;

use patchbay_core::{views as core_views, Patchbay};

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

fn state(
    core_state: core_views::ConnectionState,
    link: Option<String>,
    name: &str,
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
            last_synced,
        },
        core_views::ConnectionState::NeedsReconnect => ConnectionState::NeedsReconnect {
            reason: format!("{name} asked for your approval again. Click the tile to reconnect."),
        },
    }
}

pub async fn tiles(core: &Patchbay, links: &AuthorizeLinks) -> Vec<ProviderTile> {
    core.tiles()
        .await
        .into_iter()
        .map(|t| ProviderTile {
            auth: core
                .auth_method(&t.id)
                .unwrap_or(core_views::AuthMethodView::Oauth),
            state: state(t.state, links.get(&t.id), &t.display_name),
            id: t.id,
            display_name: t.display_name,
            holds: t.holds,
        })
        .collect()
}

pub async fn tile(core: &Patchbay, links: &AuthorizeLinks, provider: &str) -> Option<ProviderTile> {
    tiles(core, links)
        .await
        .into_iter()
        .find(|t| t.id == provider)
}
