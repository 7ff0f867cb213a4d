//! Logs go to stderr and to a file in the app's log dir, filtered by `RUST_LOG`.

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// The log file's folder: the platform's log dir for our identifier (the same place Tauri's
/// `app_log_dir()` names), computed before Tauri starts so start-up itself is logged.
pub fn log_dir() -> Option<std::path::PathBuf> {
    let base = if cfg!(target_os = "macos") {
        std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join("Library/Logs"))
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/share"))
            })
    }?;
    Some(base.join(IDENTIFIER).join("logs"))
}

/// The log folder, made 0700 (an older version's too: the folder is ours alone). The
/// appender creates its daily files under the umask, which `private_umask` has made 0077, so
/// they are 0600 too: the customers' names they may mention stay private.
fn private_log_dir(dir: &std::path::Path) -> std::io::Result<()> {
    patchbay_core::private_fs::create_private_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir,
            std::fs::Permissions::from_mode(patchbay_core::private_fs::DIR_MODE),
        )?;
    }
    Ok(())
}

const IDENTIFIER: &str = "dev.patchbay.desktop";

/// Lines the log file's queue holds. The appender drops lines when it is full (lossy, its
/// default), so nothing waits on the log. Its default of 128,000 lines allocated the whole
/// queue at start and wrote to every slot: 4 MiB of the idle app's memory (bench/README.md,
/// "Idle memory: the log file's queue"). The file writer's thread empties the queue as lines
/// come; 16,384 lines (512 KiB) leave room for a burst at `RUST_LOG=debug`, which the
/// adversarial e2e test runs with and checks the file against stderr line for line.
const FILE_LOG_QUEUE_LINES: usize = 16_384;

/// Every file and folder this process creates from here on is readable by the user alone:
/// libraries that take no mode (the log appender's daily files, WebKit's storage) included.
/// Patchbay's own files are made 0600 explicitly as well (`private_fs`); this covers the rest.
#[cfg(unix)]
fn private_umask() {
    // SAFETY: umask(2) cannot fail; it is called before any thread that creates files starts.
    unsafe {
        libc::umask(0o077);
    }
}

#[cfg(not(unix))]
fn private_umask() {}

/// Installs the subscriber. Keep the guard alive for the life of the app: dropping it flushes
/// the file writer.
pub fn init() -> Option<WorkerGuard> {
    private_umask();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = fmt::layer().with_writer(std::io::stderr);
    let (file_layer, guard) =
        match log_dir().and_then(|dir| private_log_dir(&dir).ok().map(|()| dir)) {
            Some(dir) => {
                let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
                    .buffered_lines_limit(FILE_LOG_QUEUE_LINES)
                    .finish(tracing_appender::rolling::daily(dir, "patchbay.log"));
                (
                    Some(fmt::layer().with_ansi(false).with_writer(writer)),
                    Some(guard),
                )
            }
            None => (None, None),
        };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file_layer)
        .try_init();
    guard
}
