//! The non-demo configuration against the sandbox: definitions pointed at the sandbox's URLs
//! (`patchbay_core::demo::point_at`) but keeping each provider's real connection method: API keys
//! (Basic, Bearer, a named header), ClickFunnels' discovery and dynamic registration,
//! BoomTown's client secret. Every request carries `User-Agent: Patchbay/VERSION`.

use crate::common;
use patchbay_core::secret::ExposeSecret;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use common::*;
use patchbay_core::oauth::OAuthErrorCode;
use patchbay_core::providers::{builtin, ProviderDef};
use patchbay_core::secret::SecretString;
use patchbay_core::vault::{MemoryVault, Vault};
use patchbay_core::views::{AccountState, AuthMethodView, ReconnectReason};
use patchbay_core::{ConnectError, ConnectOutcome, Patchbay};
use patchbay_sandbox::{AuthMode, Sandbox, SandboxConfig};

const USER_AGENT: &str = concat!("Patchbay/", env!("CARGO_PKG_VERSION"));

/// A sandbox where the three API-key providers want their real keys, and BoomTown a
/// confidential client.
async fn real_sandbox() -> Sandbox {
    let mut auth = HashMap::new();
    for p in ["whatconverts", "emailoctopus", "webinargeek"] {
        auth.insert(p.to_string(), AuthMode::ApiKey);
    }
    sandbox(SandboxConfig {
        auth,
        client_secrets: HashMap::from([("boomtown".to_string(), BOOMTOWN_SECRET.to_string())]),
        // Small collections: WebinarGeek's registrations are one request a webinar.
        records: 12,
        ..Default::default()
    })
    .await
}

const BOOMTOWN_SECRET: &str = "bt-secret-for-tests";

fn real_defs(sb: &Sandbox) -> Vec<ProviderDef> {
    builtin()
        .into_iter()
        .map(|mut d| {
            patchbay_core::demo::point_at(&mut d, &sb.url());
            d
        })
        .collect()
}

fn real_core(sb: &Sandbox) -> (Patchbay, Arc<MemoryVault>) {
    let vault = Arc::new(MemoryVault::new());
    let core = Patchbay::new(real_defs(sb), vault.clone(), fast_config());
    (core, vault)
}

fn good_key(provider: &str) -> BTreeMap<String, SecretString> {
    SandboxConfig::api_key_for(provider)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, SecretString::from(v)))
        .collect()
}

fn bad_key(provider: &str) -> BTreeMap<String, SecretString> {
    SandboxConfig::api_key_for(provider)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, SecretString::from(format!("{v}-wrong"))))
        .collect()
}

/// The provider's one account's name and state; `None` when the tile lists no account.
async fn state_of(core: &Patchbay, provider: &str) -> Option<(String, AccountState)> {
    let tile = tile(core, provider).await;
    assert!(tile.accounts.len() <= 1, "{tile:?}");
    tile.accounts.into_iter().next().map(|a| (a.name, a.state))
}

#[tokio::test]
async fn api_key_providers_describe_their_form_and_demo_mode_stays_oauth() {
    let sb = real_sandbox().await;
    let (core, _) = real_core(&sb);
    match core.auth_method("whatconverts").unwrap() {
        AuthMethodView::ApiKey {
            fields,
            help_url,
            help_text,
        } => {
            let keys: Vec<_> = fields.iter().map(|f| f.key.as_str()).collect();
            assert_eq!(keys, ["api_token", "api_secret"]);
            assert!(fields[1].secret, "the secret is masked");
            assert!(help_url.unwrap().starts_with("https://"));
            assert!(help_text.contains("Integrations → API Keys"), "{help_text}");
        }
        other => panic!("{other:?}"),
    }
    for p in ["emailoctopus", "webinargeek"] {
        assert!(matches!(
            core.auth_method(p).unwrap(),
            AuthMethodView::ApiKey { .. }
        ));
    }
    for p in ["clickfunnels", "boomtown"] {
        assert_eq!(core.auth_method(p).unwrap(), AuthMethodView::Oauth);
    }
    assert!(core.auth_method("nope").is_err());
    let json = serde_json::to_value(core.auth_method("webinargeek").unwrap()).unwrap();
    assert_eq!(json["kind"], "api_key");
    assert_eq!(json["fields"][0]["key"], "api_token");

    // Demo mode: every provider connects with OAuth, and save_api_key is refused.
    let demo = core_with(&sb, Arc::new(MemoryVault::new()), |_| {});
    for p in PROVIDERS {
        assert_eq!(demo.auth_method(p).unwrap(), AuthMethodView::Oauth, "{p}");
    }
    let e = demo
        .save_api_key("whatconverts", good_key("whatconverts"))
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectError::NotApiKey { .. }), "{e:?}");
}

