//! OAuth discovery (RFC 8414) and dynamic client registration (RFC 7591): completes a
//! definition whose endpoints and client are not typed in it.

use std::sync::Arc;

use super::CoreState;
use crate::discovery::{self, OauthClient};
use crate::error::{ApiError, ConnectError};
use crate::providers::ProviderDef;
use crate::session::blocking;

impl CoreState {
    /// Discovery (RFC 8414) and, for `registration = "dynamic"`, the registered client
    /// (RFC 7591) from the vault or registered now. A stored registration the provider says
    /// is gone (RFC 7592 read), or that was made at another issuer, is dropped and redone.
    pub(super) async fn resolve_oauth(
        &self,
        def: &Arc<ProviderDef>,
    ) -> Result<Arc<ProviderDef>, ConnectError> {
        let _one_at_a_time = self.resolving.lock().await;
        let provider_id = def.id.to_string();
        let issuer = def.connection.discovery().unwrap_or_default().to_string();
        let dynamic = def.connection.registers_dynamically();
        let key = discovery::client_key(&self.namespace, &provider_id);
        let (vault, k) = (self.vault.clone(), key.clone());
        let stored = blocking(move || vault.get(&k))
            .await?
            .and_then(|s| OauthClient::from_secret(&s))
            .filter(|c| {
                let same = discovery::same_issuer(&c.issuer, &issuer);
                if !same {
                    tracing::warn!(provider = %provider_id, "the stored registration belongs to another issuer; discovering again");
                }
                same
            });
        let stored = match stored {
            Some(c) if dynamic => match discovery::still_registered(self.http(), &c).await {
                Some(false) => {
                    tracing::warn!(provider = %provider_id, "the provider no longer knows our registration; registering again");
                    let (vault, k) = (self.vault.clone(), key.clone());
                    blocking(move || vault.delete(&k)).await?;
                    None
                }
                _ => Some(c),
            },
            Some(c) if c.client_id == def.client_id() => Some(c),
            _ => None,
        };
        let client = match stored {
            Some(c) => c,
            None => {
                let md = discovery::fetch_metadata(self.http(), &issuer)
                    .await
                    .map_err(|detail| ConnectError::Discovery {
                        provider_id: provider_id.clone(),
                        detail,
                    })?;
                let c = if dynamic {
                    let c = discovery::register(self.http(), &md, def.scopes())
                        .await
                        .map_err(|detail| ConnectError::Registration {
                            provider_id: provider_id.clone(),
                            detail,
                        })?;
                    tracing::info!(provider = %provider_id, "registered as a public native client");
                    c
                } else {
                    OauthClient {
                        client_id: def.client_id().to_string(),
                        issuer: md.issuer,
                        authorization_endpoint: md.authorization_endpoint,
                        token_endpoint: md.token_endpoint,
                        revocation_endpoint: md.revocation_endpoint,
                        iss_parameter_supported: md.iss_parameter_supported,
                        registration_client_uri: None,
                        registration_access_token: None,
                    }
                };
                let (vault, k, secret) = (self.vault.clone(), key.clone(), c.to_secret());
                blocking(move || vault.set(&k, &secret)).await?;
                c
            }
        };
        let server = crate::providers::AuthServer::from_metadata(
            &client.issuer,
            client.iss_parameter_supported,
            &client.authorization_endpoint,
            &client.token_endpoint,
            client.revocation_endpoint.as_deref(),
        )
        .map_err(|detail| ConnectError::Discovery {
            provider_id: provider_id.clone(),
            detail,
        })?;
        let d = Arc::new(def.with_discovered(server, client.client_id));
        self.resolved.lock().insert(provider_id, d.clone());
        Ok(d)
    }

    /// Forgets the discovered endpoints and the registered client of a provider, so the next
    /// connect discovers and registers afresh (Settings: "Reset the registration"). For a
    /// provider that cannot tell us a registration is gone (no RFC 7592 read), this is the way
    /// out when its consent page refuses the client.
    pub async fn forget_registration(&self, provider_id: &str) -> Result<(), ApiError> {
        self.def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        self.resolved.lock().remove(provider_id);
        let vault = self.vault.clone();
        let key = discovery::client_key(&self.namespace, provider_id);
        blocking(move || vault.delete(&key)).await?;
        Ok(())
    }
}
