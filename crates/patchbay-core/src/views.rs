//! What the window may see: typed views, never a token, code or verifier.

use serde::Serialize;
use ts_rs::TS;

use crate::providers::ProviderDef;

/// Where a provider's connection stands, as the tile shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ConnectionState {
    NotConnected,
    WaitingForApproval,
    Connected { account: String, last_synced: Option<String> },
    NeedsReconnect,
}

/// One provider tile on the main window.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProviderTile {
    pub id: String,
    pub display_name: String,
    pub holds: String,
    pub state: ConnectionState,
}

impl ProviderTile {
    pub fn new(def: &ProviderDef, state: ConnectionState) -> Self {
        Self {
            id: def.id.clone(),
            display_name: def.display_name.clone(),
            holds: def.holds.clone(),
            state,
        }
    }
}
