//! Files only the user can read: Patchbay's folders are made 0700 and its files 0600 on Unix,
//! whatever the umask (records, settings, request counts and exports are the marketer's
//! business, not other accounts' on a shared machine). Elsewhere these are the plain calls.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Folders Patchbay owns: only the user may list or enter them.
pub const DIR_MODE: u32 = 0o700;
/// Files Patchbay writes: only the user may read or write them.
pub const FILE_MODE: u32 = 0o600;

/// Makes `dir` and any missing parent, each new one 0700. A folder that exists is left as it
/// is: it may be the user's own (a temp folder, a chosen data folder), and the files Patchbay
/// puts in it are private by themselves.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
    builder.create(dir)
}

/// Makes `path` an empty 0600 file if it does not exist, and an existing one 0600 (a file of
/// an older version), without touching its content. SQLite gives its `-wal` and `-shm` files
/// the database file's mode, so a database opened after this is private with them.
pub fn ensure_private_file(path: &Path) -> io::Result<()> {
    private_options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    set_mode(path, FILE_MODE)
}

/// Creates (or truncates) `path` as a 0600 file for writing.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let file = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    // An existing file keeps its mode through `open`: make it private too.
    set_mode(path, FILE_MODE)?;
    Ok(file)
}

/// Writes `bytes` to a 0600 file beside `path` and renames it over `path`: a reader sees the
/// old content or the new, never half, and never a moment when the file is readable by others.
pub fn write_private_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp_name);
    let mut out = create_private_file(&tmp)?;
    out.write_all(bytes)?;
    drop(out);
    std::fs::rename(&tmp, path)
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, FILE_MODE);
    options
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_are_0700_and_files_0600_whatever_they_were() {
        let tmp = tempfile_dir();
        let dir = tmp.join("a").join("b");
        create_private_dir_all(&dir).unwrap();
        assert_eq!(mode(&tmp.join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        create_private_dir_all(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700, "an existing folder is fine");

        let file = dir.join("f.json");
        std::fs::write(&file, b"old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        ensure_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"old", "content untouched");
        write_private_atomically(&file, b"new").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
        let fresh = dir.join("g.csv");
        create_private_file(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o600);
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "patchbay-private-fs-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
