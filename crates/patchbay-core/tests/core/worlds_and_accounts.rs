//! Worlds, accounts and credentials bound to where they were issued, against real sandboxes:
//! a changed token endpoint or API base sends nothing; plain http outside loopback (and
//! loopback outside the demo world) is refused before sending; account variables cannot move
//! a request to another host; the loopback listener completes a connect by itself and closes;
//! two accounts of one provider live side by side; the demo and real worlds never see or touch
//! each other's entries; single-account data is upgraded once; ClickFunnels' tokens that do
//! not expire are never refreshed.

use crate::common;
use patchbay_core::secret::ExposeSecret;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use patchbay_core::accounts::AccountIndex;
use patchbay_core::providers::{builtin, ProviderDef};
use patchbay_core::secret::SecretString;
use patchbay_core::session::{tokens_key, BoundSecret};
use patchbay_core::vault::{MemoryVault, Vault, VaultKey};
use patchbay_core::views::{AccountState, ConnectionChange, ReconnectReason};
use patchbay_core::{AccountId, ApiError, ConnectError, CoreConfig, Patchbay, World};
use patchbay_sandbox::{AuthMode, Sandbox, SandboxConfig};
use serde_json::{json, Value};

const BOOMTOWN_SECRET: &str = "bt-secret-for-tests";
const WAIT: Duration = Duration::from_secs(10);

/// A sandbox with the real connection methods: API keys for the three key providers, a
/// confidential client for BoomTown.
async fn real_sandbox(config: SandboxConfig) -> Sandbox {
    let mut auth = HashMap::new();
    for p in ["whatconverts", "emailoctopus", "webinargeek"] {
        auth.insert(p.to_string(), AuthMode::ApiKey);
    }
    sandbox(SandboxConfig {
        auth,
        client_secrets: HashMap::from([("boomtown".to_string(), BOOMTOWN_SECRET.to_string())]),
        records: 12,
        ..config
    })
    .await
}

/// The built-in definitions pointed at a sandbox, keeping each provider's real method (what
/// Settings does for BoomTown: the user's own client id).
fn real_defs(sb: &Sandbox, tweak: impl Fn(&mut ProviderDef)) -> Vec<ProviderDef> {
    builtin()
        .into_iter()
        .map(|mut d| {
            patchbay_core::demo::point_at(&mut d, &sb.url());
            if d.id == "boomtown" {
                d.set_client_id("patchbay-desktop".into());
            }
            tweak(&mut d);
            d
        })
        .collect()
}

fn key_values(provider: &str, account: u32) -> BTreeMap<String, SecretString> {
    SandboxConfig::api_key_for_account(provider, account)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, SecretString::from(v)))
        .collect()
}

fn real_ns() -> String {
    fast_config().vault_namespace()
}

fn read_json(vault: &MemoryVault, key: &VaultKey) -> Value {
    serde_json::from_str(
        vault
            .get(key)
            .unwrap()
            .expect("entry stored")
            .expose_secret(),
    )
    .unwrap()
}

/// Requests a sandbox received whose path starts with `prefix`.
fn count(sb: &Sandbox, prefix: &str) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r.path.starts_with(prefix))
        .count()
}

/// Stores an account as the core keeps it: the provider's account list and the tokens.
fn plant(
    vault: &MemoryVault,
    namespace: &str,
    provider: &str,
    id: &AccountId,
    name: &str,
    tokens: &Value,
) {
    let list = json!([{ "id": id.as_str(), "name": name, "vars": tokens["vars"] }]);
    vault
        .set(
            &AccountIndex::key(namespace, provider),
            &SecretString::from(list.to_string()),
        )
        .unwrap();
    vault
        .set(
            &tokens_key(namespace, provider, id),
            &SecretString::from(tokens.to_string()),
        )
        .unwrap();
}

/// The origin a definition without discovery gives credentials issued under it.
fn origin_of(def: &ProviderDef) -> Value {
    json!({
        "issuer": def.issuer().map(|i| i.as_str()),
        "token_endpoint": def.token_url().map(|u| u.as_str()),
        "api_base": def.api_base,
        "account_url": def.account.url,
    })
}

async fn next_change(rx: &mut tokio::sync::broadcast::Receiver<ConnectionChange>) -> String {
    tokio::time::timeout(WAIT, rx.recv())
        .await
        .expect("a connection change in time")
        .expect("the channel is open")
        .provider_id
}

