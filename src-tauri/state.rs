//! What the shell keeps between commands.

use patchbay_core::providers::{self, ProviderDef};

pub struct AppState {
    pub providers: Vec<ProviderDef>,
}

impl AppState {
    pub fn load() -> Self {
        Self {
            providers: providers::builtin(),
        }
    }
}
