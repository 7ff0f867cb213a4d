//! How a provider lets Patchbay in (`[connection]` in a definition file), typed so that wrong
//! states cannot be written: OAuth endpoints and the OAuth client exist only inside
//! [`ConnectionDef::Oauth`], either typed in ([`ServerSource::Fixed`]) or found by discovery
//! ([`ServerSource::Discovery`]), never both and never neither; every URL is a parsed
//! [`Url`] that passed the one URL rule when the file was loaded.

use std::collections::HashSet;

use serde::Deserialize;
use url::Url;

use super::check::{check_url, Refusal};

/// How a provider really lets an app in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionDef {
    /// OAuth 2.0 authorization code + PKCE (boxed: it is several times an API key's size).
    Oauth(Box<OAuthDef>),
    /// An API key (or token and secret) the user copies from the provider's settings.
    ApiKey {
        fields: Vec<KeyFieldDef>,
        send: KeySend,
        /// Where in the provider's web app the key lives (a link for the form; https).
        help_url: Option<String>,
        /// One sentence for the form: where to find the key.
        help_text: String,
        /// The menu path alone ("Integrations → API Keys"), for error messages.
        location: String,
    },
}

/// An OAuth connection: where the authorization server is, and who Patchbay is to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthDef {
    pub server: ServerSource,
    pub scopes: Vec<String>,
    /// Empty for a dynamically registered client (RFC 7591) and for a client id the user
    /// gives in Settings.
    pub client_id: String,
    pub client_auth: ClientAuth,
    pub redirect: RedirectKind,
    /// Whether the provider's access tokens run out. `false` for a provider whose tokens last
    /// until revoked and which issues no refresh token (ClickFunnels): its `expires_in` is
    /// informational, so the client must not treat the token as expired nor refresh it.
    pub access_token_expires: bool,
}

/// Where an OAuth provider's endpoints come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerSource {
    /// Typed in the definition.
    Fixed(AuthServer),
    /// From the RFC 8414 metadata of `discovery`; `found` is filled in a copy of the
    /// definition once discovery ran (the core keeps that copy for the connect in progress).
    Discovery {
        discovery: Url,
        registration: Registration,
        found: Option<AuthServer>,
    },
}

/// An authorization server's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthServer {
    pub issuer: Option<Issuer>,
    pub authorize_url: Url,
    pub token_url: Url,
    pub revoke_url: Option<Url>,
}

impl AuthServer {
    /// The endpoints RFC 8414 metadata named (already checked by discovery), held to the
    /// same URL rule as a definition's.
    pub fn from_metadata(
        issuer: &str,
        iss_parameter_supported: bool,
        authorization_endpoint: &str,
        token_endpoint: &str,
        revocation_endpoint: Option<&str>,
    ) -> Result<Self, String> {
        let why = |(_, message): Refusal| message;
        let issuer = Issuer::parse(issuer, iss_parameter_supported).map_err(why)?;
        // The endpoints are held to the issuer: loopback only under a loopback issuer.
        let home = Some(issuer.url().clone());
        Ok(Self {
            authorize_url: check_url(
                "authorization_endpoint",
                "the authorization endpoint",
                authorization_endpoint,
                home.as_ref(),
            )
            .map_err(why)?,
            token_url: check_url(
                "token_endpoint",
                "the token endpoint",
                token_endpoint,
                home.as_ref(),
            )
            .map_err(why)?,
            revoke_url: revocation_endpoint
                .map(|r| {
                    check_url(
                        "revocation_endpoint",
                        "the revocation endpoint",
                        r,
                        home.as_ref(),
                    )
                })
                .transpose()
                .map_err(why)?,
            issuer: Some(issuer),
        })
    }
}

/// The authorization server's issuer identifier (RFC 8414 / RFC 9207).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// As written: RFC 9207 compares `iss` character for character, and a parsed URL would
    /// add a `/` to an issuer without a path.
    text: String,
    url: Url,
    /// Whether the provider returns `iss` on the redirect; then it must match.
    pub iss_parameter_supported: bool,
}

