//! A token bucket on the client's side: `capacity` requests at once, then `refill_per_second`.
//! Reservations may take the bucket below zero: each one is a place in the queue, and waits
//! until the refill has paid for it, so concurrent callers are spread out in order.

use std::time::{Duration, Instant};

use crate::budget::limits::TokenBucketDef;

#[derive(Debug)]
pub struct TokenBucket {
    def: TokenBucketDef,
    state: parking_lot::Mutex<State>,
}

#[derive(Debug, Clone, Copy)]
struct State {
    /// Negative when reservations are queued.
    tokens: f64,
    updated: Instant,
}

impl State {
    fn refill(&mut self, def: &TokenBucketDef, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * def.refill_per_second).min(f64::from(def.capacity));
        self.updated = self.updated.max(now);
    }

    /// Takes one token and answers when the request may start.
    fn reserve(&mut self, def: &TokenBucketDef, now: Instant) -> Instant {
        self.refill(def, now);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            now
        } else {
            now + Duration::from_secs_f64(-self.tokens / def.refill_per_second)
        }
    }

    /// The provider says only `remaining` tokens are left: never believe in more.
    fn lower_to(&mut self, def: &TokenBucketDef, remaining: u32, now: Instant) {
        self.refill(def, now);
        self.tokens = self.tokens.min(f64::from(remaining));
    }
}

impl TokenBucket {
    pub fn new(def: TokenBucketDef) -> Self {
        Self {
            def,
            state: parking_lot::Mutex::new(State {
                tokens: f64::from(def.capacity),
                updated: Instant::now(),
            }),
        }
    }

    fn state(&self) -> parking_lot::MutexGuard<'_, State> {
        // Plain numbers: a panicked holder left nothing half-written that matters.
        self.state.lock()
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        let now = Instant::now();
        let start = self.state().reserve(&self.def, now);
        let wait = start.saturating_duration_since(now);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    pub fn lower_to(&self, remaining: u32) {
        self.state().lower_to(&self.def, remaining, Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEF: TokenBucketDef = TokenBucketDef {
        capacity: 10,
        refill_per_second: 5.0,
    };

    fn full(at: Instant) -> State {
        State {
            tokens: f64::from(DEF.capacity),
            updated: at,
        }
    }

    #[test]
    fn a_burst_beyond_the_bucket_waits_for_the_refill() {
        let t0 = Instant::now();
        let mut s = full(t0);
        let starts: Vec<_> = (0..13).map(|_| s.reserve(&DEF, t0)).collect();
        assert!(
            starts[..10].iter().all(|&t| t == t0),
            "the bucket's 10 go at once"
        );
        // Then one every 1/5 s, in order.
        for (i, start) in starts[10..].iter().enumerate() {
            let expected = Duration::from_millis(200 * (i as u64 + 1));
            let got = start.duration_since(t0);
            assert!(
                got.abs_diff(expected) < Duration::from_micros(1),
                "{i}: {got:?}"
            );
        }
    }

    #[test]
    fn no_interval_admits_more_than_the_bucket_allows() {
        // Whatever the asks, the starts in [a, b] never exceed capacity + rate * (b - a).
        let t0 = Instant::now();
        let mut s = full(t0);
        let mut seed = 11u64;
        let mut at = Duration::ZERO;
        let mut starts = Vec::new();
        for _ in 0..300 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            at += Duration::from_millis((seed >> 33) % 120);
            starts.push(s.reserve(&DEF, t0 + at));
        }
        starts.sort();
        for (i, &a) in starts.iter().enumerate() {
            for (j, &b) in starts.iter().enumerate().skip(i) {
                let allowed = f64::from(DEF.capacity)
                    + DEF.refill_per_second * b.duration_since(a).as_secs_f64();
                assert!(
                    (j - i + 1) as f64 <= allowed + 1e-6,
                    "{} starts in {:?}",
                    j - i + 1,
                    b.duration_since(a)
                );
            }
        }
    }

    #[test]
    fn the_providers_count_lowers_ours() {
        let t0 = Instant::now();
        let mut s = full(t0);
        s.lower_to(&DEF, 1, t0);
        assert_eq!(s.reserve(&DEF, t0), t0);
        assert!(
            s.reserve(&DEF, t0) > t0,
            "the second waits: the provider said 1 left"
        );
        // A higher count than ours is not believed.
        let mut s = full(t0);
        for _ in 0..10 {
            s.reserve(&DEF, t0);
        }
        s.lower_to(&DEF, 50, t0);
        assert!(s.reserve(&DEF, t0) > t0);
    }
}
