//! The vocabulary Patchbay's crates share: defined once here so the core (provider
//! definitions), the cache (its tables) and the shell (the window's types) cannot drift apart.

mod column;
mod id;
pub mod identity;

pub use column::ColumnKind;
pub use id::{is_id_text, BadId, Id};