/// Waits until nothing listens on `port` any more (fails after WAIT).
async fn wait_closed(port: u16) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return,
            _ => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the listener on {port} is still open"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

fn redirect_of(authorize: &url::Url) -> url::Url {
    let r = authorize
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .expect("a redirect_uri")
        .1
        .into_owned();
    url::Url::parse(&r).unwrap()
}

// a. Changed token endpoint or API base: nothing is sent, the account asks to reconnect, the
//    tokens stay.
#[tokio::test]
async fn a_changed_token_endpoint_or_api_base_sends_nothing_and_keeps_the_tokens() {
    let sb = real_sandbox(SandboxConfig::default()).await;
    let other = real_sandbox(SandboxConfig::default()).await;
    let vault = Arc::new(MemoryVault::new());
    let core = Patchbay::new(real_defs(&sb, |_| {}), vault.clone(), fast_config());
    core.set_client_secret("boomtown", Some(SecretString::from(BOOMTOWN_SECRET)))
        .await
        .unwrap();
    let id = connect_account(&core, "boomtown").await;
    let key = tokens_key(&real_ns(), "boomtown", &id);
    let stored = vault
        .get(&key)
        .unwrap()
        .unwrap()
        .expose_secret()
        .to_string();
    let refresh = read_json(&vault, &key)["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let seen_before = sb.requests().len();

    // The definition now names another token endpoint (the other sandbox's).
    let other_token = format!("{}/boomtown/oauth/token", other.url());
    let moved = Patchbay::new(
        real_defs(&sb, |d| {
            if d.id == "boomtown" {
                d.fixed_endpoints_mut().unwrap().token_url = url::Url::parse(&other_token).unwrap();
            }
        }),
        vault.clone(),
        fast_config(),
    );
    assert!(
        !moved.has_client_secret("boomtown").await,
        "the secret was saved for the old token endpoint"
    );
    let e = moved
        .sync("boomtown", &id, "leads", |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "api.origin_changed", "{e:?}");
    let conn = moved.connection("boomtown", &id).unwrap();
    let e = conn.refresh_now().await.unwrap_err();
    assert_eq!(e.code(), "api.origin_changed", "{e:?}");
    sb.expire_access_tokens();
    let e = moved.account("boomtown", &id).await.unwrap_err();
    assert_eq!(e.code(), "api.origin_changed", "{e:?}");
    assert_eq!(
        account_state(&moved, "boomtown").await,
        Some(AccountState::NeedsReconnect {
            reason: ReconnectReason::AddressChanged
        })
    );
    // Nothing reached either server: no token request, no API call.
    assert!(other.requests().is_empty(), "{:?}", other.requests());
    assert_eq!(sb.requests().len(), seen_before, "{:?}", sb.requests());
    let logs = serde_json::to_string(&sb.requests()).unwrap()
        + &serde_json::to_string(&other.requests()).unwrap();
    assert!(!logs.contains(&refresh) && !logs.contains(BOOMTOWN_SECRET));
    // The tokens are kept, untouched, for when the user approves the new address.
    assert_eq!(
        vault
            .get(&key)
            .unwrap()
            .unwrap()
            .expose_secret()
            .to_string(),
        stored
    );

    // The definition now names another API base.
    let other_api = format!("{}/boomtown/v1", other.url());
    let moved_api = Patchbay::new(
        real_defs(&sb, |d| {
            if d.id == "boomtown" {
                d.api_base = other_api.clone();
            }
        }),
        vault.clone(),
        fast_config(),
    );
    let e = moved_api
        .sync("boomtown", &id, "leads", |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "api.origin_changed", "{e:?}");
    assert_eq!(
        account_state(&moved_api, "boomtown").await,
        Some(AccountState::NeedsReconnect {
            reason: ReconnectReason::AddressChanged
        })
    );
    assert!(other.requests().is_empty(), "{:?}", other.requests());
    assert_eq!(sb.requests().len(), seen_before);
    assert_eq!(
        vault
            .get(&key)
            .unwrap()
            .unwrap()
            .expose_secret()
            .to_string(),
        stored
    );

    // The definition they were issued under still uses them (the expired access token is
    // refreshed at the original endpoint, with the secret).
    let records = core.sync("boomtown", &id, "leads", |_| {}).await.unwrap();
    assert_eq!(records.len(), 12);
    assert_eq!(token_requests(&sb, "refresh_token"), 1);
}

// b. Plain http is refused outside loopback; loopback http outside the demo world is refused
//    for a provider that does not itself live on loopback.
#[tokio::test]
async fn plain_http_api_bases_are_refused_before_sending() {
    let sb = real_sandbox(SandboxConfig::default()).await;
    let port = url::Url::parse(&sb.url()).unwrap().port().unwrap();
    // An API-key provider: `localhost` (which would reach the sandbox) and a plain-http host.
    for base in [
        format!("http://localhost:{port}/whatconverts/api/v1"),
        "http://app.whatconverts.invalid/api/v1".to_string(),
    ] {
        let core = Patchbay::new(
            real_defs(&sb, |d| d.api_base = base.clone()),
            Arc::new(MemoryVault::new()),
            fast_config(),
        );
        let e = core
            .save_api_key("whatconverts", key_values("whatconverts", 1))
            .await
            .unwrap_err();
        assert!(
            matches!(
                &e,
                ConnectError::Api {
                    error: ApiError::RefusedUrl(_),
                    ..
                }
            ),
            "{base}: {e:?}"
        );
        assert_eq!(core.connect_error_view(&e).code, "api.refused_url");
    }
    assert!(sb.requests().is_empty(), "{:?}", sb.requests());

    // An OAuth provider at its real (https) authorization server whose API base is the
    // sandbox over plain http: its tokens (a real access token of the sandbox) are refused
    // there in the real world, and used in the demo world.
    let demo_sb = sandbox(SandboxConfig::default()).await;
    let scratch = Arc::new(MemoryVault::new());
    let scratch_core = core_with(&demo_sb, scratch.clone(), |_| {});
    let scratch_id = connect_account(&scratch_core, "boomtown").await;
    let mut tokens = read_json(&scratch, &tokens_entry("boomtown", &scratch_id));
    let def_on = |api_base: String| {
        let mut d = builtin().into_iter().find(|d| d.id == "boomtown").unwrap();
        d.set_client_id("patchbay-desktop".into());
        d.api_base = api_base;
        d
    };
    let loopback_def = def_on(format!("{}/boomtown/v1", demo_sb.url()));
    assert_eq!(loopback_def.token_url().unwrap().scheme(), "https");
    tokens["origin"] = origin_of(&loopback_def);
    let vault = Arc::new(MemoryVault::new());
    let id = AccountId::parse("acct_1").unwrap();
    let demo_config = CoreConfig {
        world: World::Demo,
        ..fast_config()
    };
    plant(
        &vault,
        &real_ns(),
        "boomtown",
        &id,
        "Carter Realty",
        &tokens,
    );
    plant(
        &vault,
        &demo_config.vault_namespace(),
        "boomtown",
        &id,
        "Carter Realty",
        &tokens,
    );
    let api_calls = count(&demo_sb, "/boomtown/v1/");
    let real = Patchbay::new(vec![loopback_def.clone()], vault.clone(), fast_config());
    let e = real
        .sync("boomtown", &id, "leads", |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "api.refused_url", "{e:?}");
    assert_eq!(count(&demo_sb, "/boomtown/v1/"), api_calls, "nothing sent");
    let demo = Patchbay::new(vec![loopback_def], vault.clone(), demo_config.clone());
    let records = demo.sync("boomtown", &id, "leads", |_| {}).await.unwrap();
    assert_eq!(records.len(), 250);
    let api_calls = count(&demo_sb, "/boomtown/v1/");
    assert!(api_calls > 0);

    // In the demo world too, only the loopback literal: `localhost` is refused.
    let port = url::Url::parse(&demo_sb.url()).unwrap().port().unwrap();
    let named_def = def_on(format!("http://localhost:{port}/boomtown/v1"));
    tokens["origin"] = origin_of(&named_def);
    plant(
        &vault,
        &demo_config.vault_namespace(),
        "boomtown",
        &id,
        "Carter Realty",
        &tokens,
    );
    let demo = Patchbay::new(vec![named_def], vault.clone(), demo_config);
    let e = demo
        .sync("boomtown", &id, "leads", |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "api.refused_url", "{e:?}");
    assert_eq!(count(&demo_sb, "/boomtown/v1/"), api_calls, "nothing sent");
}

// c. Account variables are single DNS labels in the host: a workspace subdomain that would
//    move the request elsewhere is refused and nothing is sent.
#[tokio::test]
async fn a_workspace_subdomain_cannot_move_the_request() {
    let sb = real_sandbox(SandboxConfig::default()).await;
    let vault = Arc::new(MemoryVault::new());
    let core = Patchbay::new(real_defs(&sb, |_| {}), vault.clone(), fast_config());
    let id = connect_account(&core, "clickfunnels").await;
    let template = "https://{workspace_subdomain}.myclickfunnels.com/api/v2";
    let key = tokens_entry("clickfunnels", &id);
    let good = read_json(&vault, &key);
    assert_eq!(good["vars"]["workspace_subdomain"], "acme");
    for evil in ["evil.example#", "a.b", "evil.example/", "x@evil.example"] {
        // The provider's account look-up named this subdomain; the definition is ClickFunnels'
        // real one (subdomain in the host).
        let mut tokens = good.clone();
        tokens["vars"]["workspace_subdomain"] = evil.into();
        tokens["origin"]["api_base"] = template.into();
        vault
            .set(&key, &SecretString::from(tokens.to_string()))
            .unwrap();
        let real = Patchbay::new(
            real_defs(&sb, |d| {
                if d.id == "clickfunnels" {
                    d.api_base = template.into();
                }
            }),
            vault.clone(),
            fast_config(),
        );
        // Checked without any traffic first: a fill that let the value through would send
        // the next request off this machine.
        let conn = real.connection("clickfunnels", &id).unwrap();
        let vars: BTreeMap<String, String> =
            serde_json::from_value(tokens["vars"].clone()).unwrap();
        let refused = conn.api_url("/workspaces/{workspace_id}/funnels", &vars);
        assert!(
            matches!(refused, Err(ApiError::RefusedUrl(_))),
            "{evil}: {refused:?}"
        );
        let before = sb.requests().len();
        let e = real
            .sync("clickfunnels", &id, "funnels", |_| {})
            .await
            .unwrap_err();
        assert_eq!(e.code(), "api.refused_url", "{evil}: {e:?}");
        assert_eq!(sb.requests().len(), before, "{evil}: nothing sent");
    }
    // A plain label fills (the template is otherwise fine).
    let vars = BTreeMap::from([("workspace_subdomain".to_string(), "acme".to_string())]);
    let filled = patchbay_core::url_rules::fill_url(template, |n| vars.get(n).cloned()).unwrap();
    assert_eq!(filled.host_str(), Some("acme.myclickfunnels.com"));
}

// d. The loopback listener: strays get 400 and consume nothing; the real approval completes
//    the connection by itself; the listener closes after it, on cancel and on expiry.
#[tokio::test]
async fn the_loopback_listener_completes_by_itself_and_closes() {
    let sb = sandbox(SandboxConfig::default()).await;
    let core =
        Patchbay::new(builtin(), Arc::new(MemoryVault::new()), fast_config()).demo(&sb.url());
    assert_eq!(core.world(), World::Demo);
    let mut changes = core.subscribe();
    let authorize = core.begin_connect("webinargeek").await.unwrap();
    assert_eq!(next_change(&mut changes).await, "webinargeek");
    let redirect = redirect_of(&authorize);
    assert_eq!(redirect.host_str(), Some("127.0.0.1"));
    let port = redirect.port().unwrap();
    assert_eq!(
        tile(&core, "webinargeek").await.waiting_authorize_url,
        Some(authorize.to_string())
    );

    let http = reqwest::Client::new();
    let mut wrong = redirect.clone();
    wrong
        .query_pairs_mut()
        .append_pair("code", "stray")
        .append_pair("state", "not-the-state");
    let mut stateless = redirect.clone();
    stateless.query_pairs_mut().append_pair("code", "stray");
    for stray in [wrong, stateless] {
        let status = http.get(stray.as_str()).send().await.unwrap().status();
        assert_eq!(status, 400, "{stray}");
    }
    let t = tile(&core, "webinargeek").await;
    assert_eq!(t.waiting_authorize_url, Some(authorize.to_string()));
    assert!(t.accounts.is_empty());
    assert_eq!(token_requests(&sb, "authorization_code"), 0);
    assert!(sb.requests().iter().all(|r| r.grant_type.is_none()));

    // The browser follows the approval back to the listener; the test calls nothing.
    let location = approve(&authorize).await;
    assert!(location.starts_with(redirect.as_str()), "{location}");
    let page = http.get(&location).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(next_change(&mut changes).await, "webinargeek");
    let t = tile(&core, "webinargeek").await;
    assert_eq!(t.waiting_authorize_url, None);
    assert_eq!(t.accounts.len(), 1, "{t:?}");
    assert_eq!(t.accounts[0].name, "Acme Events");
    assert!(matches!(
        t.accounts[0].state,
        AccountState::Connected { .. }
    ));
    assert_eq!(token_requests(&sb, "authorization_code"), 1);
    wait_closed(port).await;

    // Cancel closes the listener.
    let authorize = core.begin_connect("webinargeek").await.unwrap();
    assert_eq!(next_change(&mut changes).await, "webinargeek");
    let port = redirect_of(&authorize).port().unwrap();
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_ok());
    assert!(core.cancel_connect("webinargeek"));
    assert_eq!(next_change(&mut changes).await, "webinargeek");
    wait_closed(port).await;
    assert_eq!(tile(&core, "webinargeek").await.waiting_authorize_url, None);

    // Expiry closes it too, by itself.
    let short = Patchbay::new(
        builtin(),
        Arc::new(MemoryVault::new()),
        CoreConfig {
            pending_ttl: Duration::from_millis(300),
            ..fast_config()
        },
    )
    .demo(&sb.url());
    let mut changes = short.subscribe();
    let authorize = short.begin_connect("webinargeek").await.unwrap();
    assert_eq!(next_change(&mut changes).await, "webinargeek");
    let port = redirect_of(&authorize).port().unwrap();
    assert_eq!(next_change(&mut changes).await, "webinargeek", "expired");
    wait_closed(port).await;
    let t = tile(&short, "webinargeek").await;
    assert_eq!(t.waiting_authorize_url, None);
    assert!(t.accounts.is_empty());
    assert_eq!(token_requests(&sb, "authorization_code"), 1);
}

