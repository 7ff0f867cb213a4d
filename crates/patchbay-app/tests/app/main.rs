//! patchbay-app's tests: one binary, a module per area.

mod callback;
mod settings;
mod settings_page;
mod tiles;
