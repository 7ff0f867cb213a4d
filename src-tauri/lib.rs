//! Patchbay's Tauri shell: it adapts `patchbay-app` to the window and nothing more.
//! Plugins, commands, events; the logic lives in the UI-free crates.

// The IPC table first: `ipc` expands it (and build.rs includes the same file).
#[macro_use]
mod ipc_table;

mod commands;
mod deep_link;
mod error;
mod ipc;
#[cfg(target_os = "linux")]
mod link_handler;
mod logging;
#[cfg(target_os = "linux")]
mod rendering;
mod update_check;
mod updates;
mod window_events;

#[cfg(test)]
mod bindings;
#[cfg(test)]
mod ipc_contract_tests;
#[cfg(test)]
mod mock_app;
#[cfg(test)]
mod security_tests;
#[cfg(test)]
mod update_tests;

use patchbay_app::first_screen;
use tauri::{Manager, Runtime};
use tauri_plugin_deep_link::DeepLink;

pub use error::CommandError;
pub use patchbay_app::AppState;

/// Registers the app's state and commands on any runtime, so a `mock_builder()` test can
/// start the same setup the real window gets, without a display.
pub fn app_builder<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(ipc::invoke_handler()).setup(|app| {
        // Start-up's steps in the shell, for bench/ (the page adds its own marks).
        patchbay_app::timing::mark("setup", "");
        let paths = patchbay_app::Paths {
            settings: app.path().app_config_dir()?.join("settings.json"),
            data_dir: app.path().app_data_dir()?,
            overrides: patchbay_core::providers::user_override_dir(),
        };
        // The state starts on the async runtime while this thread makes the window: making
        // the WebView (and starting WebKit's processes) and starting the state (the caches,
        // the demo world's sandbox) each took a few hundred ms, one after the other.
        let starting = tauri::async_runtime::spawn(AppState::start(
            paths,
            window_events::send_tiles_on_change(app.handle()),
            window_events::sync_sinks(app.handle()),
        ));
        let window = make_main_window(app)?;
        patchbay_app::timing::mark("window_made", "");
        // No command or event reaches the page before setup returns (this thread runs the
        // event loop), so everything the window asks for finds the state.
        let state = tauri::async_runtime::block_on(starting)?;
        patchbay_app::timing::mark("state_ready", "");
        if let Some(window) = window {
            send_first_screen(&window, &state);
        }
        app.manage(state);
        // The deep-link plugin is absent on the mock runtime of the tests.
        if app.try_state::<DeepLink<R>>().is_some() {
            deep_link::listen(app.handle());
        }
        update_check::start(app.handle());
        tracing::info!("Patchbay set up");
        Ok(())
    })
}

/// Makes the main window (tauri.conf.json declares it with `create: false`, so that it is made
/// here, while the state starts). The mock runtime's config has no window: nothing to make.
fn make_main_window<R: Runtime>(
    app: &tauri::App<R>,
) -> tauri::Result<Option<tauri::WebviewWindow<R>>> {
    let Some(config) = app.config().app.windows.iter().find(|w| w.label == "main") else {
        return Ok(None);
    };
    let builder = tauri::WebviewWindowBuilder::from_config(app.handle(), config)?;
    #[cfg(target_os = "linux")]
    if rendering::without_compositor() {
        return shown_once_loaded(builder).map(Some);
    }
    builder.build().map(Some)
}

/// Without its compositor, WebKit paints a window's first frame by asking the web process for
/// it and blocking the window's thread until it comes, for up to 500 ms
/// (`DrawingAreaProxyCoordinatedGraphics::forceUpdateIfNeeded`). A window shown at once drew
/// while the web process was still busy starting the page: in 2 to 4 of 10 launches the page
/// began to load 500 ms late (bench/README.md, "The web process without the compositor"). So
/// the window is shown once its page has loaded, when that frame is ready, or after
/// [`SHOW_ANYWAY`] if the page never finishes loading.
#[cfg(target_os = "linux")]
fn shown_once_loaded<R: Runtime>(
    builder: tauri::WebviewWindowBuilder<'_, R, tauri::AppHandle<R>>,
) -> tauri::Result<tauri::WebviewWindow<R>> {
    use tauri::webview::PageLoadEvent;
    let window = builder
        .visible(false)
        .on_page_load(|window, payload| {
            if payload.event() == PageLoadEvent::Finished {
                show(&window);
            }
        })
        .build()?;
    let later = window.clone();
    std::thread::spawn(move || {
        std::thread::sleep(SHOW_ANYWAY);
        show(&later);
    });
    Ok(window)
}

