//! How WebKitGTK paints the window on a machine without a GPU (Linux).
//!
//! WebKitGTK (2.46 and later) paints with Skia on OpenGL and composites the page's layers with
//! OpenGL too. Where no GPU is reachable (no DRM render node: virtual machines, remote
//! desktops, containers, CI), Mesa answers with llvmpipe, which compiles every shader the
//! page's painting needs with LLVM on the CPU: the window's first frames cost the web process
//! about 0.9 CPU seconds of shader compilation against 0.04 for an empty window (a `perf`
//! profile of start-up, bench/README.md "Start-up and connect (2026-12-01)"). Without a GPU
//! the app therefore asks WebKit for two things:
//! - Skia's CPU painting, which skips the painting's shaders;
//! - no compositor (WebKit's non-composited mode, as with the hardware acceleration policy
//!   "never"): the page is painted into one shared bitmap. The GL compositor's textures,
//!   buffers and LLVM's compiled code held the web process at about 239 MiB idle and 345 MiB
//!   with 100,000 records shown; without it, about 177 and 221 (bench/README.md, "The web
//!   process without the compositor").
//!
//! With a GPU, WebKit's defaults stay. A value the user set for either variable always stays.

use std::path::Path;

/// WebKitGTK's switch to Skia's CPU painting, read when its web process starts (older
/// WebKitGTK, without Skia, ignores it).
pub const CPU_PAINTING: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";

/// WebKitGTK's switch off its compositor (listed in WebKit's wiki, "EnvironmentVariables"),
/// read when the window's web view is made.
pub const NO_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// The switches set without a GPU, each unless the user set it.
const WITHOUT_GPU: [&str; 2] = [CPU_PAINTING, NO_COMPOSITING];

/// Where the kernel lists GPUs (`renderD128`, ...: render nodes, one per GPU with a driver).
const DRI_DIR: &str = "/dev/dri";

/// Chooses CPU painting and no compositor when no GPU is reachable. Must run before anything
/// starts WebKit, and before any other thread exists (`run` calls it first): setting the
/// environment is only sound while no other thread reads it.
/// Answers the switches it set (for the log, which starts after it).
pub fn choose_for_this_machine() -> Vec<&'static str> {
    let gpu = has_render_node(Path::new(DRI_DIR));
    let set = switches_to_set(gpu, |name| std::env::var_os(name).is_some());
    for name in &set {
        std::env::set_var(name, "1");
    }
    set
}

/// Whether WebKit runs without its compositor (this module's choice or the user's): a value of
/// the switch other than "0", as WebKit reads it.
pub fn without_compositor() -> bool {
    switched_off(std::env::var_os(NO_COMPOSITING).as_deref())
}

fn switched_off(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| v != "0")
}

/// The switches to set: without a GPU, those nothing else decided (`user_set`).
fn switches_to_set(gpu: bool, user_set: impl Fn(&str) -> bool) -> Vec<&'static str> {
    if gpu {
        return Vec::new();
    }
    WITHOUT_GPU.into_iter().filter(|n| !user_set(n)).collect()
}

/// Whether `dri` holds a render node, i.e. a GPU that OpenGL can use.
fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_node_is_a_gpu_and_a_card_alone_or_no_folder_is_not() {
        let dri = tempfile::tempdir().unwrap();
        assert!(!has_render_node(dri.path()), "empty /dev/dri");
        std::fs::write(dri.path().join("card0"), b"").unwrap();
        assert!(
            !has_render_node(dri.path()),
            "a display card without a render node (no OpenGL acceleration)"
        );
        std::fs::write(dri.path().join("renderD128"), b"").unwrap();
        assert!(has_render_node(dri.path()));
        assert!(!has_render_node(&dri.path().join("missing")));
    }

    #[test]
    fn the_compositor_is_off_for_any_value_but_zero() {
        use std::ffi::OsStr;
        assert!(switched_off(Some(OsStr::new("1"))));
        assert!(
            switched_off(Some(OsStr::new(""))),
            "set, even empty, as WebKit reads it"
        );
        assert!(!switched_off(Some(OsStr::new("0"))));
        assert!(!switched_off(None));
    }

    #[test]
    fn without_a_gpu_both_switches_are_set_unless_the_user_set_them() {
        let none = |_: &str| false;
        assert_eq!(
            switches_to_set(false, none),
            vec![CPU_PAINTING, NO_COMPOSITING]
        );
        assert!(
            switches_to_set(true, none).is_empty(),
            "a GPU keeps WebKit's defaults"
        );
        assert_eq!(
            switches_to_set(false, |n| n == NO_COMPOSITING),
            vec![CPU_PAINTING],
            "the user's own compositing choice stands"
        );
        assert_eq!(
            switches_to_set(false, |n| n == CPU_PAINTING),
            vec![NO_COMPOSITING],
            "the user's own painting choice stands"
        );
        assert!(switches_to_set(true, |_| true).is_empty());
    }
}
