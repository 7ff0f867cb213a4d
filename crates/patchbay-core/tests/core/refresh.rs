//! Refresh: single flight, rotation, reuse detection, invalid_grant, transient failures.

use crate::common;
use patchbay_core::secret::ExposeSecret;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use patchbay_core::secret::SecretString;
use patchbay_core::session::Connection;
use patchbay_core::vault::{MemoryVault, Vault, VaultKey};
use patchbay_core::views::{AccountState, ReconnectReason};
use patchbay_core::{AccountId, ApiError};
use patchbay_sandbox::SandboxConfig;

fn tokens_key(account: &AccountId) -> VaultKey {
    tokens_entry("whatconverts", account)
}

fn stored(vault: &MemoryVault, account: &AccountId) -> serde_json::Value {
    serde_json::from_str(
        vault
            .get(&tokens_key(account))
            .unwrap()
            .expect("tokens stored")
            .expose_secret(),
    )
    .unwrap()
}

async fn leads(conn: &Connection) -> Result<(), ApiError> {
    let url = conn.api_url("/leads?page_number=1&leads_per_page=1", &Default::default())?;
    conn.get_json(&url).await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_calls_share_one_refresh() {
    let sb = sandbox(SandboxConfig {
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let vault = Arc::new(MemoryVault::new());
    let core = core_with(&sb, vault.clone(), |d| {
        d.rate_limit = patchbay_core::providers::RateLimit {
            requests: 0,
            per_seconds: 1.0,
            concurrency: 50,
            ..Default::default()
        };
    });
    let id = connect_account(&core, "whatconverts").await;
    let conn = core.connection("whatconverts", &id).unwrap();
    sb.expire_access_tokens();
    let calls = (0..50).map(|_| {
        let conn = conn.clone();
        tokio::spawn(async move { leads(&conn).await })
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap().unwrap();
    }
    assert_eq!(
        token_requests(&sb, "refresh_token"),
        1,
        "exactly one refresh"
    );
    assert_eq!(conn.refresh_count(), 1);
}

#[tokio::test]
async fn expiry_margin_refreshes_before_the_call() {
    let sb = sandbox(SandboxConfig::default()).await;
    // A 2-second token's margin is 1 s (half its lifetime): after 1.2 s it is inside it, so
    // it is refreshed before use, with no 401.
    sb.set_access_ttl(Duration::from_secs(2));
    let (core, _vault) = core(&sb);
    let id = connect_account(&core, "whatconverts").await;
    let before = sb.requests().iter().filter(|r| r.status == 401).count();
    let conn = core.connection("whatconverts", &id).unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    leads(&conn).await.unwrap();
    assert!(token_requests(&sb, "refresh_token") >= 1);
    assert_eq!(
        sb.requests().iter().filter(|r| r.status == 401).count(),
        before
    );
}

#[tokio::test]
async fn rotation_is_stored_and_reuse_ends_the_connection() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (core, vault) = core(&sb);
    let id = connect_account(&core, "whatconverts").await;
    let conn = core.connection("whatconverts", &id).unwrap();
    let first = stored(&vault, &id);
    conn.refresh_now().await.unwrap();
    let second = stored(&vault, &id);
    assert_ne!(
        first["refresh_token"], second["refresh_token"],
        "rotated refresh token stored"
    );
    assert_ne!(first["access_token"], second["access_token"]);
    leads(&conn).await.unwrap();

    // Someone replays the retired refresh token: the sandbox revokes the whole family.
    let resp = reqwest::Client::new()
        .post(format!("{}/whatconverts/oauth/token", sb.url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
            ("client_id", "patchbay-desktop"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);

    // Our next call gets 401, refreshes once, meets invalid_grant: reconnect needed, tokens gone.
    let e = leads(&conn).await.unwrap_err();
    assert!(matches!(e, ApiError::NeedsReconnect), "{e:?}");
    assert!(
        vault.get(&tokens_key(&id)).unwrap().is_none(),
        "tokens deleted"
    );
    assert_eq!(
        account_state(&core, "whatconverts").await,
        Some(AccountState::NeedsReconnect {
            reason: ReconnectReason::Ended
        })
    );
    assert_eq!(
        core.api_error_view("whatconverts", &e).code,
        "api.needs_reconnect"
    );
}

#[tokio::test]
async fn token_endpoint_down_keeps_the_tokens() {
    let sb = sandbox(SandboxConfig::default()).await;
    let vault = Arc::new(MemoryVault::new());
    let core = core_with(&sb, vault.clone(), |_| {});
    let id = connect_account(&core, "whatconverts").await;
    let before = vault
        .get(&tokens_key(&id))
        .unwrap()
        .unwrap()
        .expose_secret()
        .to_string();
    // The token endpoint the tokens were issued by goes away (its server stops): the
    // refresh meets a refused connection. (Pointing the definition elsewhere would be an
    // address change, refused before sending: see worlds_and_accounts.rs.)
    let broken = core_with(&sb, vault.clone(), |_| {});
    sb.shutdown().await;
    let conn = broken.connection("whatconverts", &id).unwrap();
    let e = conn.refresh_now().await.unwrap_err();
    assert!(matches!(e, ApiError::Network(_)), "{e:?}");
    assert_eq!(
        vault
            .get(&tokens_key(&id))
            .unwrap()
            .unwrap()
            .expose_secret()
            .to_string(),
        before,
        "tokens kept"
    );
    assert!(!conn.needs_reconnect().await);
}

#[tokio::test]
async fn token_endpoint_5xx_keeps_the_tokens() {
    let sb = sandbox(SandboxConfig {
        faults: "500=1.0,tokens=true".parse().unwrap(),
        ..Default::default()
    })
    .await;
    let (core, vault) = core(&sb);
    // The code exchange itself meets the 500.
    let url = core.begin_connect("whatconverts").await.unwrap();
    let location = approve(&url).await;
    let e = core.complete(&location).await.unwrap_err();
    assert_eq!(core.connect_error_view(&e).code, "connect.network");
    assert!(vault.is_empty());

    // A refresh meeting a 5xx keeps the tokens: connect at a healthy sandbox, then point
    // the token endpoint at the failing one.
    let good = sandbox(SandboxConfig::default()).await;
    let vault = Arc::new(MemoryVault::new());
    let healthy = core_with(&good, vault.clone(), |_| {});
    let id = connect_account(&healthy, "whatconverts").await;
    let failing_token_url = format!("{}/whatconverts/oauth/token", sb.url());
    // Credentials are bound to the token endpoint that issued them: record the failing one
    // as theirs (as if it had issued them), so the refresh is sent there and meets the 500.
    let mut entry = stored(&vault, &id);
    entry["origin"]["token_endpoint"] = failing_token_url.clone().into();
    vault
        .set(&tokens_key(&id), &SecretString::from(entry.to_string()))
        .unwrap();
    let before = vault
        .get(&tokens_key(&id))
        .unwrap()
        .unwrap()
        .expose_secret()
        .to_string();
    let flaky = core_with(&good, vault.clone(), |d| {
        d.fixed_endpoints_mut().unwrap().token_url = url::Url::parse(&failing_token_url).unwrap()
    });
    let conn = flaky.connection("whatconverts", &id).unwrap();
    let token_calls = || {
        sb.requests()
            .iter()
            .filter(|r| r.path == "/whatconverts/oauth/token" && r.status == 500)
            .count()
    };
    let calls_before = token_calls();
    let e = conn.refresh_now().await.unwrap_err();
    assert!(matches!(e, ApiError::TokenEndpoint(_)), "{e:?}");
    assert_eq!(token_calls(), calls_before + 1, "sent to the failing one");
    assert_eq!(
        vault
            .get(&tokens_key(&id))
            .unwrap()
            .unwrap()
            .expose_secret()
            .to_string(),
        before,
        "tokens kept"
    );
    assert!(!conn.needs_reconnect().await);
}

#[tokio::test]
async fn a_second_401_after_refresh_is_final() {
    let sb = sandbox(SandboxConfig::default()).await;
    let vault = Arc::new(MemoryVault::new());
    let core = core_with(&sb, vault.clone(), |_| {});
    let id = connect_account(&core, "whatconverts").await;
    // Same tokens, an API that will never accept them (another provider's API). The
    // definition keeps its API base (a changed one is refused before sending: see
    // worlds_and_accounts.rs); the call names the other API's URL itself.
    let conn = core.connection("whatconverts", &id).unwrap();
    let url = url::Url::parse(&format!("{}/clickfunnels/api/v2/me", sb.url())).unwrap();
    let e = conn.get_json(&url).await.unwrap_err();
    assert!(matches!(e, ApiError::Unauthorized), "{e:?}");
    assert_eq!(token_requests(&sb, "refresh_token"), 1, "refreshed once");
    let calls = sb
        .requests()
        .iter()
        .filter(|r| r.path == "/clickfunnels/api/v2/me")
        .count();
    assert_eq!(calls, 2, "retried once");
}

#[tokio::test]
async fn non_idempotent_requests_are_not_retried() {
    let sb = sandbox(SandboxConfig {
        faults: "500=1.0".parse().unwrap(),
        ..Default::default()
    })
    .await;
    let (core, _vault) = core(&sb);
    let id = connect_account(&core, "boomtown").await;
    let conn = core.connection("boomtown", &id).unwrap();
    let url = conn.api_url("/leads", &Default::default()).unwrap();
    let before = sb.requests().len();
    let e = conn
        .request_json(
            reqwest::Method::POST,
            &url,
            Some(&serde_json::json!({"x": 1})),
            false,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ApiError::Http { status: 500, .. }), "{e:?}");
    assert_eq!(sb.requests().len() - before, 1, "one attempt only");
    // The same call marked idempotent is retried up to the bound.
    let before = sb.requests().len();
    let e = conn
        .request_json(reqwest::Method::GET, &url, None, true)
        .await
        .unwrap_err();
    assert!(
        matches!(e, ApiError::RetriesExhausted { attempts: 12, .. }),
        "{e:?}"
    );
    assert_eq!(sb.requests().len() - before, 12);
}

/// A vault whose writes can be made to fail (a keychain that locks while the app runs).
#[derive(Debug, Default)]
struct FlakyVault {
    inner: MemoryVault,
    refuse_writes: std::sync::atomic::AtomicBool,
}

impl FlakyVault {
    fn refuse_writes(&self, refuse: bool) {
        self.refuse_writes
            .store(refuse, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Vault for FlakyVault {
    fn kind(&self) -> patchbay_core::vault::VaultKind {
        self.inner.kind()
    }
    fn get(
        &self,
        key: &VaultKey,
    ) -> Result<Option<SecretString>, patchbay_core::vault::VaultError> {
        self.inner.get(key)
    }
    fn set(
        &self,
        key: &VaultKey,
        value: &SecretString,
    ) -> Result<(), patchbay_core::vault::VaultError> {
        if self.refuse_writes.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(patchbay_core::vault::VaultError::Locked {
                detail: "locked for the test".into(),
            });
        }
        self.inner.set(key, value)
    }
    fn delete(&self, key: &VaultKey) -> Result<(), patchbay_core::vault::VaultError> {
        self.inner.delete(key)
    }
}

#[tokio::test]
async fn a_rotated_refresh_token_the_keychain_refuses_is_kept_and_saved_later() {
    let sb = sandbox(SandboxConfig::default()).await;
    let vault = Arc::new(FlakyVault::default());
    let core = core_with(&sb, vault.clone(), |_| {});
    let id = connect_account(&core, "whatconverts").await;
    let conn = core.connection("whatconverts", &id).unwrap();
    let first = stored(&vault.inner, &id);

    // The keychain refuses the rotated tokens: the request still works, with the new ones.
    vault.refuse_writes(true);
    sb.expire_access_tokens();
    leads(&conn).await.unwrap();
    assert_eq!(token_requests(&sb, "refresh_token"), 1);
    assert_eq!(
        stored(&vault.inner, &id)["refresh_token"],
        first["refresh_token"],
        "the vault still holds the old tokens"
    );
    assert!(conn.tokens_unsaved().await);
    match account_state(&core, "whatconverts").await {
        Some(AccountState::Connected {
            warning: Some(w), ..
        }) => {
            assert_eq!(w.code, "vault.not_saved");
            assert!(w.message.contains("WhatConverts"), "{}", w.message);
        }
        other => panic!("connected with a warning expected: {other:?}"),
    }
    // The next request uses the new tokens (no second refresh, no reuse of the retired one,
    // which would end the connection) and tries the keychain again, still locked.
    leads(&conn).await.unwrap();
    assert_eq!(token_requests(&sb, "refresh_token"), 1);
    assert!(conn.tokens_unsaved().await);

    // Unlocked: the next use saves the rotated refresh token and the warning goes.
    vault.refuse_writes(false);
    leads(&conn).await.unwrap();
    let saved = stored(&vault.inner, &id);
    assert_ne!(saved["refresh_token"], first["refresh_token"]);
    assert!(!conn.tokens_unsaved().await);
    assert!(matches!(
        account_state(&core, "whatconverts").await,
        Some(AccountState::Connected { warning: None, .. })
    ));
    // And the saved refresh token is the live one: a refresh with it works.
    conn.refresh_now().await.unwrap();
    leads(&conn).await.unwrap();
}