#[tokio::test]
async fn a_good_key_connects_syncs_and_disconnects_for_each_api_key_provider() {
    let sb = real_sandbox().await;
    let (core, vault) = real_core(&sb);
    for (p, resource) in [
        ("whatconverts", "leads"),
        ("emailoctopus", "lists"),
        ("webinargeek", "webinars"),
    ] {
        let outcome = core.save_api_key(p, good_key(p)).await.expect(p);
        let ConnectOutcome::Connected { ref account, .. } = outcome else {
            panic!("{p}: {outcome:?}")
        };
        assert!(!account.is_empty());
        match state_of(&core, p).await {
            Some((a, AccountState::Connected { .. })) => assert_eq!(&a, account, "{p}"),
            other => panic!("{p}: {other:?}"),
        }
        let id = account_of(&outcome);
        let records = core.sync(p, &id, resource, |_| {}).await.expect(p);
        assert!(!records.is_empty(), "{p} synced");
    }
    assert_eq!(
        vault.len(),
        6,
        "one vault entry a key, and each provider's account list"
    );

    // A fresh core on the same vault (an app restart) is still connected and syncs.
    let again = Patchbay::new(real_defs(&sb), vault.clone(), fast_config());
    assert!(matches!(
        state_of(&again, "webinargeek").await,
        Some((_, AccountState::Connected { .. }))
    ));
    let wg = the_account(&again, "webinargeek").await;
    again
        .sync("webinargeek", &wg, "registrations", |_| {})
        .await
        .expect("child resource with the key");

    let mut eo = None;
    for p in ["whatconverts", "emailoctopus", "webinargeek"] {
        let id = the_account(&again, p).await;
        again.disconnect(p, &id).await.unwrap();
        assert_eq!(state_of(&again, p).await, None);
        if p == "emailoctopus" {
            eo = Some(id);
        }
    }
    assert!(vault.is_empty(), "disconnect deletes the keys");
    let e = again
        .sync("emailoctopus", &eo.unwrap(), "lists", |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "api.not_connected");
    // No OAuth endpoint was ever used for the API-key providers.
    assert!(sb.requests().iter().all(|r| !r.path.contains("/oauth/")));
}

#[tokio::test]
async fn each_scheme_travels_as_the_provider_wants() {
    let sb = real_sandbox().await;
    let (core, _) = real_core(&sb);
    for p in ["whatconverts", "emailoctopus", "webinargeek"] {
        core.save_api_key(p, good_key(p)).await.expect(p);
    }
    let by_path = |prefix: &str| {
        sb.requests()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix))
            .collect::<Vec<_>>()
    };
    // Basic and Bearer use Authorization; the header scheme must not.
    let wc = by_path("/whatconverts/");
    assert!(!wc.is_empty() && wc.iter().all(|r| r.bearer && r.status == 200));
    let eo = by_path("/emailoctopus/");
    assert!(!eo.is_empty() && eo.iter().all(|r| r.bearer && r.status == 200));
    let wg = by_path("/webinargeek/");
    assert!(!wg.is_empty() && wg.iter().all(|r| !r.bearer && r.status == 200));

    // The sandbox accepts each key only in its own scheme: swapping schemes fails.
    let http = reqwest::Client::new();
    let wc_key = SandboxConfig::api_key_for("whatconverts").unwrap();
    let ok = http
        .get(format!("{}/whatconverts/api/v1/accounts", sb.url()))
        .basic_auth(&wc_key["api_token"], Some(&wc_key["api_secret"]))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let as_bearer = http
        .get(format!("{}/whatconverts/api/v1/accounts", sb.url()))
        .bearer_auth(&wc_key["api_token"])
        .send()
        .await
        .unwrap();
    assert_eq!(as_bearer.status(), 401);
    let wg_key = SandboxConfig::api_key_for("webinargeek").unwrap();
    let wg_bearer = http
        .get(format!("{}/webinargeek/api/v2/account", sb.url()))
        .bearer_auth(&wg_key["api_token"])
        .send()
        .await
        .unwrap();
    assert_eq!(wg_bearer.status(), 401);
    let wg_header = http
        .get(format!("{}/webinargeek/api/v2/account", sb.url()))
        .header("Api-Token", &wg_key["api_token"])
        .send()
        .await
        .unwrap();
    assert_eq!(wg_header.status(), 200);
}

