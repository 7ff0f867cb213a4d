//! Deep links (`dev.patchbay:/oauth/callback?...`) as Tauri delivers them: each goes to
//! `patchbay_app::callback`, which hands it to the core that expects it; the window hears
//! only the outcome (a notice, or coming to the front).

use patchbay_app::callback;
use patchbay_app::AppState;
use std::sync::{Arc, Condvar, Mutex};

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::ipc::{emit, event};

pub use callback::from_args;

/// Receives the links the OS hands the running app (and the one it started with).
pub fn listen<R: Runtime>(app: &AppHandle<R>) {
    // Linux and Windows learn the scheme at run time: register it at every start so a moved
    // or freshly unpacked binary still receives its links (unless a package declared it).
    #[cfg(any(target_os = "linux", windows))]
    {
        // An installed package's desktop entry already delivers them: leave it in charge.
        // On a thread of its own: the query and the registration run desktop tools
        // (`xdg-mime`, `update-desktop-database`), 70 to 240 ms that held up the window's
        // first paint on the main thread. A connect waits for it (`Registration::wait`).
        let registration = Registration::default();
        app.manage(registration.clone());
        let registering = app.clone();
        std::thread::spawn(move || {
            #[cfg(target_os = "linux")]
            let register = !crate::link_handler::package_delivers_links();
            #[cfg(windows)]
            let register = true;
            if !register {
                tracing::info!("the installed package's desktop entry handles dev.patchbay: links");
            } else if let Err(e) = registering.deep_link().register_all() {
                tracing::warn!(error = %e, "could not register the dev.patchbay: link handler");
            }
            registration.finish();
        });
        // There a link arrives as argv: read it raw (the plugin's parsed URL has its dot
        // segments resolved, which would hide a wrong path from the core's exact check).
        // A link that started the app is in our argv; later ones come through
        // single-instance (see `run`).
        if let Some(url) = from_args(std::env::args()) {
            handle(app, vec![url]);
        }
    }
    // Elsewhere the OS delivers links as events.
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        let deep_links = app.deep_link();
        let receiver = app.clone();
        deep_links.on_open_url(move |event| {
            handle(
                &receiver,
                event.urls().into_iter().map(String::from).collect(),
            );
        });
        if let Ok(Some(urls)) = deep_links.get_current() {
            handle(app, urls.into_iter().map(String::from).collect());
        }
    }
}

/// Whether the run-time registration of the `dev.patchbay:` handler has finished. A browser
/// connect waits for it before the browser opens, so the link that comes back always has
/// a handler. Absent (never waited for) where the OS learns the scheme from the bundle.
#[derive(Clone, Default)]
pub struct Registration(Arc<(Mutex<bool>, Condvar)>);

impl Registration {
    fn finish(&self) {
        let (done, changed) = &*self.0;
        *done.lock().unwrap_or_else(|e| e.into_inner()) = true;
        changed.notify_all();
    }

    /// Resolves once the registration has finished (at once after that).
    pub async fn wait(&self) {
        let this = self.clone();
        let _ = tauri::async_runtime::spawn_blocking(move || {
            let (done, changed) = &*this.0;
            let mut finished = done.lock().unwrap_or_else(|e| e.into_inner());
            while !*finished {
                finished = changed.wait(finished).unwrap_or_else(|e| e.into_inner());
            }
        })
        .await;
    }
}

/// Hands each link to the app, one task each.
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Registration;

    #[test]
    fn a_connect_waits_for_the_registration_and_not_after_it() {
        let registration = Registration::default();
        let waiting = registration.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            tauri::async_runtime::block_on(waiting.wait());
            tx.send(()).unwrap();
        });
        assert!(
            rx.recv_timeout(Duration::from_millis(200)).is_err(),
            "still registering: the wait goes on"
        );
        registration.finish();
        rx.recv_timeout(Duration::from_secs(5))
            .expect("registered: the wait ends");
        // Once finished, a later wait ends at once.
        tauri::async_runtime::block_on(registration.wait());
    }
}
