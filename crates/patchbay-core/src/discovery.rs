//! Where an OAuth provider's endpoints and client id come from when the definition does not
//! type them in: RFC 8414 authorization server metadata, and RFC 7591 dynamic registration
//! as a public native client (RFC 8252), kept in the vault and reused.

use serde_json::{json, Value};
use url::Url;

use crate::oauth::CUSTOM_SCHEME_REDIRECT;
use crate::secret::{ExposeSecret, SecretString};
use crate::vault::VaultKey;

/// The loopback redirect registered next to the custom scheme (any port, RFC 8252 7.3).
pub const LOOPBACK_REDIRECT: &str = "http://127.0.0.1/oauth/callback";

/// The vault item holding a provider's discovered endpoints and registered client.
pub fn client_key(namespace: &str, provider: &str) -> VaultKey {
    VaultKey::new(namespace, provider, "app", "oauth_client")
}

/// Whether two issuer identifiers name the same authorization server (RFC 8414 §3.3 compares
/// them exactly; only a trailing slash is forgiven, as definitions are typed by hand).
pub fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// What RFC 8414 metadata told us, and the client id to use with it.
#[derive(Debug, Clone)]
pub struct OauthClient {
    pub client_id: String,
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: Option<String>,
    pub iss_parameter_supported: bool,
    /// RFC 7592: where the registration can be read back, and the token to read it with.
    pub registration_client_uri: Option<String>,
    pub registration_access_token: Option<SecretString>,
}

/// How a registered client is kept in the vault (JSON). The registration access token is a
/// plain string only inside this value, which itself travels as a secret.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredClient {
    #[serde(default = "version_1")]
    v: u32,
    client_id: String,
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    revocation_endpoint: Option<String>,
    #[serde(default)]
    iss_parameter_supported: bool,
    #[serde(default)]
    registration_client_uri: Option<String>,
    #[serde(default)]
    registration_access_token: Option<String>,
}

fn version_1() -> u32 {
    1
}

impl OauthClient {
    pub fn to_secret(&self) -> SecretString {
        let stored = StoredClient {
            v: 1,
            client_id: self.client_id.clone(),
            issuer: self.issuer.clone(),
            authorization_endpoint: self.authorization_endpoint.clone(),
            token_endpoint: self.token_endpoint.clone(),
            revocation_endpoint: self.revocation_endpoint.clone(),
            iss_parameter_supported: self.iss_parameter_supported,
            registration_client_uri: self.registration_client_uri.clone(),
            registration_access_token: self
                .registration_access_token
                .as_ref()
                .map(|t| t.expose_secret().to_string()),
        };
        SecretString::from(serde_json::to_string(&stored).expect("a struct of strings serializes"))
    }

    /// The stored client; `None` when the entry is unreadable (it is then registered again).
    pub fn from_secret(s: &SecretString) -> Option<Self> {
        let c: StoredClient = serde_json::from_str(s.expose_secret()).ok()?;
        Some(Self {
            client_id: c.client_id,
            issuer: c.issuer,
            authorization_endpoint: c.authorization_endpoint,
            token_endpoint: c.token_endpoint,
            revocation_endpoint: c.revocation_endpoint,
            iss_parameter_supported: c.iss_parameter_supported,
            registration_client_uri: c.registration_client_uri,
            registration_access_token: c.registration_access_token.map(SecretString::from),
        })
    }
}

/// RFC 8414 metadata, checked.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: Option<String>,
    pub registration_endpoint: Option<String>,
    pub iss_parameter_supported: bool,
}

/// RFC 8414 section 3.1: `.well-known/oauth-authorization-server` goes between the host and
/// the issuer's path.
pub fn metadata_url(issuer: &str) -> Result<Url, String> {
    let mut url = Url::parse(issuer).map_err(|e| format!("issuer {issuer:?}: {e}"))?;
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    url.set_query(None);
    Ok(url)
}

