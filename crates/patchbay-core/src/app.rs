//! The facade the Tauri shell calls: [`Patchbay`].

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oauth2::basic::BasicErrorResponseType;
use oauth2::{RequestTokenError, TokenResponse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use crate::discovery::{self, OauthClient};
use crate::error::{ApiError, ConnectError};
use crate::http::{build_client, HttpSettings, TokenHttpError};
use crate::oauth::{
    authorize_request, Callback, PendingTable, CUSTOM_SCHEME_REDIRECT, PENDING_MAX, PENDING_TTL,
};
use crate::paging::{fetch_all, stream_all, Record};
use crate::providers::{
    fill_placeholders, load_with_overrides, ClientAuth, ConnectionDef, DefinitionError,
    ProviderDef, RedirectKind,
};
use crate::secret::SecretString;
use crate::session::{blocking, unix_now, value_text, Connection, KeyValues, StoredTokens};
use crate::vault::{build_namespace, Vault, VaultKey};
use crate::views::{
    AuthMethodView, Cell, ConnectOutcome, ConnectionState, ProviderTile, RecordPage, ResourceView,
    SyncProgress, UserError,
};

/// Settings of a [`Patchbay`]; tests shorten the timings.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Vault namespace (build kind); defaults to [`build_namespace`].
    pub namespace: String,
    pub http: HttpSettings,
    pub pending_ttl: Duration,
    pub pending_max: usize,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            namespace: build_namespace().to_string(),
            http: HttpSettings::default(),
            pending_ttl: PENDING_TTL,
            pending_max: PENDING_MAX,
        }
    }
}

/// Patchbay's core: provider definitions, connections, syncs.
#[derive(Debug)]
pub struct Patchbay {
    defs: Vec<Arc<ProviderDef>>,
    load_errors: Vec<DefinitionError>,
    vault: Arc<dyn Vault>,
    config: CoreConfig,
    http: reqwest::Client,
    pending: PendingTable,
    connections: Mutex<HashMap<String, Arc<Connection>>>,
    loopbacks: Mutex<HashMap<String, tokio::sync::oneshot::Receiver<String>>>,
    last_synced: Mutex<HashMap<String, String>>,
    /// Definitions completed by discovery and registration, by provider (the issuer a
    /// callback is checked against).
    resolved: Mutex<HashMap<String, Arc<ProviderDef>>>,
    /// One discovery/registration at a time, so two quick clicks register once.
    resolving: tokio::sync::Mutex<()>,
}

impl Patchbay {
    /// The given definitions.
    pub fn new(defs: Vec<ProviderDef>, vault: Arc<dyn Vault>, config: CoreConfig) -> Self {
        Self {
            defs: defs.into_iter().map(Arc::new).collect(),
            load_errors: Vec::new(),
            http: build_client(&config.http),
            pending: PendingTable::new(config.pending_ttl, config.pending_max),
            vault,
            config,
            connections: Mutex::new(HashMap::new()),
            loopbacks: Mutex::new(HashMap::new()),
            last_synced: Mutex::new(HashMap::new()),
            resolved: Mutex::new(HashMap::new()),
            resolving: tokio::sync::Mutex::new(()),
        }
    }

    /// The built-in definitions, each overridden by a valid file in `override_dir`; invalid
    /// files are kept as [`Patchbay::definition_errors`].
    pub fn load(override_dir: Option<&Path>, vault: Arc<dyn Vault>, config: CoreConfig) -> Self {
        let (defs, errors) = load_with_overrides(override_dir);
        for e in &errors {
            tracing::warn!(error = %e, "provider definition rejected");
        }
        let mut me = Self::new(defs, vault, config);
        me.load_errors = errors;
        me
    }

