//! Errors: one `thiserror` enum per concern. Each maps to an [`ErrorCode`] and to the
//! [`UserError`] view the window receives; the `Display` text (internal detail) is for logs.

use crate::error_code::ErrorCode;
use crate::oauth::{CallbackError, OAuthError, OAuthErrorCode};
use crate::vault::VaultError;
use crate::views::UserError;

/// Why connecting failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    #[error("unknown provider {0:?}")]
    UnknownProvider(String),
    #[error("callback refused: {0}")]
    Callback(#[from] CallbackError),
    /// The consent page answered an error (RFC 6749 §4.1.2.1).
    #[error("{provider_id} answered the authorization with error {}", error.error)]
    Provider {
        provider_id: String,
        error: OAuthError,
    },
    /// The token endpoint refused the code (RFC 6749 §5.2).
    #[error("{provider_id} refused the authorization code: {}", error.error)]
    Grant {
        provider_id: String,
        error: OAuthError,
    },
    #[error("could not reach {provider_id}: {detail}")]
    Network { provider_id: String, detail: String },
    #[error("the provider definition is unusable: {0}")]
    Config(String),
    #[error("the loopback redirect listener failed: {0}")]
    Listener(String),
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The provider refused the API key on its account endpoint.
    #[error("{provider_id} refused the API key")]
    KeyRejected {
        provider_id: String,
        /// Plain words for the form, naming where the key lives.
        message: String,
    },
    /// A field of the API-key form is empty or holds characters no key has.
    #[error("the API key form for {provider_id} is incomplete: {message}")]
    KeyIncomplete {
        provider_id: String,
        message: String,
    },
    /// `save_api_key` for a provider that connects in the browser (or any provider in demo mode).
    #[error("{provider_id} does not connect with an API key")]
    NotApiKey { provider_id: String },
    /// Testing the key (or looking up the account) failed for another reason than the key.
    #[error("{provider_id}: {error}")]
    Api {
        provider_id: String,
        #[source]
        error: ApiError,
    },
    /// RFC 8414 metadata could not be read or is unusable.
    #[error("{provider_id}'s authorization server metadata is unusable: {detail}")]
    Discovery { provider_id: String, detail: String },
    /// RFC 7591 registration failed.
    #[error("{provider_id} refused the client registration: {detail}")]
    Registration { provider_id: String, detail: String },
    /// The provider no longer knows the registered client (it was dropped; connect again).
    #[error("{provider_id} rejected the registered client")]
    ClientRejected { provider_id: String },
    /// `begin_connect` for a provider that connects with an API key (show the form instead).
    #[error("{provider_id} connects with an API key")]
    UsesApiKey { provider_id: String },
    /// A confidential client (BoomTown) without the user's client id or secret.
    #[error("{provider_id} needs a client id and client secret in Settings")]
    NeedsClientCredentials { provider_id: String },
}

