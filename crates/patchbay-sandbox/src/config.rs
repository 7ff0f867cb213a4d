//! The sandbox's settings, shared by the library API and the command line.

use std::collections::{BTreeMap, HashMap, HashSet};
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
    /// How each provider's API authenticates callers, by provider slug; a provider not
    /// listed uses OAuth access tokens (the default, demo mode).
    pub auth: HashMap<String, AuthMode>,
    /// Providers whose token endpoint wants a confidential client: slug -> the client secret
    /// of `client_id` (accepted as `client_secret_post` or `client_secret_basic`).
    pub client_secrets: HashMap<String, String>,
    /// Providers whose access tokens last until revoked, as ClickFunnels' do: their token
    /// endpoint issues no refresh token, `expires_in` is informational (the `access_ttl`),
    /// and the Bearer check never expires their tokens. Empty by default.
    pub non_expiring: HashSet<String>,
    /// Requests per UTC day (by the sandbox clock) per credential, by provider slug.
    pub quotas: HashMap<String, u32>,
    /// Added before each provider API response (not OAuth or `/_sandbox` endpoints).
    pub latency: Duration,
    /// Data that changes by itself over the sandbox clock.
    pub churn: Option<crate::changes::Churn>,
    /// The sandbox clock moves only by `Sandbox::advance_clock` (and `/_sandbox/clock`), not
    /// with real time: churn then holds still while a test reads. Default `false`.
    pub frozen_clock: bool,
    /// Serve the request log at `/_sandbox/requests`. It holds every request's path and
    /// query (states and PKCE challenges among them), so only tests turn it on
    /// (`--serve-request-log`); the app's embedded sandbox never does. `Sandbox::requests`
    /// works either way. Default `false`.
    pub serve_request_log: bool,
}

/// How a provider's API authenticates callers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuthMode {
    /// OAuth 2.0 Bearer access tokens issued by this sandbox.
    #[default]
    OAuth,
    /// The real provider's API-key scheme (see [`SandboxConfig::api_key_for`]).
    ApiKey,
}

/// How long a provider's access tokens live.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AccessLifetime {
    /// `access_ttl`, then `invalid_token`; a refresh token comes with each access token.
    #[default]
    Expiring,
    /// Until revoked, with no refresh token (ClickFunnels).
    UntilRevoked,
}

/// The providers that have an API-key scheme.
pub const API_KEY_PROVIDERS: [&str; 3] = ["whatconverts", "emailoctopus", "webinargeek"];

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
            auth: HashMap::new(),
            client_secrets: HashMap::new(),
            non_expiring: HashSet::new(),
            quotas: HashMap::new(),
            latency: Duration::ZERO,
            churn: None,
            frozen_clock: false,
            serve_request_log: false,
        }
    }
}