/// How long a window waits for its page before it is shown without it.
#[cfg(target_os = "linux")]
const SHOW_ANYWAY: std::time::Duration = std::time::Duration::from_secs(2);

#[cfg(target_os = "linux")]
fn show<R: Runtime>(window: &tauri::WebviewWindow<R>) {
    if let Err(e) = window.show() {
        tracing::warn!(error = %e, "the window could not be shown");
    }
}

/// Hands the page its first screen (settings and tiles) as a script the webview runs when the
/// page's document is committed (queued until then; the page has not loaded yet, as this
/// thread has not run the event loop since it made the window), before the page's own
/// scripts: the tiles paint without an IPC round trip. A page that finds no value (the
/// script lost, or a reload) asks `initial_state` once instead.
fn send_first_screen<R: Runtime>(window: &tauri::WebviewWindow<R>, state: &AppState) {
    let initial = tauri::async_runtime::block_on(first_screen::initial_state(state));
    patchbay_app::timing::mark("first_screen_ready", "");
    if let Err(e) = window.eval(first_screen::initialization_script(&initial)) {
        tracing::warn!(error = %e, "the first screen could not be handed to the page; it will ask for it");
    }
}

/// Starts the desktop app.
pub fn run() {
    // First, while this is the only thread: it sets WebKit's environment.
    #[cfg(target_os = "linux")]
    let webkit_switches = rendering::choose_for_this_machine();
    let _log_guard = logging::init();
    patchbay_app::timing::mark("main", "");
    #[cfg(target_os = "linux")]
    if !webkit_switches.is_empty() {
        tracing::info!(switches = ?webkit_switches, "no GPU found: WebKit paints the window with the CPU");
    }
    // single-instance must be registered first: a second instance (which is how Linux and
    // Windows hand us a deep link) forwards its argv here and exits before any other plugin
    // runs.
    let builder = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            #[cfg(any(target_os = "linux", windows))]
            if let Some(url) = deep_link::from_args(argv.into_iter()) {
                deep_link::handle(app, vec![url]);
            }
            #[cfg(not(any(target_os = "linux", windows)))]
            let _ = argv;
            deep_link::bring_to_front(app);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(updates::plugin());
    app_builder(builder)
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            tracing::error!("Patchbay could not start: {e}");
            eprintln!("Patchbay could not start: {e}");
            std::process::exit(1);
        });
}

#[cfg(test)]
mod tests {
    #[test]
    fn setup_runs_on_the_mock_runtime_and_serves_the_five_tiles() {
        let (_app, webview) = crate::mock_app::start(
            tauri::test::mock_builder(),
            tauri::test::mock_context(tauri::test::noop_assets()),
        );
        let response = tauri::test::get_ipc_response(
            &webview,
            tauri::webview::InvokeRequest {
                cmd: "list_providers".into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: tauri::ipc::InvokeBody::default(),
                headers: Default::default(),
                invoke_key: tauri::test::INVOKE_KEY.to_string(),
            },
        )
        .expect("list_providers answers");
        let tiles: Vec<serde_json::Value> = response.deserialize().unwrap();
        let names: Vec<&str> = tiles
            .iter()
            .map(|t| t["display_name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "WhatConverts",
                "ClickFunnels",
                "WebinarGeek",
                "BoomTown",
                "EmailOctopus"
            ]
        );
        assert!(tiles.iter().all(
            |t| t["accounts"] == serde_json::json!([]) && t["waiting_authorize_url"].is_null()
        ));
    }
}
