//! The sandbox's settings, shared by the library API and the command line.

use std::time::Duration;

use crate::faults::FaultSpec;

/// How a sandbox behaves. `Default` matches the command line's defaults.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Records in every collection (and in every child collection of every parent).
    pub records: usize,
    /// Seed of the generated data and of fault injection.
    pub seed: u64,
    /// Lifetime of access tokens issued from now on.
    pub access_ttl: Duration,
    /// Skip the consent page: GET authorize answers the "allow" redirect at once.
    pub auto_approve: bool,
    /// Faults injected into provider API calls.
    pub faults: FaultSpec,
    /// The one registered public client.
    pub client_id: String,
    /// Registered redirect URIs (RFC 8252 loopback callbacks are always accepted too).
    pub redirect_uris: Vec<String>,
    /// Lifetime of authorization codes (RFC 6749 recommends at most 10 minutes; we use 60 s).
    pub code_ttl: Duration,
    /// Lifetime of a pending consent (the id in the consent form).
    pub consent_ttl: Duration,
    /// Enforce the per-provider rate limits.
    pub rate_limits: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            records: 250,
            seed: 1,
            access_ttl: Duration::from_secs(3600),
            auto_approve: false,
            faults: FaultSpec::default(),
            client_id: "patchbay-desktop".to_string(),
            redirect_uris: vec!["dev.patchbay:/oauth/callback".to_string()],
            code_ttl: Duration::from_secs(60),
            consent_ttl: Duration::from_secs(600),
            rate_limits: true,
        }
    }
}

impl SandboxConfig {
    /// Whether `uri` may receive authorization responses: an exact registered string, or a
    /// loopback callback on any port (RFC 8252 section 7.3: native apps pick the port at run time).
    pub fn redirect_uri_allowed(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri) || is_loopback_callback(uri)
    }
}

fn is_loopback_callback(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://127.0.0.1:") else {
        return false;
    };
    let Some(port) = rest.strip_suffix("/oauth/callback") else {
        return false;
    };
    !port.is_empty()
        && port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok_and(|p| p != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_callbacks_accept_any_port_but_nothing_else() {
        let c = SandboxConfig::default();
        assert!(c.redirect_uri_allowed("dev.patchbay:/oauth/callback"));
        assert!(c.redirect_uri_allowed("http://127.0.0.1:49152/oauth/callback"));
        assert!(!c.redirect_uri_allowed("http://127.0.0.1:0/oauth/callback"));
        assert!(!c.redirect_uri_allowed("http://127.0.0.1:80/oauth/callback/x"));
        assert!(!c.redirect_uri_allowed("http://127.0.0.1:+80/oauth/callback"));
        assert!(!c.redirect_uri_allowed("http://evil.example:80/oauth/callback"));
        assert!(!c.redirect_uri_allowed("dev.patchbay:/oauth/callback?x=1"));
    }
}
