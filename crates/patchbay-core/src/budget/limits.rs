//! The typed parts of a provider's `rate_limit` definition beyond the sliding window: a token
//! bucket, a daily quota with its reset time, and the names of the limit headers. Each is
//! checked when the definition loads, so a wrong number or name is a load error naming the key,
//! not a surprise during a sync.

use std::fmt;

use reqwest::header::HeaderName;
use serde::Deserialize;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, Time, UtcOffset};

use crate::providers::RateLimit;

/// A token bucket: `capacity` requests at once, refilled at `refill_per_second`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBucketDef {
    pub capacity: u32,
    pub refill_per_second: f64,
}

/// A number of requests per day; the day starts again at `resets_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyQuota {
    pub requests: u32,
    pub resets_at: ResetTime,
}

/// A time of day at a fixed UTC offset, written `"00:00 UTC"` or `"06:30 +02:00"`. A fixed
/// offset, not a named zone: the providers documented so far reset at midnight UTC, and a fixed
/// offset has no daylight-saving jumps to get wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ResetTime {
    pub time: Time,
    pub offset: UtcOffset,
}

impl TryFrom<String> for ResetTime {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let bad = || {
            format!("resets_at {text:?} must be a time of day and a zone, like \"00:00 UTC\" or \"06:30 +02:00\"")
        };
        let (clock, zone) = text.trim().split_once(' ').ok_or_else(bad)?;
        let time = Time::parse(clock, format_description!("[hour]:[minute]")).map_err(|_| bad())?;
        let offset = match zone.trim() {
            "UTC" | "Z" => UtcOffset::UTC,
            z => UtcOffset::parse(
                z,
                format_description!("[offset_hour sign:mandatory]:[offset_minute]"),
            )
            .map_err(|_| bad())?,
        };
        Ok(Self { time, offset })
    }
}

impl fmt::Display for ResetTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02} ", self.time.hour(), self.time.minute())?;
        if self.offset == UtcOffset::UTC {
            f.write_str("UTC")
        } else {
            let (h, m, _) = self.offset.as_hms();
            let sign = if self.offset.is_negative() { '-' } else { '+' };
            write!(f, "{sign}{:02}:{:02}", h.abs(), m.abs())
        }
    }
}

impl DailyQuota {
    /// When the quota day holding `now` began (the last reset at or before `now`), in UTC.
    pub fn day_start(&self, now: OffsetDateTime) -> OffsetDateTime {
        let local = now.to_offset(self.resets_at.offset);
        let reset = local.replace_time(self.resets_at.time);
        let start = if reset > local {
            reset - Duration::DAY
        } else {
            reset
        };
        start.to_offset(UtcOffset::UTC)
    }

    /// The next reset after `now`, in UTC.
    pub fn next_reset(&self, now: OffsetDateTime) -> OffsetDateTime {
        self.day_start(now) + Duration::DAY
    }
}

/// A header name checked at load (`#[serde(try_from)]`), so a typo is a load error.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct LimitHeader(pub HeaderName);

impl TryFrom<String> for LimitHeader {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        HeaderName::from_bytes(name.as_bytes())
            .map(Self)
            .map_err(|_| format!("{name:?} is not an HTTP header name"))
    }
}

/// The headers a provider reports its limits in. Each "remaining" header says which limit it
/// counts, so the daily quota is never lowered by a per-second count or the other way round.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitHeaders {
    /// Requests left today (needs `daily`).
    #[serde(default)]
    pub remaining_daily: Option<LimitHeader>,
    /// Tokens left in the bucket (needs `bucket`).
    #[serde(default)]
    pub remaining_bucket: Option<LimitHeader>,
    /// Seconds until the limit that refused a request (429) lets requests through again; read
    /// when the retry-after header is missing.
    #[serde(default)]
    pub reset: Option<LimitHeader>,
    /// How long to wait after a 429 (seconds or an HTTP date). The standard `Retry-After` is
    /// also read when the provider names another one.
    #[serde(default = "standard_retry_after")]
    pub retry_after: LimitHeader,
}

