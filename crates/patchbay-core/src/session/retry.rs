//! The request policy as data: [`classify`] turns what one attempt got back into the next
//! step, and [`Schedule`] bounds the retries in number and time. Neither sends anything, so
//! each rule is tested on its own.

use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::budget::QuotaRefusal;
use crate::error::ApiError;
use crate::http::RetryPolicy;
use crate::session::ApiResponse;

/// What one attempt got back, and what of the call matters to what comes next.
#[derive(Debug)]
pub(crate) struct ResponseFacts<B = Value> {
    pub received: Received<B>,
    /// Whether the call may be sent again (GET); a POST is never repeated after it may have
    /// reached the provider.
    pub idempotent: bool,
    /// Whether the attempt carried an OAuth access token (which a refresh can replace) or a
    /// key (which it cannot).
    pub refreshable: bool,
    /// Whether this call already refreshed once after a 401.
    pub refreshed: bool,
    /// The longest `Retry-After` the call waits for.
    pub max_retry_after: Duration,
}

/// What came back from one attempt.
#[derive(Debug)]
pub(crate) enum Received<B = Value> {
    /// No response (could not connect, timed out, connection broke), described.
    NoResponse(String),
    /// A 2xx whose body was read, with its headers.
    Success { body: Body<B>, headers: HeaderMap },
    /// Any other status. For 429: the daily-quota refusal the budget read in the headers,
    /// and the `Retry-After` they ask for.
    Status {
        status: u16,
        quota: Option<QuotaRefusal>,
        retry_after: Option<Duration>,
    },
}

/// The body of a 2xx: parsed JSON, or (for a caller that parses it itself) its bytes.
#[derive(Debug)]
pub(crate) enum Body<B = Value> {
    Json(B),
    /// Not JSON (the parser's words).
    Malformed(String),
    /// The connection broke while it was read (described).
    Broken(String),
    /// Larger than the provider's `max_body_bytes` (`limit`): reading stopped there.
    TooLarge {
        limit: u64,
        declared: Option<u64>,
    },
}

/// The next step of a call.
#[derive(Debug)]
pub(crate) enum Next<B = Value> {
    /// The call succeeded.
    Done(ApiResponse<B>),
    /// The access token was refused: refresh it (once) and send again.
    Refresh,
    /// Send again after `wait`; `reason` is reported if the retries run out.
    Retry { wait: Wait, reason: String },
    /// The provider refused the request: read its body for the reason, then fail.
    Reject { status: u16 },
    /// Fail with this error.
    Fail(ApiError),
}

/// How long to wait before the next attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// The schedule's exponential backoff with full jitter.
    Backoff,
    /// What the provider asked for (`Retry-After`).
    For(Duration),
}

/// The next step after one attempt. Pure: everything it depends on is in `facts`.
pub(crate) fn classify<B>(facts: ResponseFacts<B>) -> Next<B> {
    let retry_or = |reason: String, fail: ApiError| {
        if facts.idempotent {
            Next::Retry {
                wait: Wait::Backoff,
                reason,
            }
        } else {
            Next::Fail(fail)
        }
    };
    match facts.received {
        Received::NoResponse(detail) => retry_or(detail.clone(), ApiError::Network(detail)),
        Received::Success {
            body: Body::Json(body),
            headers,
        } => Next::Done(ApiResponse { body, headers }),
        Received::Success {
            body: Body::Malformed(e),
            ..
        } => retry_or("malformed JSON body".into(), ApiError::Decode(e)),
        Received::Success {
            body: Body::Broken(detail),
            ..
        } => retry_or(detail.clone(), ApiError::Network(detail)),
        // The same request would bring the same body: never sent again.
        Received::Success {
            body: Body::TooLarge { limit, declared },
            ..
        } => Next::Fail(ApiError::TooLarge {
            what: crate::error::TooLargeWhat::Body,
            limit,
            got: declared,
        }),
        // A key cannot be refreshed, and a token refused right after a refresh is refused.
        Received::Status { status: 401, .. } if !facts.refreshable || facts.refreshed => {
            Next::Fail(ApiError::Unauthorized)
        }
        Received::Status { status: 401, .. } => Next::Refresh,
        Received::Status { status: 403, .. } => Next::Fail(ApiError::Forbidden { status: 403 }),
        // Refused until the daily reset: a pause, not an error to retry.
        Received::Status {
            status: 429,
            quota: Some(refusal),
            ..
        } => Next::Fail(refusal.into()),
        Received::Status {
            status: 429,
            retry_after: Some(d),
            ..
        } if d > facts.max_retry_after => Next::Fail(ApiError::RateLimited {
            retry_after_secs: d.as_secs(),
        }),
        Received::Status {
            status: 429,
            retry_after,
            ..
        } => Next::Retry {
            wait: retry_after.map_or(Wait::Backoff, Wait::For),
            reason: "HTTP 429".into(),
        },
        Received::Status {
            status: status @ (408 | 500..=599),
            ..
        } if facts.idempotent => Next::Retry {
            wait: Wait::Backoff,
            reason: format!("HTTP {status}"),
        },
        Received::Status { status, .. } => Next::Reject { status },
    }
}