#[tokio::test]
async fn a_bad_key_is_explained_and_not_stored() {
    let sb = real_sandbox().await;
    let (core, vault) = real_core(&sb);
    for (p, words) in [
        (
            "whatconverts",
            "WhatConverts did not accept that API token and API secret. Copy them again from Integrations → API Keys.",
        ),
        (
            "emailoctopus",
            "EmailOctopus did not accept that API key. Copy it again from Integrations & API.",
        ),
        (
            "webinargeek",
            "WebinarGeek did not accept that API token. Copy it again from Settings → API.",
        ),
    ] {
        let e = core.save_api_key(p, bad_key(p)).await.unwrap_err();
        assert!(matches!(e, ConnectError::KeyRejected { .. }), "{p}: {e:?}");
        let view = core.connect_error_view(&e);
        assert_eq!(view.code, "connect.key_rejected");
        assert_eq!(view.message, words);
        assert_eq!(state_of(&core, p).await, None);
    }
    assert!(vault.is_empty(), "a refused key is never stored");
    // The refusals were real 401s from the sandbox, EmailOctopus' as problem+json.
    let refused: Vec<_> = sb
        .requests()
        .into_iter()
        .filter(|r| r.status == 401)
        .collect();
    assert_eq!(refused.len(), 3, "one try each, no retries: {refused:?}");
    let resp = reqwest::Client::new()
        .get(format!("{}/emailoctopus/me", sb.url()))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["status"], 401);
    assert!(body["title"].is_string() && body["type"].is_string());

    // Empty or garbled fields never reach the provider.
    let before = sb.requests().len();
    let mut missing = good_key("whatconverts");
    missing.insert("api_secret".into(), SecretString::from("   "));
    let e = core
        .save_api_key("whatconverts", missing)
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectError::KeyIncomplete { .. }), "{e:?}");
    assert!(core.connect_error_view(&e).message.contains("API secret"));
    let mut garbled = good_key("webinargeek");
    garbled.insert("api_token".into(), SecretString::from("abc\ndef"));
    let e = core.save_api_key("webinargeek", garbled).await.unwrap_err();
    assert!(matches!(e, ConnectError::KeyIncomplete { .. }), "{e:?}");
    assert_eq!(sb.requests().len(), before);
    // Blanks around a pasted key are ignored.
    let mut padded = good_key("emailoctopus");
    let v = padded["api_key"].expose_secret().to_string();
    padded.insert("api_key".into(), SecretString::from(format!("  {v}\n")));
    core.save_api_key("emailoctopus", padded)
        .await
        .expect("trimmed key works");
    // An unknown provider is an error, not a panic.
    assert!(matches!(
        core.save_api_key("nope", BTreeMap::new()).await,
        Err(ConnectError::UnknownProvider(_))
    ));
}

