//! The sandbox's simulated clock: it starts at the real time and runs with it, and tests can
//! move it forward (`Sandbox::advance_clock`). It dates new and updated records, drives churn
//! and resets daily quotas. Token lifetimes stay on real time (they use `Instant`).

use parking_lot::Mutex;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

#[derive(Debug)]
pub struct SimClock {
    /// Real time when the sandbox started, whole seconds (so dates derived from it are stable).
    start: OffsetDateTime,
    started: Instant,
    advanced: Mutex<Duration>,
    /// Moves only by `advance` (real time does not count).
    frozen: bool,
}

impl SimClock {
    pub fn new(frozen: bool) -> SimClock {
        let now = OffsetDateTime::now_utc();
        SimClock {
            start: now.replace_nanosecond(0).unwrap_or(now),
            started: Instant::now(),
            advanced: Mutex::new(Duration::ZERO),
            frozen,
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.start + self.elapsed()
    }

    pub fn now_unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// The sandbox's start, unix seconds.
    pub fn start_unix(&self) -> i64 {
        self.start.unix_timestamp()
    }

    /// Simulated time since the start: real time (unless frozen) plus every `advance`.
    pub fn elapsed(&self) -> Duration {
        let real = if self.frozen {
            Duration::ZERO
        } else {
            self.started.elapsed()
        };
        real + *self.advanced.lock()
    }

    pub fn advance(&self, by: Duration) {
        *self.advanced.lock() += by;
    }
}

/// The next 00:00:00 UTC strictly after `unix`.
pub fn next_utc_midnight(unix: i64) -> i64 {
    (unix.div_euclid(86_400) + 1) * 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward_by_that_much() {
        let c = SimClock::new(false);
        let before = c.now();
        c.advance(Duration::from_secs(86_400));
        let after = c.now();
        assert!(after - before >= time::Duration::days(1));
        assert!(after - before < time::Duration::days(1) + time::Duration::minutes(1));
        let frozen = SimClock::new(true);
        let t = frozen.now();
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(frozen.now(), t, "a frozen clock ignores real time");
        frozen.advance(Duration::from_secs(5));
        assert_eq!(frozen.now(), t + time::Duration::seconds(5));
    }

    #[test]
    fn midnight() {
        assert_eq!(next_utc_midnight(0), 86_400);
        assert_eq!(next_utc_midnight(86_399), 86_400);
        assert_eq!(next_utc_midnight(86_400), 172_800);
    }
}
