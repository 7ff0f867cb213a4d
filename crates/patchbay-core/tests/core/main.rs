//! The core's integration tests in one binary: one build and one link instead of one per
//! file. The test command runs it with `cargo nextest run`, each test in its own process
//! (tests that install a global log subscriber or run a keychain child never meet), under a
//! per-test timeout (.config/nextest.toml).

mod adversarial_support;
mod common;

mod adversarial_embedded_sandbox;
mod adversarial_faults;
mod adversarial_forged_links;
mod adversarial_fuzz;
mod adversarial_interop;
mod adversarial_keychain;
mod adversarial_tokens;
mod adversarial_worlds;
mod api_shape;
mod budgets;
mod connect_flow;
mod hostile_provider;
mod keyring_vault;
mod no_secrets_in_logs;
mod paging_styles;
mod real_providers;
mod record_pages;
mod refresh;
mod rejections;
mod summary_selftest;
mod sync_faults;
mod worlds_and_accounts;