/// The retries of one call: at most the policy's attempts, and none that would end after
/// its total time.
#[derive(Debug)]
pub(crate) struct Schedule<'a> {
    policy: &'a RetryPolicy,
    started: Instant,
    attempts: u32,
}

impl<'a> Schedule<'a> {
    pub fn start(policy: &'a RetryPolicy) -> Self {
        Self {
            policy,
            started: Instant::now(),
            attempts: 0,
        }
    }

    /// How long to sleep before the next attempt, or the error that ends the call.
    pub fn next_delay(&mut self, wait: Wait, reason: String) -> Result<Duration, ApiError> {
        let delay = match wait {
            Wait::Backoff => self.policy.backoff(self.attempts),
            Wait::For(d) => d,
        };
        self.attempts += 1;
        if self.attempts >= self.policy.max_attempts
            || self.started.elapsed() + delay > self.policy.max_total
        {
            return Err(ApiError::RetriesExhausted {
                attempts: self.attempts,
                last: reason,
            });
        }
        Ok(delay)
    }

    /// Retries so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

    fn facts(received: Received) -> ResponseFacts {
        ResponseFacts {
            received,
            idempotent: true,
            refreshable: true,
            refreshed: false,
            max_retry_after: MAX_RETRY_AFTER,
        }
    }

    fn status(status: u16) -> Received {
        Received::Status {
            status,
            quota: None,
            retry_after: None,
        }
    }

    fn success(body: Body) -> Received {
        Received::Success {
            body,
            headers: HeaderMap::new(),
        }
    }

    fn post(received: Received) -> ResponseFacts {
        ResponseFacts {
            idempotent: false,
            ..facts(received)
        }
    }

    /// Retried after a backoff when the call is idempotent, else a network failure: both say
    /// `detail`.
    fn retried_only_when_idempotent(received: impl Fn() -> Received, detail: &str) {
        assert!(matches!(
            classify(facts(received())),
            Next::Retry { wait: Wait::Backoff, reason } if reason == detail
        ));
        assert!(matches!(
            classify(post(received())),
            Next::Fail(ApiError::Network(d)) if d == detail
        ));
    }

    #[test]
    fn success_with_json_is_done() {
        let body = serde_json::json!({"data": [1]});
        assert!(matches!(
            classify(facts(success(Body::Json(body.clone())))),
            Next::Done(ApiResponse { body: b, .. }) if b == body
        ));
    }

    #[test]
    fn unreadable_success_is_retried_only_when_idempotent() {
        let malformed = || success(Body::Malformed("expected value".into()));
        assert!(matches!(
            classify(facts(malformed())),
            Next::Retry { wait: Wait::Backoff, reason } if reason == "malformed JSON body"
        ));
        assert!(matches!(
            classify(post(malformed())),
            Next::Fail(ApiError::Decode(e)) if e == "expected value"
        ));
        retried_only_when_idempotent(
            || success(Body::Broken("connection reset".into())),
            "connection reset",
        );
    }

    #[test]
    fn unauthorized_refreshes_once_then_fails() {
        assert!(matches!(classify(facts(status(401))), Next::Refresh));
        let again = ResponseFacts {
            refreshed: true,
            ..facts(status(401))
        };
        assert!(matches!(
            classify(again),
            Next::Fail(ApiError::Unauthorized)
        ));
        // A refused key is refused: nothing to refresh.
        let key = ResponseFacts {
            refreshable: false,
            ..facts(status(401))
        };
        assert!(matches!(classify(key), Next::Fail(ApiError::Unauthorized)));
    }