impl Issuer {
    /// An issuer that passes the URL rule (as a definition's URLs do); it is its own home
    /// (a loopback issuer is a provider on this machine: a test sandbox).
    pub fn parse(text: &str, iss_parameter_supported: bool) -> Result<Self, Refusal> {
        let home = Url::parse(text).ok();
        Ok(Self {
            url: check_url("issuer", "issuer", text, home.as_ref())?,
            text: text.to_string(),
            iss_parameter_supported,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn url(&self) -> &Url {
        &self.url
    }
}

/// Where an OAuth client id comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// `client_id` in the definition (or the user's Settings).
    #[default]
    Static,
    /// RFC 7591 dynamic registration as a public native client, kept in the vault.
    Dynamic,
}

/// One field of an API-key form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFieldDef {
    pub key: String,
    pub label: String,
    /// Masked in the form (default true).
    #[serde(default = "yes")]
    pub secret: bool,
}

fn yes() -> bool {
    true
}

/// How the key travels on every request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "scheme", rename_all = "snake_case", deny_unknown_fields)]
pub enum KeySend {
    /// HTTP Basic with two fields as user name and password.
    Basic { username: String, password: String },
    /// `Authorization: Bearer <field>`.
    Bearer { field: String },
    /// `<name>: <field>`.
    Header { name: String, field: String },
}

impl KeySend {
    /// The field keys this scheme reads.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            KeySend::Basic { username, password } => vec![username, password],
            KeySend::Bearer { field } | KeySend::Header { field, .. } => vec![field],
        }
    }
}

/// How the app authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// A public client: PKCE only.
    #[default]
    None,
    /// A client secret read from the vault, sent in the request body.
    ClientSecretPost,
    /// A client secret read from the vault, sent with HTTP Basic.
    ClientSecretBasic,
}

/// Which redirect URI the provider gets (RFC 8252).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectKind {
    /// `dev.patchbay:/oauth/callback`, delivered by the OS as a deep link.
    #[default]
    CustomScheme,
    /// `http://127.0.0.1:PORT/oauth/callback`, served by a one-shot loopback listener.
    Loopback,
}

impl ConnectionDef {
    pub fn is_api_key(&self) -> bool {
        matches!(self, ConnectionDef::ApiKey { .. })
    }

    pub fn oauth(&self) -> Option<&OAuthDef> {
        match self {
            ConnectionDef::Oauth(o) => Some(o),
            ConnectionDef::ApiKey { .. } => None,
        }
    }

    pub fn oauth_mut(&mut self) -> Option<&mut OAuthDef> {
        match self {
            ConnectionDef::Oauth(o) => Some(o),
            ConnectionDef::ApiKey { .. } => None,
        }
    }

    /// Whether the client registers itself (RFC 7591) on first connect.
    pub fn registers_dynamically(&self) -> bool {
        matches!(
            self.oauth().map(|o| &o.server),
            Some(ServerSource::Discovery {
                registration: Registration::Dynamic,
                ..
            })
        )
    }

    /// The issuer whose RFC 8414 metadata names the endpoints, when they are discovered.
    pub fn discovery_url(&self) -> Option<&Url> {
        match self.oauth().map(|o| &o.server) {
            Some(ServerSource::Discovery { discovery, .. }) => Some(discovery),
            _ => None,
        }
    }

    /// [`ConnectionDef::discovery_url`] as an issuer identifier: without the `/` a parsed
    /// URL adds to an empty path, as RFC 8414 compares issuers.
    pub fn discovery(&self) -> Option<&str> {
        self.discovery_url()
            .map(|u| u.as_str().trim_end_matches('/'))
    }
}

impl OAuthDef {
    /// The endpoints in use: typed in, or found by discovery (`None` before discovery ran).
    pub fn endpoints(&self) -> Option<&AuthServer> {
        match &self.server {
            ServerSource::Fixed(s) => Some(s),
            ServerSource::Discovery { found, .. } => found.as_ref(),
        }
    }

    /// Mutable access to typed-in endpoints (tests re-point them; Settings never does).
    pub fn fixed_mut(&mut self) -> Option<&mut AuthServer> {
        match &mut self.server {
            ServerSource::Fixed(s) => Some(s),
            ServerSource::Discovery { .. } => None,
        }
    }
}

