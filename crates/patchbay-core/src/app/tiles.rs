//! What the window reads: tiles with their accounts' states and how each connects, errors
//! named after their provider.

use std::sync::Arc;

use super::CoreState;
use crate::error::{ApiError, ConnectError};
use crate::error_code::ErrorCode;
use crate::providers::ProviderDef;
use crate::views::{
    AccountState, AccountView, AuthMethodView, ProviderTile, ReconnectReason, UserError,
};
use crate::world::AccountId;

impl CoreState {
    /// One tile a provider, with its accounts and any connect waiting for approval.
    pub async fn tiles(&self) -> Vec<ProviderTile> {
        let mut tiles = Vec::new();
        for def in &self.defs {
            tiles.push(self.tile(def).await);
        }
        tiles
    }

    async fn tile(&self, def: &Arc<ProviderDef>) -> ProviderTile {
        let entries = match self.accounts.list(&def.id).await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(provider = %def.id, error = %e, "the account list could not be read");
                Vec::new()
            }
        };
        let mut accounts = Vec::new();
        for entry in entries {
            let state = self.account_state(&def.id, &entry.id).await;
            accounts.push(AccountView {
                account_id: entry.id.to_string(),
                name: entry.name,
                state,
                records: None,
            });
        }
        ProviderTile {
            id: def.id.to_string(),
            display_name: def.display_name.clone(),
            holds: def.holds.clone(),
            mark: def.tile.clone(),
            auth: AuthMethodView::of(def),
            waiting_authorize_url: self.pending.authorize_url(&def.id),
            accounts,
        }
    }

    async fn account_state(&self, provider_id: &str, account: &AccountId) -> AccountState {
        let Some(conn) = self.connection(provider_id, account) else {
            return AccountState::NeedsReconnect {
                reason: ReconnectReason::Ended,
            };
        };
        match conn.origin_matches().await {
            Ok(Some(true)) => {
                // Asked before the sync-time lock is taken: that guard must not cross an await.
                let warning = if conn.tokens_unsaved().await {
                    Some(self.error_view(provider_id, ErrorCode::VaultNotSaved))
                } else {
                    None
                };
                AccountState::Connected {
                    last_synced: self
                        .last_synced
                        .lock()
                        .get(&(provider_id.to_string(), account.clone()))
                        .cloned(),
                    warning,
                }
            }
            Ok(Some(false)) => AccountState::NeedsReconnect {
                reason: ReconnectReason::AddressChanged,
            },
            Ok(None) => AccountState::NeedsReconnect {
                reason: ReconnectReason::Ended,
            },
            Err(e) => AccountState::Unavailable {
                error: self.api_error_view(provider_id, &e),
            },
        }
    }

    /// A connect error for the window, named after the provider.
    pub fn connect_error_view(&self, e: &ConnectError) -> UserError {
        let name = e
            .provider_id()
            .and_then(|p| self.def(p))
            .map(|d| d.display_name.as_str())
            .unwrap_or("The app");
        e.to_user(name)
    }

    /// A code's words for the window, named after the provider.
    fn error_view(&self, provider_id: &str, code: ErrorCode) -> UserError {
        let name = self
            .def(provider_id)
            .map_or("The app", |d| d.display_name.as_str());
        UserError::new(code, name)
    }

    /// An API error for the window, named after the provider.
    pub fn api_error_view(&self, provider_id: &str, e: &ApiError) -> UserError {
        let name = self
            .def(provider_id)
            .map(|d| d.display_name.as_str())
            .unwrap_or("The app");
        e.to_user(name)
    }

    /// How a provider's tile connects (demo mode: always OAuth).
    pub fn auth_method(&self, provider_id: &str) -> Result<AuthMethodView, ApiError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        Ok(AuthMethodView::of(def))
    }
}
