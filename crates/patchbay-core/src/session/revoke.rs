//! RFC 7009 revocation on disconnect, only at the endpoint the tokens were issued with.

use super::request::describe;
use super::{check_endpoint, Connection, Endpoints};
use crate::error::ApiError;
use crate::providers::ClientAuth;
use crate::secret::ExposeSecret;

impl Connection {
    /// Revokes the stored refresh token (or the access token when there is none) per
    /// RFC 7009. The definition check allows only https endpoints (or http on loopback, for
    /// the sandbox), so this is done here rather than by the oauth2 crate, which refuses
    /// plain http outright. Not retried: the caller deletes the tokens whatever happens.
    pub(crate) async fn revoke(&self) -> Result<(), ApiError> {
        let Some(tokens) = self.current().await? else {
            return Ok(());
        };
        if tokens.api_key.is_some() {
            // An API key is the user's own: deleting our copy is all a disconnect can do.
            return Ok(());
        }
        self.check_origin(&tokens).await?;
        let Endpoints {
            client_id,
            token_url,
            revoke_url,
            ..
        } = self.endpoints().await?;
        let Some(url) = revoke_url else {
            return Ok(());
        };
        if tokens.origin.revocation_endpoint.as_deref() != Some(url.as_str()) {
            tracing::warn!(provider = %self.def.id, "the revocation endpoint is not the one the tokens were issued with; not revoking there");
            return Err(ApiError::OriginChanged);
        }
        check_endpoint(&self.def, self.world, &url)?;
        // The form borrows the token and the secret: no copy of either outlives the request.
        let (token, hint) = match &tokens.refresh {
            Some(r) => (r.secret().as_str(), "refresh_token"),
            None => (tokens.access.secret().as_str(), "access_token"),
        };
        let mut form = vec![("token", token), ("token_type_hint", hint)];
        let mut req = self.http.post(url);
        let secret = if self.def.client_auth() != ClientAuth::None {
            self.client_secret(&token_url).await?
        } else {
            None
        };
        match (self.def.client_auth(), &secret) {
            (ClientAuth::ClientSecretBasic, Some(s)) => {
                // RFC 6749 2.3.1: both are form-encoded before Basic, as the oauth2 crate does
                // at the token endpoint; a strict server refuses them raw.
                req = req.basic_auth(
                    form_encoded(&client_id),
                    Some(form_encoded(s.expose_secret())),
                );
            }
            (ClientAuth::ClientSecretPost, Some(s)) => {
                form.push(("client_id", client_id.as_str()));
                form.push(("client_secret", s.expose_secret()));
            }
            _ => form.push(("client_id", client_id.as_str())),
        }
        let resp = req
            .form(&form)
            .send()
            .await
            .map_err(|e| ApiError::Network(describe(&e)))?;
        match resp.status().as_u16() {
            200 => Ok(()),
            s => Err(ApiError::Http {
                status: s,
                detail: "revocation refused".into(),
            }),
        }
    }
}

/// `application/x-www-form-urlencoded` of one value (RFC 6749 appendix B).
fn form_encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::form_encoded;

    #[test]
    fn basic_credentials_are_form_encoded() {
        assert_eq!(form_encoded("a+b%c:d é"), "a%2Bb%25c%3Ad+%C3%A9");
        assert_eq!(form_encoded("plain-id_1.x*"), "plain-id_1.x*");
    }
}
