//! The refusals this crate gives, as the core's [`UserError`]: a stable code and a sentence a
//! marketer can act on. The shell turns them into its command error unchanged.

pub use patchbay_core::UserError;

pub type Result<T> = std::result::Result<T, UserError>;

pub fn user_error(code: &str, message: impl Into<String>) -> UserError {
    UserError {
        code: code.to_string(),
        message: message.into(),
    }
}

pub fn unknown_provider(id: &str) -> UserError {
    user_error(
        "unknown_provider",
        format!("Patchbay has no provider called \"{id}\"."),
    )
}

pub fn unknown_account() -> UserError {
    user_error(
        "unknown_account",
        "Patchbay doesn't know that account. Go back to your tools and pick it again.",
    )
}

/// Something that should not happen (a worker thread that died); nothing the user did.
pub fn internal(what: &str) -> UserError {
    user_error(
        "internal",
        format!("Something went wrong while {what}. Please try again; if it keeps happening, restart Patchbay."),
    )
}

/// An account id from the window: refused before anything is looked up when it cannot be one.
pub fn account_id(raw: &str) -> Result<patchbay_core::AccountId> {
    patchbay_core::AccountId::parse(raw).map_err(|_| unknown_account())
}
