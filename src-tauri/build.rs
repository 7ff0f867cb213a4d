fn main() {
    // List the app's own commands so the ACL can grant exactly the ones the window uses
    // (capabilities/main.json); anything not granted there is refused at the IPC boundary.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(patchbay_commands())),
    )
    .expect("failed to run tauri-build");
}

fn patchbay_commands() -> &'static [&'static str] {
    &[
        "list_providers",
        "connect",
        "save_api_key",
        "open_key_help",
        "cancel_connect",
        "disconnect",
        "list_resources",
        "get_settings",
        "save_settings",
        "set_client_secret",
        "sync_resource",
        "sync_statuses",
        "query_records",
        "record_detail",
        "weekly_counts",
        "export_csv",
        "export_json",
    ]
}
