//! The one error shape the window sees: a stable code to branch on and a sentence a
//! marketer can act on. Never a stack trace, never a secret.

use patchbay_core::UserError;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

impl CommandError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn unknown_provider(id: &str) -> Self {
        Self::new(
            "unknown_provider",
            format!("Patchbay has no provider called \"{id}\"."),
        )
    }

    pub fn internal(what: &str) -> Self {
        Self::new(
            "internal",
            format!("Something went wrong while {what}. Please try again; if it keeps happening, restart Patchbay."),
        )
    }
}

impl From<UserError> for CommandError {
    fn from(e: UserError) -> Self {
        Self {
            code: e.code,
            message: e.message,
        }
    }
}
