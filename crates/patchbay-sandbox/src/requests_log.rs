//! The log of requests received, so tests can assert what a client did and did not send.
//! It never holds a token, code or verifier.

use parking_lot::Mutex;
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// One request as `/_sandbox/requests` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// The query string with secret-bearing parameters' values replaced by `REDACTED`.
    #[serde(default)]
    pub query: Option<String>,
    /// `grant_type` of a token request.
    pub grant_type: Option<String>,
    /// Response status; 0 when the connection was dropped on purpose.
    pub status: u16,
    /// The provider the path belongs to, if any.
    #[serde(default)]
    pub provider: Option<String>,
    /// Whether an `Authorization` header was sent.
    #[serde(default)]
    pub bearer: bool,
    /// `drop`, `malformed` or `status` when a fault was injected.
    #[serde(default)]
    pub fault: Option<String>,
    /// The `User-Agent` header, as sent.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// `quota` when refused for the daily quota, `rate_limit` for the rate limit (the status
    /// is 429 either way).
    #[serde(default)]
    pub refused: Option<String>,
    /// Latency the sandbox added before answering (`SandboxConfig::latency`), milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
}

/// The log keeps the newest entries only, so a demo left running for days stays small.
pub const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub struct RequestLog {
    entries: Mutex<VecDeque<LoggedRequest>>,
}

/// Query parameters whose values are secrets (or one step from one).
const SECRET_PARAMS: &[&str] = &[
    "code",
    "code_verifier",
    "token",
    "access_token",
    "refresh_token",
    "client_secret",
];

impl RequestLog {
    pub fn push(&self, entry: LoggedRequest) {
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries.lock().iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.entries.lock().clear();
    }
}

/// The query string with secret values replaced, or None when there is no query.
pub fn redact_query(query: Option<&str>) -> Option<String> {
    let query = query.filter(|q| !q.is_empty())?;
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if SECRET_PARAMS.contains(&k.as_ref()) {
            out.append_pair(&k, "REDACTED");
        } else {
            out.append_pair(&k, &v);
        }
    }
    Some(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_the_newest_entries() {
        let log = RequestLog::default();
        for i in 0..MAX_ENTRIES + 3 {
            log.push(LoggedRequest {
                method: "GET".into(),
                path: format!("/{i}"),
                query: None,
                grant_type: None,
                status: 200,
                provider: None,
                bearer: false,
                fault: None,
                user_agent: None,
                refused: None,
                latency_ms: 0,
            });
        }
        let entries = log.snapshot();
        assert_eq!(entries.len(), MAX_ENTRIES);
        assert_eq!(entries[0].path, "/3");
        assert_eq!(
            entries.last().unwrap().path,
            format!("/{}", MAX_ENTRIES + 2)
        );
    }

    #[test]
    fn secrets_are_redacted_and_the_rest_kept() {
        let q = redact_query(Some("page_number=2&code=abc&token=xyz")).unwrap();
        assert_eq!(q, "page_number=2&code=REDACTED&token=REDACTED");
        assert_eq!(redact_query(Some("")), None);
        assert_eq!(redact_query(None), None);
    }
}
