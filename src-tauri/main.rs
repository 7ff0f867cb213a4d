// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The sync's JSON values are many small allocations: mimalloc spends about half the CPU
/// glibc's malloc did on them (bench/README.md, the parse floor). Its default purge delay
/// stays: giving freed pages back at once cost the sync 20 to 40% more CPU per record
/// (bench/README.md, "The web process without the compositor").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    patchbay_shell::run();
}
