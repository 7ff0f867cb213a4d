//! HTTP plumbing: the client builder (redirects off, timeouts), the retry policy with
//! exponential backoff and full jitter, `Retry-After`, a rate limiter, and the adapter that
//! lets the oauth2 crate talk through our reqwest client.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;

use crate::providers::RateLimit;

/// Timeouts and retries of API calls.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// Bounded retries: at most `max_attempts` tries and `max_total` time overall.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    pub max_total: Duration,
    /// The longest `Retry-After` honoured; a longer one fails the call at once.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_total: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a uniform delay in `0..=min(max_delay, base * 2^attempt)`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt.min(30)).unwrap_or(u32::MAX));
        let cap = exp.min(self.max_delay);
        let nanos = cap.as_nanos().min(u128::from(u64::MAX)) as u64;
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(rand::thread_rng().gen_range(0..=nanos))
    }
}

/// `Retry-After`: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The cap on an OAuth server's answers (token, metadata, registration): a few hundred bytes
/// each, so 1 MiB is generous.
pub const OAUTH_BODY_CAP: u64 = 1024 * 1024;

/// Why [`read_capped`] stopped.
#[derive(Debug)]
pub enum CappedReadError {
    /// The body is larger than the cap: by its `Content-Length` (`declared`), or found while
    /// reading (then only the cap and one chunk were read).
    TooLarge { declared: Option<u64> },
    /// The connection broke while the body was read.
    Broken(reqwest::Error),
}

