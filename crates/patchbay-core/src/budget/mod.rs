//! Request budgets from each provider's documented limits: every API request of a connection
//! passes one gate ([`Budget::admit`]) that keeps the sliding window, the token bucket and the
//! daily quota, and reads the limit headers the provider answers with.

pub mod bucket;
pub mod clock;
pub mod ledger;
pub mod limits;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Serialize;
use ts_rs::TS;

use crate::http::{parse_retry_after, RateLimiter};
use crate::providers::RateLimit;
pub use bucket::TokenBucket;
pub use clock::Clock;
pub use ledger::{QuotaRefusal, Usage, UsageKey, UsageLedger};

/// "N of M requests left today" for a provider with a daily quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct BudgetView {
    pub used: u32,
    pub limit: u32,
    pub remaining: u32,
    /// When today's quota starts again (RFC 3339, UTC).
    pub resets_at: String,
}

impl From<Usage> for BudgetView {
    fn from(u: Usage) -> Self {
        Self {
            used: u.used,
            limit: u.limit,
            remaining: u.remaining(),
            resets_at: rfc3339(u.resets_at),
        }
    }
}

pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// One connection's gate.
#[derive(Debug)]
pub struct Budget {
    limit: RateLimit,
    window: RateLimiter,
    bucket: Option<TokenBucket>,
    ledger: Arc<UsageLedger>,
    key: UsageKey,
}

impl Budget {
    pub fn new(limit: &RateLimit, ledger: Arc<UsageLedger>, key: UsageKey) -> Self {
        Self {
            window: RateLimiter::new(limit),
            bucket: limit.bucket.map(TokenBucket::new),
            limit: limit.clone(),
            ledger,
            key,
        }
    }

    pub fn key(&self) -> &UsageKey {
        &self.key
    }

    /// Waits until one more request keeps every limit, and counts it. Refuses at once, sending
    /// nothing, when today's quota is used: waiting hours inside a request helps nobody.
    pub async fn admit(&self) -> Result<(), QuotaRefusal> {
        if let Some(quota) = &self.limit.daily {
            self.ledger.take(&self.key, quota)?;
        }
        if let Some(bucket) = &self.bucket {
            bucket.acquire().await;
        }
        self.window.acquire().await;
        Ok(())
    }