fn standard_retry_after() -> LimitHeader {
    LimitHeader(reqwest::header::RETRY_AFTER)
}

impl Default for LimitHeaders {
    fn default() -> Self {
        Self {
            remaining_daily: None,
            remaining_bucket: None,
            reset: None,
            retry_after: standard_retry_after(),
        }
    }
}

impl RateLimit {
    /// Load-time checks; the error names the definition key and says what is allowed.
    pub(crate) fn check(&self) -> Result<(), (String, String)> {
        let err = |key: &str, msg: &str| Err((key.to_string(), msg.to_string()));
        if !(0.0..=86_400.0).contains(&self.per_seconds) {
            return err(
                "rate_limit",
                "rate_limit per_seconds must be a number of seconds from 0 to 86400",
            );
        }
        if let Some(b) = &self.bucket {
            if b.capacity == 0 {
                return err(
                    "rate_limit.bucket",
                    "rate_limit.bucket capacity must be at least 1",
                );
            }
            if !(b.refill_per_second.is_finite() && b.refill_per_second > 0.0) {
                return err(
                    "rate_limit.bucket",
                    "rate_limit.bucket refill_per_second must be a positive number",
                );
            }
        }
        if self.daily.is_some_and(|d| d.requests == 0) {
            return err(
                "rate_limit.daily",
                "rate_limit.daily requests must be at least 1",
            );
        }
        if self.max_page_size == Some(0) {
            return err(
                "rate_limit.max_page_size",
                "rate_limit.max_page_size must be at least 1",
            );
        }
        if self.headers.remaining_daily.is_some() && self.daily.is_none() {
            return err(
                "rate_limit.headers",
                "rate_limit.headers remaining_daily needs a rate_limit.daily quota",
            );
        }
        if self.headers.remaining_bucket.is_some() && self.bucket.is_none() {
            return err(
                "rate_limit.headers",
                "rate_limit.headers remaining_bucket needs a rate_limit.bucket",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn quota(resets_at: &str) -> DailyQuota {
        DailyQuota {
            requests: 1000,
            resets_at: ResetTime::try_from(resets_at.to_string()).unwrap(),
        }
    }

    #[test]
    fn reset_times_parse_and_print() {
        for text in ["00:00 UTC", "06:30 +02:00", "23:15 -05:00"] {
            let r = ResetTime::try_from(text.to_string()).unwrap();
            assert_eq!(r.to_string(), text);
        }
        assert_eq!(
            ResetTime::try_from("00:00 Z".to_string())
                .unwrap()
                .to_string(),
            "00:00 UTC"
        );
        for bad in [
            "midnight",
            "00:00",
            "24:00 UTC",
            "00:00 Europe/Paris",
            "0:00 +2",
        ] {
            let e = ResetTime::try_from(bad.to_string()).unwrap_err();
            assert!(e.contains("\"00:00 UTC\""), "{bad}: {e}");
        }
    }

    #[test]
    fn the_built_in_definitions_carry_the_documented_limits() {
        let defs = crate::providers::builtin();
        let limit = |id: &str| defs.iter().find(|d| d.id == id).unwrap().rate_limit.clone();
        let wc = limit("whatconverts");
        assert_eq!(wc.daily, Some(quota("00:00 UTC")));
        assert_eq!(wc.max_page_size, Some(2500));
        let eo = limit("emailoctopus");
        assert_eq!(
            eo.bucket,
            Some(TokenBucketDef {
                capacity: 100,
                refill_per_second: 10.0
            })
        );
        assert_eq!(eo.daily, None);
        assert_eq!(
            eo.headers.remaining_bucket.map(|h| h.0),
            Some(HeaderName::from_static("x-ratelimiting-remaining"))
        );
        assert_eq!(
            eo.headers.retry_after.0,
            HeaderName::from_static("x-ratelimit-retry-after")
        );
        for id in ["clickfunnels", "webinargeek", "boomtown"] {
            let l = limit(id);
            assert!(
                l.daily.is_none() && l.bucket.is_none(),
                "{id}: nothing published"
            );
            assert_eq!(l.headers, LimitHeaders::default());
        }
    }

    /// whatconverts.toml with its `rate_limit` line replaced.
    fn load_with(rate_limit: &str) -> Result<RateLimit, crate::providers::DefinitionError> {
        let text = include_str!("../../providers/whatconverts.toml");
        let line = text
            .lines()
            .find(|l| l.starts_with("rate_limit = "))
            .unwrap();
        let text = text.replace(line, &format!("rate_limit = {rate_limit}"));
        crate::providers::parse_definition(std::path::Path::new("w.toml"), &text)
            .map(|d| d.rate_limit)
    }

    #[test]
    fn bad_limits_are_refused_at_load_with_the_key_and_the_fix() {
        // The old form still loads, with no daily quota, bucket or headers.
        let old = load_with("{ requests = 10, per_seconds = 1.0, concurrency = 4 }").unwrap();
        assert_eq!(
            old,
            RateLimit {
                requests: 10,
                per_seconds: 1.0,
                concurrency: 4,
                ..Default::default()
            }
        );
        let w = "requests = 10, per_seconds = 1.0";
        for (limits, says) in [
            (format!("{{ {w}, bucket = {{ capacity = 0, refill_per_second = 1.0 }} }}"), "capacity must be at least 1"),
            (format!("{{ {w}, bucket = {{ capacity = 5, refill_per_second = 0.0 }} }}"), "refill_per_second must be a positive number"),
            (format!("{{ {w}, daily = {{ requests = 0, resets_at = \"00:00 UTC\" }} }}"), "daily requests must be at least 1"),
            (format!("{{ {w}, daily = {{ requests = 10, resets_at = \"midnight\" }} }}"), "like \"00:00 UTC\""),
            (format!("{{ {w}, max_page_size = 0 }}"), "max_page_size must be at least 1"),
            (format!("{{ {w}, headers = {{ remaining_daily = \"X-Left\" }} }}"), "needs a rate_limit.daily quota"),
            (format!("{{ {w}, headers = {{ remaining_bucket = \"X-Left\" }} }}"), "needs a rate_limit.bucket"),
            (format!("{{ {w}, headers = {{ reset = \"Bad Header\" }} }}"), "is not an HTTP header name"),
            (format!("{{ {w}, daily = {{ requests = 10, resets_at = \"00:00 UTC\", kind = \"x\" }} }}"), "unknown field"),
        ] {
            let e = load_with(&limits).unwrap_err();
            assert!(e.message.contains(says), "{limits}: {e}");
        }
    }

    #[test]
    fn the_quota_day_runs_from_reset_to_reset() {
        let q = quota("00:00 UTC");
        let now = datetime!(2026-11-30 21:48 UTC);
        assert_eq!(q.day_start(now), datetime!(2026-11-30 00:00 UTC));
        assert_eq!(q.next_reset(now), datetime!(2026-12-01 00:00 UTC));
        // The reset instant itself belongs to the new day.
        let midnight = datetime!(2026-12-01 00:00 UTC);
        assert_eq!(q.day_start(midnight), midnight);
        // Another zone: 06:30 at +02:00 is 04:30 UTC.
        let q = quota("06:30 +02:00");
        assert_eq!(
            q.day_start(datetime!(2026-11-30 03:00 UTC)),
            datetime!(2026-11-29 04:30 UTC)
        );
        assert_eq!(
            q.next_reset(datetime!(2026-11-30 05:00 UTC)),
            datetime!(2026-12-01 04:30 UTC)
        );
    }
}
