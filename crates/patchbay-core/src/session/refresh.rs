//! The access token a request uses: loaded once, refreshed before expiry or after a 401, one
//! refresh at a time, rotated refresh tokens written to the vault before use (kept in memory
//! and written again on the next use when the vault refuses).

use std::sync::atomic::Ordering;

use oauth2::basic::BasicErrorResponseType;
use oauth2::{AccessToken, RequestTokenError, TokenResponse};

use super::{unix_now, Connection, StoredTokens, TokenState};
use crate::error::ApiError;
use crate::http::TokenHttpError;

impl Connection {
    /// How many refreshes this connection made (for tests and diagnostics).
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::SeqCst)
    }

    /// A valid access token and its generation; refreshes before expiry by a margin that
    /// scales with the token's lifetime ([`super::refresh_margin`]). Concurrent
    /// callers wait on the same lock, so one refresh serves them all.
    pub(crate) async fn access_token(&self) -> Result<(AccessToken, u64), ApiError> {
        let mut state = self.state.lock().await;
        self.ensure_loaded(&mut state).await?;
        self.retry_unsaved(&mut state).await;
        let tokens = match &state.tokens {
            Some(t) => t,
            None if state.needs_reconnect => return Err(ApiError::NeedsReconnect),
            None => return Err(ApiError::NotConnected),
        };
        let refresh = tokens.needs_refresh(unix_now());
        self.ensure_origin(&mut state).await?;
        if refresh {
            self.refresh_locked(&mut state).await?;
        }
        let tokens = state.tokens.as_ref().ok_or(ApiError::NotConnected)?;
        Ok((tokens.access.clone(), state.generation))
    }

    /// After a 401 with the token of `generation`: refresh unless someone already did.
    pub(super) async fn refresh_after_rejection(&self, generation: u64) -> Result<(), ApiError> {
        let mut state = self.state.lock().await;
        if state.generation != generation {
            return Ok(());
        }
        self.refresh_locked(&mut state).await
    }

    /// Refreshes now (tests, "refresh" buttons).
    pub async fn refresh_now(&self) -> Result<(), ApiError> {
        let mut state = self.state.lock().await;
        self.ensure_loaded(&mut state).await?;
        self.refresh_locked(&mut state).await
    }

    async fn refresh_locked(&self, state: &mut TokenState) -> Result<(), ApiError> {
        let Some(current) = state.tokens.clone() else {
            return Err(ApiError::NotConnected);
        };
        self.check_origin(&current).await?;
        if current.api_key.is_some() {
            // An API key has nothing to refresh (and must never be dropped for that).
            return Ok(());
        }
        let Some(refresh) = current.refresh.clone() else {
            drop(self.forget_locked(state, true).await);
            return Err(ApiError::NeedsReconnect);
        };
        let client = self.token_client().await?;
        self.refreshes.fetch_add(1, Ordering::SeqCst);
        tracing::debug!(provider = %self.def.id, "refreshing the access token");
        let result = client
            .exchange_refresh_token(&refresh)
            .request_async(&self.token_http)
            .await;
        match result {
            Ok(resp) => {
                let (expires_at, lifetime) = self.expiry_of(resp.expires_in());
                let new = StoredTokens {
                    access: resp.access_token().clone(),
                    // Rotation: a new refresh token replaces the old one; else keep it.
                    refresh: resp.refresh_token().cloned().or(Some(refresh)),
                    expires_at,
                    lifetime,
                    account: current.account.clone(),
                    vars: current.vars.clone(),
                    api_key: None,
                    origin: current.origin.clone(),
                };
                // The rotated refresh token goes to the vault before the new access token is
                // used. When that write fails, the new tokens are still the only valid ones
                // (the provider retired the old refresh token, and reusing it may revoke the
                // whole family): kept in memory, used, and written again on the next use.
                let saved = self.persist(&new).await;
                state.tokens = Some(new);
                state.generation += 1;
                state.unsaved = match saved {
                    Ok(()) => false,
                    Err(e) => {
                        tracing::warn!(provider = %self.def.id, error = %e, "the refreshed tokens could not be saved to the keychain; kept in memory, saving again on next use");
                        true
                    }
                };
                tracing::info!(provider = %self.def.id, "access token refreshed");
                Ok(())
            }
            Err(RequestTokenError::ServerResponse(e))
                if *e.error() == BasicErrorResponseType::InvalidGrant =>
            {
                tracing::warn!(provider = %self.def.id, "refresh refused (invalid_grant): reconnect needed");
                self.forget_locked(state, true).await?;
                Err(ApiError::NeedsReconnect)
            }
            Err(RequestTokenError::ServerResponse(e))
                if *e.error() == BasicErrorResponseType::InvalidClient
                    && self.def.connection.registers_dynamically() =>
            {
                self.drop_registration().await?;
                self.forget_locked(state, true).await?;
                Err(ApiError::NeedsReconnect)
            }
            Err(RequestTokenError::ServerResponse(e)) => {
                Err(ApiError::TokenEndpoint(format!("refused: {}", e.error())))
            }
            Err(RequestTokenError::Request(TokenHttpError::Status(s))) => {
                Err(ApiError::TokenEndpoint(format!("HTTP {s}")))
            }
            Err(RequestTokenError::Request(e)) => Err(ApiError::Network(e.to_string())),
            Err(RequestTokenError::Parse(..)) => {
                Err(ApiError::TokenEndpoint("unreadable response".into()))
            }
            Err(RequestTokenError::Other(o)) => Err(ApiError::TokenEndpoint(o)),
        }
    }
}
