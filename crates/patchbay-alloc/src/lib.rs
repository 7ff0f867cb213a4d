//! The allocator of the app (`src-tauri/main.rs`) and of the benchmark driver, which measures
//! the client's CPU as the app spends it: mimalloc. The sync's JSON values are many small
//! allocations, and mimalloc spends about half the CPU glibc's malloc did on them
//! (bench/README.md, the parse floor).
//!
//! mimalloc keeps its default purge delay: freed pages stay resident for a second in case they
//! are wanted again. Giving them back at once lowered the app's peak during a 100,000-record
//! sync by 10 to 16 MiB but cost the sync's client 20 to 40% more CPU per record
//! (bench/README.md, "The web process without the compositor", and the section before it).

/// The global allocator: `#[global_allocator] static A: Allocator = Allocator;` in a binary.
pub use mimalloc::MiMalloc as Allocator;
