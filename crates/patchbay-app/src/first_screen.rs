//! What the window's first screen needs, in one value: the settings (demo flag, welcome seen)
//! and the active world's tiles. The shell hands it to the page at load (the window's
//! initialization script), so the first paint waits for no IPC round trip; the
//! `initial_state` command answers the same value for a page that has none (a reload).

use serde::Serialize;
use ts_rs::TS;

use crate::settings::Settings;
use crate::state::AppState;
use crate::views::ProviderTile;

/// The first screen's model: everything the page draws before it subscribes to any event.
#[derive(Debug, Clone, Serialize, TS)]
pub struct InitialState {
    pub settings: Settings,
    pub tiles: Vec<ProviderTile>,
}

/// The first screen as it stands now.
pub async fn initial_state(state: &AppState) -> InitialState {
    InitialState {
        settings: crate::settings_page::get(state).await,
        tiles: crate::tiles::tiles(state).await,
    }
}

/// The value as a script the page runs before its own: `window.__PATCHBAY_INITIAL_STATE__`,
/// frozen. The JSON is passed as a string literal to `JSON.parse`, so no text in a setting
/// or an account name can end the literal or run as code.
pub fn initialization_script(initial: &InitialState) -> String {
    let json = serde_json::to_string(initial).expect("the initial state serialises");
    let literal = serde_json::to_string(&json).expect("a string serialises");
    format!(
        "Object.defineProperty(window, '__PATCHBAY_INITIAL_STATE__', \
         {{ value: Object.freeze(JSON.parse({literal})), configurable: false, writable: false }});"
    )
}
