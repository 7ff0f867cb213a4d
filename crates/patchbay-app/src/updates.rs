//! Signed updates, without a window: read the update manifest, decide whether it offers a
//! newer Patchbay for this computer, download its package with progress, and keep it only if
//! its minisign signature verifies against the public key built into the app.
//!
//! The manifest, the key and the signature are Tauri's updater formats (`latest.json` as the
//! release workflow's tauri-action writes it; `plugins.updater.pubkey` in tauri.conf.json is
//! the base64 of a minisign public key file; each artefact's `signature` is the base64 of its
//! `.sig` file), so `tauri signer` signs what this module verifies. Verification is the
//! updater's own crate (minisign-verify).
//!
//! Nothing is written before the signature verifies: a refused download leaves no file behind.
//! A Linux package is then saved beside the user's other downloads with the one command that
//! installs it (installing a .deb or .rpm needs the administrator's password, which Patchbay
//! never asks for).

use std::path::{Path, PathBuf};

use base64::Engine;
use minisign_verify::{PublicKey, Signature};
use patchbay_core::{ErrorCode, UserError};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

/// Overrides the configured manifest address (a test server, a staging channel).
pub const ENDPOINT_ENV: &str = "PATCHBAY_UPDATE_ENDPOINT";
/// `1` or `0`: whether the quiet check at start-up runs. Unset: on in release builds, off in
/// debug builds (the tests' builds), so no test reaches out unless it asks.
pub const CHECK_ENV: &str = "PATCHBAY_UPDATE_CHECK";

/// Larger than any Patchbay package will be; a bigger answer is not ours.
const MAX_DOWNLOAD: u64 = 512 * 1024 * 1024;

/// Where updates come from and the key they must be signed with.
#[derive(Debug, Clone)]
pub struct UpdateSource {
    endpoint: Url,
    key: PublicKey,
}

impl UpdateSource {
    /// The build's configuration (tauri.conf.json's `plugins.updater`), with `ENDPOINT_ENV`
    /// taking the place of the configured address when set.
    pub fn configured(endpoint: Option<&str>, public_key: Option<&str>) -> Result<Self, UserError> {
        let from_env = std::env::var(ENDPOINT_ENV).ok().filter(|s| !s.is_empty());
        Self::new(from_env.as_deref().or(endpoint), public_key)
    }

    /// `endpoint`: the manifest's address; `public_key`: the updater's base64 of a minisign
    /// public key file. Either missing or unreadable means this build cannot update itself.
    pub fn new(endpoint: Option<&str>, public_key: Option<&str>) -> Result<Self, UserError> {
        let endpoint = endpoint
            .and_then(|s| Url::parse(s).ok())
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| not_configured("no update address"))?;
        let key = public_key
            .and_then(|k| decode_base64_text(k).ok())
            .and_then(|text| PublicKey::decode(&text).ok())
            .ok_or_else(|| not_configured("no readable public key"))?;
        Ok(Self { endpoint, key })
    }
}

/// Whether the quiet check at start-up runs: `PATCHBAY_UPDATE_CHECK` when set, else only in
/// release builds.
pub fn startup_check_enabled(setting: Option<&str>, release_build: bool) -> bool {
    match setting {
        Some("1") | Some("true") => true,
        Some("0") | Some("false") => false,
        _ => release_build,
    }
}

/// A newer version the manifest offers for this computer.
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

/// A verified update, saved: where, and how to install it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UpdateReady {
    pub version: String,
    pub path: String,
    /// One sentence with the command that installs it.
    pub how_to_install: String,
}

/// The manifest's offer, with what is needed to fetch and verify it.
#[derive(Debug, Clone)]
pub struct Offer {
    pub info: UpdateInfo,
    url: Url,
    signature: String,
}

/// A downloaded package whose signature verified. Only [`download`] makes one.
#[derive(Debug)]
pub struct Verified {
    version: String,
    file_name: String,
    bytes: Vec<u8>,
}

/// Tauri's static update manifest.
#[derive(Debug, Deserialize)]
struct Manifest {
    version: String,
    notes: Option<String>,
    #[serde(default)]
    platforms: std::collections::BTreeMap<String, Artefact>,
}

#[derive(Debug, Deserialize)]
struct Artefact {
    url: String,
    #[serde(default)]
    signature: String,
}

/// This computer's keys in the manifest, most specific first (`linux-x86_64-deb`, then
/// `linux-x86_64`), as tauri-action writes them.
pub fn platform_keys() -> Vec<String> {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let base = format!("{os}-{}", std::env::consts::ARCH);
    let mut keys = Vec::new();
    if os == "linux" {
        keys.push(format!("{base}-deb"));
    }
    keys.push(base);
    keys
}