impl ConnectError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ConnectError::UnknownProvider(_) => ErrorCode::ProviderUnknown,
            ConnectError::Callback(c) => match c {
                CallbackError::Malformed => ErrorCode::ConnectMalformedCallback,
                CallbackError::WrongRedirect => ErrorCode::ConnectWrongRedirect,
                CallbackError::RepeatedParameter => ErrorCode::ConnectRepeatedParameter,
                CallbackError::MissingState => ErrorCode::ConnectMissingState,
                CallbackError::UnknownState => ErrorCode::ConnectUnknownState,
                CallbackError::Expired { .. } => ErrorCode::ConnectExpired,
                CallbackError::IssuerMismatch { .. } => ErrorCode::ConnectIssuerMismatch,
                CallbackError::MissingCode { .. } => ErrorCode::ConnectMissingCode,
            },
            ConnectError::Provider { error, .. } => match error.error {
                OAuthErrorCode::AccessDenied => ErrorCode::ConnectDeclined,
                OAuthErrorCode::ServerError | OAuthErrorCode::TemporarilyUnavailable => {
                    ErrorCode::ConnectProviderUnavailable
                }
                _ => ErrorCode::ConnectProviderError,
            },
            ConnectError::Grant { error, .. } => match error.error {
                OAuthErrorCode::InvalidGrant => ErrorCode::ConnectApprovalExpired,
                OAuthErrorCode::InvalidClient => ErrorCode::ConnectClientRefused,
                _ => ErrorCode::ConnectGrantRefused,
            },
            ConnectError::Network { .. } => ErrorCode::ConnectNetwork,
            ConnectError::Config(_) => ErrorCode::ConnectConfig,
            ConnectError::Listener(_) => ErrorCode::ConnectListener,
            ConnectError::Vault(v) => v.code(),
            ConnectError::KeyRejected { .. } => ErrorCode::ConnectKeyRejected,
            ConnectError::KeyIncomplete { .. } => ErrorCode::ConnectKeyIncomplete,
            ConnectError::NotApiKey { .. } => ErrorCode::ConnectNotApiKey,
            ConnectError::Api { error, .. } => error.code(),
            ConnectError::Discovery { .. } => ErrorCode::ConnectDiscovery,
            ConnectError::Registration { .. } => ErrorCode::ConnectRegistration,
            ConnectError::ClientRejected { .. } => ErrorCode::ConnectClientRejected,
            ConnectError::NeedsClientCredentials { .. } => ErrorCode::ConnectNeedsClientCredentials,
            ConnectError::UsesApiKey { .. } => ErrorCode::ConnectUsesApiKey,
        }
    }

    /// The provider the error concerns, when known.
    pub fn provider_id(&self) -> Option<&str> {
        match self {
            ConnectError::UnknownProvider(p)
            | ConnectError::Provider { provider_id: p, .. }
            | ConnectError::Grant { provider_id: p, .. }
            | ConnectError::Network { provider_id: p, .. }
            | ConnectError::KeyRejected { provider_id: p, .. }
            | ConnectError::KeyIncomplete { provider_id: p, .. }
            | ConnectError::NotApiKey { provider_id: p }
            | ConnectError::Api { provider_id: p, .. }
            | ConnectError::Discovery { provider_id: p, .. }
            | ConnectError::Registration { provider_id: p, .. }
            | ConnectError::ClientRejected { provider_id: p }
            | ConnectError::NeedsClientCredentials { provider_id: p }
            | ConnectError::UsesApiKey { provider_id: p } => Some(p),
            ConnectError::Callback(
                CallbackError::Expired { provider_id }
                | CallbackError::IssuerMismatch { provider_id }
                | CallbackError::MissingCode { provider_id },
            ) => Some(provider_id),
            _ => None,
        }
    }

    /// The error for the window; `name` is the provider's display name. The sentence and
    /// advice come from [`ErrorCode::words`]; a few errors add specifics that are safe to show.
    pub fn to_user(&self, name: &str) -> UserError {
        // The detail stays here, in the log: the window gets the table's words.
        tracing::info!(code = %self.code(), error = %self, "connect error for the window");
        let plain = UserError::new(self.code(), name);
        match self {
            // The API-key check wrote these for the form (they name where the key lives).
            ConnectError::KeyRejected { message, .. }
            | ConnectError::KeyIncomplete { message, .. } => UserError {
                message: message.clone(),
                ..plain
            },
            ConnectError::Api { error, .. } => error.to_user(name),
            ConnectError::Provider { error, .. } | ConnectError::Grant { error, .. } => {
                match error.quotable_description() {
                    Some(said) => UserError {
                        message: format!("{} It said: \"{said}\"", plain.message),
                        ..plain
                    },
                    None => plain,
                }
            }
            _ => plain,
        }
    }
}