    /// The desktop app's core: built-in definitions with the user's overrides
    /// (`<config dir>/patchbay/providers/*.toml`), the OS keychain, or the plaintext file the
    /// user explicitly opted in to when there is no keychain.
    pub fn open_default(insecure_storage_opt_in: Option<std::path::PathBuf>) -> Self {
        let dir = crate::providers::user_override_dir();
        Self::load(
            dir.as_deref(),
            crate::vault::system_vault(insecure_storage_opt_in),
            CoreConfig::default(),
        )
    }

    /// Demo mode: every provider URL points at the sandbox at `sandbox_url`.
    pub fn demo(mut self, sandbox_url: &str) -> Self {
        self.defs = self
            .defs
            .iter()
            .map(|d| {
                let mut d = (**d).clone();
                d.rewrite_for_demo(sandbox_url);
                Arc::new(d)
            })
            .collect();
        self.connections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self
    }

    /// Where secrets are kept (Settings shows it; `Unavailable` explains the fix on connect).
    pub fn vault_kind(&self) -> crate::vault::VaultKind {
        self.vault.kind()
    }

    pub fn definition_errors(&self) -> &[DefinitionError] {
        &self.load_errors
    }

    pub fn providers(&self) -> &[Arc<ProviderDef>] {
        &self.defs
    }

    fn def(&self, id: &str) -> Option<&Arc<ProviderDef>> {
        self.defs.iter().find(|d| d.id == id)
    }

    /// The connection object of a provider (created on first use).
    pub fn connection(&self, provider_id: &str) -> Option<Arc<Connection>> {
        let def = self.def(provider_id)?.clone();
        let mut map = self.connections.lock().unwrap_or_else(|e| e.into_inner());
        Some(
            map.entry(provider_id.to_string())
                .or_insert_with(|| {
                    Arc::new(Connection::new(
                        def,
                        self.vault.clone(),
                        &self.config.namespace,
                        self.http.clone(),
                        self.config.http.clone(),
                    ))
                })
                .clone(),
        )
    }

    /// One tile a provider, with its connection state.
    pub async fn tiles(&self) -> Vec<ProviderTile> {
        let mut tiles = Vec::new();
        for def in &self.defs {
            let state = self.state_of(&def.id).await;
            tiles.push(ProviderTile::new(def, state));
        }
        tiles
    }

    async fn state_of(&self, provider_id: &str) -> ConnectionState {
        let Some(conn) = self.connection(provider_id) else {
            return ConnectionState::NotConnected;
        };
        if self.pending.is_pending(provider_id) {
            return ConnectionState::WaitingForApproval;
        }
        match conn.current().await {
            Ok(Some(t)) => ConnectionState::Connected {
                account: t.account,
                last_synced: self
                    .last_synced
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(provider_id)
                    .cloned(),
            },
            _ if conn.needs_reconnect().await => ConnectionState::NeedsReconnect,
            _ => ConnectionState::NotConnected,
        }
    }