// e. Two accounts of one provider, side by side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_of_one_provider_sync_and_disconnect_apart() {
    let sb = real_sandbox(SandboxConfig {
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let vault = Arc::new(MemoryVault::new());
    let core = Patchbay::new(real_defs(&sb, |_| {}), vault.clone(), fast_config());
    let first = account_of(
        &core
            .save_api_key("whatconverts", key_values("whatconverts", 1))
            .await
            .unwrap(),
    );
    let second = account_of(
        &core
            .save_api_key("whatconverts", key_values("whatconverts", 2))
            .await
            .unwrap(),
    );
    assert_ne!(first, second);
    let names = |list: Vec<patchbay_core::accounts::AccountEntry>| {
        list.into_iter().map(|a| (a.id, a.name)).collect::<Vec<_>>()
    };
    let both = vec![
        (first.clone(), "Harbor Dental Group".to_string()),
        (second.clone(), "Lakeside Orthodontics".to_string()),
    ];
    assert_eq!(names(core.accounts("whatconverts").await.unwrap()), both);

    // The same account again is a reconnect, not a third account.
    let again = account_of(
        &core
            .save_api_key("whatconverts", key_values("whatconverts", 1))
            .await
            .unwrap(),
    );
    assert_eq!(again, first);
    assert_eq!(names(core.accounts("whatconverts").await.unwrap()), both);

    // Both sync at once, each its own records.
    let (a, b) = tokio::join!(
        core.sync("whatconverts", &first, "leads", |_| {}),
        core.sync("whatconverts", &second, "leads", |_| {})
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.len(), b.len()), (12, 12));
    assert!(a.iter().all(|r| r["account_id"] == 40123), "{a:?}");
    assert!(b.iter().all(|r| r["account_id"] == 40124), "{b:?}");
    let ids = |rs: &[Value]| {
        rs.iter()
            .map(|r| r["lead_id"].as_u64().unwrap())
            .collect::<HashSet<_>>()
    };
    assert!(ids(&a).is_disjoint(&ids(&b)));
    let t = tile(&core, "whatconverts").await;
    assert_eq!(t.accounts.len(), 2);
    for acc in &t.accounts {
        assert!(
            matches!(
                &acc.state,
                AccountState::Connected {
                    last_synced: Some(_),
                    ..
                }
            ),
            "{t:?}"
        );
    }

    // Disconnecting one leaves the other connected, stored and syncable.
    let second_key = tokens_entry("whatconverts", &second);
    let second_bytes = vault
        .get(&second_key)
        .unwrap()
        .unwrap()
        .expose_secret()
        .to_string();
    core.disconnect("whatconverts", &first).await.unwrap();
    assert!(vault
        .get(&tokens_entry("whatconverts", &first))
        .unwrap()
        .is_none());
    assert_eq!(
        vault
            .get(&second_key)
            .unwrap()
            .unwrap()
            .expose_secret()
            .to_string(),
        second_bytes
    );
    assert_eq!(
        names(core.accounts("whatconverts").await.unwrap()),
        vec![(second.clone(), "Lakeside Orthodontics".to_string())]
    );
    let t = tile(&core, "whatconverts").await;
    assert_eq!(t.accounts.len(), 1);
    assert_eq!(t.accounts[0].account_id, second.as_str());
    assert!(matches!(
        t.accounts[0].state,
        AccountState::Connected { .. }
    ));
    let e = core
        .sync("whatconverts", &first, "leads", |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "api.not_connected");
    // A restart still has the second account.
    let restarted = Patchbay::new(real_defs(&sb, |_| {}), vault.clone(), fast_config());
    let b2 = restarted
        .sync("whatconverts", &second, "leads", |_| {})
        .await
        .unwrap();
    assert_eq!(ids(&b2), ids(&b));
}

