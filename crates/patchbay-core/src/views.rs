//! What the window may see: typed views, never a token, code or verifier.

use serde::Serialize;
use ts_rs::TS;

use crate::error_code::ErrorCode;
use crate::providers::ProviderDef;

/// Why an account must be connected again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ReconnectReason {
    /// The provider ended the connection (a refused or lost refresh token).
    Ended,
    /// The provider's address (issuer, token endpoint or API) is not the one the account was
    /// connected at: nothing is sent until the user approves the new address.
    AddressChanged,
}

/// Where one account stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum AccountState {
    Connected {
        /// This run's last finished sync (RFC 3339); the shell adds the cache's after a restart.
        last_synced: Option<String>,
        /// Connected, but something the user should know (`vault.not_saved`: the refreshed
        /// tokens are only in memory until the keychain takes them).
        warning: Option<UserError>,
    },
    NeedsReconnect {
        reason: ReconnectReason,
    },
    /// Its credentials could not be read (a locked keychain): the message says what to do.
    Unavailable {
        error: UserError,
    },
}

/// One account of a provider, as its tile lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AccountView {
    pub account_id: String,
    /// What the provider calls the account.
    pub name: String,
    pub state: AccountState,
    /// How many records of this account the local cache holds (every list together); `None`
    /// when nothing has been fetched yet. The shell fills it in from the cache.
    pub records: Option<u32>,
}

/// One provider tile on the main window: its accounts, and the connect waiting for approval.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProviderTile {
    pub id: String,
    pub display_name: String,
    pub holds: String,
    /// Its monogram and colour, from the definition.
    pub mark: crate::providers::TileMark,
    /// How the tile connects: the browser (OAuth) or a form for an API key.
    pub auth: AuthMethodView,
    /// The consent page of a connect waiting for the browser, offered for copying.
    pub waiting_authorize_url: Option<String>,
    pub accounts: Vec<AccountView>,
}

/// A connection of this core changed (a connect began, completed, failed, was cancelled or
/// expired; an account was added, reconnected or removed). The shell re-reads the tiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionChange {
    pub provider_id: String,
}

/// Progress of a sync: records fetched so far, and the total when the provider tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SyncProgress {
    pub provider_id: String,
    pub account_id: String,
    pub resource_id: String,
    pub fetched: u32,
    pub total: Option<u32>,
    pub done: bool,
}

/// An error as the window shows it: a stable code to branch on, what happened, and what the
/// marketer can do. Built only from [`ErrorCode`]'s table (optionally with a sentence that adds
/// specifics), never from an internal error's text. It is also the error of every command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
#[ts(export)]
pub struct UserError {
    pub code: ErrorCode,
    pub message: String,
    pub advice: String,
}

impl UserError {
    /// The table's sentence and advice for `code`; `provider` is the display name it names.
    pub fn new(code: ErrorCode, provider: &str) -> Self {
        let words = code.words(provider);
        Self {
            code,
            message: words.sentence,
            advice: words.advice.to_string(),
        }
    }

    /// For errors that concern no provider (or whose sentence does not name it).
    pub fn of(code: ErrorCode) -> Self {
        Self::new(code, "The app")
    }

    /// The table's advice with a sentence that adds specifics (a count, a time, a file). The
    /// caller writes `message` for people: never an internal error's `Display`.
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            advice: code.words("").advice.to_string(),
        }
    }
}

/// How a connect attempt ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ConnectOutcome {
    Connected {
        provider_id: String,
        account_id: String,
        /// What the provider calls the account.
        account: String,
    },
    Cancelled {
        provider_id: String,
    },
}

impl ConnectOutcome {
    pub fn provider_id(&self) -> &str {
        match self {
            ConnectOutcome::Connected { provider_id, .. }
            | ConnectOutcome::Cancelled { provider_id } => provider_id,
        }
    }
}

/// How a provider's tile connects: the browser (OAuth) or a small form for an API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum AuthMethodView {
    /// Click Connect: the browser opens the provider's consent page.
    Oauth,
    /// Click the tile: a form with these fields, then "Test and save".
    ApiKey {
        fields: Vec<KeyFieldView>,
        /// Where in the provider's web app (or docs) the key lives.
        help_url: Option<String>,
        help_text: String,
    },
}

/// One field of the API-key form (no value: the window never gets a key back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct KeyFieldView {
    /// The name to send back in `save_api_key`'s map.
    pub key: String,
    pub label: String,
    /// Mask the input.
    pub secret: bool,
}

impl AuthMethodView {
    pub fn of(def: &ProviderDef) -> Self {
        match &def.connection {
            crate::providers::ConnectionDef::Oauth { .. } => AuthMethodView::Oauth,
            crate::providers::ConnectionDef::ApiKey {
                fields,
                help_url,
                help_text,
                ..
            } => AuthMethodView::ApiKey {
                fields: fields
                    .iter()
                    .map(|f| KeyFieldView {
                        key: f.key.clone(),
                        label: f.label.clone(),
                        secret: f.secret,
                    })
                    .collect(),
                help_url: help_url.clone(),
                help_text: help_text.clone(),
            },
        }
    }
}
