// Included by the app's build script and by the empty window's (bench/empty-window): both
// link the same way, so the size ratio compares like with like.

/// Links the binaries with packed relative relocations (DT_RELR) where the C library can load them.
///
/// A position-independent binary carries one 24-byte `.rela.dyn` entry for every pointer in its
/// data (vtables, string tables, static slices): about 0.7 MB of Patchbay's binary. DT_RELR
/// stores the same as bitmaps, a few KB. glibc loads it from 2.36 on, and the linker then makes
/// the binary require `GLIBC_ABI_DT_RELR`, so an older system refuses to start it with a clear
/// loader message rather than crashing. The release packages are built on the oldest
/// supported distribution (Ubuntu 22.04, glibc 2.35): there the build keeps the plain
/// relocations and the package runs everywhere it did (bench/README.md, "What the bytes are").
fn pack_relative_relocations() {
    let target = |key: &str| std::env::var(key).unwrap_or_default();
    if target("CARGO_CFG_TARGET_OS") != "linux"
        || target("CARGO_CFG_TARGET_ENV") != "gnu"
        || target("TARGET") != target("HOST")
    {
        return;
    }
    match host_glibc() {
        Some(version) if version >= (2, 36) => {
            println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
        }
        Some(_) => {}
        None => println!(
            "cargo:warning=the C library's version is unknown (`getconf GNU_LIBC_VERSION`); \
             linking without packed relative relocations"
        ),
    }
}

/// The building system's glibc, `getconf GNU_LIBC_VERSION` ("glibc 2.36") as (2, 36).
fn host_glibc() -> Option<(u32, u32)> {
    let out = std::process::Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let (major, minor) = text.trim().strip_prefix("glibc ")?.split_once('.')?;
    let minor = minor.split('.').next()?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}