/// The one URL rule: https, or http to a loopback IP literal only when the issuer itself is
/// one (never the name localhost): an https server's metadata cannot point Patchbay at
/// whatever listens on this machine.
fn secure(u: &str, issuer: &str) -> bool {
    let issuer = Url::parse(issuer).ok();
    Url::parse(u).is_ok_and(|u| crate::url_rules::https_or_loopback(&u, issuer.as_ref()).is_ok())
}

/// A JSON answer of an OAuth server, read up to [`crate::http::OAUTH_BODY_CAP`].
async fn json_capped(resp: reqwest::Response) -> Result<Value, String> {
    let bytes = crate::http::read_capped(resp, crate::http::OAUTH_BODY_CAP)
        .await
        .map_err(|e| match e {
            crate::http::CappedReadError::TooLarge { .. } => "the answer is too large".to_string(),
            crate::http::CappedReadError::Broken(e) => {
                format!("the answer broke off: {}", e.without_url())
            }
        })?;
    serde_json::from_slice(&bytes).map_err(|_| "the answer is not JSON".to_string())
}

/// Fetches and checks the metadata: same issuer (RFC 8414 section 3.3), S256, the code flow,
/// https endpoints.
pub async fn fetch_metadata(http: &reqwest::Client, issuer: &str) -> Result<Metadata, String> {
    let url = metadata_url(issuer)?;
    let resp = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| format!("could not fetch the metadata: {}", e.without_url()))?;
    if !resp.status().is_success() {
        return Err(format!("metadata answered HTTP {}", resp.status().as_u16()));
    }
    let v = json_capped(resp)
        .await
        .map_err(|e| format!("metadata: {e}"))?;
    let text = |k: &str| v[k].as_str().map(str::to_string);
    let got = text("issuer").unwrap_or_default();
    if got.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(format!(
            "metadata names issuer {got:?}, expected {issuer:?}"
        ));
    }
    let list_has = |k: &str, want: &str| {
        v[k].as_array()
            .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(want)))
    };
    if v.get("code_challenge_methods_supported").is_some()
        && !list_has("code_challenge_methods_supported", "S256")
    {
        return Err("the server does not support PKCE S256".into());
    }
    let md = Metadata {
        issuer: got,
        authorization_endpoint: text("authorization_endpoint")
            .ok_or("metadata has no authorization_endpoint")?,
        token_endpoint: text("token_endpoint").ok_or("metadata has no token_endpoint")?,
        revocation_endpoint: text("revocation_endpoint"),
        registration_endpoint: text("registration_endpoint"),
        iss_parameter_supported: v["authorization_response_iss_parameter_supported"]
            .as_bool()
            .unwrap_or(false),
    };
    for u in [
        Some(&md.authorization_endpoint),
        Some(&md.token_endpoint),
        md.revocation_endpoint.as_ref(),
        md.registration_endpoint.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        if !secure(u, issuer) {
            return Err(format!(
                "metadata endpoint {u:?} is not https (nor loopback under a loopback issuer)"
            ));
        }
    }
    Ok(md)
}