/// Why an API call or a sync failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    #[error("unknown provider {0:?}")]
    UnknownProvider(String),
    #[error("unknown resource {0:?}")]
    UnknownResource(String),
    #[error("not connected")]
    NotConnected,
    #[error("the connection must be made again")]
    NeedsReconnect,
    #[error("the provider refused the token even after a refresh")]
    Unauthorized,
    #[error("the provider refused access ({status})")]
    Forbidden { status: u16 },
    #[error("rate limited for {retry_after_secs} s, more than allowed")]
    RateLimited { retry_after_secs: u64 },
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted { attempts: u32, last: String },
    #[error("HTTP {status}: {detail}")]
    Http { status: u16, detail: String },
    #[error("network error: {0}")]
    Network(String),
    #[error("unexpected response: {0}")]
    Decode(String),
    #[error("the token endpoint failed: {0}")]
    TokenEndpoint(String),
    /// Fewer distinct records arrived than the provider counted: its list changed (or a page
    /// shifted) while it was read. Nothing is reported complete; a new sync reads it again.
    #[error("{got} of {expected} records arrived")]
    Incomplete { got: usize, expected: usize },
    /// The definition in use points elsewhere than where the credentials were issued:
    /// nothing was sent.
    #[error("the provider's address changed since the account was connected")]
    OriginChanged,
    /// A URL that may not receive credentials in this world (plain http off loopback).
    #[error("refused address: {0}")]
    RefusedUrl(String),
    /// Today's request quota is used: the request was not sent. A sync pauses and goes on
    /// after `resets_at`; what it stored so far stays.
    #[error("the daily quota of {limit} requests is used until {resets_at}")]
    QuotaExhausted {
        limit: u32,
        resets_at: time::OffsetDateTime,
        /// When the request was refused (the "in 3 h 12 min" of the message counts from it).
        refused_at: time::OffsetDateTime,
    },
    /// Past the provider's `[limits]`: a list the provider says (or shows) is larger than one
    /// list may be, or a response body past its cap. Nothing past the limit was read.
    #[error("{what} is {}, past the limit of {limit}", got.map_or("more".to_string(), |g| g.to_string()))]
    TooLarge {
        what: TooLargeWhat,
        limit: u64,
        /// What the provider claimed or sent, when known (a body is not read to its end).
        got: Option<u64>,
    },
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// What went past a provider's `[limits]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooLargeWhat {
    /// Pages of one list.
    Pages,
    /// Records of one list.
    Records,
    /// Bytes of one response body.
    Body,
}

impl std::fmt::Display for TooLargeWhat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TooLargeWhat::Pages => "the number of pages",
            TooLargeWhat::Records => "the number of records",
            TooLargeWhat::Body => "the response body in bytes",
        })
    }
}

impl From<crate::budget::QuotaRefusal> for ApiError {
    fn from(r: crate::budget::QuotaRefusal) -> Self {
        ApiError::QuotaExhausted {
            limit: r.limit,
            resets_at: r.resets_at,
            refused_at: r.refused_at,
        }
    }
}

