// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// mimalloc (crates/patchbay-alloc says why).
#[global_allocator]
static ALLOCATOR: patchbay_alloc::Allocator = patchbay_alloc::Allocator;

fn main() {
    patchbay_shell::run();
}
