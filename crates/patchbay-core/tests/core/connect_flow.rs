//! The full connect flow against the sandbox for all five providers, then a sync of every
//! resource and a disconnect.

use crate::common;

use std::sync::{Arc, Mutex};

use common::*;
use patchbay_core::providers::{Paging, RateLimit};
use patchbay_core::vault::MemoryVault;
use patchbay_core::views::{AccountState, SyncProgress};
use patchbay_core::ConnectOutcome;
use patchbay_sandbox::SandboxConfig;

fn small_pages(d: &mut patchbay_core::providers::ProviderDef) {
    d.rate_limit = RateLimit {
        requests: 1000,
        per_seconds: 1.0,
        concurrency: 4,
        ..Default::default()
    };
    for r in &mut d.resources {
        match &mut r.paging {
            Paging::PagePerPage { page_size, .. } | Paging::OffsetLimit { page_size, .. } => {
                *page_size = 5
            }
            Paging::CursorHeader { page_size, .. } | Paging::CursorBody { page_size, .. } => {
                *page_size = Some(5)
            }
            Paging::PageNumber { .. } => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_sync_disconnect_all_five() {
    let sb = sandbox(SandboxConfig {
        records: 12,
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let vault = Arc::new(MemoryVault::new());
    let core = core_with(&sb, vault.clone(), small_pages);

    let expected_accounts = [
        ("whatconverts", "Harbor Dental Group"),
        ("clickfunnels", "Acme Marketing"),
        ("webinargeek", "Acme Events"),
        ("boomtown", "Carter Realty"),
        ("emailoctopus", "Acme Newsletter"),
    ];
    let mut ids = std::collections::HashMap::new();
    for (p, account) in expected_accounts {
        let outcome = connect(&core, p).await;
        let id = account_of(&outcome);
        assert_eq!(
            outcome,
            ConnectOutcome::Connected {
                provider_id: p.into(),
                account_id: id.to_string(),
                account: account.into()
            },
            "{p}"
        );
        assert_eq!(core.account(p, &id).await.unwrap(), account);
        assert_eq!(the_account(&core, p).await, id);
        ids.insert(p, id);
    }
    for tile in core.tiles().await {
        assert_eq!(tile.accounts.len(), 1, "{tile:?}");
        assert!(
            matches!(tile.accounts[0].state, AccountState::Connected { .. }),
            "{tile:?}"
        );
    }
    assert_eq!(token_requests(&sb, "authorization_code"), 5);

    for p in PROVIDERS {
        let def = core.providers().iter().find(|d| d.id == p).unwrap().clone();
        for r in &def.resources {
            let seen = Arc::new(Mutex::new(Vec::<SyncProgress>::new()));
            let s2 = seen.clone();
            let records = core
                .sync(p, &ids[p], &r.id, move |pr| s2.lock().unwrap().push(pr))
                .await
                .unwrap_or_else(|e| panic!("{p}/{}: {e}", r.id));
            let parent = r.parent.is_some();
            let want = if parent { 12 * 12 } else { 12 };
            assert_eq!(records.len(), want, "{p}/{}", r.id);
            let idp = &r.id_pointer;
            let ids: std::collections::HashSet<String> = records
                .iter()
                .map(|x| x.pointer(idp).unwrap().to_string())
                .collect();
            assert_eq!(ids.len(), want, "{p}/{} unique ids", r.id);
            let seen = seen.lock().unwrap();
            assert!(seen.len() >= 2, "progress reported per page");
            assert!(seen.last().unwrap().done);
            assert!(
                r.columns
                    .iter()
                    .any(|c| records[0].pointer(&c.pointer).is_some_and(|v| !v.is_null())),
                "{p}/{} columns resolve",
                r.id
            );
        }
    }

    for tile in core.tiles().await {
        assert_eq!(tile.accounts.len(), 1, "{tile:?}");
        assert!(
            matches!(&tile.accounts[0].state, AccountState::Connected { last_synced: Some(t), .. } if t.ends_with('Z')),
            "{tile:?}"
        );
    }
    for p in PROVIDERS {
        core.disconnect(p, &ids[p]).await.unwrap();
    }
    assert!(vault.is_empty(), "disconnect deletes the vault entries");
    let revokes = sb
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/oauth/revoke") && r.status == 200)
        .count();
    assert_eq!(revokes, 5);
    for tile in core.tiles().await {
        assert!(tile.accounts.is_empty(), "{tile:?}");
        assert_eq!(tile.waiting_authorize_url, None);
    }
}

#[tokio::test]
async fn loopback_listener_receives_the_redirect() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (core, _vault) = core(&sb);
    let url = core.begin_connect("webinargeek").await.unwrap();
    let redirect = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned();
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/oauth/callback"));
    let mut changes = core.subscribe();
    let location = approve(&url).await;
    // The browser comes back to the listener, which completes the connection by itself.
    let status = reqwest::get(location).await.unwrap().status().as_u16();
    assert_eq!(status, 200);
    let change = tokio::time::timeout(std::time::Duration::from_secs(10), changes.recv())
        .await
        .expect("a connection change")
        .unwrap();
    assert_eq!(change.provider_id, "webinargeek");
    let tile = tile(&core, "webinargeek").await;
    assert_eq!(tile.accounts.len(), 1, "{tile:?}");
    assert!(matches!(
        tile.accounts[0].state,
        AccountState::Connected { .. }
    ));
    assert_eq!(tile.waiting_authorize_url, None);
}

#[tokio::test]
async fn disconnect_deletes_tokens_even_when_revoke_fails() {
    let sb = sandbox(SandboxConfig::default()).await;
    let vault = Arc::new(MemoryVault::new());
    let core = core_with(&sb, vault.clone(), |_| {});
    let id = connect_account(&core, "boomtown").await;
    // The tokens and the account index.
    assert_eq!(vault.len(), 2);
    // Same vault, a revocation endpoint that is not there.
    let broken = core_with(&sb, vault.clone(), |d| {
        d.fixed_endpoints_mut().unwrap().revoke_url =
            Some(url::Url::parse("http://127.0.0.1:9/nope").unwrap())
    });
    broken.disconnect("boomtown", &id).await.unwrap();
    assert!(vault.is_empty());
}

#[tokio::test]
async fn consent_denied_is_cancelled() {
    let sb =
        patchbay_sandbox::Sandbox::start("127.0.0.1:0".parse().unwrap(), SandboxConfig::default())
            .await
            .unwrap();
    let (core, vault) = core(&sb);
    let url = core.begin_connect("emailoctopus").await.unwrap();
    let html = reqwest::get(url.as_str())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let consent = html
        .split("name=\"consent\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client
        .post(format!("{}/emailoctopus/oauth/authorize", sb.url()))
        .form(&[("consent", consent.as_str()), ("decision", "deny")])
        .send()
        .await
        .unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let outcome = core.complete(&location).await.unwrap();
    assert_eq!(
        outcome,
        ConnectOutcome::Cancelled {
            provider_id: "emailoctopus".into()
        }
    );
    assert_eq!(token_requests(&sb, "authorization_code"), 0);
    assert!(vault.is_empty());
}

#[tokio::test]
async fn pages_are_handed_over_as_they_arrive() {
    let sb = sandbox(SandboxConfig {
        records: 30,
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let vault = Arc::new(MemoryVault::new());
    let core = core_with(&sb, vault, small_pages);
    let id = connect_account(&core, "boomtown").await;
    let streamed = Arc::new(Mutex::new(Vec::new()));
    let s2 = streamed.clone();
    let records = core
        .sync_pages("boomtown", &id, "leads", move |progress, page| {
            let mut s = s2.lock().unwrap();
            s.extend_from_slice(page);
            assert_eq!(progress.fetched as usize, s.len());
            if !progress.done {
                assert_eq!(progress.total, Some(30));
            }
        })
        .await
        .unwrap();
    let mut streamed_ids: Vec<u64> = streamed
        .lock()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    streamed_ids.sort();
    let ids: Vec<u64> = records.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(streamed_ids, ids);
}

/// The streaming sync (what the app stores page by page) hands over exactly the records the
/// keeping sync returns, for a plain resource and for a child resource fetched per parent, and
/// counts them; its final report says done with that count.
#[tokio::test]
async fn a_streamed_sync_hands_over_what_a_kept_sync_returns() {
    let sb = sandbox(SandboxConfig {
        records: 23,
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let vault = Arc::new(MemoryVault::new());
    let core = core_with(&sb, vault, small_pages);
    for (provider, resource) in [("boomtown", "leads"), ("webinargeek", "registrations")] {
        let id = connect_account(&core, provider).await;
        let kept: Vec<String> = core
            .sync(provider, &id, resource, |_| {})
            .await
            .unwrap()
            .iter()
            .map(|r| r.to_string())
            .collect();
        let streamed = Mutex::new(Vec::new());
        let last = Mutex::new(None);
        let count = core
            .sync_stream(provider, &id, resource, |progress, page| {
                streamed
                    .lock()
                    .unwrap()
                    .extend(page.iter().map(|r| r.to_string()));
                *last.lock().unwrap() = Some(progress);
            })
            .await
            .unwrap();
        let mut streamed = streamed.into_inner().unwrap();
        let mut kept_sorted = kept.clone();
        streamed.sort();
        kept_sorted.sort();
        assert!(!kept.is_empty(), "{provider} {resource} has records");
        assert_eq!(streamed, kept_sorted, "{provider} {resource}");
        assert_eq!(count, kept.len());
        let last = last.into_inner().unwrap().expect("a final report");
        assert!(last.done);
        assert_eq!(last.fetched as usize, count);
    }
}

#[tokio::test]
async fn a_connect_writes_its_tokens_to_the_keychain_once() {
    let sb = sandbox(SandboxConfig::default()).await;
    let vault = Arc::new(WatchedVault::default());
    let core = core_with(&sb, vault.clone(), |_| {});
    let id = connect_account(&core, "whatconverts").await;
    // The tokens under the account they belong to, and the account index: one write each
    // (the account look-up used the fresh tokens from memory).
    let touched = vault.take();
    let writes: Vec<_> = touched.iter().filter(|(op, _)| *op == "wrote").collect();
    assert_eq!(writes.len(), 2, "{touched:?}");
    assert_eq!(vault.inner.len(), 2);
    // What was written is what a restarted core connects with.
    let again = core_with(&sb, vault.clone(), |_| {});
    let tile = tile(&again, "whatconverts").await;
    assert_eq!(tile.accounts.len(), 1, "{tile:?}");
    assert_eq!(tile.accounts[0].account_id, id.to_string());
    assert!(
        matches!(tile.accounts[0].state, AccountState::Connected { .. }),
        "{tile:?}"
    );
}
