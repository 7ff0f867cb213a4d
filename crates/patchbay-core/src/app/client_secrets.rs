//! The user's own client secret (BoomTown outside demo mode), bound to the token endpoint
//! it was saved for.

use super::CoreState;
use crate::error::ApiError;
use crate::providers::ClientAuth;
use crate::secret::{ExposeSecret, SecretString};
use crate::session::{client_secret_key, BoundSecret};
use url::Url;

impl CoreState {
    /// Whether the provider's token endpoint wants the user's own client secret (BoomTown
    /// outside demo mode): Settings shows a secret field for these.
    pub fn needs_client_secret(&self, provider_id: &str) -> bool {
        self.def(provider_id)
            .is_some_and(|d| d.client_auth() != ClientAuth::None)
    }

    /// Keeps (or with `None` deletes) the user's client secret in the vault, bound to the
    /// token endpoint of the definition in use: it is never sent anywhere else. It never goes
    /// to a file or back to the window.
    pub async fn set_client_secret(
        &self,
        provider_id: &str,
        secret: Option<SecretString>,
    ) -> Result<(), ApiError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        let key = client_secret_key(&self.namespace, provider_id);
        match secret.filter(|s| !s.expose_secret().trim().is_empty()) {
            Some(s) => {
                let token_url = def.token_url().map_or("", Url::as_str);
                self.check_endpoint(def, token_url)?;
                let bound = BoundSecret {
                    secret: SecretString::from(s.expose_secret().trim()),
                    token_endpoint: token_url.to_string(),
                };
                self.vault_set(&key, bound.to_secret()).await
            }
            None => self.vault_delete(&key).await,
        }
    }

    /// Whether a client secret is stored for the token endpoint in use (Settings shows
    /// "saved", never the value).
    pub async fn has_client_secret(&self, provider_id: &str) -> bool {
        let Some(def) = self.def(provider_id) else {
            return false;
        };
        let key = client_secret_key(&self.namespace, provider_id);
        match self.vault_get(&key).await {
            Ok(Some(s)) => BoundSecret::read(&s)
                .is_ok_and(|b| Some(b.token_endpoint.as_str()) == def.token_url().map(Url::as_str)),
            _ => false,
        }
    }
}