// f. The demo and real worlds on one vault never see or touch each other's entries.
#[tokio::test]
async fn the_demo_world_never_sees_or_touches_the_real_one() {
    let real_sb = real_sandbox(SandboxConfig::default()).await;
    let demo_sb = sandbox(SandboxConfig {
        records: 12,
        ..Default::default()
    })
    .await;
    let vault = Arc::new(MemoryVault::new());
    let real = Patchbay::new(real_defs(&real_sb, |_| {}), vault.clone(), fast_config());
    let demo = Patchbay::new(builtin(), vault.clone(), fast_config()).demo(&demo_sb.url());
    assert_eq!((real.world(), demo.world()), (World::Real, World::Demo));

    let real_id = account_of(
        &real
            .save_api_key("whatconverts", key_values("whatconverts", 1))
            .await
            .unwrap(),
    );
    real.set_client_secret("boomtown", Some(SecretString::from(BOOMTOWN_SECRET)))
        .await
        .unwrap();
    let real_id_cf = connect_account(&real, "clickfunnels").await;
    let real_keys = [
        tokens_key(&real_ns(), "whatconverts", &real_id),
        AccountIndex::key(&real_ns(), "whatconverts"),
        tokens_key(&real_ns(), "clickfunnels", &real_id_cf),
        AccountIndex::key(&real_ns(), "clickfunnels"),
        patchbay_core::discovery::client_key(&real_ns(), "clickfunnels"),
        patchbay_core::session::client_secret_key(&real_ns(), "boomtown"),
    ];
    let snapshot = |v: &MemoryVault| {
        real_keys
            .iter()
            .map(|k| {
                v.get(k)
                    .unwrap()
                    .expect("real entry present")
                    .expose_secret()
                    .to_string()
            })
            .collect::<Vec<_>>()
    };
    let before = snapshot(&vault);

    // The demo world sees none of it.
    for t in demo.tiles().await {
        assert!(t.accounts.is_empty(), "{t:?}");
    }
    assert!(demo.accounts("whatconverts").await.unwrap().is_empty());
    assert!(!demo.has_client_secret("boomtown").await);
    let e = demo
        .sync("whatconverts", &real_id, "leads", |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "api.not_connected");

    // A demo connect, sync and disconnect of the same providers.
    let demo_wc = connect_account(&demo, "whatconverts").await;
    let demo_cf = connect_account(&demo, "clickfunnels").await;
    assert_ne!(demo_wc, real_id);
    demo.sync("whatconverts", &demo_wc, "leads", |_| {})
        .await
        .unwrap();
    assert_eq!(demo.accounts("whatconverts").await.unwrap().len(), 1);
    assert_eq!(
        snapshot(&vault),
        before,
        "a demo connect touched a real entry"
    );
    // The real world does not see the demo accounts.
    let real_list: Vec<_> = real
        .accounts("whatconverts")
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(real_list, vec![real_id.clone()]);
    let e = real
        .sync("whatconverts", &demo_wc, "leads", |_| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "api.not_connected");
    demo.disconnect("whatconverts", &demo_wc).await.unwrap();
    demo.disconnect("clickfunnels", &demo_cf).await.unwrap();
    demo.forget_registration("clickfunnels").await.unwrap();
    assert_eq!(
        snapshot(&vault),
        before,
        "a demo disconnect touched a real entry"
    );
    for t in demo.tiles().await {
        assert!(t.accounts.is_empty(), "{t:?}");
    }
    // The real accounts still work.
    let records = real
        .sync("whatconverts", &real_id, "leads", |_| {})
        .await
        .unwrap();
    assert_eq!(records.len(), 12);
    real.sync("clickfunnels", &real_id_cf, "funnels", |_| {})
        .await
        .unwrap();
    assert_eq!(
        real.tiles()
            .await
            .iter()
            .map(|t| t.accounts.len())
            .sum::<usize>(),
        2
    );
}