    /// Starts connecting: returns the authorize URL to open in the browser.
    pub async fn begin_connect(&self, provider_id: &str) -> Result<Url, ConnectError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ConnectError::UnknownProvider(provider_id.into()))?
            .clone();
        if def.connection.is_api_key() {
            return Err(ConnectError::UsesApiKey {
                provider_id: provider_id.into(),
            });
        }
        if def.client_auth != ClientAuth::None
            && (def.client_id.is_empty() || !self.has_client_secret(provider_id).await)
        {
            return Err(ConnectError::NeedsClientCredentials {
                provider_id: provider_id.into(),
            });
        }
        let def = if def.connection.discovery().is_some() {
            self.resolve_oauth(&def).await?
        } else {
            def
        };
        let def = &def;
        let redirect = match def.redirect {
            RedirectKind::CustomScheme => CUSTOM_SCHEME_REDIRECT.to_string(),
            RedirectKind::Loopback => self.start_loopback(provider_id).await?,
        };
        let (url, pending) = authorize_request(def, &redirect).map_err(ConnectError::Config)?;
        self.pending.insert(pending);
        tracing::info!(provider = %provider_id, "connect started");
        Ok(url)
    }

    /// Discovery (RFC 8414) and, for `registration = "dynamic"`, the registered client
    /// (RFC 7591) from the vault or registered now. A stored registration the provider says
    /// is gone (RFC 7592 read) is dropped and redone, once.
    async fn resolve_oauth(
        &self,
        def: &Arc<ProviderDef>,
    ) -> Result<Arc<ProviderDef>, ConnectError> {
        let _one_at_a_time = self.resolving.lock().await;
        let provider_id = def.id.clone();
        let issuer = def.connection.discovery().unwrap_or_default().to_string();
        let dynamic = def.connection.registers_dynamically();
        let key = discovery::client_key(&self.config.namespace, &provider_id);
        let (vault, k) = (self.vault.clone(), key.clone());
        let stored = blocking(move || vault.get(&k))
            .await?
            .and_then(|s| OauthClient::from_secret(&s));
        let stored = match stored {
            Some(c) if dynamic => match discovery::still_registered(&self.http, &c).await {
                Some(false) => {
                    tracing::warn!(provider = %provider_id, "the provider no longer knows our registration; registering again");
                    let (vault, k) = (self.vault.clone(), key.clone());
                    blocking(move || vault.delete(&k)).await?;
                    None
                }
                _ => Some(c),
            },
            Some(c) if c.client_id == def.client_id => Some(c),
            _ => None,
        };
        let client = match stored {
            Some(c) => c,
            None => {
                let md = discovery::fetch_metadata(&self.http, &issuer)
                    .await
                    .map_err(|detail| ConnectError::Discovery {
                        provider_id: provider_id.clone(),
                        detail,
                    })?;
                let c = if dynamic {
                    let c = discovery::register(&self.http, &md, &def.scopes)
                        .await
                        .map_err(|detail| ConnectError::Registration {
                            provider_id: provider_id.clone(),
                            detail,
                        })?;
                    tracing::info!(provider = %provider_id, "registered as a public native client");
                    c
                } else {
                    OauthClient {
                        client_id: def.client_id.clone(),
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
        let mut d = (**def).clone();
        d.authorize_url = client.authorization_endpoint;
        d.token_url = client.token_endpoint;
        d.revoke_url = client.revocation_endpoint;
        d.issuer = Some(client.issuer);
        d.iss_parameter_supported = client.iss_parameter_supported;
        d.client_id = client.client_id;
        let d = Arc::new(d);
        self.resolved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(provider_id, d.clone());
        Ok(d)
    }

    /// Forgets the discovered endpoints and the registered client of a provider, so the next
    /// connect discovers and registers afresh (Settings: "Reset the registration"). For a
    /// provider that cannot tell us a registration is gone (no RFC 7592 read), this is the way
    /// out when its consent page refuses the client.
    pub async fn forget_registration(&self, provider_id: &str) -> Result<(), ApiError> {
        self.def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        self.resolved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(provider_id);
        let vault = self.vault.clone();
        let key = discovery::client_key(&self.config.namespace, provider_id);
        blocking(move || vault.delete(&key)).await?;
        Ok(())
    }

    /// Binds `127.0.0.1:0` and waits (up to the pending lifetime) for one callback request.
    async fn start_loopback(&self, provider_id: &str) -> Result<String, ConnectError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| ConnectError::Listener(e.to_string()))?;
        let port = listener
            .local_addr()
            .map_err(|e| ConnectError::Listener(e.to_string()))?
            .port();
        let redirect = format!("http://127.0.0.1:{port}/oauth/callback");
        let (tx, rx) = tokio::sync::oneshot::channel();
        let ttl = self.config.pending_ttl;
        tokio::spawn(async move {
            let accept = async {
                loop {
                    let Ok((mut sock, _)) = listener.accept().await else {
                        return None;
                    };
                    let mut buf = vec![0u8; 8192];
                    let mut len = 0;
                    while len < buf.len() {
                        match sock.read(&mut buf[len..]).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => len += n,
                        }
                        if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                            break;
                        }
                    }
                    let head = String::from_utf8_lossy(&buf[..len]).to_string();
                    let target = head
                        .lines()
                        .next()
                        .and_then(|l| l.strip_prefix("GET "))
                        .and_then(|l| l.split(' ').next())
                        .map(str::to_string);
                    let body = "<!doctype html><title>Patchbay</title><p>You can close this tab and return to Patchbay.</p>";
                    let status = if target
                        .as_deref()
                        .is_some_and(|t| t.starts_with("/oauth/callback"))
                    {
                        "200 OK"
                    } else {
                        "404 Not Found"
                    };
                    let resp = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                    if let Some(t) = target.filter(|t| t.starts_with("/oauth/callback")) {
                        return Some(format!("http://127.0.0.1:{port}{t}"));
                    }
                }
            };
            if let Ok(Some(url)) = tokio::time::timeout(ttl, accept).await {
                let _ = tx.send(url);
            }
        });
        self.loopbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(provider_id.to_string(), rx);
        Ok(redirect)
    }

    /// For a provider with a loopback redirect: waits for the browser to come back, then
    /// completes the connection. `None` when no loopback listener is waiting.
    pub async fn wait_loopback(
        &self,
        provider_id: &str,
    ) -> Option<Result<ConnectOutcome, ConnectError>> {
        let rx = self
            .loopbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(provider_id)?;
        let url = rx.await.ok()?;
        Some(self.complete(&url).await)
    }

    /// Forgets a pending connect (the user closed the browser tab, or clicked Cancel).
    pub fn cancel_connect(&self, provider_id: &str) -> bool {
        self.loopbacks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(provider_id);
        self.pending.cancel(provider_id)
    }

    /// Completes a connect from the redirect (`dev.patchbay:/oauth/callback?...`): checks it
    /// strictly, redeems the code, stores the tokens and looks up the account name.
    pub async fn complete(&self, callback_url: &str) -> Result<ConnectOutcome, ConnectError> {
        let resolved = self
            .resolved
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let callback = self.pending.take(callback_url, |id| {
            match resolved.get(id).or_else(|| self.def(id)) {
                Some(d) => (d.issuer.clone(), d.iss_parameter_supported),
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
            Callback::Error {
                pending,
                error,
                description,
            } => {
                let provider_id = pending.provider_id.clone();
                if error == "access_denied" {
                    tracing::info!(provider = %provider_id, "connect cancelled by the user");
                    return Ok(ConnectOutcome::Cancelled { provider_id });
                }
                tracing::warn!(provider = %provider_id, %error, "authorization failed");
                return Err(ConnectError::Provider {
                    provider_id,
                    error,
                    description,
                });
            }
            Callback::Code { pending, code } => (pending, code),
        };
        let provider_id = pending.provider_id.clone();
        let conn = self
            .connection(&provider_id)
            .ok_or_else(|| ConnectError::UnknownProvider(provider_id.clone()))?;
        let client = conn
            .token_client()
            .await
            .map_err(|e| ConnectError::Config(e.to_string()))?;
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
                    && conn.def().connection.registers_dynamically() =>
            {
                conn.drop_registration().await?;
                return Err(ConnectError::ClientRejected { provider_id });
            }
            Err(RequestTokenError::ServerResponse(e)) => {
                let error = match e.error() {
                    BasicErrorResponseType::InvalidGrant => "invalid_grant".to_string(),
                    other => other.to_string(),
                };
                tracing::warn!(provider = %provider_id, %error, "code exchange refused");
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
        let mut tokens = StoredTokens {
            access: resp.access_token().clone(),
            refresh: resp.refresh_token().cloned(),
            expires_at: resp.expires_in().map(|d| unix_now() + d.as_secs()),
            account: String::new(),
            vars: BTreeMap::new(),
            api_key: None,
        };
        conn.install(tokens.clone()).await?;
        match conn.fetch_account().await {
            Ok((name, vars)) => {
                tokens.account = name;
                tokens.vars = vars;
            }
            Err(e) => {
                tracing::warn!(provider = %provider_id, error = %e, "account look-up failed");
                tokens.account = conn.def().display_name.clone();
            }
        }
        // The account look-up may have refreshed: keep the newest tokens.
        if let Ok(Some(current)) = conn.current().await {
            tokens.access = current.access;
            tokens.refresh = current.refresh;
            tokens.expires_at = current.expires_at;
        }
        let account = tokens.account.clone();
        conn.install(tokens).await?;
        tracing::info!(provider = %provider_id, "connected");
        Ok(ConnectOutcome::Connected {
            provider_id,
            account,
        })
    }

    /// "Connected as": the account name, looked up again from the provider.
    pub async fn account(&self, provider_id: &str) -> Result<String, ApiError> {
        let conn = self
            .connection(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        let (name, _) = conn.fetch_account().await?;
        Ok(name)
    }

    /// Revokes the refresh token (RFC 7009) and deletes the vault entries whatever the
    /// revocation's outcome.
    pub async fn disconnect(&self, provider_id: &str) -> Result<(), ApiError> {
        let conn = self
            .connection(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        self.cancel_connect(provider_id);
        match conn.revoke().await {
            Ok(()) => tracing::info!(provider = %provider_id, "token revoked"),
            Err(e) => {
                tracing::warn!(provider = %provider_id, error = %e, "revocation failed; deleting the tokens anyway")
            }
        }
        self.last_synced
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(provider_id);
        conn.forget(false).await?;
        Ok(())
    }

    /// The lists a provider holds, with their columns.
    pub fn resources(&self, provider_id: &str) -> Result<Vec<ResourceView>, ApiError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        Ok(def
            .resources
            .iter()
            .map(|r| ResourceView::new(provider_id, r))
            .collect())
    }

    /// Fetches every record of a resource, reporting progress as pages arrive. A child
    /// resource (registrations of webinars) is fetched for each parent record. The records
    /// come back in the provider's order, each once.
    pub async fn sync(
        &self,
        provider_id: &str,
        resource_id: &str,
        progress: impl Fn(SyncProgress) + Send + Sync,
    ) -> Result<Vec<Record>, ApiError> {
        self.sync_pages(provider_id, resource_id, |p, _| progress(p))
            .await
    }

    /// Like [`Patchbay::sync`], also handing over each page's records as they arrive (so the
    /// window can fill the table while the sync runs; pages fetched concurrently may arrive
    /// out of order).
    pub async fn sync_pages(
        &self,
        provider_id: &str,
        resource_id: &str,
        on_page: impl Fn(SyncProgress, &[Record]) + Send + Sync,
    ) -> Result<Vec<Record>, ApiError> {
        self.sync_with(provider_id, resource_id, &on_page, true)
            .await
            .map(|(_, records)| records)
    }

    /// Like [`Patchbay::sync_pages`], keeping no record: each page is only handed over, so a
    /// caller that stores pages as they come (the cache) never holds the whole resource in
    /// memory. Answers how many records arrived.
    pub async fn sync_stream(
        &self,
        provider_id: &str,
        resource_id: &str,
        on_page: impl Fn(SyncProgress, &[Record]) + Send + Sync,
    ) -> Result<usize, ApiError> {
        self.sync_with(provider_id, resource_id, &on_page, false)
            .await
            .map(|(count, _)| count)
    }

    async fn sync_with(
        &self,
        provider_id: &str,
        resource_id: &str,
        on_page: &(dyn Fn(SyncProgress, &[Record]) + Send + Sync),
        keep: bool,
    ) -> Result<(usize, Vec<Record>), ApiError> {
        let conn = self
            .connection(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        let def = conn.def().clone();
        let resource = def
            .resource(resource_id)
            .ok_or_else(|| ApiError::UnknownResource(resource_id.into()))?;
        let tokens = conn.current().await?.ok_or(ApiError::NotConnected)?;
        let report = |page: &[Record], fetched: usize, total: Option<usize>, done: bool| {
            on_page(
                SyncProgress {
                    provider_id: provider_id.to_string(),
                    resource_id: resource_id.to_string(),
                    fetched: fetched as u32,
                    total: total.map(|t| t as u32),
                    done,
                },
                page,
            )
        };
        // One resource (or one parent's children): kept and de-duplicated, or only streamed.
        let fetch = |url: Url, before: usize, known_total: bool| {
            let report = &report;
            let conn = &conn;
            async move {
                let progress = |page: &[Record], f: usize, t: Option<usize>| {
                    report(page, before + f, t.filter(|_| known_total), false)
                };
                if keep {
                    let records = fetch_all(conn, &url, resource, &progress).await?;
                    Ok::<_, ApiError>((records.len(), records))
                } else {
                    let count = stream_all(conn, &url, resource, &progress).await?;
                    Ok((count, Vec::new()))
                }
            }
        };
        let vars = tokens.vars.clone();
        let (count, records) = match &resource.parent {
            None => fetch(conn.api_url(&resource.path, &vars)?, 0, true).await?,
            Some(parent) => {
                let parent_res = def
                    .resource(&parent.resource)
                    .ok_or_else(|| ApiError::UnknownResource(parent.resource.clone()))?;
                let parents = fetch_all(
                    &conn,
                    &conn.api_url(&parent_res.path, &vars)?,
                    parent_res,
                    &|_, _, _| {},
                )
                .await?;
                let mut out = Vec::new();
                let mut count = 0;
                for rec in parents {
                    let Some(id) = rec.pointer(&parent.pointer).map(value_text) else {
                        continue;
                    };
                    let mut vars = vars.clone();
                    vars.insert(parent.var.clone(), id);
                    let (n, page) =
                        fetch(conn.api_url(&resource.path, &vars)?, count, false).await?;
                    count += n;
                    out.extend(page);
                }
                (count, out)
            }
        };
        report(&[], count, Some(count), true);
        self.last_synced
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(provider_id.to_string(), rfc3339_utc(unix_now()));
        Ok((count, records))
    }

    /// Projects records on a resource's columns for the table.
    pub fn rows(
        &self,
        provider_id: &str,
        resource_id: &str,
        records: &[Record],
    ) -> Result<RecordPage, ApiError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        let r = def
            .resource(resource_id)
            .ok_or_else(|| ApiError::UnknownResource(resource_id.into()))?;
        let view = ResourceView::new(provider_id, r);
        let rows = records
            .iter()
            .map(|rec| {
                r.columns
                    .iter()
                    .map(|c| Cell::from_json(rec.pointer(&c.pointer)))
                    .collect()
            })
            .collect();
        Ok(RecordPage {
            provider_id: provider_id.into(),
            resource_id: resource_id.into(),
            columns: view.columns,
            rows,
        })
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

    /// "Test and save": checks the key on the provider's account endpoint and keeps it in the
    /// vault only when the provider accepts it. `values` maps each form field's `key` to
    /// what the user pasted (surrounding blanks are ignored).
    pub async fn save_api_key(
        &self,
        provider_id: &str,
        values: BTreeMap<String, SecretString>,
    ) -> Result<ConnectOutcome, ConnectError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ConnectError::UnknownProvider(provider_id.into()))?
            .clone();
        let ConnectionDef::ApiKey {
            fields, location, ..
        } = &def.connection
        else {
            return Err(ConnectError::NotApiKey {
                provider_id: provider_id.into(),
            });
        };
        let mut key = KeyValues::default();
        for f in fields {
            let value = values
                .get(&f.key)
                .map(|v| v.expose().trim())
                .unwrap_or_default();
            let incomplete = |message: String| ConnectError::KeyIncomplete {
                provider_id: provider_id.into(),
                message,
            };
            if value.is_empty() {
                return Err(incomplete(format!(
                    "Paste your {name} {label} first. You find it in {name} under {location}.",
                    name = def.display_name,
                    label = f.label
                )));
            }
            if value.chars().any(|c| !c.is_ascii_graphic()) {
                return Err(incomplete(format!(
                    "That {} has characters an {} {} never has. Copy it again from {location}.",
                    f.label, def.display_name, f.label
                )));
            }
            key.0.insert(f.key.clone(), SecretString::new(value));
        }
        let conn = self
            .connection(provider_id)
            .ok_or_else(|| ConnectError::UnknownProvider(provider_id.into()))?;
        match conn.fetch_account_with(Some(&key)).await {
            Ok((account, vars)) => {
                conn.install(StoredTokens::from_key(key, account.clone(), vars))
                    .await?;
                tracing::info!(provider = %provider_id, "API key accepted and stored");
                Ok(ConnectOutcome::Connected {
                    provider_id: provider_id.into(),
                    account,
                })
            }
            Err(ApiError::Unauthorized | ApiError::Forbidden { .. }) => {
                tracing::info!(provider = %provider_id, "API key refused by the provider");
                let labels: Vec<&str> = fields.iter().map(|f| f.label.as_str()).collect();
                let them = if labels.len() == 1 { "it" } else { "them" };
                Err(ConnectError::KeyRejected {
                    provider_id: provider_id.into(),
                    message: format!(
                        "{} did not accept that {}. Copy {them} again from {location}.",
                        def.display_name,
                        labels.join(" and ")
                    ),
                })
            }
            Err(error) => Err(ConnectError::Api {
                provider_id: provider_id.into(),
                error,
            }),
        }
    }

    /// Whether the provider's token endpoint wants the user's own client secret (BoomTown
    /// outside demo mode): Settings shows a secret field for these.
    pub fn needs_client_secret(&self, provider_id: &str) -> bool {
        self.def(provider_id)
            .is_some_and(|d| d.client_auth != ClientAuth::None && !d.connection.is_api_key())
    }

    fn client_secret_key(&self, provider_id: &str) -> VaultKey {
        VaultKey::new(&self.config.namespace, provider_id, "app", "client_secret")
    }

    /// Keeps (or with `None` deletes) the user's client secret in the vault. It never goes
    /// to a file or back to the window.
    pub async fn set_client_secret(
        &self,
        provider_id: &str,
        secret: Option<SecretString>,
    ) -> Result<(), ApiError> {
        self.def(provider_id)
            .ok_or_else(|| ApiError::UnknownProvider(provider_id.into()))?;
        let vault = self.vault.clone();
        let key = self.client_secret_key(provider_id);
        let secret = secret.filter(|s| !s.expose().trim().is_empty());
        blocking(move || match secret {
            Some(s) => vault.set(&key, &SecretString::new(s.expose().trim())),
            None => vault.delete(&key),
        })
        .await?;
        Ok(())
    }

    /// Whether a client secret is stored (Settings shows "saved", never the value).
    pub async fn has_client_secret(&self, provider_id: &str) -> bool {
        if self.def(provider_id).is_none() {
            return false;
        }
        let vault = self.vault.clone();
        let key = self.client_secret_key(provider_id);
        matches!(blocking(move || vault.get(&key)).await, Ok(Some(_)))
    }

    /// The API base URL of a provider with its account variables (diagnostics).
    pub fn api_base(&self, provider_id: &str, vars: &BTreeMap<String, String>) -> Option<String> {
        self.def(provider_id)
            .map(|d| fill_placeholders(&d.api_base, |n| vars.get(n).cloned()))
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds (civil-from-days, proleptic Gregorian).
pub fn rfc3339_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339() {
        assert_eq!(super::rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339_utc(1_782_820_800), "2026-06-30T12:00:00Z");
        assert_eq!(super::rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
    }
}
