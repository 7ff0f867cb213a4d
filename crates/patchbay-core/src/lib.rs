//! Patchbay's core: everything that is not the window. No Tauri, no GTK, so a plain
//! `cargo test` exercises it against a real `patchbay-sandbox` on 127.0.0.1.
//!
//! The shell calls [`app::Patchbay`]; the window sees only the types in [`views`].

pub mod accounts;
pub mod app;
pub mod budget;
pub mod dates;
pub mod demo;
pub mod discovery;
pub mod error;
pub mod error_code;
pub mod http;
pub mod identity_fields;
pub mod loopback;
pub mod oauth;
pub mod paging;
pub mod private_fs;
pub mod providers;
pub mod record_page;
pub mod secret;
pub mod session;
pub mod url_rules;
pub mod vault;
pub mod views;
pub mod world;

pub use app::{CoreConfig, Patchbay};
pub use error::{ApiError, ConnectError};
pub use error_code::ErrorCode;
pub use views::{ConnectOutcome, UserError};
pub use world::{AccountId, World};
