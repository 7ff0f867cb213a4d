//! HTTP plumbing: the client builder (redirects off, timeouts), the retry policy with
//! exponential backoff and full jitter, `Retry-After`, a rate limiter, and the adapter that
//! lets the oauth2 crate talk through our reqwest client.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;

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

/// Spaces request starts by the provider's rate: at most one start per `interval`.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next: tokio::sync::Mutex<Instant>,
}

impl RateLimiter {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            next: tokio::sync::Mutex::new(Instant::now()),
        }
    }

    pub async fn acquire(&self) {
        if self.interval.is_zero() {
            return;
        }
        let wait = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let start = (*next).max(now);
            *next = start + self.interval;
            start - now
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
            let bytes = resp.bytes().await.map_err(TokenHttpError::Network)?;
            builder
                .body(bytes.to_vec())
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
