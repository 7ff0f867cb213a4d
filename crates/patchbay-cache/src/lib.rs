//! Patchbay's local record cache (SQLite): see issue 8.