impl SandboxConfig {
    /// The accepted API key of a provider that has an API-key scheme, as form fields
    /// (deterministic, so tests and demos can type them):
    /// - whatconverts: `api_token` + `api_secret`, sent with HTTP Basic (token:secret);
    /// - emailoctopus: `api_key`, sent as `Authorization: Bearer`;
    /// - webinargeek: `api_token`, sent in the `Api-Token` header.
    pub fn api_key_for(provider: &str) -> Option<BTreeMap<String, String>> {
        let pairs: &[(&str, &str)] = match provider {
            "whatconverts" => &[
                ("api_token", "wc-sandbox-token-1"),
                ("api_secret", "wc-sandbox-secret-1"),
            ],
            "emailoctopus" => &[("api_key", "eo_sandbox_key_1")],
            "webinargeek" => &[("api_token", "wg-sandbox-token-1")],
            _ => return None,
        };
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The accepted API key of one of a provider's accounts, as form fields: account 1 is
    /// [`SandboxConfig::api_key_for`]; WhatConverts also has account 2 (`wc-sandbox-token-2`,
    /// `wc-sandbox-secret-2`: "Lakeside Orthodontics", with its own leads), so two accounts
    /// of one provider can be connected side by side.
    pub fn api_key_for_account(provider: &str, account: u32) -> Option<BTreeMap<String, String>> {
        match (provider, account) {
            (_, 1) => Self::api_key_for(provider),
            ("whatconverts", 2) => Some(
                [
                    ("api_token", "wc-sandbox-token-2"),
                    ("api_secret", "wc-sandbox-secret-2"),
                ]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ),
            _ => None,
        }
    }

    /// How `provider`'s API authenticates callers.
    pub fn auth_mode(&self, provider: &str) -> AuthMode {
        self.auth.get(provider).copied().unwrap_or_default()
    }

    /// Applies one `--auth` value: `api-key`/`oauth` (every provider with an API-key
    /// scheme) or `PROVIDER=api-key|oauth`.
    pub fn apply_auth_flag(&mut self, flag: &str) -> Result<(), String> {
        let mode = |m: &str| match m {
            "api-key" => Ok(AuthMode::ApiKey),
            "oauth" => Ok(AuthMode::OAuth),
            other => Err(format!("unknown auth mode {other:?}: use api-key or oauth")),
        };
        match flag.split_once('=') {
            None => {
                let m = mode(flag)?;
                for p in API_KEY_PROVIDERS {
                    self.auth.insert(p.to_string(), m);
                }
            }
            Some((p, m)) => {
                let m = mode(m)?;
                if m == AuthMode::ApiKey && !API_KEY_PROVIDERS.contains(&p) {
                    return Err(format!(
                        "{p:?} has no API-key scheme here; api-key works for {}",
                        API_KEY_PROVIDERS.join(", ")
                    ));
                }
                if !crate::PROVIDERS.contains(&p) {
                    return Err(format!("unknown provider {p:?}"));
                }
                self.auth.insert(p.to_string(), m);
            }
        }
        Ok(())
    }

    /// How long `provider`'s access tokens live.
    pub fn access_lifetime(&self, provider: &str) -> AccessLifetime {
        if self.non_expiring.contains(provider) {
            AccessLifetime::UntilRevoked
        } else {
            AccessLifetime::Expiring
        }
    }

    /// Applies one `--non-expiring PROVIDER` value.
    pub fn apply_non_expiring_flag(&mut self, provider: &str) -> Result<(), String> {
        if !crate::PROVIDERS.contains(&provider) {
            return Err(format!(
                "unknown provider {provider:?}; use one of {}",
                crate::PROVIDERS.join(", ")
            ));
        }
        self.non_expiring.insert(provider.to_string());
        Ok(())
    }

    /// Applies one `--quota` value: `PROVIDER=N/day`, or several separated by commas.
    pub fn apply_quota_flag(&mut self, flag: &str) -> Result<(), String> {
        for part in flag.split(',') {
            let (p, n) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} must look like whatconverts=1000/day"))?;
            if !crate::PROVIDERS.contains(&p) {
                return Err(format!(
                    "unknown provider {p:?}; use one of {}",
                    crate::PROVIDERS.join(", ")
                ));
            }
            let n = n
                .strip_suffix("/day")
                .and_then(|n| n.parse::<u32>().ok())
                .ok_or_else(|| {
                    format!("{part:?}: the quota must be a whole number of requests per day, like 1000/day")
                })?;
            self.quotas.insert(p.to_string(), n);
        }
        Ok(())
    }

    /// Whether `uri` may receive authorization responses: an exact registered string, or a
    /// loopback callback on any port (RFC 8252 section 7.3: native apps pick the port at run time).
    pub fn redirect_uri_allowed(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri) || is_loopback_callback(uri)
    }
}

/// A `--churn` value: `add=50/min,update=20/min,delete=5/min` (any of the three, each at
/// most once; the ones left out are 0).
pub fn parse_churn(flag: &str) -> Result<crate::changes::Churn, String> {
    let mut churn = crate::changes::Churn::default();
    let mut seen = HashSet::new();
    for part in flag.split(',') {
        let (kind, rate) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?} must look like add=50/min"))?;
        let n = rate
            .strip_suffix("/min")
            .and_then(|n| n.parse::<u32>().ok())
            .ok_or_else(|| {
                format!("{part:?}: the rate must be a whole number per minute, like 50/min")
            })?;
        if !seen.insert(kind) {
            return Err(format!("{kind:?} is given twice"));
        }
        match kind {
            "add" => churn.add_per_min = n,
            "update" => churn.update_per_min = n,
            "delete" => churn.delete_per_min = n,
            other => {
                return Err(format!(
                    "unknown change {other:?}; use add, update or delete"
                ))
            }
        }
    }
    Ok(churn)
}

