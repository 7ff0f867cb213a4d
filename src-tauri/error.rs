//! The one error shape the window sees is the core's [`patchbay_core::UserError`]: a stable
//! code to branch on, a sentence and advice a marketer can act on. Never a stack trace, never
//! a secret, never an internal error's text (that goes to the log, in `patchbay_app::error`).

/// Every command's error: the same type as the core's view, not a second shape.
pub type CommandError = patchbay_core::UserError;