#[tokio::test]
async fn every_request_says_patchbay_and_its_version() {
    let sb = real_sandbox().await;
    let (core, _) = real_core(&sb);
    let wc = account_of(
        &core
            .save_api_key("whatconverts", good_key("whatconverts"))
            .await
            .unwrap(),
    );
    core.sync("whatconverts", &wc, "leads", |_| {})
        .await
        .unwrap();
    // OAuth too (demo mode): authorize is the browser's, every other request is ours.
    let demo = core_with(&sb, Arc::new(MemoryVault::new()), |_| {});
    let cf = connect_account(&demo, "clickfunnels").await;
    demo.sync("clickfunnels", &cf, "funnels", |_| {})
        .await
        .unwrap();
    demo.disconnect("clickfunnels", &cf).await.unwrap();
    let ours: Vec<_> = sb
        .requests()
        .into_iter()
        .filter(|r| !r.path.ends_with("/oauth/authorize"))
        .collect();
    assert!(ours.len() > 4);
    for r in &ours {
        assert_eq!(r.user_agent.as_deref(), Some(USER_AGENT), "{r:?}");
    }
    assert!(ours.iter().any(|r| r.path.ends_with("/oauth/token")));
    assert!(ours.iter().any(|r| r.path.ends_with("/oauth/revoke")));
}

#[tokio::test]
async fn keys_never_show_in_debug_output() {
    let sb = real_sandbox().await;
    let vault: Arc<MemoryVault> = Arc::new(MemoryVault::new());
    let core = Patchbay::new(real_defs(&sb), vault.clone(), fast_config());
    let id = account_of(
        &core
            .save_api_key("emailoctopus", good_key("emailoctopus"))
            .await
            .unwrap(),
    );
    let key = SandboxConfig::api_key_for("emailoctopus").unwrap()["api_key"].clone();
    let conn = core.connection("emailoctopus", &id).unwrap();
    let tokens = conn.current().await.unwrap().unwrap();
    assert!(!format!("{tokens:?}").contains(&key));
    assert!(!format!("{core:?}").contains(&key));
    let _ = vault.kind();
}

fn registrations(sb: &Sandbox) -> usize {
    sb.requests()
        .iter()
        .filter(|r| {
            r.method == "POST" && r.path == "/clickfunnels/oauth/register" && r.status == 201
        })
        .count()
}

#[tokio::test]
async fn clickfunnels_discovers_registers_once_and_reuses_the_registration() {
    let sb = real_sandbox().await;
    let (core, vault) = real_core(&sb);
    let def = core
        .providers()
        .iter()
        .find(|d| d.id == "clickfunnels")
        .unwrap()
        .clone();
    assert!(def.client_id().is_empty(), "no client id to paste");
    assert!(
        def.authorize_url().is_none(),
        "endpoints come from the metadata"
    );

    let outcome = connect(&core, "clickfunnels").await;
    assert!(
        matches!(outcome, ConnectOutcome::Connected { .. }),
        "{outcome:?}"
    );
    let id = account_of(&outcome);
    assert_eq!(sb.registration_count(), 1);
    assert!(sb
        .requests()
        .iter()
        .any(|r| r.path == "/.well-known/oauth-authorization-server/clickfunnels"));
    core.sync("clickfunnels", &id, "contacts", |_| {})
        .await
        .unwrap();
    // The registration is in the vault next to the tokens (and the account list).
    assert_eq!(vault.len(), 3);

    // Disconnect keeps the registration; connecting again (even after a restart) reuses it.
    core.disconnect("clickfunnels", &id).await.unwrap();
    assert_eq!(vault.len(), 1);
    let again = Patchbay::new(real_defs(&sb), vault.clone(), fast_config());
    let id = connect_account(&again, "clickfunnels").await;
    assert_eq!(sb.registration_count(), 1, "no second registration");
    assert_eq!(registrations(&sb), 1);
    // The token endpoint saw the registered client id, not a typed-in one.
    again
        .connection("clickfunnels", &id)
        .unwrap()
        .refresh_now()
        .await
        .expect("refresh with the registered client");
}

