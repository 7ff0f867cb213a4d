//! Whether this binary must register itself as the `dev.patchbay:` handler at start-up
//! (Linux). An installed package declares the scheme in its own desktop entry
//! (`packaging/linux/patchbay.desktop`); registering at run time on top of it would replace
//! the package's entry with a per-user copy pinned to one path. A binary run from anywhere
//! else (a build tree, a moved or unpacked copy) still registers itself, as before.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The desktop entry the Linux packages install (the bundler names it after the product).
pub const PACKAGE_DESKTOP_ENTRY: &str = "Patchbay.desktop";
/// The command that entry runs, looked up on PATH.
const PACKAGE_EXEC: &str = "patchbay";
const MIME_TYPE: &str = "x-scheme-handler/dev.patchbay";

/// True when the desktop's default handler for our scheme is the package's entry and that
/// entry's command resolves to this very binary: the package already delivers our links.
pub fn package_delivers_links() -> bool {
    let Ok(exe) = std::env::current_exe() else {
        return false;
    };
    default_handler().as_deref() == Some(PACKAGE_DESKTOP_ENTRY)
        && resolves_to(std::env::var_os("PATH").as_deref(), PACKAGE_EXEC, &exe)
}

/// `xdg-mime query default` for our scheme (None when unset or when xdg-mime is missing).
fn default_handler() -> Option<String> {
    let out = std::process::Command::new("xdg-mime")
        .args(["query", "default", MIME_TYPE])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .next()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// Whether `command`, looked up in `path` as a desktop launcher does (first directory that
/// holds it), is the file `exe` (compared after resolving links).
fn resolves_to(path: Option<&OsStr>, command: &str, exe: &Path) -> bool {
    let Some(path) = path else {
        return false;
    };
    let found: Option<PathBuf> = std::env::split_paths(path)
        .map(|dir| dir.join(command))
        .find(|candidate| candidate.is_file());
    match (found.map(std::fs::canonicalize), std::fs::canonicalize(exe)) {
        (Some(Ok(found)), Ok(exe)) => found == exe,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin_dir_with(name: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(name), b"#!/bin/sh\n").unwrap();
        dir
    }

    #[test]
    fn the_first_directory_on_path_that_holds_the_command_decides() {
        let installed = bin_dir_with("patchbay");
        let other = bin_dir_with("patchbay");
        let exe = installed.path().join("patchbay");
        let path = std::env::join_paths([installed.path(), other.path()]).unwrap();
        assert!(resolves_to(Some(&path), "patchbay", &exe));
        // Another copy earlier on PATH is what the desktop entry would start: not us.
        let path = std::env::join_paths([other.path(), installed.path()]).unwrap();
        assert!(!resolves_to(Some(&path), "patchbay", &exe));
    }

    #[test]
    fn a_binary_the_path_does_not_reach_registers_itself() {
        let elsewhere = bin_dir_with("patchbay");
        let on_path = tempfile::tempdir().unwrap();
        let path = std::env::join_paths([on_path.path()]).unwrap();
        assert!(!resolves_to(
            Some(&path),
            "patchbay",
            &elsewhere.path().join("patchbay")
        ));
        assert!(!resolves_to(
            None,
            "patchbay",
            &elsewhere.path().join("patchbay")
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_on_path_to_this_binary_counts_as_this_binary() {
        let real = bin_dir_with("patchbay-real");
        let links = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(
            real.path().join("patchbay-real"),
            links.path().join("patchbay"),
        )
        .unwrap();
        let path = std::env::join_paths([links.path()]).unwrap();
        assert!(resolves_to(
            Some(&path),
            "patchbay",
            &real.path().join("patchbay-real")
        ));
    }
}
