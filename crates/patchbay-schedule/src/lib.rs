//! patchbay-schedule: when each connected list refreshes while the app runs.
//!
//! [`Plan`] is the pure rule book (which list is due, when each runs next, one sync per
//! connection at a time, staggered starts, a paused list waits for its quota reset);
//! [`Scheduler`] runs a plan on tokio, calling a sync function the caller provides, so this
//! crate knows nothing of providers, HTTP or the cache.

mod plan;
mod runner;

pub use plan::{ListKey, Outcome, Plan, PlanSettings};
pub use runner::{ListState, OnChange, Scheduler, SyncFn};