/// `[connection]` as written in a definition file: plain strings, turned into a
/// [`ConnectionDef`] by [`ConnectionFile::into_def`], which says which key is wrong and why.
#[derive(Debug, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub(super) enum ConnectionFile {
    Oauth(OAuthFile),
    ApiKey(ApiKeyFile),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OAuthFile {
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    iss_parameter_supported: bool,
    /// The issuer whose RFC 8414 metadata names the endpoints, instead of the three URLs.
    #[serde(default)]
    discovery: Option<String>,
    #[serde(default)]
    registration: Registration,
    #[serde(default)]
    authorize_url: Option<String>,
    #[serde(default)]
    token_url: Option<String>,
    #[serde(default)]
    revoke_url: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_auth: ClientAuth,
    #[serde(default)]
    redirect: RedirectKind,
    #[serde(default = "yes")]
    access_token_expires: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ApiKeyFile {
    fields: Vec<KeyFieldDef>,
    send: KeySend,
    #[serde(default)]
    help_url: Option<String>,
    help_text: String,
    location: String,
}

fn refusal(key: &str, message: impl Into<String>) -> Refusal {
    (key.to_string(), message.into())
}

impl ConnectionFile {
    /// The issuer as written (or the one whose metadata names the endpoints), if any.
    pub(super) fn issuer(&self) -> Option<&str> {
        match self {
            ConnectionFile::Oauth(o) => o.discovery.as_deref().or(o.issuer.as_deref()),
            ConnectionFile::ApiKey(_) => None,
        }
    }

    /// The connection, its URLs held to the provider's `home` (see `check::home_of`).
    pub(super) fn into_def(self, home: Option<&Url>) -> Result<ConnectionDef, Refusal> {
        match self {
            ConnectionFile::Oauth(o) => o.into_def(home).map(|o| ConnectionDef::Oauth(Box::new(o))),
            ConnectionFile::ApiKey(k) => k.into_def(),
        }
    }
}

impl OAuthFile {
    fn into_def(self, home: Option<&Url>) -> Result<OAuthDef, Refusal> {
        let server = match self.discovery {
            Some(d) => {
                // Everything the metadata says must come from it, or the two could disagree.
                for (key, set) in [
                    ("issuer", self.issuer.is_some()),
                    ("authorize_url", self.authorize_url.is_some()),
                    ("token_url", self.token_url.is_some()),
                    ("revoke_url", self.revoke_url.is_some()),
                    ("iss_parameter_supported", self.iss_parameter_supported),
                ] {
                    if set {
                        return Err(refusal(
                            key,
                            format!("{key} comes from the discovery metadata; remove it or remove discovery"),
                        ));
                    }
                }
                ServerSource::Discovery {
                    discovery: check_url("discovery", "discovery", &d, home)?,
                    registration: self.registration,
                    found: None,
                }
            }
            None => {
                if self.registration == Registration::Dynamic {
                    return Err(refusal(
                        "registration",
                        "registration = \"dynamic\" needs discovery (the registration endpoint comes from the metadata)",
                    ));
                }
                let required = |key: &str, v: Option<String>| {
                    let v = v.filter(|v| !v.is_empty()).ok_or_else(|| {
                        refusal(key, format!("{key} is required unless discovery is set"))
                    })?;
                    check_url(key, key, &v, home)
                };
                let issuer = match self.issuer {
                    Some(i) => Some(Issuer::parse(&i, self.iss_parameter_supported)?),
                    None if self.iss_parameter_supported => {
                        return Err(refusal(
                            "iss_parameter_supported",
                            "iss_parameter_supported needs an issuer",
                        ))
                    }
                    None => None,
                };
                ServerSource::Fixed(AuthServer {
                    issuer,
                    authorize_url: required("authorize_url", self.authorize_url)?,
                    token_url: required("token_url", self.token_url)?,
                    revoke_url: self
                        .revoke_url
                        .map(|r| check_url("revoke_url", "revoke_url", &r, home))
                        .transpose()?,
                })
            }
        };
        let registered = matches!(
            server,
            ServerSource::Discovery {
                registration: Registration::Dynamic,
                ..
            }
        );
        if !registered && self.client_id.is_empty() && self.client_auth == ClientAuth::None {
            return Err(refusal("client_id", "client_id must not be empty"));
        }
        Ok(OAuthDef {
            server,
            scopes: self.scopes,
            client_id: self.client_id,
            client_auth: self.client_auth,
            redirect: self.redirect,
            access_token_expires: self.access_token_expires,
        })
    }
}

impl ApiKeyFile {
    fn into_def(self) -> Result<ConnectionDef, Refusal> {
        if self.fields.is_empty() {
            return Err(refusal("fields", "an api_key connection needs fields"));
        }
        let mut seen = HashSet::new();
        for f in &self.fields {
            if f.key.is_empty() || !seen.insert(f.key.as_str()) {
                return Err(refusal(
                    "fields",
                    format!("field key {:?} is empty or repeated", f.key),
                ));
            }
        }
        if let Some(missing) = self.send.fields().into_iter().find(|k| !seen.contains(k)) {
            return Err(refusal(
                "send",
                format!("send uses field {missing:?}, which fields does not list"),
            ));
        }
        if let KeySend::Header { name, .. } = &self.send {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(refusal("send", format!("{name:?} is not a header name")));
            }
        }
        if let Some(u) = &self.help_url {
            // A link the marketer opens, not an address that receives credentials: https only.
            if !Url::parse(u).is_ok_and(|u| u.scheme() == "https") {
                return Err(refusal("help_url", "help_url must be an https URL"));
            }
        }
        Ok(ConnectionDef::ApiKey {
            fields: self.fields,
            send: self.send,
            help_url: self.help_url,
            help_text: self.help_text,
            location: self.location,
        })
    }
}