/// A `--latency` value: `80ms`, `1s` or `0`.
pub fn parse_latency(flag: &str) -> Result<Duration, String> {
    let bad = || format!("{flag:?} must be a duration like 80ms or 1s");
    if flag == "0" {
        return Ok(Duration::ZERO);
    }
    if let Some(ms) = flag.strip_suffix("ms") {
        return ms.parse().map(Duration::from_millis).map_err(|_| bad());
    }
    flag.strip_suffix('s')
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .ok_or_else(bad)
}

pub(crate) fn is_loopback_callback(uri: &str) -> bool {
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

    #[test]
    fn auth_flags() {
        let mut c = SandboxConfig::default();
        assert_eq!(c.auth_mode("whatconverts"), AuthMode::OAuth);
        c.apply_auth_flag("api-key").unwrap();
        for p in API_KEY_PROVIDERS {
            assert_eq!(c.auth_mode(p), AuthMode::ApiKey);
        }
        assert_eq!(c.auth_mode("clickfunnels"), AuthMode::OAuth);
        c.apply_auth_flag("webinargeek=oauth").unwrap();
        assert_eq!(c.auth_mode("webinargeek"), AuthMode::OAuth);
        assert!(c.apply_auth_flag("boomtown=api-key").is_err());
        assert!(c.apply_auth_flag("x=oauth").is_err());
        assert!(c.apply_auth_flag("apikey").is_err());
        assert!(SandboxConfig::api_key_for("clickfunnels").is_none());
        assert_eq!(SandboxConfig::api_key_for("whatconverts").unwrap().len(), 2);
    }

    #[test]
    fn churn_quota_and_latency_flags() {
        let c = parse_churn("add=50/min,update=20/min,delete=5/min").unwrap();
        assert_eq!(
            (c.add_per_min, c.update_per_min, c.delete_per_min),
            (50, 20, 5)
        );
        assert_eq!(parse_churn("update=3/min").unwrap().update_per_min, 3);
        for bad in [
            "",
            "add=50",
            "add=5/hour",
            "add=x/min",
            "grow=1/min",
            "add=1/min,add=2/min",
            "add=-1/min",
        ] {
            assert!(parse_churn(bad).is_err(), "{bad}");
        }
        let mut cfg = SandboxConfig::default();
        cfg.apply_quota_flag("whatconverts=1000/day,boomtown=5/day")
            .unwrap();
        cfg.apply_quota_flag("emailoctopus=7/day").unwrap();
        assert_eq!(cfg.quotas["whatconverts"], 1000);
        assert_eq!(cfg.quotas["boomtown"], 5);
        assert_eq!(cfg.quotas["emailoctopus"], 7);
        for bad in [
            "whatconverts",
            "whatconverts=1000",
            "nope=1/day",
            "whatconverts=lots/day",
            "whatconverts=1/hour",
        ] {
            assert!(cfg.apply_quota_flag(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_latency("80ms").unwrap(), Duration::from_millis(80));
        assert_eq!(parse_latency("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_latency("0").unwrap(), Duration::ZERO);
        for bad in ["", "80", "fast", "-5ms", "1.5s"] {
            assert!(parse_latency(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn non_expiring_flag() {
        let mut c = SandboxConfig::default();
        assert_eq!(c.access_lifetime("clickfunnels"), AccessLifetime::Expiring);
        c.apply_non_expiring_flag("clickfunnels").unwrap();
        assert_eq!(
            c.access_lifetime("clickfunnels"),
            AccessLifetime::UntilRevoked
        );
        assert_eq!(c.access_lifetime("boomtown"), AccessLifetime::Expiring);
        assert!(c.apply_non_expiring_flag("nope").is_err());
        assert!(c.apply_non_expiring_flag("").is_err());
    }
}