#[tokio::test]
async fn a_registration_the_provider_dropped_is_redone_once() {
    let sb = real_sandbox().await;
    let (core, _vault) = real_core(&sb);
    connect(&core, "clickfunnels").await;
    assert_eq!(sb.registration_count(), 1);

    // The provider forgets the registration: the next connect notices it before the
    // browser opens, registers again (once) and connects.
    sb.revoke_registrations();
    let outcome = connect(&core, "clickfunnels").await;
    assert!(
        matches!(outcome, ConnectOutcome::Connected { .. }),
        "{outcome:?}"
    );
    assert_eq!(sb.registration_count(), 2);

    // Revoked between the browser's approval and the code exchange: a plain error, the
    // registration is dropped, and the next Connect registers again and works.
    let url = core.begin_connect("clickfunnels").await.unwrap();
    let location = approve(&url).await;
    sb.revoke_registrations();
    let e = core.complete(&location).await.unwrap_err();
    assert!(matches!(e, ConnectError::ClientRejected { .. }), "{e:?}");
    assert_eq!(core.connect_error_view(&e).code, "connect.client_rejected");
    connect(&core, "clickfunnels").await;
    assert_eq!(sb.registration_count(), 3);

    // Revoked while connected: the refresh is refused, the connection needs reconnecting,
    // and reconnecting registers again.
    sb.revoke_registrations();
    let id = the_account(&core, "clickfunnels").await;
    let conn = core.connection("clickfunnels", &id).unwrap();
    let e = conn.refresh_now().await.unwrap_err();
    assert_eq!(e.code(), "api.needs_reconnect", "{e:?}");
    assert!(matches!(
        state_of(&core, "clickfunnels").await,
        Some((
            _,
            AccountState::NeedsReconnect {
                reason: ReconnectReason::Ended
            }
        ))
    ));
    connect(&core, "clickfunnels").await;
    assert_eq!(sb.registration_count(), 4);

    // "Reset the registration" in Settings: the next connect registers afresh.
    core.forget_registration("clickfunnels").await.unwrap();
    connect(&core, "clickfunnels").await;
    assert_eq!(sb.registration_count(), 5);
}

