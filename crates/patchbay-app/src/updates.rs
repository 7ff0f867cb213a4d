//! Signed updates: what is Patchbay's own around tauri-plugin-updater, without a window.
//!
//! The plugin reads the update manifest, downloads the package and verifies its minisign
//! signature against `plugins.updater.pubkey`, and installs it where the running copy came
//! from a package it can replace. This module keeps the decisions that are ours: whether the
//! quiet check at start-up runs, where the address comes from when a test or a staging channel
//! overrides it, what happens when this copy was not installed from such a package (the
//! verified file is saved with the command that installs it), and the sentences a marketer
//! reads. The shell (`src-tauri/updates.rs`) maps the plugin's errors to our `update.*` codes.

use std::path::{Path, PathBuf};

use patchbay_core::{ErrorCode, UserError};
use serde::Serialize;
use ts_rs::TS;
use url::Url;

/// Overrides the build's update address (a test server, a staging channel).
pub const ENDPOINT_ENV: &str = "PATCHBAY_UPDATE_ENDPOINT";
/// `1` or `0`: whether the quiet check at start-up runs. Unset: on in release builds, off in
/// debug builds (the tests' builds), so no test reaches out unless it asks.
pub const CHECK_ENV: &str = "PATCHBAY_UPDATE_CHECK";

/// Whether the quiet check at start-up runs: `PATCHBAY_UPDATE_CHECK` when set, else only in
/// release builds.
pub fn startup_check_enabled(setting: Option<&str>, release_build: bool) -> bool {
    match setting {
        Some("1") | Some("true") => true,
        Some("0") | Some("false") => false,
        _ => release_build,
    }
}

/// The address `PATCHBAY_UPDATE_ENDPOINT` gives (`setting`), if any. A value that is not an
/// http(s) address is refused rather than ignored: falling back to the build's address would
/// check somewhere the person did not ask for.
pub fn endpoint_override(setting: Option<&str>) -> Result<Option<Url>, UserError> {
    let Some(raw) = setting.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    Url::parse(raw)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http"))
        .map(Some)
        .ok_or_else(|| not_configured("PATCHBAY_UPDATE_ENDPOINT is not an http(s) address"))
}

/// A newer version the update server offers for this computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UpdateInfo {
    pub version: String,
    pub current_version: String,
    /// The release notes, as the manifest gives them.
    pub notes: Option<String>,
}

/// How far a download has come, in bytes (`total` when the server said).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub struct UpdateProgress {
    pub downloaded: u64,
    pub total: Option<u64>,
}

/// Counts a download's chunks as the plugin reports them.
#[derive(Debug, Default)]
pub struct ProgressCounter {
    downloaded: u64,
}

impl ProgressCounter {
    /// One more chunk of `len` bytes out of `total`.
    pub fn chunk(&mut self, len: usize, total: Option<u64>) -> UpdateProgress {
        self.downloaded += len as u64;
        UpdateProgress {
            downloaded: self.downloaded,
            total,
        }
    }
}

/// A verified update, and what became of it. `outcome` is a stable code the window can
/// branch on; `sentence` says it in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum UpdateReady {
    /// Installed over this copy: it runs from the next start.
    Installed { version: String, sentence: String },
    /// This copy was not installed from a package the updater can replace: the verified
    /// package is saved at `path`, and `sentence` says why and how to install it.
    Saved {
        version: String,
        path: String,
        sentence: String,
    },
}

/// What `install_update` answers once the plugin installed `version`.
pub fn installed(version: &str) -> UpdateReady {
    UpdateReady::Installed {
        version: version.to_string(),
        sentence: format!("Patchbay {version} is installed. Restart Patchbay to use it."),
    }
}

/// The sentence the quiet start-up check shows when it finds a newer version.
pub fn available_sentence(info: &UpdateInfo) -> String {
    format!(
        "Patchbay {} is available (you have {}). Open Settings and press Check for updates.",
        info.version, info.current_version
    )
}

/// An offer without a signature: refused before anything is downloaded. (The plugin would
/// refuse it too, as an unreadable signature; this says which refusal it is.)
pub fn refuse_unsigned(version: &str, signature: &str) -> Result<(), UserError> {
    if signature.trim().is_empty() {
        tracing::warn!(version, "refused an unsigned update");
        return Err(UserError::of(ErrorCode::UpdateUnsigned));
    }
    Ok(())
}

/// Saves a verified package in `dir` (its name from the download address when it is a plain
/// file name) and says how to install it. Only bytes the plugin verified come here.
pub fn save(
    version: &str,
    download_url: &Url,
    verified: &[u8],
    dir: &Path,
) -> Result<UpdateReady, UserError> {
    let file_name = download_url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|n| safe_file_name(n))
        .map(String::from)
        .unwrap_or_else(|| format!("Patchbay_{version}"));
    let path = dir.join(&file_name);
    write_new(&path, verified).map_err(|e| {
        tracing::warn!(path = %path.display(), error = %e, "update not saved");
        UserError::of(ErrorCode::UpdateSaveFailed)
    })?;
    let shown = path.display().to_string();
    Ok(UpdateReady::Saved {
        version: version.to_string(),
        sentence: format!(
            "This copy of Patchbay was not installed from a package, so it cannot replace \
             itself. Patchbay {version} is saved and its signature verified. {}",
            how_to_install(&file_name, &shown)
        ),
        path: shown,
    })
}

/// The command that installs a package of this kind.
fn how_to_install(file_name: &str, path: &str) -> String {
    if file_name.ends_with(".deb") {
        format!("Close Patchbay, then in a terminal run: sudo apt install '{path}'")
    } else if file_name.ends_with(".rpm") {
        format!("Close Patchbay, then in a terminal run: sudo dnf install '{path}'")
    } else if file_name.ends_with(".AppImage") {
        format!("Close Patchbay, then in a terminal run: chmod +x '{path}' && '{path}'")
    } else {
        format!("Close Patchbay, then open {path} to install it.")
    }
}

/// Writes through a temporary file in the same folder, renamed into place, so a half-written
/// package never carries the final name.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp: PathBuf = path.with_extension("part");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
}

fn not_configured(why: &str) -> UserError {
    tracing::info!(why, "updates are not configured in this build");
    UserError::of(ErrorCode::UpdateNotConfigured)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_startup_check_is_off_in_test_builds_unless_asked() {
        assert!(!startup_check_enabled(None, false));
        assert!(startup_check_enabled(Some("1"), false));
        assert!(startup_check_enabled(None, true));
        assert!(!startup_check_enabled(Some("0"), true));
    }

    #[test]
    fn only_plain_file_names_from_the_manifest_are_kept() {
        assert!(safe_file_name("Patchbay_0.2.0_amd64.deb"));
        assert!(!safe_file_name(".."));
        assert!(!safe_file_name("a/b"));
        assert!(!safe_file_name("Patchbay 0.2.deb"));
        assert!(!safe_file_name(""));
    }

    #[test]
    fn each_package_kind_says_its_own_install_command() {
        assert!(how_to_install("P.deb", "/d/P.deb").contains("sudo apt install '/d/P.deb'"));
        assert!(how_to_install("P.rpm", "/d/P.rpm").contains("sudo dnf install '/d/P.rpm'"));
        assert!(how_to_install("P.AppImage", "/d/P.AppImage")
            .contains("chmod +x '/d/P.AppImage' && '/d/P.AppImage'"));
    }
}
