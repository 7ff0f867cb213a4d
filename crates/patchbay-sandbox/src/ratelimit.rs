//! Per-(provider, grant) token buckets: a client gets `burst` calls at once, then
//! `per_second`, and a 429 with `Retry-After` beyond that.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::providers::{Provider, RateLimit};

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<(Provider, u64), Bucket>>,
}

impl RateLimiter {
    /// Ok(calls left in the bucket) when the call may proceed, or Err(time until one more
    /// call is allowed).
    pub fn check(&self, provider: Provider, grant_id: u64) -> Result<u32, Duration> {
        self.check_at(provider, grant_id, provider.rate_limit(), Instant::now())
    }

    fn check_at(
        &self,
        provider: Provider,
        grant_id: u64,
        limit: RateLimit,
        now: Instant,
    ) -> Result<u32, Duration> {
        let mut buckets = self.buckets.lock();
        let bucket = buckets.entry((provider, grant_id)).or_insert(Bucket {
            tokens: f64::from(limit.burst),
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens =
            (bucket.tokens + elapsed * f64::from(limit.per_second)).min(f64::from(limit.burst));
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(bucket.tokens.floor() as u32)
        } else {
            let missing = 1.0 - bucket.tokens;
            Err(Duration::from_secs_f64(
                missing / f64::from(limit.per_second),
            ))
        }
    }
}

/// `Retry-After` in whole seconds, never 0 (0 would invite an immediate retry storm).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill() {
        let rl = RateLimiter::default();
        let limit = RateLimit {
            burst: 3,
            per_second: 2,
        };
        let t0 = Instant::now();
        let p = Provider::BoomTown;
        for _ in 0..3 {
            assert!(rl.check_at(p, 1, limit, t0).is_ok());
        }
        let wait = rl.check_at(p, 1, limit, t0).unwrap_err();
        assert!(wait <= Duration::from_millis(500) && wait > Duration::ZERO);
        // Another grant has its own bucket.
        assert!(rl.check_at(p, 2, limit, t0).is_ok());
        assert!(rl
            .check_at(p, 1, limit, t0 + Duration::from_millis(500))
            .is_ok());
        assert!(rl
            .check_at(p, 1, limit, t0 + Duration::from_millis(500))
            .is_err());
        assert_eq!(retry_after_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
    }
}