#[tokio::test]
async fn two_quick_connects_register_once() {
    let sb = real_sandbox().await;
    let (core, _vault) = real_core(&sb);
    let (a, b) = tokio::join!(
        core.begin_connect("clickfunnels"),
        core.begin_connect("clickfunnels")
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(sb.registration_count(), 1);
}

#[tokio::test]
async fn the_sandbox_registers_only_public_native_clients() {
    let sb = real_sandbox().await;
    let http = reqwest::Client::new();
    let url = format!("{}/clickfunnels/oauth/register", sb.url());
    let good = serde_json::json!({
        "application_type": "native",
        "token_endpoint_auth_method": "none",
        "redirect_uris": ["dev.patchbay:/oauth/callback", "http://127.0.0.1/oauth/callback"],
    });
    for (change, error) in [
        (
            ("application_type", serde_json::json!("web")),
            "invalid_client_metadata",
        ),
        (
            (
                "token_endpoint_auth_method",
                serde_json::json!("client_secret_basic"),
            ),
            "invalid_client_metadata",
        ),
        (
            (
                "redirect_uris",
                serde_json::json!(["https://evil.example/cb"]),
            ),
            "invalid_redirect_uri",
        ),
        (
            ("redirect_uris", serde_json::json!([])),
            "invalid_redirect_uri",
        ),
    ] {
        let mut body = good.clone();
        body[change.0] = change.1;
        let resp = http.post(&url).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v["error"], error, "{body}");
    }
    assert_eq!(sb.registration_count(), 0);
    let resp = http.post(&url).json(&good).send().await.unwrap();
    assert_eq!(resp.status(), 201);
    let v: serde_json::Value = resp.json().await.unwrap();
    let id = v["client_id"].as_str().unwrap();
    // Registered clients exist only at ClickFunnels.
    let meta: serde_json::Value = http
        .get(format!(
            "{}/.well-known/oauth-authorization-server/clickfunnels",
            sb.url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["registration_endpoint"],
        format!("{}/clickfunnels/oauth/register", sb.url())
    );
    let wc = format!(
        "{}/whatconverts/oauth/authorize?client_id={id}&redirect_uri=dev.patchbay:/oauth/callback&response_type=code",
        sb.url()
    );
    assert_eq!(http.get(wc).send().await.unwrap().status(), 400);
    // The RFC 7592 read needs the registration access token.
    let read = v["registration_client_uri"].as_str().unwrap();
    assert_eq!(http.get(read).send().await.unwrap().status(), 401);
    let ok = http
        .get(read)
        .bearer_auth(v["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn boomtown_sends_the_users_client_secret_from_the_vault() {
    let sb = real_sandbox().await;
    let vault = Arc::new(MemoryVault::new());
    let defs = real_defs(&sb)
        .into_iter()
        .map(|mut d| {
            if d.id == "boomtown" {
                // What Settings does with the user's own client id.
                d.set_client_id("patchbay-desktop".into());
            }
            d
        })
        .collect();
    let core = Patchbay::new(defs, vault.clone(), fast_config());
    assert!(core.needs_client_secret("boomtown"));
    assert!(!core.needs_client_secret("clickfunnels"));
    assert!(!core.has_client_secret("boomtown").await);
    let e = core.begin_connect("boomtown").await.unwrap_err();
    assert!(
        matches!(e, ConnectError::NeedsClientCredentials { .. }),
        "{e:?}"
    );
    assert!(core.connect_error_view(&e).message.contains("Settings"));

    // A wrong secret: the token endpoint refuses the client.
    core.set_client_secret("boomtown", Some(SecretString::from("wrong")))
        .await
        .unwrap();
    let url = core.begin_connect("boomtown").await.unwrap();
    let e = core.complete(&approve(&url).await).await.unwrap_err();
    assert!(
        matches!(&e, ConnectError::Grant { error, .. } if error.error == OAuthErrorCode::InvalidClient),
        "{e:?}"
    );
    assert!(core
        .connect_error_view(&e)
        .message
        .contains("client secret"));

    core.set_client_secret("boomtown", Some(SecretString::from(BOOMTOWN_SECRET)))
        .await
        .unwrap();
    assert!(core.has_client_secret("boomtown").await);
    let id = connect_account(&core, "boomtown").await;
    core.sync("boomtown", &id, "leads", |_| {}).await.unwrap();
    core.connection("boomtown", &id)
        .unwrap()
        .refresh_now()
        .await
        .unwrap();
    core.disconnect("boomtown", &id).await.unwrap();
    let revokes: Vec<_> = sb
        .requests()
        .into_iter()
        .filter(|r| r.path == "/boomtown/oauth/revoke")
        .collect();
    assert_eq!(revokes.len(), 1);
    assert_eq!(
        revokes[0].status, 200,
        "revocation authenticated with the secret"
    );
    // The secret never reached the log, and None deletes it.
    let log = serde_json::to_string(&sb.requests()).unwrap();
    assert!(!log.contains(BOOMTOWN_SECRET));
    core.set_client_secret("boomtown", None).await.unwrap();
    assert!(!core.has_client_secret("boomtown").await);
    assert!(vault.is_empty());
}

#[derive(Clone, Default)]
struct Capture(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn keys_and_registration_tokens_never_reach_the_log() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sb = real_sandbox().await;
    let (core, vault) = real_core(&sb);
    for p in ["whatconverts", "emailoctopus", "webinargeek"] {
        core.save_api_key(p, bad_key(p)).await.unwrap_err();
        core.save_api_key(p, good_key(p)).await.unwrap();
    }
    let eo = the_account(&core, "emailoctopus").await;
    core.sync("emailoctopus", &eo, "campaigns", |_| {})
        .await
        .unwrap();
    connect(&core, "clickfunnels").await;
    sb.revoke_registrations();
    connect(&core, "clickfunnels").await;

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("API key refused"), "the log is captured");
    let mut secrets: Vec<String> = Vec::new();
    for p in ["whatconverts", "emailoctopus", "webinargeek"] {
        for v in SandboxConfig::api_key_for(p).unwrap().into_values() {
            secrets.push(v.clone());
            secrets.push(format!("{v}-wrong"));
        }
    }
    let reg = vault
        .get(&patchbay_core::discovery::client_key(
            &fast_config().vault_namespace(),
            "clickfunnels",
        ))
        .unwrap()
        .unwrap();
    let reg: serde_json::Value = serde_json::from_str(reg.expose_secret()).unwrap();
    secrets.push(
        reg["registration_access_token"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    for s in &secrets {
        assert!(!log.contains(s.as_str()), "a secret reached the log");
    }
}
