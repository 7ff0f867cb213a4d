//! One account's life after connect: "Connected as", disconnect, and the one-time move of
//! single-account data into the first account.

use super::CoreState;
use crate::accounts::AccountEntry;
use crate::discovery;
use crate::error::ApiError;
use crate::session::{client_secret_key, tokens_key, BoundSecret, StoredTokens};
use crate::vault::VaultKey;
use crate::world::AccountId;
use url::Url;

/// What a disconnect did at the provider; the local credentials are deleted either way.
#[derive(Debug)]
pub enum Revocation {
    /// Revoked, or nothing to revoke there (an API key, no revocation endpoint).
    Done,
    /// The provider refused the revocation or could not be reached: the grant may still be
    /// live there, and the user has to remove Patchbay from the provider's connected apps.
    Failed(ApiError),
}

impl CoreState {
    /// "Connected as": the account name, looked up again from the provider.
    pub async fn account(
        &self,
        provider_id: &str,
        account: &AccountId,
    ) -> Result<String, ApiError> {
        let conn = self.account_connection(provider_id, account).await?;
        let (name, _) = conn.fetch_account().await?;
        Ok(name)
    }

    /// Removes one account: revokes its refresh token (RFC 7009, only where it was issued)
    /// and deletes its vault entries whatever the revocation's outcome, which it answers so
    /// the user can be told when the grant may still be live. The provider's other accounts
    /// are untouched.
    pub async fn disconnect(
        &self,
        provider_id: &str,
        account: &AccountId,
    ) -> Result<Revocation, ApiError> {
        let conn = self.account_connection(provider_id, account).await?;
        let revocation = match conn.revoke().await {
            Ok(()) => {
                tracing::info!(provider = %provider_id, "token revoked");
                Revocation::Done
            }
            Err(e) => {
                tracing::warn!(provider = %provider_id, error = %e, "revocation failed; deleting the tokens anyway");
                Revocation::Failed(e)
            }
        };
        self.last_synced
            .lock()
            .remove(&(provider_id.to_string(), account.clone()));
        conn.forget(false).await?;
        self.accounts.remove(provider_id, account).await?;
        self.connections
            .lock()
            .remove(&(provider_id.to_string(), account.clone()));
        self.changed(provider_id);
        Ok(revocation)
    }

    /// Moves single-account data (keychain entries written before worlds and accounts) into
    /// this world's first account, once: tokens, the user's client secret and the registered
    /// client, each bound to the definition in use. Each new entry is written before its old
    /// one is deleted, so an interruption loses nothing. Answers the providers upgraded.
    pub async fn upgrade_single_account(&self) -> Result<Vec<String>, ApiError> {
        let legacy_ns = self.config.namespace.clone();
        let mut upgraded = Vec::new();
        for def in &self.defs {
            let id = AccountId::upgraded();
            let old_tokens = VaultKey::new(&legacy_ns, &def.id, id.as_str(), "tokens");
            let old_secret = client_secret_key(&legacy_ns, &def.id);
            let old_client = discovery::client_key(&legacy_ns, &def.id);
            // The registration first: the tokens' origin names its endpoints.
            if let Some(v) = self.vault_get(&old_client).await? {
                let new = discovery::client_key(&self.namespace, &def.id);
                self.vault_set(&new, v).await?;
                self.vault_delete(&old_client).await?;
            }
            if let Some(v) = self.vault_get(&old_secret).await? {
                let bound = BoundSecret {
                    secret: v,
                    token_endpoint: def.token_url().map(Url::to_string).unwrap_or_default(),
                };
                let new = client_secret_key(&self.namespace, &def.id);
                self.vault_set(&new, bound.to_secret()).await?;
                self.vault_delete(&old_secret).await?;
            }
            let Some(v) = self.vault_get(&old_tokens).await? else {
                continue;
            };
            let conn = self.new_connection(def.clone(), id.clone());
            let origin = conn.expected_origin().await?;
            let tokens = StoredTokens::from_legacy_secret(&v, origin)?;
            let name = tokens.account.clone();
            let vars = tokens.vars.clone();
            self.vault_set(
                &tokens_key(&self.namespace, &def.id, &id),
                tokens.to_vault_secret(),
            )
            .await?;
            self.accounts
                .upsert(
                    &def.id,
                    AccountEntry {
                        id,
                        name,
                        vars,
                        connected_at: None,
                    },
                )
                .await?;
            self.vault_delete(&old_tokens).await?;
            tracing::info!(provider = %def.id, "single-account connection moved into the first account");
            upgraded.push(def.id.to_string());
        }
        Ok(upgraded)
    }
}
