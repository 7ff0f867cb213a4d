//! The allocator of the app (`src-tauri/main.rs`) and of the benchmark driver, which measures
//! the client's CPU as the app spends it: mimalloc. The sync's JSON values are many small
//! allocations, and mimalloc spends about half the CPU glibc's malloc did on them
//! (bench/README.md, the parse floor).
//!
//! And how soon it gives freed memory back to the system.
//! mimalloc 3 keeps freed pages resident for a second (`purge_delay`, 1000 ms) in case they
//! are wanted again. A sync frees a parsed page of records (7.8 MB for 2,500 leads) every half
//! second while it parses the next, so those pages piled up: the app's peak during a
//! 100,000-record sync was 10 to 16 MiB lower with the delay at 0, its sync no slower
//! (bench/README.md, "The app's peak during a sync").

use libmimalloc_sys::{mi_option_set, mi_option_t};

/// The global allocator: `#[global_allocator] static A: Allocator = Allocator;` in a binary,
/// which then calls [`return_freed_memory_at_once`] first.
pub use mimalloc::MiMalloc as Allocator;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (v3, `include/mimalloc.h`): the one
/// between `mi_option_eager_commit_delay` (14) and `mi_option_use_numa_nodes` (16), which
/// libmimalloc-sys names; it does not name this one.
const PURGE_DELAY: mi_option_t = 15;

/// mimalloc reads its options from `MIMALLOC_*` variables; a value the user set stays.
const PURGE_DELAY_VARIABLE: &str = "MIMALLOC_PURGE_DELAY";

/// Freed memory goes back at once. Call first in `main`; safe at any time (mimalloc reads the
/// option at each purge).
pub fn return_freed_memory_at_once() {
    if std::env::var_os(PURGE_DELAY_VARIABLE).is_none() {
        // SAFETY: sets one of mimalloc's options, an atomic store.
        unsafe { mi_option_set(PURGE_DELAY, 0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libmimalloc_sys::mi_option_get;

    /// The delay in force, in ms.
    fn purge_delay_ms() -> std::os::raw::c_long {
        // SAFETY: reads one of mimalloc's options.
        unsafe { mi_option_get(PURGE_DELAY) }
    }

    #[test]
    fn the_option_set_is_mimallocs_purge_delay_and_it_becomes_zero() {
        // mimalloc 3's default purge delay: if 15 named another option (a libmimalloc-sys
        // update that reorders the enum), this default would not be read here.
        assert!(std::env::var_os(PURGE_DELAY_VARIABLE).is_none());
        assert_eq!(purge_delay_ms(), 1000, "mimalloc's default purge delay");
        return_freed_memory_at_once();
        assert_eq!(purge_delay_ms(), 0);
    }
}
