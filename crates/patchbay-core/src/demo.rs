//! The demo world's view of the providers: every provider on the embedded sandbox, connecting
//! with OAuth as the sandbox's one public client, whatever its real method.
//!
//! What the demo needs and the real providers do not (where each imitation lives on the
//! sandbox, the scopes and redirect the sandbox's OAuth server gives an API-key provider)
//! is kept here, not in the definition files: a definition describes the real provider only.

use url::Url;

use crate::providers::{
    AuthServer, ClientAuth, ConnectionDef, Issuer, OAuthDef, ProviderDef, RedirectKind,
    ServerSource,
};

/// The sandbox's public client, which the demo world connects as when a definition names
/// no client of its own.
pub const DEMO_CLIENT_ID: &str = "patchbay-desktop";

/// How the demo world reaches one provider's imitation on the sandbox.
struct Overlay {
    provider: &'static str,
    /// The API base's path on the sandbox.
    api_path: &'static str,
    /// What the sandbox's consent page asks for.
    scopes: &'static [&'static str],
    redirect: RedirectKind,
}

/// The five imitations the sandbox serves (`crates/patchbay-sandbox/src/providers/`).
const OVERLAYS: [Overlay; 5] = [
    Overlay {
        provider: "whatconverts",
        api_path: "/whatconverts/api/v1",
        scopes: &["leads:read"],
        redirect: RedirectKind::CustomScheme,
    },
    Overlay {
        provider: "clickfunnels",
        api_path: "/clickfunnels/api/v2",
        scopes: &["funnels:read", "contacts:read", "orders:read"],
        redirect: RedirectKind::CustomScheme,
    },
    Overlay {
        provider: "webinargeek",
        api_path: "/webinargeek/api/v2",
        scopes: &["webinars:read"],
        // The one provider the demo connects through a loopback redirect (RFC 8252 §7.3).
        redirect: RedirectKind::Loopback,
    },
    Overlay {
        provider: "boomtown",
        api_path: "/boomtown/v1",
        scopes: &["leads:read"],
        redirect: RedirectKind::CustomScheme,
    },
    Overlay {
        provider: "emailoctopus",
        api_path: "/emailoctopus",
        scopes: &["lists:read", "campaigns:read"],
        redirect: RedirectKind::CustomScheme,
    },
];

fn overlay(provider: &str) -> Option<&'static Overlay> {
    OVERLAYS.iter().find(|o| o.provider == provider)
}

/// Where a provider's API lives on the sandbox at `sandbox_url`. A provider the sandbox does
/// not imitate (a user's own definition file) gets `/<id>`, where the sandbox answers 404.
pub fn api_base(def: &ProviderDef, sandbox_url: &str) -> String {
    let path = overlay(&def.id).map_or_else(|| format!("/{}", def.id), |o| o.api_path.into());
    format!("{}{path}", sandbox_url.trim_end_matches('/'))
}

/// `<sandbox>/<provider>/<rest>`, where the sandbox serves that provider's OAuth server.
fn sandbox_url(def: &ProviderDef, sandbox_url: &str, rest: &str) -> Url {
    let text = format!("{}/{}{rest}", sandbox_url.trim_end_matches('/'), def.id);
    Url::parse(&text).unwrap_or_else(|e| panic!("the sandbox's address {text:?}: {e}"))
}

fn sandbox_issuer(def: &ProviderDef, base: &str, iss_parameter_supported: bool) -> Issuer {
    let text = format!("{}/{}", base.trim_end_matches('/'), def.id);
    Issuer::parse(&text, iss_parameter_supported)
        .unwrap_or_else(|(_, why)| panic!("the sandbox's issuer: {why}"))
}

/// Demo mode: every URL points at the sandbox at `sandbox_url`, and every provider connects
/// with OAuth as the sandbox's public client (its own client id if the definition names one).
pub fn rewrite_for_demo(def: &mut ProviderDef, sandbox_url_text: &str) {
    let own = def.oauth();
    let overlay = overlay(&def.id);
    let scopes = match (overlay, own) {
        (Some(o), _) => o.scopes.iter().map(|s| s.to_string()).collect(),
        (None, Some(own)) => own.scopes.clone(),
        (None, None) => Vec::new(),
    };
    let redirect = overlay
        .map(|o| o.redirect)
        .or(own.map(|o| o.redirect))
        .unwrap_or_default();
    let client_id = match def.client_id() {
        "" => DEMO_CLIENT_ID.to_string(),
        id => id.to_string(),
    };
    // ClickFunnels' tokens do not expire on the sandbox either.
    let access_token_expires = def.access_token_expires();
    let server = AuthServer {
        issuer: Some(sandbox_issuer(def, sandbox_url_text, true)),
        authorize_url: sandbox_url(def, sandbox_url_text, "/oauth/authorize"),
        token_url: sandbox_url(def, sandbox_url_text, "/oauth/token"),
        revoke_url: Some(sandbox_url(def, sandbox_url_text, "/oauth/revoke")),
    };
    def.connection = ConnectionDef::Oauth(Box::new(OAuthDef {
        server: ServerSource::Fixed(server),
        scopes,
        client_id,
        client_auth: ClientAuth::None,
        redirect,
        access_token_expires,
    }));
    def.api_base = api_base(def, sandbox_url_text);
    def.account.url = None;
    rebase_record_pages(def, sandbox_url_text);
}

