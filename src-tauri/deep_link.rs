//! Deep links (`dev.patchbay:/oauth/callback?...`) as Tauri delivers them: each goes to
//! `patchbay_app::callback`, which hands it to the core that expects it; the window hears
//! only the outcome (a notice, or coming to the front).

use patchbay_app::callback;
use patchbay_app::AppState;
use tauri::{AppHandle, Manager, Runtime};

use crate::ipc::{emit, event};

pub use callback::from_args;

pub fn handle<R: Runtime>(app: &AppHandle<R>, urls: Vec<String>) {
    for url in urls {
        let app = app.clone();
        tauri::async_runtime::spawn(async move { complete(&app, url).await });
    }
}

async fn complete<R: Runtime>(app: &AppHandle<R>, url: String) {
    // Never log the link itself: it carries the authorization code.
    tracing::info!(len = url.len(), "deep link arrived");
    let outcome = callback::complete(&app.state::<AppState>(), &url).await;
    if let Some(notice) = outcome.notice() {
        emit::<event::Notice, R>(app, notice.clone());
    }
    if outcome.brings_window_to_front() {
        bring_to_front(app);
    }
    // One line per link once everything it caused is done (tests wait on it, not on a clock).
    tracing::info!("deep link handled");
}

pub fn bring_to_front<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
