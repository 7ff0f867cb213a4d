//! Deep links (`dev.patchbay:/oauth/callback?...`) from anywhere: a browser finishing a
//! connect, or any web page or program. They are untrusted input: the core checks each one
//! strictly and a refused link only earns a quiet notice.

use tauri::{AppHandle, Manager, Runtime};

use crate::events::{self, Notice};
use crate::state::AppState;

/// Links longer than this are refused before parsing: no real callback comes near it.
const MAX_LINK_LEN: usize = 8 * 1024;

/// The link in a command line (program name, then the link as the only argument), exactly
/// as the OS passed it.
pub fn from_args(mut args: impl Iterator<Item = String>) -> Option<String> {
    args.next()?;
    let link = args.next()?;
    if args.next().is_some() {
        return None;
    }
    let scheme = link.split_once(':')?.0;
    scheme.eq_ignore_ascii_case(SCHEME).then_some(link)
}

const SCHEME: &str = "dev.patchbay";

pub fn handle<R: Runtime>(app: &AppHandle<R>, urls: Vec<String>) {
    for url in urls {
        let app = app.clone();
        tauri::async_runtime::spawn(async move { complete(&app, url).await });
    }
}

async fn complete<R: Runtime>(app: &AppHandle<R>, url: String) {
    // Never log the link itself: it carries the authorization code.
    tracing::info!(len = url.len(), "deep link arrived");
    handle_link(app, url).await;
    // One line per link once everything it caused is done (tests wait on it, not on a clock).
    tracing::info!("deep link handled");
}

async fn handle_link<R: Runtime>(app: &AppHandle<R>, url: String) {
    crate::timing::mark("deeplink_arrived", "");
    if url.len() > MAX_LINK_LEN {
        tracing::warn!(len = url.len(), "deep link refused: too long");
        events::notice(
            app,
            Notice::info("Patchbay ignored a link it did not expect.", None),
        );
        return;
    }
    let state = app.state::<AppState>();
    // The world whose connect asked for this link; the link goes to that core only, never
    // to the window (no event or command carries its code or state).
    let core = state.core_for_callback(&url);
    match core.complete(&url).await {
        Ok(patchbay_core::ConnectOutcome::Connected { provider_id, .. }) => {
            crate::timing::mark("token", &provider_id);
            tracing::info!(provider = %provider_id, "connected through the deep link");
            bring_to_front(app);
        }
        Ok(patchbay_core::ConnectOutcome::Cancelled { provider_id }) => {
            let name = display_name(&core, &provider_id);
            events::notice(
                app,
                Notice::info(
                    format!("Connecting {name} was cancelled."),
                    Some(&provider_id),
                ),
            );
            bring_to_front(app);
        }
        Err(e) => {
            let view = core.connect_error_view(&e);
            events::notice(app, Notice::error(view, e.provider_id()));
        }
    }
    // The tiles follow from the core's connection change (see `state::watch`).
}

fn display_name(core: &patchbay_core::Patchbay, provider_id: &str) -> String {
    core.providers()
        .iter()
        .find(|d| d.id == provider_id)
        .map(|d| d.display_name.clone())
        .unwrap_or_default()
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
    use super::from_args;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn a_link_is_the_only_argument_and_is_kept_raw() {
        let raw = "dev.patchbay:/oauth/./callback?code=a&state=b";
        assert_eq!(from_args(args(&["patchbay", raw])).as_deref(), Some(raw));
        assert_eq!(
            from_args(args(&["patchbay", "DEV.PATCHBAY:/oauth/callback"])).as_deref(),
            Some("DEV.PATCHBAY:/oauth/callback")
        );
    }

    #[test]
    fn anything_else_is_not_a_link() {
        assert_eq!(from_args(args(&["patchbay"])), None);
        assert_eq!(from_args(args(&["patchbay", "--help"])), None);
        assert_eq!(
            from_args(args(&["patchbay", "https://evil.example/"])),
            None
        );
        assert_eq!(from_args(args(&["patchbay", "dev.patchbay.evil:/x"])), None);
        assert_eq!(
            from_args(args(&["patchbay", "dev.patchbay:/oauth/callback", "extra"])),
            None
        );
    }
}
