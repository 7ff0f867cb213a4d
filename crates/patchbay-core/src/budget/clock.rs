//! The wall clock the daily quotas read, injectable so a test can move to the next day
//! together with the sandbox's simulated clock instead of waiting for midnight.

use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

/// "What time is it" for the budgets. Cheap to clone; the default is the system clock.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl Clock {
    /// The system's UTC time.
    pub fn system() -> Self {
        Self(Arc::new(OffsetDateTime::now_utc))
    }

    /// Any source of time (tests: a simulated clock).
    pub fn from_fn(now: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}
