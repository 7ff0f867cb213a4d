//! What is ours around tauri-plugin-updater, without a window: the address override, the
//! refusal of an unsigned offer, progress counting, and saving a verified package (with the
//! command that installs it) when this copy cannot be replaced. Checking, downloading and
//! verifying through the plugin are tested in the shell (`src-tauri/update_tests.rs`).

use patchbay_app::updates::{self, ProgressCounter, UpdateProgress, UpdateReady};
use patchbay_core::ErrorCode;
use url::Url;

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_endpoint_override_is_an_http_address_or_refused() {
    assert_eq!(updates::endpoint_override(None).unwrap(), None);
    assert_eq!(updates::endpoint_override(Some("  ")).unwrap(), None);
    assert_eq!(
        updates::endpoint_override(Some("http://127.0.0.1:9/latest.json")).unwrap(),
        Some(Url::parse("http://127.0.0.1:9/latest.json").unwrap())
    );
    for bad in ["file:///etc/passwd", "not an address"] {
        let err = updates::endpoint_override(Some(bad)).unwrap_err();
        assert_eq!(err.code, ErrorCode::UpdateNotConfigured, "{bad}");
        assert_eq!(
            err.message,
            "This build of Patchbay does not update itself."
        );
    }
}

#[test]
fn an_offer_without_a_signature_is_refused() {
    for unsigned in ["", "  \n"] {
        let err = updates::refuse_unsigned("0.2.0", unsigned).unwrap_err();
        assert_eq!(err.code, ErrorCode::UpdateUnsigned);
        assert_eq!(
            err.message,
            "The update is not signed, so Patchbay refused it."
        );
        assert!(err.advice.starts_with("Nothing was changed."));
    }
    assert!(updates::refuse_unsigned("0.2.0", "dW50cnVzdGVk").is_ok());
}

#[test]
fn progress_adds_up_the_chunks() {
    let mut counter = ProgressCounter::default();
    assert_eq!(
        counter.chunk(10, Some(25)),
        UpdateProgress {
            downloaded: 10,
            total: Some(25)
        }
    );
    assert_eq!(
        counter.chunk(15, Some(25)),
        UpdateProgress {
            downloaded: 25,
            total: Some(25)
        }
    );
    assert_eq!(counter.chunk(5, None).downloaded, 30);
}

#[test]
fn a_verified_package_is_saved_under_its_own_name_with_its_install_command() {
    let dir = tempfile::tempdir().unwrap();
    let url = Url::parse("https://example.invalid/download/Patchbay_0.2.0_amd64.deb").unwrap();
    let ready = updates::save("0.2.0", &url, b"package", dir.path()).unwrap();
    let path = dir.path().join("Patchbay_0.2.0_amd64.deb");
    assert_eq!(
        ready,
        UpdateReady::Saved {
            version: "0.2.0".into(),
            path: path.display().to_string(),
            sentence: format!(
                "This copy of Patchbay was not installed from a package, so it cannot replace \
                 itself. Patchbay 0.2.0 is saved and its signature verified. Close Patchbay, \
                 then in a terminal run: sudo apt install '{}'",
                path.display()
            ),
        }
    );
    assert_eq!(files_in(dir.path()), ["Patchbay_0.2.0_amd64.deb"]);
    assert_eq!(std::fs::read(&path).unwrap(), b"package");
}

#[test]
fn a_name_that_is_not_a_plain_file_name_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let url = Url::parse("https://example.invalid/download/..%2F..%2Fevil").unwrap();
    updates::save("0.2.0", &url, b"package", dir.path()).unwrap();
    assert_eq!(files_in(dir.path()), ["Patchbay_0.2.0"]);
}

#[test]
fn a_package_that_cannot_be_saved_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no such folder");
    let url = Url::parse("https://example.invalid/Patchbay_0.2.0_amd64.deb").unwrap();
    let err = updates::save("0.2.0", &url, b"package", &missing).unwrap_err();
    assert_eq!(err.code, ErrorCode::UpdateSaveFailed);
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn an_installed_update_asks_for_a_restart() {
    assert_eq!(
        updates::installed("0.2.0"),
        UpdateReady::Installed {
            version: "0.2.0".into(),
            sentence: "Patchbay 0.2.0 is installed. Restart Patchbay to use it.".into(),
        }
    );
}