// g. Upgrade from single-account data.
#[tokio::test]
async fn single_account_data_is_upgraded_once_and_keeps_working() {
    let sb = real_sandbox(SandboxConfig::default()).await;
    // Real tokens and a real registration, made by a scratch core.
    let scratch = Arc::new(MemoryVault::new());
    let scratch_core = Patchbay::new(real_defs(&sb, |_| {}), scratch.clone(), fast_config());
    scratch_core
        .set_client_secret("boomtown", Some(SecretString::from(BOOMTOWN_SECRET)))
        .await
        .unwrap();
    let bt = connect_account(&scratch_core, "boomtown").await;
    let cf = connect_account(&scratch_core, "clickfunnels").await;
    let legacy = |v: Value| {
        let mut v = v;
        v.as_object_mut().unwrap().remove("origin");
        SecretString::from(v.to_string())
    };
    let bt_tokens = legacy(read_json(&scratch, &tokens_entry("boomtown", &bt)));
    let cf_tokens = legacy(read_json(&scratch, &tokens_entry("clickfunnels", &cf)));
    let registration = scratch
        .get(&patchbay_core::discovery::client_key(
            &real_ns(),
            "clickfunnels",
        ))
        .unwrap()
        .unwrap();
    drop(scratch_core);
    let registrations = sb.registration_count();

    // The pre-worlds layout: service = the build namespace, account "default".
    let old_ns = fast_config().namespace;
    let old = [
        (
            VaultKey::new(&old_ns, "boomtown", "default", "tokens"),
            bt_tokens,
        ),
        (
            VaultKey::new(&old_ns, "boomtown", "app", "client_secret"),
            SecretString::from(BOOMTOWN_SECRET),
        ),
        (
            VaultKey::new(&old_ns, "clickfunnels", "default", "tokens"),
            cf_tokens,
        ),
        (
            VaultKey::new(&old_ns, "clickfunnels", "app", "oauth_client"),
            registration,
        ),
    ];
    let vault = Arc::new(MemoryVault::new());
    for (k, v) in &old {
        vault.set(k, v).unwrap();
    }
    let core = Patchbay::new(real_defs(&sb, |_| {}), vault.clone(), fast_config());
    // Before the upgrade the old entries are not this world's.
    assert!(core.accounts("boomtown").await.unwrap().is_empty());

    let mut upgraded = core.upgrade_single_account().await.unwrap();
    upgraded.sort();
    assert_eq!(upgraded, ["boomtown", "clickfunnels"]);
    for (k, _) in &old {
        assert!(vault.get(k).unwrap().is_none(), "old entry left: {k:?}");
    }
    let default = AccountId::upgraded();
    for (p, name) in [
        ("boomtown", "Carter Realty"),
        ("clickfunnels", "Acme Marketing"),
    ] {
        let list = core.accounts(p).await.unwrap();
        assert_eq!(list.len(), 1, "{p}");
        assert_eq!((&list[0].id, list[0].name.as_str()), (&default, name));
        assert!(matches!(
            account_state(&core, p).await,
            Some(AccountState::Connected { .. })
        ));
    }
    let secret = vault
        .get(&patchbay_core::session::client_secret_key(
            &real_ns(),
            "boomtown",
        ))
        .unwrap()
        .unwrap();
    let bound = BoundSecret::read(&secret).unwrap();
    assert_eq!(bound.secret.expose_secret(), BOOMTOWN_SECRET);
    assert_eq!(
        bound.token_endpoint,
        format!("{}/boomtown/oauth/token", sb.url())
    );
    assert!(core.has_client_secret("boomtown").await);

    // Again: nothing to do, nothing changed.
    let entries = |v: &MemoryVault| {
        [
            tokens_key(&real_ns(), "boomtown", &default),
            tokens_key(&real_ns(), "clickfunnels", &default),
            AccountIndex::key(&real_ns(), "boomtown"),
            AccountIndex::key(&real_ns(), "clickfunnels"),
            patchbay_core::session::client_secret_key(&real_ns(), "boomtown"),
            patchbay_core::discovery::client_key(&real_ns(), "clickfunnels"),
        ]
        .map(|k| {
            v.get(&k)
                .unwrap()
                .expect("upgraded entry present")
                .expose_secret()
                .to_string()
        })
    };
    let after_first = entries(&vault);
    let len = vault.len();
    assert!(core.upgrade_single_account().await.unwrap().is_empty());
    assert_eq!(entries(&vault), after_first);
    assert_eq!(vault.len(), len);

    // The upgraded credentials work: syncs, a refresh with the bound secret (the sandbox
    // refuses BoomTown's token endpoint without it), ClickFunnels' registration reused.
    let before = token_requests(&sb, "refresh_token");
    assert_eq!(
        core.sync("boomtown", &default, "leads", |_| {})
            .await
            .unwrap()
            .len(),
        12
    );
    core.connection("boomtown", &default)
        .unwrap()
        .refresh_now()
        .await
        .unwrap();
    assert_eq!(token_requests(&sb, "refresh_token"), before + 1);
    core.sync("clickfunnels", &default, "funnels", |_| {})
        .await
        .unwrap();
    core.connection("clickfunnels", &default)
        .unwrap()
        .refresh_now()
        .await
        .unwrap();
    assert_eq!(
        sb.registration_count(),
        registrations,
        "no new registration"
    );
}