    /// Reads the provider's "remaining" headers (from any answer, 429 included).
    pub fn observe(&self, headers: &HeaderMap) {
        let count = |h: &Option<limits::LimitHeader>| {
            h.as_ref()
                .and_then(|h| headers.get(&h.0))
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u32>().ok())
        };
        if let (Some(quota), Some(left)) = (
            &self.limit.daily,
            count(&self.limit.headers.remaining_daily),
        ) {
            self.ledger.lower_remaining(&self.key, quota, left);
        }
        if let (Some(bucket), Some(left)) =
            (&self.bucket, count(&self.limit.headers.remaining_bucket))
        {
            bucket.lower_to(left);
        }
    }

    /// How long a 429 asks to wait: the provider's retry-after header, the standard one, or
    /// its reset header (seconds), in that order.
    pub fn retry_after(&self, headers: &HeaderMap) -> Option<Duration> {
        let h = &self.limit.headers;
        let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
        text(&h.retry_after.0)
            .or_else(|| text(&RETRY_AFTER))
            .and_then(|v| parse_retry_after(v, SystemTime::now()))
            .or_else(|| {
                let reset = h.reset.as_ref().and_then(|r| text(&r.0))?;
                reset.trim().parse::<u64>().ok().map(Duration::from_secs)
            })
    }

    /// Whether a 429 means today's quota is used: the provider's count says none is left, or it
    /// asks to wait until the reset (within a minute, for the two clocks and the time the
    /// answer took; a longer or shorter wait is another limit). Then the ledger believes it
    /// too, and the refusal says when to go on: another app spending the same key ends here.
    pub fn refused_for_the_day(&self, headers: &HeaderMap) -> Option<QuotaRefusal> {
        let quota = self.limit.daily.as_ref()?;
        let now = self.ledger.clock().now();
        let resets_at = quota.next_reset(now);
        let until_reset = resets_at - now;
        let waits_for_the_reset = self.retry_after(headers).is_some_and(|d| {
            time::Duration::try_from(d)
                .is_ok_and(|d| (d - until_reset).abs() <= time::Duration::MINUTE)
        });
        let none_left = self.ledger.usage(&self.key, quota).remaining() == 0;
        if !(waits_for_the_reset || none_left) {
            return None;
        }
        self.ledger.lower_remaining(&self.key, quota, 0);
        Some(QuotaRefusal {
            limit: quota.requests,
            resets_at,
            refused_at: now,
        })
    }

    /// Today's usage, when the provider has a daily quota.
    pub fn usage(&self) -> Option<Usage> {
        self.limit
            .daily
            .as_ref()
            .map(|q| self.ledger.usage(&self.key, q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::limits::{DailyQuota, LimitHeader, LimitHeaders, ResetTime};
    use reqwest::header::{HeaderName, HeaderValue};
    use time::macros::datetime;

    fn budget(headers: LimitHeaders) -> Budget {
        let limit = RateLimit {
            requests: 0,
            daily: Some(DailyQuota {
                requests: 1000,
                resets_at: ResetTime::try_from("00:00 UTC".to_string()).unwrap(),
            }),
            headers,
            ..Default::default()
        };
        let clock = Clock::from_fn(|| datetime!(2026-11-30 12:00 UTC));
        let key = UsageKey {
            namespace: "t".into(),
            provider: "whatconverts".into(),
            account: "a".into(),
        };
        Budget::new(&limit, Arc::new(UsageLedger::memory(clock)), key)
    }

    fn header(name: &'static str, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
        h
    }

    #[tokio::test]
    async fn the_remaining_header_lowers_todays_count_and_can_stop_the_next_request() {
        let b = budget(LimitHeaders {
            remaining_daily: Some(LimitHeader(HeaderName::from_static("x-left"))),
            ..Default::default()
        });
        b.admit().await.unwrap();
        assert_eq!(b.usage().unwrap().remaining(), 999);
        b.observe(&header("x-left", "250"));
        assert_eq!(b.usage().unwrap().remaining(), 250);
        // Other headers and unreadable values change nothing.
        b.observe(&header("x-other", "3"));
        b.observe(&header("x-left", "soon"));
        assert_eq!(b.usage().unwrap().remaining(), 250);
        b.observe(&header("x-left", "0"));
        let refusal = b.admit().await.unwrap_err();
        assert_eq!(refusal.resets_at, datetime!(2026-12-01 00:00 UTC));
    }

    #[tokio::test]
    async fn a_429_that_waits_for_the_reset_means_the_day_is_used() {
        let b = budget(LimitHeaders::default());
        b.admit().await.unwrap();
        // A short wait is the per-second limit, a longer one than the reset another limit.
        assert_eq!(b.refused_for_the_day(&header("retry-after", "2")), None);
        assert_eq!(b.refused_for_the_day(&header("retry-after", "86400")), None);
        assert_eq!(b.usage().unwrap().remaining(), 999);
        // Until midnight (12 h from the clock's noon, give or take the clocks) is the day's.
        let refusal = b
            .refused_for_the_day(&header("retry-after", "43190"))
            .unwrap();
        assert_eq!(refusal.resets_at, datetime!(2026-12-01 00:00 UTC));
        assert_eq!(b.usage().unwrap().remaining(), 0);
        assert!(b.admit().await.is_err(), "nothing more is sent today");
    }

    #[tokio::test]
    async fn a_429_when_the_provider_counted_none_left_is_the_days() {
        let b = budget(LimitHeaders {
            remaining_daily: Some(LimitHeader(HeaderName::from_static("x-left"))),
            ..Default::default()
        });
        let mut h = header("x-left", "0");
        h.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        b.observe(&h);
        assert!(b.refused_for_the_day(&h).is_some());
        // Without a daily quota a 429 is never the day's.
        let plain = Budget::new(
            &RateLimit::default(),
            Arc::new(UsageLedger::memory(Clock::system())),
            b.key().clone(),
        );
        assert_eq!(
            plain.refused_for_the_day(&header("retry-after", "86400")),
            None
        );
    }

    #[tokio::test]
    async fn without_a_named_header_nothing_is_read() {
        let b = budget(LimitHeaders::default());
        b.admit().await.unwrap();
        b.observe(&header("x-left", "0"));
        assert_eq!(b.usage().unwrap().remaining(), 999);
    }

    #[test]
    fn retry_after_prefers_the_named_header_then_the_standard_then_reset() {
        let b = budget(LimitHeaders {
            retry_after: LimitHeader(HeaderName::from_static("x-ratelimit-retry-after")),
            reset: Some(LimitHeader(HeaderName::from_static("x-reset"))),
            ..Default::default()
        });
        let mut h = header("x-ratelimit-retry-after", "7");
        h.insert(RETRY_AFTER, HeaderValue::from_static("9"));
        assert_eq!(b.retry_after(&h), Some(Duration::from_secs(7)));
        h.remove("x-ratelimit-retry-after");
        assert_eq!(b.retry_after(&h), Some(Duration::from_secs(9)));
        assert_eq!(
            b.retry_after(&header("x-reset", "4")),
            Some(Duration::from_secs(4))
        );
        assert_eq!(b.retry_after(&HeaderMap::new()), None);
    }
}
