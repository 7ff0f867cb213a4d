//! The browser connect lifecycle: begin (custom-scheme or loopback redirect), expiry,
//! cancel, and the callback that completes it ([`exchange`](super::exchange) redeems the code).

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::{api_during_connect, CoreState, Patchbay};
use crate::error::ConnectError;
use crate::loopback::{CompletionPage, LoopbackListener};
use crate::oauth::{authorize_request, CUSTOM_SCHEME_REDIRECT};
use crate::providers::{ClientAuth, ProviderDef, RedirectKind};
use crate::views::ConnectOutcome;

impl Patchbay {
    /// Starts connecting a new account (or reconnecting one: the provider's account look-up
    /// tells which): returns the authorize URL to open in the browser. The pending request
    /// expires by itself (a [`ConnectionChange`] tells); with a loopback redirect, the
    /// listener completes the connection when the browser comes back.
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
        if def.client_auth() != ClientAuth::None
            && (def.client_id().is_empty() || !self.has_client_secret(provider_id).await)
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
        self.check_endpoint(&def, def.authorize_url().map_or("", Url::as_str))
            .and_then(|()| self.check_endpoint(&def, def.token_url().map_or("", Url::as_str)))
            .map_err(api_during_connect(provider_id))?;
        // A new connect replaces the provider's earlier one, listener included.
        self.loopbacks.lock().remove(provider_id);
        let url = match def.redirect() {
            RedirectKind::CustomScheme => {
                let (url, pending) = authorize_request(&def, CUSTOM_SCHEME_REDIRECT)
                    .map_err(ConnectError::Config)?;
                self.pending.insert(pending);
                url
            }
            RedirectKind::Loopback => self.begin_loopback(&def).await?,
        };
        self.expire_later(provider_id);
        tracing::info!(provider = %provider_id, "connect started");
        self.changed(provider_id);
        Ok(url)
    }

    /// RFC 8252 §7.3: a listener on 127.0.0.1 receives the browser's redirect and completes
    /// the connection itself; requests whose `state` is not the pending one are answered 400
    /// and consume nothing.
    async fn begin_loopback(&self, def: &Arc<ProviderDef>) -> Result<Url, ConnectError> {
        let listener = LoopbackListener::bind()
            .await
            .map_err(|e| ConnectError::Listener(e.to_string()))?;
        let redirect = listener.redirect_uri();
        let (url, pending) = authorize_request(def, &redirect).map_err(ConnectError::Config)?;
        self.pending.insert(pending);
        let accepts = {
            let core = Arc::downgrade(&self.state);
            let redirect = redirect.clone();
            move |state: &str| {
                core.upgrade()
                    .is_some_and(|c| c.pending.knows_state(state, &redirect))
            }
        };
        let complete = {
            let core = Arc::downgrade(&self.state);
            let name = def.display_name.clone();
            move |callback: String| async move {
                let Some(core) = core.upgrade() else {
                    return CompletionPage::Failed {
                        message: "Patchbay closed before the connection was made.".into(),
                    };
                };
                match core.complete(&callback).await {
                    Ok(ConnectOutcome::Connected { .. }) => CompletionPage::Connected {
                        provider_name: name,
                    },
                    Ok(ConnectOutcome::Cancelled { .. }) => CompletionPage::Cancelled {
                        provider_name: name,
                    },
                    Err(e) => {
                        let view = core.connect_error_view(&e);
                        CompletionPage::Failed {
                            message: format!("{} {}", view.message, view.advice),
                        }
                    }
                }
            }
        };
        let handle = listener.serve(self.config.pending_ttl, accepts, complete);
        self.loopbacks.lock().insert(def.id.to_string(), handle);
        Ok(url)
    }

    /// Tells the window when the provider's pending request runs out.
    fn expire_later(&self, provider_id: &str) {
        let core = Arc::downgrade(&self.state);
        let provider = provider_id.to_string();
        let ttl = self.config.pending_ttl;
        tokio::spawn(async move {
            tokio::time::sleep(ttl + Duration::from_millis(20)).await;
            if let Some(core) = core.upgrade() {
                if core.pending.has_expired(&provider) {
                    core.loopbacks.lock().remove(&provider);
                    tracing::info!(%provider, "connect expired");
                    core.changed(&provider);
                }
            }
        });
    }
}

impl CoreState {
    /// Whether a callback URL answers one of this core's pending requests (the shell asks
    /// each world's core in turn; a link never reaches a core that did not ask for it).
    pub fn expects_callback(&self, callback_url: &str) -> bool {
        self.pending.provider_of(callback_url).is_some()
    }

    /// Forgets a pending connect (the user closed the browser tab, or clicked Cancel); its
    /// loopback listener closes.
    pub fn cancel_connect(&self, provider_id: &str) -> bool {
        self.loopbacks.lock().remove(provider_id);
        let cancelled = self.pending.cancel(provider_id);
        if cancelled {
            self.changed(provider_id);
        }
        cancelled
    }

    /// Completes a connect from the redirect (`dev.patchbay:/oauth/callback?...` or the
    /// loopback listener's): checks it strictly, redeems the code, looks up the account and
    /// stores the tokens under it (a known account is reconnected, a new one added).
    pub async fn complete(&self, callback_url: &str) -> Result<ConnectOutcome, ConnectError> {
        let provider = self.pending.provider_of(callback_url);
        let result = self.complete_inner(callback_url).await;
        let provider = match &result {
            Ok(o) => Some(o.provider_id().to_string()),
            Err(e) => e.provider_id().map(str::to_string).or(provider),
        };
        if let Some(p) = provider {
            self.loopbacks.lock().remove(&p);
            self.changed(&p);
        }
        result
    }
}
