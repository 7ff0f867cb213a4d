//! Pending authorization requests awaiting the user's decision, and the consent page.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::providers::Provider;
use crate::tokens::{random_token, ApprovedRequest};

/// An authorization request that passed validation, with the `state` to echo back.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    pub request: ApprovedRequest,
    pub state: Option<String>,
}

#[derive(Debug)]
pub struct ConsentStore {
    pending: Mutex<HashMap<String, (PendingRequest, Instant)>>,
    ttl: Duration,
}

impl ConsentStore {
    pub fn new(ttl: Duration) -> Self {
        ConsentStore {
            pending: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// Stores the request and returns the opaque id the consent form carries.
    pub fn insert(&self, pending: PendingRequest) -> String {
        let id = random_token();
        let mut map = self.pending.lock();
        let now = Instant::now();
        // Forget abandoned consents so the map stays small in a long-running demo.
        map.retain(|_, (_, expires)| *expires > now);
        map.insert(id.clone(), (pending, now + self.ttl));
        id
    }

    /// Takes the request out (single use); None when unknown, used, expired or another provider's.
    pub fn take(&self, provider: Provider, id: &str) -> Option<PendingRequest> {
        let mut map = self.pending.lock();
        let (pending, expires) = map.remove(id)?;
        (expires > Instant::now() && pending.request.provider == provider).then_some(pending)
    }
}

/// Text into the consent page's element content and quoted attributes: `&`, `<`, `>`, `"`,
/// `'` and `/` become entities.
fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_safe(s)
}

/// The consent page: provider, client, scopes, and one form with Allow and Deny.
pub fn consent_page(provider: Provider, client_id: &str, scope: &str, consent_id: &str) -> String {
    let name = provider.display_name();
    let scopes: String = scope
        .split(' ')
        .map(|s| format!("<li><code>{}</code></li>", escape(s)))
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize {client} - {name}</title></head>
<body>
<h1>{name}</h1>
<p><strong>{client}</strong> asks for access to your {name} account:</p>
<ul>{scopes}</ul>
<form method="post" action="/{slug}/oauth/authorize">
<input type="hidden" name="consent" value="{consent}">
<button name="decision" value="allow">Allow</button>
<button name="decision" value="deny">Deny</button>
</form>
</body></html>
"#,
        client = escape(client_id),
        slug = provider.slug(),
        consent = escape(consent_id),
    )
}

/// An error page for requests that must not be redirected (RFC 6749 section 4.1.2.1).
pub fn error_page(provider: Provider, message: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Authorization error - {name}</title></head>\n<body><h1>{name}: authorization error</h1><p>{msg}</p></body></html>\n",
        name = provider.display_name(),
        msg = escape(message),
    )
}