    #[test]
    fn forbidden_fails_at_once() {
        assert!(matches!(
            classify(facts(status(403))),
            Next::Fail(ApiError::Forbidden { status: 403 })
        ));
    }

    #[test]
    fn too_many_requests_waits_as_asked_or_backs_off() {
        let with = |d: Option<Duration>| Received::Status {
            status: 429,
            quota: None,
            retry_after: d,
        };
        assert!(matches!(
            classify(facts(with(Some(Duration::from_secs(2))))),
            Next::Retry { wait: Wait::For(d), reason } if d == Duration::from_secs(2) && reason == "HTTP 429"
        ));
        assert!(matches!(
            classify(facts(with(None))),
            Next::Retry {
                wait: Wait::Backoff,
                ..
            }
        ));
        // Longer than the call waits: fail now, saying how long.
        assert!(matches!(
            classify(facts(with(Some(Duration::from_secs(61))))),
            Next::Fail(ApiError::RateLimited {
                retry_after_secs: 61
            })
        ));
        // Exactly the longest wait is still waited for.
        assert!(matches!(
            classify(facts(with(Some(MAX_RETRY_AFTER)))),
            Next::Retry { wait: Wait::For(d), .. } if d == MAX_RETRY_AFTER
        ));
        // Even a POST: a 429 means the provider did not do it.
        assert!(matches!(classify(post(with(None))), Next::Retry { .. }));
    }

    #[test]
    fn daily_quota_refusal_fails_until_the_reset() {
        let now = time::OffsetDateTime::UNIX_EPOCH;
        let refusal = QuotaRefusal {
            limit: 1000,
            resets_at: now + time::Duration::hours(3),
            refused_at: now,
        };
        let got = classify(facts(Received::Status {
            status: 429,
            quota: Some(refusal),
            retry_after: Some(Duration::from_secs(1)),
        }));
        assert!(
            matches!(
                got,
                Next::Fail(ApiError::QuotaExhausted { limit: 1000, .. })
            ),
            "{got:?}"
        );
    }

    #[test]
    fn server_errors_and_timeouts_are_retried_only_when_idempotent() {
        for s in [408, 500, 502, 503, 599] {
            assert!(matches!(
                classify(facts(status(s))),
                Next::Retry { wait: Wait::Backoff, reason } if reason == format!("HTTP {s}")
            ));
            assert!(matches!(classify(post(status(s))), Next::Reject { status } if status == s));
        }
    }

    #[test]
    fn other_statuses_are_rejected_with_their_body() {
        for s in [400, 404, 409, 422, 302] {
            assert!(matches!(classify(facts(status(s))), Next::Reject { status } if status == s));
        }
    }

    #[test]
    fn network_errors_are_retried_only_when_idempotent() {
        retried_only_when_idempotent(
            || Received::NoResponse("could not connect: refused".into()),
            "could not connect: refused",
        );
    }

    #[test]
    fn the_schedule_stops_after_the_last_attempt() {
        let policy = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
            max_total: Duration::from_secs(3600),
            max_retry_after: MAX_RETRY_AFTER,
        };
        let mut s = Schedule::start(&policy);
        assert!(s.next_delay(Wait::Backoff, "HTTP 503".into()).unwrap() <= policy.max_delay);
        assert_eq!(
            s.next_delay(Wait::For(Duration::from_secs(2)), "HTTP 429".into())
                .unwrap(),
            Duration::from_secs(2)
        );
        assert!(matches!(
            s.next_delay(Wait::Backoff, "HTTP 502".into()),
            Err(ApiError::RetriesExhausted { attempts: 3, last }) if last == "HTTP 502"
        ));
    }

    #[test]
    fn the_schedule_does_not_wait_past_its_total_time() {
        let policy = RetryPolicy {
            max_total: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let mut s = Schedule::start(&policy);
        assert!(matches!(
            s.next_delay(Wait::For(Duration::from_secs(11)), "HTTP 429".into()),
            Err(ApiError::RetriesExhausted { attempts: 1, .. })
        ));
    }
}
