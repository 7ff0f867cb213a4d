//! The sync engine's integration tests in one binary, against the loopback sandbox and a real
//! SQLite file. Run with `cargo nextest run -p patchbay-sync` (each test in its own process).

mod common;

mod failure;
mod first_rows;
mod incremental;
mod on_connect;
mod quota;
mod resume;
