//! The sync engine's integration tests in one binary.
