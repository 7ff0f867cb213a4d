//! Signed updates through tauri-plugin-updater: the plugin checks `plugins.updater.endpoints`
//! (or `PATCHBAY_UPDATE_ENDPOINT`), downloads, verifies the signature against
//! `plugins.updater.pubkey` and installs. This adapter adds what is Patchbay's
//! (`patchbay_app::updates`): progress as `update-progress` events, our error codes, and a
//! verified package saved with its install command where this copy was not installed from a
//! package the plugin can replace.
//!
//! The window never talks to the plugin: no `updater:*` permission is granted, the window has
//! our two commands only (`check_for_update`, `install_update`).

use patchbay_app::updates::{self, ProgressCounter, UpdateInfo, UpdateReady};
use patchbay_core::ErrorCode;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tauri::plugin::TauriPlugin;

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_updater::{Error as PluginError, Update, Updater, UpdaterExt};

use crate::error::CommandError;
use crate::ipc::{emit, event};

type Result<T> = std::result::Result<T, CommandError>;

/// A server that does not connect, or goes silent mid-answer, this long fails the check or the
/// download instead of hanging it. (No limit on the whole download: a slow line is not a fault.)
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The plugin as the app registers it (the tests register the same one on the mock runtime).
pub fn plugin<R: Runtime>() -> TauriPlugin<R, tauri_plugin_updater::Config> {
    tauri_plugin_updater::Builder::new().build()
}

/// Asks the update server whether a newer Patchbay exists for this computer.
pub async fn check<R: Runtime>(app: &AppHandle<R>) -> Result<Option<UpdateInfo>> {
    Ok(find(app, None).await?.map(|u| UpdateInfo {
        version: u.version.clone(),
        current_version: u.current_version.clone(),
        notes: u.body.clone(),
    }))
}

/// Where a verified update goes. The build decides ([`Destination::of_this_build`]) unless the
/// app manages one (the tests point it at a stand-in AppImage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Over this copy, through the plugin; `executable` names the file it replaces when it is
    /// not the running binary.
    ThisCopy { executable: Option<PathBuf> },
    /// Saved in Downloads with the command that installs it.
    Downloads,
}

impl Destination {
    /// Over this copy where the bundler marked the binary as installed from a package the
    /// plugin installs over (.deb, .rpm, AppImage, .msi, NSIS, a macOS app); saved otherwise.
    /// A build from source is not such a copy: the plugin would write the package over the
    /// running binary as if it were an AppImage.
    pub fn of_this_build() -> Self {
        let from_package = tauri::utils::platform::bundle_type().is_some();
        // On macOS the marker says "app" for every binary: only one inside a .app bundle is.
        #[cfg(target_os = "macos")]
        let from_package =
            from_package && std::env::current_exe().is_ok_and(|exe| inside_app_bundle(&exe));
        if from_package {
            Self::ThisCopy { executable: None }
        } else {
            Self::Downloads
        }
    }
}

/// Whether `exe` is a macOS app's binary: `<name>.app/Contents/MacOS/<binary>`.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
fn inside_app_bundle(exe: &Path) -> bool {
    let macos = exe.parent();
    let contents = macos.and_then(Path::parent);
    let app = contents.and_then(Path::parent);
    macos.and_then(Path::file_name) == Some("MacOS".as_ref())
        && contents.and_then(Path::file_name) == Some("Contents".as_ref())
        && app.and_then(Path::extension) == Some("app".as_ref())
}

/// Downloads the newer Patchbay with progress; the plugin verifies its signature. Installs it
/// over this copy where it can ([`Destination`]), else saves it and says how to install it.
/// A refusal writes nothing and leaves this copy as it was.
pub async fn install<R: Runtime>(app: &AppHandle<R>) -> Result<UpdateReady> {
    let destination = app
        .try_state::<Destination>()
        .map(|d| d.inner().clone())
        .unwrap_or_else(Destination::of_this_build);
    let executable = match &destination {
        Destination::ThisCopy { executable } => executable.as_deref(),
        Destination::Downloads => None,
    };
    let update = find(app, executable)
        .await?
        .ok_or_else(|| CommandError::of(ErrorCode::UpdateNoneAvailable))?;
    updates::refuse_unsigned(&update.version, &update.signature)?;
    let mut counter = ProgressCounter::default();
    let bytes = update
        .download(
            |len, total| emit::<event::UpdateProgress, R>(app, counter.chunk(len, total)),
            || {},
        )
        .await
        .map_err(refusal)?;
    if destination == Destination::Downloads {
        let dir = crate::commands::downloads(app)
            .ok_or_else(|| CommandError::of(ErrorCode::UpdateSaveFailed))?;
        return updates::save(&update.version, &update.download_url, &bytes, &dir);
    }
    let version = update.version.clone();
    // Installing a Linux package waits for the administrator's password prompt: not on the
    // async runtime's threads. (On Windows the plugin starts the installer and exits.)
    tauri::async_runtime::spawn_blocking(move || update.install(bytes))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "the update's install task failed");
            CommandError::of(ErrorCode::UpdateInstallFailed)
        })?
        .map_err(refusal)?;
    tracing::info!(%version, "update installed; it runs from the next start");
    Ok(updates::installed(&version))
}

