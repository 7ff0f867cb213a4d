//! Patchbay's core: everything that is not the window. No Tauri, no GTK, so a plain
//! `cargo test` exercises it against a real `patchbay-sandbox` on 127.0.0.1.

pub mod providers;
pub mod views;
