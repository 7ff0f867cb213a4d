//! The app on Tauri's mock runtime, as the shell's tests start it: built by `app_builder` (the
//! same plugins, state and handlers as `run()`), its setup hook run, and a `main` webview to
//! invoke commands through.

use tauri::test::MockRuntime;

pub(crate) fn start(
    builder: tauri::Builder<MockRuntime>,
    context: tauri::Context<MockRuntime>,
) -> (tauri::App<MockRuntime>, tauri::WebviewWindow<MockRuntime>) {
    let mut app = crate::app_builder(builder)
        .build(context)
        .expect("the app builds on the mock runtime");
    // The setup hook runs when the event loop first turns; one turn is enough.
    #[allow(deprecated)]
    app.run_iteration(|_, _| {});
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");
    (app, webview)
}