/// The newer version on offer, if any; a newer version built for other computers only is none.
async fn find<R: Runtime>(app: &AppHandle<R>, executable: Option<&Path>) -> Result<Option<Update>> {
    match updater(app, executable)?.check().await {
        Ok(found) => Ok(found),
        Err(PluginError::TargetNotFound(_) | PluginError::TargetsNotFound(_)) => {
            tracing::info!("a newer version exists, but not for this computer");
            Ok(None)
        }
        Err(e) => Err(refusal(e)),
    }
}

fn updater<R: Runtime>(app: &AppHandle<R>, executable: Option<&Path>) -> Result<Updater> {
    // The plugin cannot start without its `plugins.updater` section (its public key), so a
    // build without one has no plugin to ask.
    if !app.config().plugins.0.contains_key("updater") {
        tracing::info!("no plugins.updater in this build's configuration");
        return Err(CommandError::of(ErrorCode::UpdateNotConfigured));
    }
    let setting = std::env::var(updates::ENDPOINT_ENV).ok();
    let mut builder = app.updater_builder().configure_client(|c| {
        // The same User-Agent as every request Patchbay makes.
        c.user_agent(concat!("Patchbay/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
    });
    if let Some(endpoint) = updates::endpoint_override(setting.as_deref())? {
        builder = builder.endpoints(vec![endpoint]).map_err(refusal)?;
    }
    if let Some(executable) = executable {
        builder = builder.executable_path(executable);
    }
    builder.build().map_err(refusal)
}

/// The plugin's error as the window's: its text goes to the log, the window gets our code.
fn refusal(e: PluginError) -> CommandError {
    let code = code_for(&e);
    tracing::warn!(code = %code, error = %e, "update refused");
    CommandError::of(code)
}

fn code_for(e: &PluginError) -> ErrorCode {
    use PluginError as E;
    match e {
        // No address in this build (the release workflow gives one), or a plain-http one in a
        // release build.
        E::EmptyEndpoints | E::InsecureTransportProtocol | E::UrlParse(_) => {
            ErrorCode::UpdateNotConfigured
        }
        E::Reqwest(_) | E::Network(_) | E::ReleaseNotFound => ErrorCode::UpdateNetwork,
        E::Serialization(_) | E::Semver(_) | E::TargetNotFound(_) | E::TargetsNotFound(_) => {
            ErrorCode::UpdateBadManifest
        }
        // Not signed by our key, an unreadable signature, or signed for another version than
        // the manifest announces (an old package passed off as new).
        E::Minisign(_)
        | E::Base64(_)
        | E::SignatureUtf8(_)
        | E::SignedVersionMismatch { .. }
        | E::MissingSignedVersion => ErrorCode::UpdateBadSignature,
        E::AuthenticationFailed
        | E::DebInstallFailed
        | E::PackageInstallFailed
        | E::InvalidUpdaterFormat
        | E::BinaryNotFoundInArchive
        | E::TempDirNotFound
        | E::TempDirNotOnSameMountPoint
        | E::PreviousAppNotRestored(_)
        | E::FailedToDetermineExtractPath
        | E::Io(_) => ErrorCode::UpdateInstallFailed,
        _ => ErrorCode::AppInternal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plugins_errors_become_our_codes() {
        let cases = [
            (PluginError::EmptyEndpoints, ErrorCode::UpdateNotConfigured),
            (
                PluginError::InsecureTransportProtocol,
                ErrorCode::UpdateNotConfigured,
            ),
            (PluginError::ReleaseNotFound, ErrorCode::UpdateNetwork),
            (PluginError::Network("503".into()), ErrorCode::UpdateNetwork),
            (
                PluginError::Serialization(serde_json::from_str::<u8>("x").unwrap_err()),
                ErrorCode::UpdateBadManifest,
            ),
            (
                PluginError::SignatureUtf8("x".into()),
                ErrorCode::UpdateBadSignature,
            ),
            (
                PluginError::MissingSignedVersion,
                ErrorCode::UpdateBadSignature,
            ),
            (
                PluginError::AuthenticationFailed,
                ErrorCode::UpdateInstallFailed,
            ),
            (
                PluginError::DebInstallFailed,
                ErrorCode::UpdateInstallFailed,
            ),
            (PluginError::UnsupportedOs, ErrorCode::AppInternal),
        ];
        for (error, code) in cases {
            assert_eq!(code_for(&error), code, "{error}");
        }
    }

    #[test]
    fn a_test_binary_is_not_installed_from_a_package() {
        // The tests' saved-package path depends on it.
        assert_eq!(Destination::of_this_build(), Destination::Downloads);
    }

    #[test]
    fn only_a_binary_inside_an_app_bundle_is_a_macos_app() {
        assert!(inside_app_bundle(Path::new(
            "/Applications/Patchbay.app/Contents/MacOS/patchbay"
        )));
        assert!(!inside_app_bundle(Path::new("/src/target/debug/patchbay")));
        assert!(!inside_app_bundle(Path::new(
            "/src/Patchbay.app/Contents/Resources/patchbay"
        )));
        assert!(!inside_app_bundle(Path::new("patchbay")));
    }
}
