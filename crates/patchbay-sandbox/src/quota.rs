//! Daily request quotas per credential (an API key, or one OAuth grant), reset at 00:00 UTC
//! by the sandbox clock, as WhatConverts documents for its keys (1,000 a day per profile key).

use parking_lot::Mutex;
use std::collections::HashMap;

use crate::clock::next_utc_midnight;
use crate::providers::Provider;

/// Where a counted request stands after it was let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaLeft {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds of the next reset.
    pub reset: i64,
}

/// A request over the day's quota: refused until `reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaExceeded {
    pub limit: u32,
    pub reset: i64,
}

#[derive(Debug, Default)]
pub struct Quotas {
    limits: Mutex<HashMap<Provider, u32>>,
    /// (provider, grant) -> (UTC day number, requests let through that day).
    used: Mutex<HashMap<(Provider, u64), (i64, u32)>>,
}

impl Quotas {
    pub fn new(limits: HashMap<Provider, u32>) -> Quotas {
        Quotas {
            limits: Mutex::new(limits),
            used: Mutex::default(),
        }
    }

    pub fn set(&self, provider: Provider, per_day: Option<u32>) {
        let mut limits = self.limits.lock();
        match per_day {
            Some(n) => limits.insert(provider, n),
            None => limits.remove(&provider),
        };
    }

    /// Counts one request of `grant` at `now` (unix seconds). `Ok(None)` when the provider has
    /// no quota; a refused request is not counted.
    pub fn check(
        &self,
        provider: Provider,
        grant: u64,
        now: i64,
    ) -> Result<Option<QuotaLeft>, QuotaExceeded> {
        let Some(limit) = self.limits.lock().get(&provider).copied() else {
            return Ok(None);
        };
        let day = now.div_euclid(86_400);
        let reset = next_utc_midnight(now);
        let mut used = self.used.lock();
        let entry = used.entry((provider, grant)).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        if entry.1 >= limit {
            return Err(QuotaExceeded { limit, reset });
        }
        entry.1 += 1;
        Ok(Some(QuotaLeft {
            limit,
            remaining: limit - entry.1,
            reset,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_holds_the_limit_then_midnight_resets_it() {
        let q = Quotas::default();
        let p = Provider::WhatConverts;
        let noon = 20_000 * 86_400 + 43_200;
        assert_eq!(q.check(p, 1, noon), Ok(None));
        q.set(p, Some(3));
        for remaining in [2, 1, 0] {
            assert_eq!(q.check(p, 1, noon).unwrap().unwrap().remaining, remaining);
        }
        let refused = q.check(p, 1, noon + 43_199).unwrap_err();
        assert_eq!(refused.reset, 20_001 * 86_400);
        // Another credential has its own count.
        assert!(q.check(p, 2, noon).is_ok());
        assert_eq!(q.check(p, 1, refused.reset).unwrap().unwrap().remaining, 2);
        q.set(p, None);
        assert_eq!(q.check(p, 1, noon), Ok(None));
    }
}