impl ApiError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::UnknownProvider(_) => ErrorCode::ProviderUnknown,
            ApiError::UnknownResource(_) => ErrorCode::ResourceUnknown,
            ApiError::NotConnected => ErrorCode::ApiNotConnected,
            ApiError::NeedsReconnect => ErrorCode::ApiNeedsReconnect,
            ApiError::Unauthorized => ErrorCode::ApiUnauthorized,
            ApiError::Forbidden { .. } => ErrorCode::ApiForbidden,
            ApiError::RateLimited { .. } => ErrorCode::ApiRateLimited,
            ApiError::RetriesExhausted { .. } => ErrorCode::ApiRetriesExhausted,
            ApiError::Http { .. } => ErrorCode::ApiHttp,
            ApiError::Network(_) => ErrorCode::ApiNetwork,
            ApiError::Decode(_) => ErrorCode::ApiDecode,
            ApiError::TokenEndpoint(_) => ErrorCode::ApiTokenEndpoint,
            ApiError::Incomplete { .. } => ErrorCode::ApiIncomplete,
            ApiError::OriginChanged => ErrorCode::ApiOriginChanged,
            ApiError::RefusedUrl(_) => ErrorCode::ApiRefusedUrl,
            ApiError::QuotaExhausted { .. } => ErrorCode::ApiQuotaExhausted,
            ApiError::TooLarge { .. } => ErrorCode::ApiTooLarge,
            ApiError::Vault(v) => v.code(),
        }
    }

    /// The error for the window; `name` is the provider's display name.
    pub fn to_user(&self, name: &str) -> UserError {
        let code = self.code();
        // The detail stays here, in the log: the window gets the table's words.
        tracing::info!(%code, error = %self, "API error for the window");
        match self {
            ApiError::Incomplete { got, expected } => UserError::with_message(
                code,
                format!(
                    "{name}'s list changed while Patchbay was reading it ({got} of {expected} records arrived)."
                ),
            ),
            ApiError::QuotaExhausted {
                limit,
                resets_at,
                refused_at,
            } => UserError::with_message(
                code,
                format!(
                    "{name} allows {} requests a day and today's are used. Patchbay will continue after {} UTC (in {}).",
                    thousands(u64::from(*limit)),
                    resets_at
                        .to_offset(time::UtcOffset::UTC)
                        .format(time::macros::format_description!("[hour]:[minute]"))
                        .unwrap_or_default(),
                    wait_words(*resets_at - *refused_at),
                ),
            ),
            ApiError::TooLarge { what, limit, got } => {
                let unit = match what {
                    TooLargeWhat::Pages => "pages",
                    TooLargeWhat::Records => "records",
                    TooLargeWhat::Body => "bytes",
                };
                let sentence = match (what, got) {
                    (TooLargeWhat::Body, _) => format!(
                        "{name} sent a page larger than {} MiB, more than Patchbay reads at once, so it stopped reading this list.",
                        (limit / (1024 * 1024)).max(1)
                    ),
                    (_, Some(got)) => format!(
                        "{name} says this list has {} {unit}, more than the {} Patchbay reads in one list, so it stopped reading it.",
                        thousands(*got),
                        thousands(*limit)
                    ),
                    (_, None) => format!(
                        "{name} sent more than the {} {unit} Patchbay reads in one list, so it stopped reading it.",
                        thousands(*limit)
                    ),
                };
                UserError::with_message(code, sentence)
            }
            _ => UserError::new(code, name),
        }
    }
}

