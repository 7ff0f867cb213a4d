//! Patchbay's desktop app without a window: everything the Tauri shell does that has a rule
//! in it. The two worlds and what each keeps (core, record cache, background refresh), the
//! user's settings and how they layer onto the provider definitions, the tiles, the records
//! operations, and what a connect link from outside does. No Tauri here, so plain
//! `cargo test -p patchbay-app` covers it; the shell (`src-tauri/`) only adapts these calls
//! to commands and events.

pub mod callback;
pub mod connections;
#[cfg(feature = "demo")]
mod demo;
pub mod error;
pub mod first_screen;
pub mod people;
pub mod records;
pub mod saved_views;
pub mod secret_storage;
pub mod settings;
pub mod settings_page;
pub mod state;
pub mod tiles;
pub mod timing;
pub mod updates;
pub mod views;

pub use error::Result;
pub use state::{AppState, Notify, Paths, Sinks, WorldState};