// h. ClickFunnels' access tokens do not expire: stored without expiry, never refreshed.
#[tokio::test]
async fn clickfunnels_tokens_that_do_not_expire_are_never_refreshed() {
    let sb = sandbox(SandboxConfig {
        non_expiring: HashSet::from(["clickfunnels".to_string()]),
        records: 12,
        ..Default::default()
    })
    .await;
    // A short informational expires_in: a core that believed it would refresh at once.
    sb.set_access_ttl(Duration::from_secs(1));
    let (core, vault) = core(&sb);
    assert!(!core
        .providers()
        .iter()
        .find(|d| d.id == "clickfunnels")
        .unwrap()
        .access_token_expires());
    let id = connect_account(&core, "clickfunnels").await;
    let stored = read_json(&vault, &tokens_entry("clickfunnels", &id));
    assert_eq!(stored["expires_at"], Value::Null, "{stored}");
    assert_eq!(stored["refresh_token"], Value::Null);

    // Long after expires_in, as far as the sandbox is concerned.
    sb.expire_access_tokens();
    for resource in ["funnels", "contacts", "orders"] {
        let records = core
            .sync("clickfunnels", &id, resource, |_| {})
            .await
            .unwrap();
        assert_eq!(records.len(), 12, "{resource}");
    }
    assert_eq!(token_requests(&sb, "refresh_token"), 0);
    let conn = core.connection("clickfunnels", &id).unwrap();
    assert_eq!(conn.refresh_count(), 0);
    assert!(!conn.needs_reconnect().await);
    assert!(sb.requests().iter().all(|r| r.status != 401));
    assert!(matches!(
        account_state(&core, "clickfunnels").await,
        Some(AccountState::Connected { .. })
    ));
    assert_eq!(
        core.account("clickfunnels", &id).await.unwrap(),
        "Acme Marketing"
    );
}
