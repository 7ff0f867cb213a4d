//! An empty Tauri 2 window: nothing but the shell, one static page and no commands.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the empty window runs");
}
