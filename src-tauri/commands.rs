//! The window's commands: each a few lines that delegate to the core.

use patchbay_core::views::{ConnectionState, ProviderTile};
use tauri::State;

use crate::{error::CommandError, state::AppState};

#[tauri::command]
pub fn list_providers(state: State<'_, AppState>) -> Result<Vec<ProviderTile>, CommandError> {
    Ok(state
        .providers
        .iter()
        .map(|def| ProviderTile::new(def, ConnectionState::NotConnected))
        .collect())
}