/// Each resource's record page, moved onto the sandbox (same path shape, under the provider).
fn rebase_record_pages(def: &mut ProviderDef, sandbox_url_text: &str) {
    let id = def.id.to_string();
    for r in &mut def.resources {
        if let Some(t) = &mut r.record_page {
            *t = crate::record_page::rebase(t, sandbox_url_text, &id);
        }
    }
}

/// Points every URL at a sandbox but keeps the real connection method (API key, discovery,
/// dynamic registration, client secret): the real-world configuration, tested.
pub fn point_at(def: &mut ProviderDef, sandbox_url_text: &str) {
    let api = api_base(def, sandbox_url_text);
    let moved = |rest: &str| sandbox_url(def, sandbox_url_text, rest);
    let (authorize, token, revoke, discovery) = (
        moved("/oauth/authorize"),
        moved("/oauth/token"),
        moved("/oauth/revoke"),
        moved(""),
    );
    let issuers = [false, true].map(|iss| sandbox_issuer(def, sandbox_url_text, iss));
    if let Some(o) = def.oauth_mut() {
        match &mut o.server {
            ServerSource::Fixed(s) => {
                s.issuer = s
                    .issuer
                    .as_ref()
                    .map(|i| issuers[usize::from(i.iss_parameter_supported)].clone());
                s.authorize_url = authorize;
                s.token_url = token;
                if s.revoke_url.is_some() {
                    s.revoke_url = Some(revoke);
                }
            }
            ServerSource::Discovery {
                discovery: d,
                found,
                ..
            } => {
                *d = discovery;
                *found = None;
            }
        }
    }
    def.api_base = api;
    def.account.url = None;
    rebase_record_pages(def, sandbox_url_text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::builtin;

    const SANDBOX: &str = "http://127.0.0.1:9";

    #[test]
    fn every_builtin_provider_has_an_overlay() {
        for d in builtin() {
            assert!(overlay(&d.id).is_some(), "{}", d.id);
        }
    }

    #[test]
    fn the_demo_connects_every_provider_with_oauth_on_the_sandbox() {
        for mut d in builtin() {
            let real_expiry = d.access_token_expires();
            rewrite_for_demo(&mut d, SANDBOX);
            let o = d.oauth().unwrap_or_else(|| panic!("{} is OAuth", d.id));
            let id = d.id.to_string();
            assert_eq!(o.client_auth, ClientAuth::None, "{id}");
            assert_eq!(d.client_id(), DEMO_CLIENT_ID, "{id}");
            assert!(!o.scopes.is_empty(), "{id}");
            assert_eq!(
                d.token_url().unwrap().as_str(),
                format!("{SANDBOX}/{id}/oauth/token")
            );
            assert_eq!(d.issuer().unwrap().as_str(), format!("{SANDBOX}/{id}"));
            assert!(d.iss_parameter_supported());
            assert!(d.api_base.starts_with(&format!("{SANDBOX}/{id}")), "{id}");
            assert_eq!(d.account.url, None);
            assert_eq!(d.access_token_expires(), real_expiry, "{id}");
            let loopback = d.redirect() == RedirectKind::Loopback;
            assert_eq!(loopback, id == "webinargeek", "{id}");
        }
    }

    #[test]
    fn record_pages_move_onto_the_sandbox_in_both_demo_rewrites() {
        let mut wc = builtin()
            .into_iter()
            .find(|d| d.id == "whatconverts")
            .unwrap();
        wc.resources[0].record_page = Some("https://app.example.com/leads/{/lead_id}".into());
        let mut pointed = wc.clone();
        rewrite_for_demo(&mut wc, SANDBOX);
        point_at(&mut pointed, SANDBOX);
        for d in [wc, pointed] {
            assert_eq!(
                d.resources[0].record_page.as_deref(),
                Some("http://127.0.0.1:9/whatconverts/leads/{/lead_id}")
            );
            assert_eq!(
                d.resources[1..]
                    .iter()
                    .filter(|r| r.record_page.is_some())
                    .count(),
                0
            );
        }
    }

    #[test]
    fn point_at_keeps_the_real_method() {
        let defs = builtin();
        let get = |id: &str| defs.iter().find(|d| d.id == id).unwrap().clone();
        let mut wc = get("whatconverts");
        point_at(&mut wc, SANDBOX);
        assert!(wc.connection.is_api_key());
        assert_eq!(wc.api_base, format!("{SANDBOX}/whatconverts/api/v1"));
        let mut cf = get("clickfunnels");
        point_at(&mut cf, SANDBOX);
        assert!(cf.connection.registers_dynamically());
        assert_eq!(
            cf.connection.discovery().unwrap(),
            format!("{SANDBOX}/clickfunnels")
        );
        let mut bt = get("boomtown");
        point_at(&mut bt, SANDBOX);
        assert_eq!(bt.client_auth(), ClientAuth::ClientSecretPost);
        assert_eq!(
            bt.revoke_url().unwrap().as_str(),
            format!("{SANDBOX}/boomtown/oauth/revoke")
        );
        assert_eq!(bt.issuer().unwrap().as_str(), format!("{SANDBOX}/boomtown"));
    }
}
