// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// The sync's JSON values are many small allocations: mimalloc spends about half the CPU
/// glibc's malloc did on them (bench/README.md, the parse floor).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    patchbay_shell::allocator::return_freed_memory_at_once();
    patchbay_shell::run();
}