/// The client updates are fetched with: the same User-Agent as every request Patchbay makes,
/// and bounded waits (a stalled server fails the check instead of hanging it).
pub fn http_client() -> Result<reqwest::Client, UserError> {
    reqwest::Client::builder()
        .user_agent(concat!("Patchbay/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(15))
        .read_timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| network(&e))
}

/// The sentence the quiet start-up check shows when it finds a newer version.
pub fn available_sentence(info: &UpdateInfo) -> String {
    format!(
        "Patchbay {} is available (you have {}). Open Settings and press Check for updates.",
        info.version, info.current_version
    )
}

/// Reads the manifest: `Some` when it offers a version newer than `current` for one of
/// `platforms`.
pub async fn check(
    client: &reqwest::Client,
    source: &UpdateSource,
    current: &str,
    platforms: &[String],
) -> Result<Option<Offer>, UserError> {
    let current_v = semver::Version::parse(current)
        .map_err(|_| bad_manifest("this build's own version is not a version"))?;
    let res = client
        .get(source.endpoint.clone())
        .send()
        .await
        .map_err(|e| network(&e))?;
    if !res.status().is_success() {
        tracing::warn!(status = %res.status(), "update manifest not served");
        return Err(UserError::of(ErrorCode::UpdateNetwork));
    }
    let body = res.bytes().await.map_err(|e| network(&e))?;
    let manifest: Manifest = serde_json::from_slice(&body).map_err(|_| bad_manifest("not JSON"))?;
    let offered = semver::Version::parse(manifest.version.trim_start_matches('v'))
        .map_err(|_| bad_manifest("its version is not a version"))?;
    if offered <= current_v {
        return Ok(None);
    }
    let Some(artefact) = platforms.iter().find_map(|k| manifest.platforms.get(k)) else {
        tracing::info!(version = %offered, "a newer version exists, but not for this computer");
        return Ok(None);
    };
    let url = Url::parse(&artefact.url).map_err(|_| bad_manifest("an artefact's address"))?;
    Ok(Some(Offer {
        info: UpdateInfo {
            version: offered.to_string(),
            current_version: current_v.to_string(),
            notes: manifest.notes,
        },
        url,
        signature: artefact.signature.clone(),
    }))
}

/// Downloads the offer's package, reporting progress, and verifies its signature. An unsigned
/// offer is refused before anything is downloaded.
pub async fn download(
    client: &reqwest::Client,
    source: &UpdateSource,
    offer: &Offer,
    mut progress: impl FnMut(UpdateProgress),
) -> Result<Verified, UserError> {
    if offer.signature.trim().is_empty() {
        tracing::warn!(version = %offer.info.version, "refused an unsigned update");
        return Err(UserError::of(ErrorCode::UpdateUnsigned));
    }
    let signature = decode_base64_text(&offer.signature)
        .ok()
        .and_then(|text| Signature::decode(&text).ok())
        .ok_or_else(|| {
            tracing::warn!(version = %offer.info.version, "refused an update: unreadable signature");
            UserError::of(ErrorCode::UpdateBadSignature)
        })?;
    let mut res = client
        .get(offer.url.clone())
        .send()
        .await
        .map_err(|e| network(&e))?;
    if !res.status().is_success() {
        tracing::warn!(status = %res.status(), "update package not served");
        return Err(UserError::of(ErrorCode::UpdateNetwork));
    }
    let total = res.content_length();
    if total.is_some_and(|t| t > MAX_DOWNLOAD) {
        return Err(bad_manifest("the package is larger than any Patchbay"));
    }
    // The announced size is a hint, not a promise: reserve at most 64 MB up front.
    let mut bytes = Vec::with_capacity(total.unwrap_or(0).min(64 * 1024 * 1024) as usize);
    progress(UpdateProgress {
        downloaded: 0,
        total,
    });
    while let Some(chunk) = res.chunk().await.map_err(|e| network(&e))? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > MAX_DOWNLOAD {
            return Err(bad_manifest("the package is larger than any Patchbay"));
        }
        progress(UpdateProgress {
            downloaded: bytes.len() as u64,
            total,
        });
    }
    // The updater accepts legacy (not prehashed) minisign signatures too; so do we.
    if let Err(e) = source.key.verify(&bytes, &signature, true) {
        tracing::warn!(version = %offer.info.version, error = %e, "refused an update: signature");
        return Err(UserError::of(ErrorCode::UpdateBadSignature));
    }
    let file_name = offer
        .url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .filter(|n| safe_file_name(n))
        .map(String::from)
        .unwrap_or_else(|| format!("Patchbay_{}", offer.info.version));
    Ok(Verified {
        version: offer.info.version.clone(),
        file_name,
        bytes,
    })
}

/// Saves a verified package in `dir` and says how to install it.
pub fn save(verified: Verified, dir: &Path) -> Result<UpdateReady, UserError> {
    let path = dir.join(&verified.file_name);
    write_new(&path, &verified.bytes).map_err(|e| {
        tracing::warn!(path = %path.display(), error = %e, "update not saved");
        UserError::of(ErrorCode::UpdateSaveFailed)
    })?;
    let shown = path.display().to_string();
    let how_to_install = how_to_install(&verified.file_name, &shown);
    Ok(UpdateReady {
        version: verified.version,
        path: shown,
        how_to_install,
    })
}

/// The command that installs a package of this kind.
fn how_to_install(file_name: &str, path: &str) -> String {
    if file_name.ends_with(".deb") {
        format!("Close Patchbay, then in a terminal run: sudo apt install '{path}'")
    } else if file_name.ends_with(".rpm") {
        format!("Close Patchbay, then in a terminal run: sudo dnf install '{path}'")
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

fn decode_base64_text(b64: &str) -> Result<String, ()> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| ())?;
    String::from_utf8(bytes).map_err(|_| ())
}

fn not_configured(why: &str) -> UserError {
    tracing::info!(why, "updates are not configured in this build");
    UserError::of(ErrorCode::UpdateNotConfigured)
}

fn bad_manifest(why: &str) -> UserError {
    tracing::warn!(why, "update manifest refused");
    UserError::of(ErrorCode::UpdateBadManifest)
}

fn network(e: &reqwest::Error) -> UserError {
    tracing::warn!(error = %e, "update server not reached");
    UserError::of(ErrorCode::UpdateNetwork)
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
    }
}
