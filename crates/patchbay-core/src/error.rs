//! Errors: one `thiserror` enum per concern, each with a stable code and a marketer-facing
//! message (the [`UserError`] view the window receives).

use crate::oauth::CallbackError;
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
    #[error("{provider_id} answered the authorization with error {error}")]
    Provider {
        provider_id: String,
        error: String,
        description: Option<String>,
    },
    #[error("{provider_id} refused the authorization code: {error}")]
    Grant { provider_id: String, error: String },
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
    pub fn code(&self) -> String {
        match self {
            ConnectError::UnknownProvider(_) => "connect.unknown_provider".into(),
            ConnectError::Callback(c) => format!(
                "connect.{}",
                match c {
                    CallbackError::Malformed => "malformed_callback",
                    CallbackError::WrongRedirect => "wrong_redirect",
                    CallbackError::RepeatedParameter => "repeated_parameter",
                    CallbackError::MissingState => "missing_state",
                    CallbackError::UnknownState => "unknown_state",
                    CallbackError::Expired { .. } => "expired",
                    CallbackError::IssuerMismatch { .. } => "issuer_mismatch",
                    CallbackError::MissingCode { .. } => "missing_code",
                }
            ),
            ConnectError::Provider { .. } => "connect.provider_error".into(),
            ConnectError::Grant { .. } => "connect.grant_refused".into(),
            ConnectError::Network { .. } => "connect.network".into(),
            ConnectError::Config(_) => "connect.config".into(),
            ConnectError::Listener(_) => "connect.listener".into(),
            ConnectError::Vault(v) => v.code().into(),
            ConnectError::KeyRejected { .. } => "connect.key_rejected".into(),
            ConnectError::KeyIncomplete { .. } => "connect.key_incomplete".into(),
            ConnectError::NotApiKey { .. } => "connect.not_api_key".into(),
            ConnectError::Api { error, .. } => error.code().into(),
            ConnectError::Discovery { .. } => "connect.discovery".into(),
            ConnectError::Registration { .. } => "connect.registration".into(),
            ConnectError::ClientRejected { .. } => "connect.client_rejected".into(),
            ConnectError::NeedsClientCredentials { .. } => {
                "connect.needs_client_credentials".into()
            }
            ConnectError::UsesApiKey { .. } => "connect.uses_api_key".into(),
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

    /// The message for the window; `name` is the provider's display name.
    pub fn to_user(&self, name: &str) -> UserError {
        let message = match self {
            ConnectError::UnknownProvider(_) => "Patchbay doesn't know that app.".to_string(),
            ConnectError::Callback(CallbackError::Expired { .. }) => {
                format!("The approval for {name} took too long. Click Connect to try again.")
            }
            ConnectError::Callback(CallbackError::IssuerMismatch { .. }) => format!(
                "That approval did not come from {name}, so Patchbay ignored it. Click Connect to try again."
            ),
            ConnectError::Callback(_) => {
                "Patchbay ignored an approval link it did not ask for. If you were connecting an app, click Connect to try again.".to_string()
            }
            ConnectError::Provider { error, .. } => format!(
                "{name} could not approve the connection ({error}). Click Connect to try again."
            ),
            ConnectError::Grant { error, .. } if error == "invalid_grant" => {
                format!("{name} said the approval expired. Click Connect to try again.")
            }
            ConnectError::Grant { error, .. } if error == "invalid_client" => format!(
                "{name} did not accept Patchbay's client id or client secret. Check them in Settings, then click Connect."
            ),
            ConnectError::Grant { error, .. } => format!(
                "{name} refused the connection ({error}). Click Connect to try again."
            ),
            ConnectError::Network { .. } => format!(
                "Patchbay could not reach {name}. Check your internet connection and click Connect to try again."
            ),
            ConnectError::Config(_) => {
                format!("The settings for {name} are broken. Reinstall Patchbay or remove your custom definition.")
            }
            ConnectError::Listener(_) => {
                format!("Patchbay could not wait for {name}'s answer on this computer. Click Connect to try again.")
            }
            ConnectError::Vault(v) => vault_message(v),
            ConnectError::KeyRejected { message, .. } | ConnectError::KeyIncomplete { message, .. } => {
                message.clone()
            }
            ConnectError::NotApiKey { .. } => {
                format!("{name} connects in your browser. Click Connect.")
            }
            ConnectError::Api { error, .. } => error.to_user(name).message,
            ConnectError::Discovery { .. } => format!(
                "Patchbay could not read {name}'s sign-in settings. Check your internet connection and click Connect to try again."
            ),
            ConnectError::Registration { .. } => format!(
                "{name} did not let Patchbay register itself. Try again in a few minutes."
            ),
            ConnectError::ClientRejected { .. } => format!(
                "{name} no longer recognised Patchbay, so Patchbay registered again. Click Connect to try again."
            ),
            ConnectError::UsesApiKey { .. } => format!(
                "{name} connects with an API key. Click its tile and paste the key."
            ),
            ConnectError::NeedsClientCredentials { .. } => format!(
                "{name} needs your own client id and client secret. Add them in Settings, then click Connect."
            ),
        };
        UserError {
            code: self.code(),
            message,
        }
    }
}

fn vault_message(v: &VaultError) -> String {
    match v {
        VaultError::NoKeychain { .. } => "Patchbay found no keychain to keep your connection safe. Unlock or install your system keyring, or choose file storage in Settings.".into(),
        VaultError::Locked { .. } => "Your keychain is locked. Unlock it and try again.".into(),
        _ => "Patchbay could not use your keychain. Try again, or reconnect the app.".into(),
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
    #[error(transparent)]
    Vault(#[from] VaultError),
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
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::UnknownProvider(_) => "api.unknown_provider",
            ApiError::UnknownResource(_) => "api.unknown_resource",
            ApiError::NotConnected => "api.not_connected",
            ApiError::NeedsReconnect => "api.needs_reconnect",
            ApiError::Unauthorized => "api.unauthorized",
            ApiError::Forbidden { .. } => "api.forbidden",
            ApiError::RateLimited { .. } => "api.rate_limited",
            ApiError::RetriesExhausted { .. } => "api.retries_exhausted",
            ApiError::Http { .. } => "api.http",
            ApiError::Network(_) => "api.network",
            ApiError::Decode(_) => "api.decode",
            ApiError::TokenEndpoint(_) => "api.token_endpoint",
            ApiError::Incomplete { .. } => "api.incomplete",
            ApiError::OriginChanged => "api.origin_changed",
            ApiError::RefusedUrl(_) => "api.refused_url",
            ApiError::QuotaExhausted { .. } => "api.quota_exhausted",
            ApiError::Vault(v) => v.code(),
        }
    }

    pub fn to_user(&self, name: &str) -> UserError {
        let message = match self {
            ApiError::UnknownProvider(_) | ApiError::UnknownResource(_) => {
                "Patchbay doesn't know that list.".to_string()
            }
            ApiError::NotConnected => format!("{name} is not connected. Click Connect first."),
            ApiError::NeedsReconnect | ApiError::Unauthorized => {
                format!("{name} ended the connection. Click Connect to connect again.")
            }
            ApiError::Forbidden { .. } => format!(
                "{name} did not allow Patchbay to read this. Reconnect and approve every permission."
            ),
            ApiError::RateLimited { .. } => {
                format!("{name} asked Patchbay to slow down. Wait a minute and try again.")
            }
            ApiError::RetriesExhausted { .. } | ApiError::Http { .. } | ApiError::TokenEndpoint(_) => {
                format!("{name} is having trouble right now. Try again in a few minutes.")
            }
            ApiError::Network(_) => {
                format!("Patchbay could not reach {name}. Check your internet connection.")
            }
            ApiError::Decode(_) => format!("{name} sent something Patchbay did not understand."),
            ApiError::Incomplete { got, expected } => format!(
                "{name}'s list changed while Patchbay was reading it ({got} of {expected} records arrived). Press Refresh to read it again."
            ),
            ApiError::OriginChanged => format!(
                "{name}'s address changed since you connected, so Patchbay sent nothing. Reconnect to approve the new address."
            ),
            ApiError::RefusedUrl(_) => format!(
                "{name}'s address is not a secure (https) one, so Patchbay sent nothing. Fix the address in Settings or remove your custom definition."
            ),
            ApiError::QuotaExhausted {
                limit,
                resets_at,
                refused_at,
            } => format!(
                "{name} allows {} requests a day and today's are used. Patchbay will continue after {} UTC (in {}).",
                thousands(*limit),
                resets_at
                    .to_offset(time::UtcOffset::UTC)
                    .format(time::macros::format_description!("[hour]:[minute]"))
                    .unwrap_or_default(),
                wait_words(*resets_at - *refused_at),
            ),
            ApiError::Vault(v) => vault_message(v),
        };
        UserError {
            code: self.code().to_string(),
            message,
        }
    }
}

/// `1000` as "1,000".
fn thousands(n: u32) -> String {
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

    #[test]
    fn quota_exhausted_says_how_many_and_when_it_goes_on() {
        let e = ApiError::QuotaExhausted {
            limit: 1000,
            resets_at: datetime!(2026-12-01 00:00 UTC),
            refused_at: datetime!(2026-11-30 20:47:30 UTC),
        };
        let user = e.to_user("WhatConverts");
        assert_eq!(user.code, "api.quota_exhausted");
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