/// Reads a response body of at most `cap` bytes, chunk by chunk, and stops as soon as it
/// would pass the cap: a provider's `Content-Length` (or its lack) never decides how much
/// is held in memory, and a larger declared length is refused before reading anything.
pub async fn read_capped(
    mut resp: reqwest::Response,
    cap: u64,
) -> Result<Vec<u8>, CappedReadError> {
    let declared = resp.content_length();
    if let Some(len) = declared.filter(|&len| len > cap) {
        return Err(CappedReadError::TooLarge {
            declared: Some(len),
        });
    }
    // Sized from the declared length only up to a small bound: it is the provider's word.
    let start = declared.unwrap_or(0).min(cap).min(1024 * 1024);
    let mut body = Vec::with_capacity(usize::try_from(start).unwrap_or(0));
    while let Some(chunk) = resp.chunk().await.map_err(CappedReadError::Broken)? {
        let len = (body.len() as u64).saturating_add(chunk.len() as u64);
        if len > cap {
            return Err(CappedReadError::TooLarge { declared: None });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A reqwest client: HTTP redirects off (RFC 9700: never follow redirects from the token
/// endpoint), connect and request timeouts.
pub fn build_client(settings: &HttpSettings) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.request_timeout)
        .user_agent(concat!("Patchbay/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a reqwest client with these settings builds")
}

/// Keeps request starts within the provider's rate: at most `requests` starts in any window of
/// `per_seconds` (a sliding window, so it also satisfies fixed windows and token buckets of that
/// rate). Unlike even spacing, a short burst (the account look-up, then the first page) goes
/// at once.
#[derive(Debug)]
pub struct RateLimiter {
    max: usize,
    window: Duration,
    /// The last `max` reserved starts, oldest first.
    starts: tokio::sync::Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    pub fn new(limit: &RateLimit) -> Self {
        Self {
            max: limit.requests as usize,
            window: limit.window(),
            starts: tokio::sync::Mutex::new(VecDeque::new()),
        }
    }

    fn unlimited(&self) -> bool {
        self.max == 0 || self.window.is_zero()
    }

    /// Reserves the earliest start at or after `now` that keeps the limit.
    fn reserve(
        starts: &mut VecDeque<Instant>,
        max: usize,
        window: Duration,
        now: Instant,
    ) -> Instant {
        let start = if starts.len() < max {
            now
        } else {
            let oldest = starts.pop_front().unwrap_or(now);
            (oldest + window).max(now)
        };
        starts.push_back(start);
        start
    }

    pub async fn acquire(&self) {
        if self.unlimited() {
            return;
        }
        let wait = {
            let mut starts = self.starts.lock().await;
            let now = Instant::now();
            Self::reserve(&mut starts, self.max, self.window, now).saturating_duration_since(now)
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The oauth2 crate's HTTP client over our reqwest client. A 5xx from the token endpoint is
/// reported as [`TokenHttpError::Status`] so a refresh can tell "server trouble" (keep the
/// tokens) from `invalid_grant` (drop them).
#[derive(Debug, Clone)]
pub struct TokenHttp {
    pub client: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenHttpError {
    #[error("network error talking to the token endpoint: {0}")]
    Network(#[source] reqwest::Error),
    #[error("the token endpoint answered HTTP {0}")]
    Status(u16),
    #[error("could not build the token request: {0}")]
    Build(String),
    #[error("the token endpoint's answer is larger than {OAUTH_BODY_CAP} bytes")]
    TooLarge,
}

impl<'c> oauth2::AsyncHttpClient<'c> for TokenHttp {
    type Error = TokenHttpError;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = parts.uri.to_string();
            let mut req = self.client.request(parts.method, url).body(body);
            for (name, value) in parts.headers.iter() {
                req = req.header(name, value);
            }
            let resp = req.send().await.map_err(TokenHttpError::Network)?;
            let status = resp.status();
            if status.is_server_error() {
                return Err(TokenHttpError::Status(status.as_u16()));
            }
            let mut builder = oauth2::http::Response::builder().status(status.as_u16());
            for (name, value) in resp.headers().iter() {
                builder = builder.header(name.as_str(), value.as_bytes());
            }
            let bytes = read_capped(resp, OAUTH_BODY_CAP)
                .await
                .map_err(|e| match e {
                    CappedReadError::TooLarge { .. } => TokenHttpError::TooLarge,
                    CappedReadError::Broken(e) => TokenHttpError::Network(e),
                })?;
            builder
                .body(bytes)
                .map_err(|e| TokenHttpError::Build(e.to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    /// Start times for requests asked for at `asks` (sorted) under `max` per `window`.
    fn schedule(asks: &[Instant], max: usize, window: Duration) -> Vec<Instant> {
        let mut starts = VecDeque::new();
        asks.iter()
            .map(|&now| RateLimiter::reserve(&mut starts, max, window, now))
            .collect()
    }

    #[test]
    fn a_burst_up_to_the_rate_goes_at_once_then_waits_for_the_window() {
        let t0 = Instant::now();
        let second = Duration::from_secs(1);
        let got = schedule(&[t0; 12], 10, second);
        assert!(
            got[..10].iter().all(|&t| t == t0),
            "the first 10 start at once"
        );
        assert_eq!(got[10], t0 + second);
        assert_eq!(got[11], t0 + second);
        // After a quiet window, a new burst goes at once again.
        let later = t0 + Duration::from_secs(5);
        let mut starts = VecDeque::new();
        for t in &got {
            RateLimiter::reserve(&mut starts, 10, second, *t);
        }
        assert_eq!(RateLimiter::reserve(&mut starts, 10, second, later), later);
    }

    #[test]
    fn no_window_ever_holds_more_than_the_rate() {
        // Requests asked for at uneven times, some in bursts.
        let t0 = Instant::now();
        let mut asks = Vec::new();
        let mut seed = 7u64;
        let mut at = Duration::ZERO;
        for _ in 0..400 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            at += Duration::from_millis((seed >> 33) % 90);
            asks.push(t0 + at);
        }
        let (max, window) = (5, Duration::from_millis(500));
        let got = schedule(&asks, max, window);
        for (ask, start) in asks.iter().zip(&got) {
            assert!(start >= ask, "never before it was asked for");
        }
        for (i, &s) in got.iter().enumerate() {
            let inside = got[i..].iter().take_while(|&&t| t < s + window).count();
            assert!(
                inside <= max,
                "{inside} starts within one window from start {i}"
            );
        }
    }

    #[test]
    fn zero_requests_or_zero_period_means_no_pacing() {
        for (requests, per_seconds) in [(0, 1.0), (10, 0.0)] {
            let limiter = RateLimiter::new(&RateLimit {
                requests,
                per_seconds,
                concurrency: 1,
                ..Default::default()
            });
            assert!(limiter.unlimited());
        }
        let huge = RateLimiter::new(&RateLimit {
            requests: 1,
            per_seconds: f64::INFINITY,
            concurrency: 1,
            ..Default::default()
        });
        assert_eq!(huge.window, Duration::from_secs(86_400));
    }

    #[test]
    fn backoff_is_bounded() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..Default::default()
        };
        for attempt in 0..40 {
            let d = p.backoff(attempt);
            assert!(d <= Duration::from_secs(1));
            assert!(d <= Duration::from_millis(100) * 2u32.saturating_pow(attempt.min(20)));
        }
    }
}
