//! How WebKitGTK paints the window on a machine without a GPU (Linux).
//!
//! WebKitGTK (2.46 and later) paints with Skia on OpenGL. Where no GPU is reachable (no DRM
//! render node: virtual machines, remote desktops, containers, CI), Mesa answers with
//! llvmpipe, which compiles every shader the page's painting needs with LLVM on the CPU: the
//! window's first frames cost the web process about 0.9 CPU seconds of shader compilation
//! against 0.04 for an empty window (a `perf` profile of start-up, bench/README.md "Start-up
//! and connect (2026-12-01)"). Skia's CPU painting skips that work. With a GPU, WebKit's
//! default stays; a value the user set for the variable always stays.
//!
//! Not WebKit's non-composited mode (`WEBKIT_CPU_PAINTING_MODE`), which would skip the
//! compositor's shaders too: in that mode WebKitWebDriver's screenshots never answer, and the
//! e2e tests take screenshots.

use std::path::Path;

/// WebKitGTK's switch to Skia's CPU painting, read when its web process starts (older
/// WebKitGTK, without Skia, ignores it).
pub const CPU_PAINTING: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";

/// Where the kernel lists GPUs (`renderD128`, ...: render nodes, one per GPU with a driver).
const DRI_DIR: &str = "/dev/dri";

/// Chooses CPU painting when no GPU is reachable. Must run before anything starts WebKit, and
/// before any other thread exists (`run` calls it first): setting the environment is only
/// sound while no other thread reads it.
/// Answers whether it did (for the log, which starts after it).
pub fn choose_for_this_machine() -> bool {
    let user_set = std::env::var_os(CPU_PAINTING).is_some();
    let cpu = paint_with_cpu(user_set, has_render_node(Path::new(DRI_DIR)));
    if cpu {
        std::env::set_var(CPU_PAINTING, "1");
    }
    cpu
}

/// Whether to switch WebKit to CPU painting: only when nothing else decided and no GPU is there.
fn paint_with_cpu(user_set: bool, gpu: bool) -> bool {
    !user_set && !gpu
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
    fn the_cpu_paints_only_without_a_gpu_and_without_the_users_own_choice() {
        assert!(paint_with_cpu(false, false));
        assert!(!paint_with_cpu(false, true), "a GPU keeps WebKit's default");
        assert!(!paint_with_cpu(true, false), "the user's value stands");
        assert!(!paint_with_cpu(true, true));
    }
}
