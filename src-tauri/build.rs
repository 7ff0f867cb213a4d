// The IPC table (the one list of the app's commands) is shared with the app itself.
include!("ipc_table.rs");

/// The table's command names; the types are only tokens here, never resolved.
macro_rules! command_names {
    (
        commands { $(
            $(#[doc = $doc:expr])*
            $name:ident ( $($arg:ident : $ty:ty),* ) -> $res:ty => $adapter:path;
        )* }
        events { $($events:tt)* }
    ) => {
        &[$(stringify!($name)),*]
    };
}

// `pack_relative_relocations()`: shared with the empty window bench/run.sh compares against.
include!("build_relocations.rs");

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/ipc_table.rs");
    println!("cargo:rerun-if-changed=src-tauri/build_relocations.rs");
    pack_relative_relocations();
    // List the app's own commands so the ACL can grant exactly the ones the window uses
    // (capabilities/main.json); anything not granted there is refused at the IPC boundary.
    let commands: &[&str] = ipc_table!(command_names);
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("failed to run tauri-build");
}