/// `1000` as "1,000" (a provider's count may be absurd: 20 digits).
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A wait in words: "3 h 12 min", "12 min", "less than a minute".
fn wait_words(d: time::Duration) -> String {
    let minutes = d.whole_minutes().max(0);
    match (minutes / 60, minutes % 60) {
        (0, 0) => "less than a minute".into(),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn grant(code: &str, description: Option<&str>) -> ConnectError {
        ConnectError::Grant {
            provider_id: "boomtown".into(),
            error: OAuthError::new(code, description.map(str::to_string), None),
        }
    }

    #[test]
    fn oauth_errors_get_the_sentence_of_their_typed_code() {
        let declined = ConnectError::Provider {
            provider_id: "boomtown".into(),
            error: OAuthError::new("access_denied", None, None),
        };
        let user = declined.to_user("BoomTown");
        assert_eq!(user.code, ErrorCode::ConnectDeclined);
        assert_eq!(
            user.message,
            "You declined access in the browser, so BoomTown is not connected."
        );
        let unavailable = ConnectError::Provider {
            provider_id: "boomtown".into(),
            error: OAuthError::new("temporarily_unavailable", None, None),
        };
        assert_eq!(unavailable.code(), ErrorCode::ConnectProviderUnavailable);
        let scope = ConnectError::Provider {
            provider_id: "boomtown".into(),
            error: OAuthError::new("invalid_scope", None, None),
        };
        assert_eq!(scope.code(), ErrorCode::ConnectProviderError);

        // The wrong-secret case names BoomTown once (a notice shows the sentence as it is).
        let user = grant("invalid_client", None).to_user("BoomTown");
        assert_eq!(user.code, ErrorCode::ConnectClientRefused);
        assert_eq!(
            user.message,
            "BoomTown did not accept Patchbay's client id or client secret."
        );
        assert_eq!(user.advice, "Check them in Settings, then click Connect.");
        assert_eq!(
            grant("invalid_grant", None).code(),
            ErrorCode::ConnectApprovalExpired
        );
        assert_eq!(
            grant("unsupported_grant_type", None).code(),
            ErrorCode::ConnectGrantRefused
        );
    }

    #[test]
    fn a_provider_description_is_quoted_only_when_safe() {
        let said = grant("invalid_client", Some("Client secret expired")).to_user("BoomTown");
        assert_eq!(
            said.message,
            "BoomTown did not accept Patchbay's client id or client secret. It said: \"Client secret expired\""
        );
        let phishing = grant(
            "invalid_client",
            Some("Call +1 555 or visit https://evil.example"),
        )
        .to_user("BoomTown");
        assert!(!phishing.message.contains("evil"), "{}", phishing.message);
    }

    #[test]
    fn internal_detail_never_reaches_the_window() {
        let secret_detail = "tcp connect error: 10.0.0.7:443 refused; token=abc123";
        for e in [
            ConnectError::Network {
                provider_id: "boomtown".into(),
                detail: secret_detail.into(),
            },
            ConnectError::Config(secret_detail.into()),
            ConnectError::Listener(secret_detail.into()),
            ConnectError::Discovery {
                provider_id: "boomtown".into(),
                detail: secret_detail.into(),
            },
            ConnectError::Api {
                provider_id: "boomtown".into(),
                error: ApiError::Http {
                    status: 500,
                    detail: secret_detail.into(),
                },
            },
        ] {
            let user = e.to_user("BoomTown");
            assert!(
                !user.message.contains("10.0.0.7") && !user.advice.contains("10.0.0.7"),
                "{user:?}"
            );
            assert_eq!(
                user,
                UserError {
                    message: user.message.clone(),
                    ..UserError::new(e.code(), "BoomTown")
                }
            );
        }
        // The three names of "unknown provider" are one code.
        assert_eq!(
            ConnectError::UnknownProvider("x".into()).code(),
            ErrorCode::ProviderUnknown
        );
        assert_eq!(
            ApiError::UnknownProvider("x".into()).code(),
            ErrorCode::ProviderUnknown
        );
    }

    #[test]
    fn quota_exhausted_says_how_many_and_when_it_goes_on() {
        let e = ApiError::QuotaExhausted {
            limit: 1000,
            resets_at: datetime!(2026-12-01 00:00 UTC),
            refused_at: datetime!(2026-11-30 20:47:30 UTC),
        };
        let user = e.to_user("WhatConverts");
        assert_eq!(user.code, ErrorCode::ApiQuotaExhausted);
        assert!(user.advice.contains("after the reset"), "{}", user.advice);
        assert_eq!(
            user.message,
            "WhatConverts allows 1,000 requests a day and today's are used. Patchbay will continue after 00:00 UTC (in 3 h 12 min)."
        );
        let soon = ApiError::QuotaExhausted {
            limit: 10_000,
            resets_at: datetime!(2026-12-01 00:00 UTC),
            refused_at: datetime!(2026-11-30 23:59:30 UTC),
        };
        assert!(soon
            .to_user("WhatConverts")
            .message
            .contains("allows 10,000 requests a day and today's are used. Patchbay will continue after 00:00 UTC (in less than a minute)."));
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(wait_words(time::Duration::minutes(120)), "2 h");
        assert_eq!(wait_words(time::Duration::minutes(5)), "5 min");
    }
}