/// RFC 7591: registers Patchbay as a public native client.
pub async fn register(
    http: &reqwest::Client,
    md: &Metadata,
    scopes: &[String],
) -> Result<OauthClient, String> {
    let endpoint = md
        .registration_endpoint
        .as_deref()
        .ok_or("the metadata names no registration_endpoint")?;
    let mut body = json!({
        "client_name": "Patchbay",
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "redirect_uris": [CUSTOM_SCHEME_REDIRECT, LOOPBACK_REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    });
    if !scopes.is_empty() {
        body["scope"] = json!(scopes.join(" "));
    }
    let resp = http.post(endpoint).json(&body).send().await.map_err(|e| {
        format!(
            "could not reach the registration endpoint: {}",
            e.without_url()
        )
    })?;
    let status = resp.status().as_u16();
    let v = json_capped(resp).await.unwrap_or(Value::Null);
    if !(200..300).contains(&status) {
        let error = v["error"].as_str().unwrap_or("no error code");
        return Err(format!("HTTP {status}: {error}"));
    }
    let client_id = v["client_id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or("the registration answer has no client_id")?;
    Ok(OauthClient {
        client_id: client_id.to_string(),
        issuer: md.issuer.clone(),
        authorization_endpoint: md.authorization_endpoint.clone(),
        token_endpoint: md.token_endpoint.clone(),
        revocation_endpoint: md.revocation_endpoint.clone(),
        iss_parameter_supported: md.iss_parameter_supported,
        registration_client_uri: v["registration_client_uri"]
            .as_str()
            .filter(|u| secure(u, &md.issuer))
            .map(str::to_string),
        registration_access_token: v["registration_access_token"]
            .as_str()
            .map(SecretString::from),
    })
}

/// Whether the provider still knows a registered client (RFC 7592 read). `Some(false)` when
/// it says the registration is gone; `None` when it cannot tell (no read endpoint, network
/// trouble): then the registration is used and a refusal is handled where it shows.
pub async fn still_registered(http: &reqwest::Client, client: &OauthClient) -> Option<bool> {
    let (Some(uri), Some(token)) = (
        &client.registration_client_uri,
        &client.registration_access_token,
    ) else {
        return None;
    };
    let resp = http
        .get(uri)
        .bearer_auth(token.expose_secret())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .ok()?;
    match resp.status().as_u16() {
        200..=299 => Some(true),
        401 | 403 | 404 => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_url_inserts_the_well_known_part() {
        assert_eq!(
            metadata_url("https://accounts.myclickfunnels.com")
                .unwrap()
                .as_str(),
            "https://accounts.myclickfunnels.com/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            metadata_url("http://127.0.0.1:9/clickfunnels")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:9/.well-known/oauth-authorization-server/clickfunnels"
        );
    }

    #[test]
    fn metadata_endpoints_are_loopback_only_under_a_loopback_issuer() {
        let token = "http://127.0.0.1:9/clickfunnels/oauth/token";
        assert!(secure(token, "http://127.0.0.1:9/clickfunnels"));
        assert!(!secure(token, "https://accounts.myclickfunnels.com"));
        assert!(!secure(
            "http://localhost:9/clickfunnels/oauth/token",
            "http://127.0.0.1:9/clickfunnels"
        ));
        assert!(secure(
            "https://accounts.myclickfunnels.com/oauth/token",
            "https://accounts.myclickfunnels.com"
        ));
        // The endpoints kept after discovery are held to the same rule.
        let from = |issuer: &str, token: &str| {
            crate::providers::AuthServer::from_metadata(
                issuer,
                true,
                &format!("{issuer}/oauth/authorize"),
                token,
                None,
            )
        };
        assert!(from("https://accounts.myclickfunnels.com", token).is_err());
        assert!(from("http://127.0.0.1:9/clickfunnels", token).is_ok());
    }

    #[test]
    fn stored_client_round_trips_and_redacts() {
        let c = OauthClient {
            client_id: "cf-1".into(),
            issuer: "https://a".into(),
            authorization_endpoint: "https://a/authorize".into(),
            token_endpoint: "https://a/token".into(),
            revocation_endpoint: None,
            iss_parameter_supported: true,
            registration_client_uri: Some("https://a/register/cf-1".into()),
            registration_access_token: Some(SecretString::from("rat-secret")),
        };
        let back = OauthClient::from_secret(&c.to_secret()).expect("round trip");
        assert_eq!(back.client_id, "cf-1");
        assert_eq!(back.issuer, "https://a");
        assert_eq!(back.authorization_endpoint, "https://a/authorize");
        assert_eq!(back.token_endpoint, "https://a/token");
        assert_eq!(back.revocation_endpoint, None);
        assert!(back.iss_parameter_supported);
        assert_eq!(
            back.registration_client_uri.as_deref(),
            Some("https://a/register/cf-1")
        );
        assert_eq!(
            back.registration_access_token
                .as_ref()
                .map(|t| t.expose_secret()),
            Some("rat-secret")
        );
        assert!(!format!("{c:?}").contains("rat-secret"));
        assert!(OauthClient::from_secret(&SecretString::from("{}")).is_none());
    }
}
