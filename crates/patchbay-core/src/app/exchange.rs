//! The code exchange of a completed connect, its errors mapped for the window, and the
//! adoption of fresh credentials by the account they belong to.

use std::collections::BTreeMap;
use std::sync::Arc;

use oauth2::basic::BasicErrorResponseType;
use oauth2::{RequestTokenError, TokenResponse};

use super::{api_during_connect, CoreState};
use crate::accounts::AccountEntry;
use crate::error::{ApiError, ConnectError};
use crate::http::TokenHttpError;
use crate::oauth::Callback;
use crate::providers::ProviderDef;
use crate::session::{Connection, StoredTokens};
use crate::views::ConnectOutcome;
use crate::world::AccountId;

impl CoreState {
    pub(super) async fn complete_inner(
        &self,
        callback_url: &str,
    ) -> Result<ConnectOutcome, ConnectError> {
        let resolved = self.resolved.lock().clone();
        let callback = self.pending.take(callback_url, |id| {
            match resolved.get(id).or_else(|| self.def(id)) {
                Some(d) => (
                    d.issuer().map(|i| i.as_str().to_string()),
                    d.iss_parameter_supported(),
                ),
                None => (None, false),
            }
        });
        let callback = match callback {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(reason = %e, "callback refused");
                return Err(e.into());
            }
        };
        let (pending, code) = match callback {
            Callback::Error { pending, error } => {
                let provider_id = pending.provider_id.clone();
                if error.error == crate::oauth::OAuthErrorCode::AccessDenied {
                    tracing::info!(provider = %provider_id, "connect cancelled by the user");
                    return Ok(ConnectOutcome::Cancelled { provider_id });
                }
                tracing::warn!(provider = %provider_id, error = %error.error, description = ?error.description, uri = ?error.uri.as_ref().map(url::Url::as_str), "authorization failed");
                return Err(ConnectError::Provider { provider_id, error });
            }
            Callback::Code { pending, code } => (pending, code),
        };
        let provider_id = pending.provider_id.clone();
        let def = self
            .def(&provider_id)
            .ok_or_else(|| ConnectError::UnknownProvider(provider_id.clone()))?
            .clone();
        // The new tokens go to a fresh account first; the account look-up tells whether it
        // is one the index already has.
        let conn = self.new_connection(def.clone(), AccountId::generate());
        let client = conn
            .token_client()
            .await
            .map_err(api_during_connect(&provider_id))?;
        let redirect = oauth2::RedirectUrl::new(pending.redirect_uri.clone())
            .map_err(|e| ConnectError::Config(e.to_string()))?;
        let result = client
            .exchange_code(code)
            .set_pkce_verifier(pending.verifier)
            .set_redirect_uri(std::borrow::Cow::Owned(redirect))
            .request_async(conn.token_http())
            .await;
        let resp = match result {
            Ok(r) => r,
            Err(RequestTokenError::ServerResponse(e))
                if *e.error() == BasicErrorResponseType::InvalidClient
                    && def.connection.registers_dynamically() =>
            {
                conn.drop_registration().await?;
                return Err(ConnectError::ClientRejected { provider_id });
            }
            Err(RequestTokenError::ServerResponse(e)) => {
                let error = crate::oauth::OAuthError::from(&e);
                tracing::warn!(provider = %provider_id, error = %error.error, description = ?error.description, "code exchange refused");
                return Err(ConnectError::Grant { provider_id, error });
            }
            Err(RequestTokenError::Request(TokenHttpError::Status(s))) => {
                return Err(ConnectError::Network {
                    provider_id,
                    detail: format!("HTTP {s}"),
                })
            }
            Err(e) => {
                return Err(ConnectError::Network {
                    provider_id,
                    detail: e.to_string(),
                })
            }
        };
        let origin = conn
            .expected_origin()
            .await
            .map_err(api_during_connect(&provider_id))?;
        let (expires_at, lifetime) = conn.expiry_of(resp.expires_in());
        let tokens = StoredTokens {
            access: resp.access_token().clone(),
            refresh: resp.refresh_token().cloned(),
            expires_at,
            lifetime,
            account: String::new(),
            vars: BTreeMap::new(),
            api_key: None,
            origin,
        };
        // In memory for the look-up; stored once, under the account they belong to.
        conn.hold(tokens).await;
        let (name, vars) = match conn.fetch_account().await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(provider = %provider_id, error = %e, "account look-up failed");
                (def.display_name.clone(), BTreeMap::new())
            }
        };
        // The account look-up may have refreshed: keep the newest tokens.
        let api = api_during_connect(&provider_id);
        let mut tokens = conn
            .current()
            .await
            .map_err(api)?
            .ok_or_else(|| api(ApiError::NotConnected))?;
        tokens.account = name.clone();
        tokens.vars = vars.clone();
        let account = self.adopt(&def, conn, tokens).await?;
        tracing::info!(provider = %provider_id, "connected");
        Ok(ConnectOutcome::Connected {
            provider_id,
            account_id: account.to_string(),
            account: name,
        })
    }

    /// Stores fresh credentials under the account they belong to: the index's account with
    /// the same identity (a reconnect), else the fresh connection's own new account.
    pub(super) async fn adopt(
        &self,
        def: &Arc<ProviderDef>,
        fresh: Connection,
        tokens: StoredTokens,
    ) -> Result<AccountId, ConnectError> {
        let known = self.accounts.list(&def.id).await?;
        let existing = known
            .iter()
            .find(|a| a.same_account(&tokens.account, &tokens.vars))
            .map(|a| a.id.clone());
        let entry = |id: AccountId| AccountEntry {
            id,
            name: tokens.account.clone(),
            vars: tokens.vars.clone(),
            connected_at: Some(crate::dates::now_rfc3339()),
        };
        match existing {
            Some(id) => {
                let conn = self
                    .connection(&def.id, &id)
                    .ok_or_else(|| ConnectError::UnknownProvider(def.id.to_string()))?;
                // Written under the known account before the fresh entry goes: a crash in
                // between leaves an extra entry, never no tokens.
                conn.install(tokens.clone()).await?;
                // The look-up went out under the fresh connection: it counts for this account.
                self.usage.absorb(fresh.usage_key(), conn.usage_key());
                fresh.forget(false).await?;
                self.accounts.upsert(&def.id, entry(id.clone())).await?;
                Ok(id)
            }
            None => {
                let id = fresh.account().clone();
                fresh.install(tokens.clone()).await?;
                self.accounts.upsert(&def.id, entry(id.clone())).await?;
                self.connections
                    .lock()
                    .insert((def.id.to_string(), id.clone()), Arc::new(fresh));
                Ok(id)
            }
        }
    }
}
