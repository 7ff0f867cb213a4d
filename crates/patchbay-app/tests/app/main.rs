//! patchbay-app's tests: one binary, a module per area.

mod callback;
mod connect;
mod first_screen;
mod notice;
mod private_files;
mod records;
mod secret_storage;
mod settings;
mod settings_page;
mod support;
mod tiles;
mod updates;
