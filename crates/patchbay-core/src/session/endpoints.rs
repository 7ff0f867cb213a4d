//! Where a connection's tokens and client secret go: the token and revocation endpoints
//! (typed or discovered), the user's client secret bound to its endpoint, the oauth2 client.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, RevocationUrl,
    TokenUrl,
};
use url::Url;

use super::{blocking, BoundSecret, Connection};
use crate::error::ApiError;
use crate::http::TokenHttp;
use crate::providers::{ClientAuth, ProviderDef};
use crate::secret::{ExposeSecret, SecretString};
use crate::vault::VaultError;
use crate::world::World;

/// The oauth2 client a connection uses for refresh and revoke.
pub(crate) type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointSet>;

/// The token and revocation endpoints a connection uses, and the issuer they belong to.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    pub client_id: String,
    pub issuer: Option<String>,
    pub token_url: String,
    pub revoke_url: Option<String>,
}

impl Connection {
    /// the vault when the definition asks for one.
    /// The client id, token endpoint and revocation endpoint: typed in the definition, or
    /// found by discovery (and registration) and kept in the vault.
    pub(crate) async fn endpoints(&self) -> Result<Endpoints, ApiError> {
        let Some(discovery) = self.def.connection.discovery() else {
            return Ok(Endpoints {
                client_id: self.def.client_id().to_string(),
                issuer: self.def.issuer().map(|i| i.as_str().to_string()),
                token_url: self.def.token_url().map(Url::to_string).unwrap_or_default(),
                revoke_url: self.def.revoke_url().map(Url::to_string),
            });
        };
        let vault = self.vault.clone();
        let key = self.client_key.clone();
        let stored = blocking(move || vault.get(&key)).await?;
        match stored.and_then(|s| crate::discovery::OauthClient::from_secret(&s)) {
            // A registration made at another authorization server is not this provider's.
            Some(c) if crate::discovery::same_issuer(&c.issuer, discovery) => Ok(Endpoints {
                client_id: c.client_id,
                issuer: Some(c.issuer),
                token_url: c.token_endpoint,
                revoke_url: c.revocation_endpoint,
            }),
            Some(_) => Err(ApiError::OriginChanged),
            None => Err(ApiError::NeedsReconnect),
        }
    }

    /// The user's client secret, when it was saved for the token endpoint in use; a secret
    /// saved for another endpoint is never sent.
    pub(super) async fn client_secret(
        &self,
        token_url: &str,
    ) -> Result<Option<SecretString>, ApiError> {
        let vault = self.vault.clone();
        let key = self.secret_key.clone();
        let Some(stored) = blocking(move || vault.get(&key)).await? else {
            return Ok(None);
        };
        let bound = BoundSecret::read(&stored)?;
        if bound.token_endpoint == token_url {
            Ok(Some(bound.secret))
        } else {
            tracing::warn!(provider = %self.def.id, "the client secret was saved for another token endpoint; not sent");
            Err(ApiError::OriginChanged)
        }
    }

    /// Forgets a registered client the provider refused (the next connect registers again).
    pub(crate) async fn drop_registration(&self) -> Result<(), VaultError> {
        if !self.def.connection.registers_dynamically() {
            return Ok(());
        }
        tracing::warn!(provider = %self.def.id, "the provider refused the registered client; dropping it");
        let vault = self.vault.clone();
        let key = self.client_key.clone();
        blocking(move || vault.delete(&key)).await
    }

    /// The oauth2 client for the token and revocation endpoints, with the client secret from
    /// the vault when the definition asks for one.
    pub(crate) async fn token_client(&self) -> Result<TokenClient, ApiError> {
        let bad = |e: String| ApiError::TokenEndpoint(format!("bad endpoint URL: {e}"));
        let Endpoints {
            client_id,
            token_url,
            revoke_url,
            ..
        } = self.endpoints().await?;
        for url in std::iter::once(&token_url).chain(revoke_url.as_ref()) {
            check_endpoint(&self.def, self.world, url)?;
        }
        let secret = if self.def.client_auth() != ClientAuth::None {
            self.client_secret(&token_url).await?
        } else {
            None
        };
        let mut client = BasicClient::new(ClientId::new(client_id))
            .set_token_uri(TokenUrl::new(token_url).map_err(|e| bad(e.to_string()))?)
            .set_revocation_url_option(
                revoke_url
                    .map(RevocationUrl::new)
                    .transpose()
                    .map_err(|e| bad(e.to_string()))?,
            );
        if self.def.client_auth() != ClientAuth::None {
            if let Some(secret) = secret {
                client =
                    client.set_client_secret(ClientSecret::new(secret.expose_secret().to_string()));
            }
            client = client.set_auth_type(match self.def.client_auth() {
                ClientAuth::ClientSecretBasic => AuthType::BasicAuth,
                _ => AuthType::RequestBody,
            });
        }
        Ok(client)
    }

    pub(crate) fn token_http(&self) -> &TokenHttp {
        &self.token_http
    }
}

/// Whether `url` may receive `def`'s credentials in `world`: https, or plain http on a
/// loopback address only in the demo world or when the provider itself lives on loopback
/// (its issuer, or for an API-key provider its API), so an https provider's credentials never
/// go to whatever listens on this machine.
pub(crate) fn check_endpoint(def: &ProviderDef, world: World, url: &str) -> Result<(), ApiError> {
    let refused = |why: &str| ApiError::RefusedUrl(format!("{why}: {}", def.id));
    let parsed = Url::parse(url).map_err(|_| refused("not a URL"))?;
    let home = def
        .issuer()
        .map(|i| i.as_str())
        .or(def.connection.discovery())
        .unwrap_or(&def.api_base);
    let home = Url::parse(home).ok();
    crate::url_rules::endpoint_allowed(&parsed, world, home.as_ref())
        .map_err(|e| refused(&e.to_string()))
}
