//! The front end's types are generated from these Rust types (ts-rs) and committed in
//! `ui/src/bindings/`. This test fails when a committed file is stale; run
//! `UPDATE_BINDINGS=1 cargo test -p patchbay bindings` to rewrite them.

use std::path::{Path, PathBuf};

use ts_rs::{Config, TS};

fn bindings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/bindings")
}

/// How every binding is written: the window's numbers are JavaScript numbers.
pub fn config() -> Config {
    Config::new().with_large_int("number")
}

/// Every type that crosses the IPC boundary.
fn generated() -> Vec<(String, String)> {
    let cfg = config();
    macro_rules! all {
        ($($t:ty),* $(,)?) => {
            vec![$((
                format!("{}.ts", <$t as TS>::ident(&cfg)),
                <$t as TS>::export_to_string(&cfg).expect("ts-rs renders the type"),
            )),*]
        };
    }
    use patchbay_app::settings::{DefinitionProblem, ProviderSettings, Settings};
    use patchbay_app::views::*;
    use patchbay_core::views::{
        AccountState, AccountView, AuthMethodView, KeyFieldView, ReconnectReason, UserError,
    };
    all![
        AccountState,
        AccountView,
        AuthMethodView,
        patchbay_core::budget::BudgetView,
        KeyFieldView,
        ReconnectReason,
        UserError,
        crate::CommandError,
        ColumnKind,
        ColumnView,
        DefinitionProblem,
        DetailField,
        ExportProgress,
        ExportResult,
        Notice,
        NoticeLevel,
        ProviderSettings,
        ProviderTile,
        RecordDetail,
        RecordPage,
        RecordQuery,
        RecordRow,
        ResourceView,
        Settings,
        SortSpec,
        patchbay_core::views::SyncProgress,
        SyncSummary,
        patchbay_sync::PassKind,
        patchbay_sync::SyncRun,
        patchbay_sync::SyncStatus,
        WeekCount,
    ]
}

#[test]
fn committed_bindings_match_the_rust_types() {
    let dir = bindings_dir();
    let update = std::env::var_os("UPDATE_BINDINGS").is_some();
    let mut stale = Vec::new();
    for (file, text) in generated() {
        let path = dir.join(&file);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "stale TypeScript bindings in ui/src/bindings: {stale:?}; \
         run `UPDATE_BINDINGS=1 cargo test -p patchbay bindings` and commit the result"
    );
}
