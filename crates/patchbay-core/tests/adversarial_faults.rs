//! Provider faults through the sandbox's `--faults`: each sync either completes with every
//! record exactly once, or stops with a clear error and keeps the connection (tokens) it had.

mod adversarial_support;
mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use adversarial_support::Tally;
use common::*;
use patchbay_core::vault::{MemoryVault, Vault, VaultKey};
use patchbay_sandbox::SandboxConfig;

const RECORDS: usize = 600;

fn tokens_key(provider: &str, account: &patchbay_core::AccountId) -> VaultKey {
    tokens_entry(provider, account)
}

/// (provider, resource, id pointer)
const TARGETS: [(&str, &str, &str); 2] = [
    ("whatconverts", "leads", "/lead_id"),
    ("clickfunnels", "contacts", "/id"),
];

async fn one(tally: &Tally, spec: &str, seed: u64, expire_mid_sync: bool) {
    for (provider, resource, ptr) in TARGETS {
        let case = format!(
            "{spec} on {provider}/{resource}{}",
            if expire_mid_sync {
                " (tokens expire mid-sync)"
            } else {
                ""
            }
        );
        let sb = sandbox(SandboxConfig {
            records: RECORDS,
            seed,
            faults: spec.parse().unwrap(),
            rate_limits: false,
            ..Default::default()
        })
        .await;
        let vault = Arc::new(MemoryVault::new());
        let core = core_with(&sb, vault.clone(), |d| {
            d.rate_limit = patchbay_core::providers::RateLimit {
                requests: 0,
                per_seconds: 1.0,
                concurrency: 4,
            };
        });
        // Connecting is not under test here, but with `tokens=true` the code exchange may meet
        // a fault: it is not retried (a code is single use), so the user clicks Connect again.
        let mut connected = Err(String::new());
        for _ in 0..8 {
            let url = core.begin_connect(provider).await.unwrap();
            let location = approve(&url).await;
            match core.complete(&location).await {
                Ok(outcome) => {
                    connected = Ok(account_of(&outcome));
                    break;
                }
                Err(e) => {
                    let msg = core.connect_error_view(&e).message;
                    if msg.trim().len() < 20 {
                        connected = Err(format!("unclear connect error: {msg:?}"));
                        break;
                    }
                    connected = Err(format!("connect failed 8 times: {msg}"));
                }
            }
        }
        let account = match connected {
            Ok(a) => a,
            Err(e) => {
                tally.lost(&case, e);
                continue;
            }
        };
        let before = vault.get(&tokens_key(provider, &account)).unwrap();
        let expired = AtomicBool::new(false);
        let sbr = &sb;
        let result = core
            .sync_pages(provider, &account, resource, |p, _| {
                if expire_mid_sync && p.fetched > 0 && !expired.swap(true, Ordering::SeqCst) {
                    sbr.expire_access_tokens();
                }
            })
            .await;
        let kept = vault.get(&tokens_key(provider, &account)).unwrap();
        let outcome = match result {
            Ok(records) => {
                let ids: HashSet<String> = records
                    .iter()
                    .map(|r| r.pointer(ptr).map(|v| v.to_string()).unwrap_or_default())
                    .collect();
                if records.len() != RECORDS || ids.len() != RECORDS {
                    Err(format!(
                        "{} records, {} distinct, want {RECORDS}",
                        records.len(),
                        ids.len()
                    ))
                } else if kept.is_none() {
                    Err("the tokens were lost".into())
                } else {
                    Ok(())
                }
            }
            Err(e) => {
                let view = core.api_error_view(provider, &e);
                if view.message.trim().len() < 20 {
                    Err(format!("unclear error: {:?}", view.message))
                } else if kept.is_none() && before.is_some() {
                    Err(format!("the tokens were lost after {e}"))
                } else {
                    eprintln!("  {case}: stopped with a clear error: {}", view.message);
                    Ok(())
                }
            }
        };
        tally.record(case, outcome);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_survive_provider_faults() {
    let tally = Tally::new("faults", "survived");
    let specs = [
        ("429=0.3", false),             // 429 bursts (Retry-After: 1)
        ("500=0.3,503=0.1", false),     // server errors
        ("drop=0.25", false),           // connections closed without an answer
        ("latency=20ms..120ms", false), // slow responses
        ("malformed=0.2", false),       // 200 with a body that is not JSON
        ("500=1.0", false),             // a provider that is down: must stop clearly
        ("malformed=1.0", false),       // a provider that only answers garbage
        ("", true),                     // tokens expire in the middle of a sync
        ("500=0.2,tokens=true", true),  // ... and the token endpoint fails too
        (
            "429=0.1,500=0.1,drop=0.05,malformed=0.05,latency=0ms..20ms",
            true,
        ),
    ];
    for (i, (spec, expire)) in specs.iter().enumerate() {
        one(&tally, spec, 11 + i as u64, *expire).await;
    }
    for bad in [Misbehave::Repeat, Misbehave::Skip] {
        misbehaving_pages(&tally, bad).await;
    }
    tally.finish();
}

/// What the misbehaving provider does to its second page.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Misbehave {
    /// Page 2 starts with the last lead of page 1 again (a record inserted while paging
    /// shifts the list by one).
    Repeat,
    /// Page 2 lacks its first lead (a record deleted while paging).
    Skip,
}

const PAGE: u64 = 25;
const TOTAL: u64 = 100;

/// A provider that speaks WhatConverts' paging but shifts page 2; plain HTTP/1.1 on loopback.
async fn misbehaving_server(bad: Misbehave) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                let target = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let url = url::Url::parse(&format!("http://x{target}")).unwrap();
                let body = if url.path().ends_with("/accounts") {
                    serde_json::json!({"accounts": [{"account_id": 1, "account_name": "Misbehaving Inc", "profiles": []}]})
                } else {
                    let page: u64 = url
                        .query_pairs()
                        .find(|(k, _)| k == "page_number")
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(1);
                    let mut start = (page - 1) * PAGE;
                    let end = (start + PAGE).min(TOTAL);
                    if page == 2 {
                        match bad {
                            Misbehave::Repeat => start -= 1,
                            Misbehave::Skip => start += 1,
                        }
                    }
                    let leads: Vec<_> = (start..end)
                        .map(|i| serde_json::json!({"lead_id": 1_000_000 + i, "contact_name": format!("Lead {i}"), "date_created": "2025-01-01T00:00:00Z"}))
                        .collect();
                    serde_json::json!({"page_number": page, "leads_per_page": PAGE, "total_pages": TOTAL / PAGE, "total_leads": TOTAL, "leads": leads})
                }
                .to_string();
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

/// A page that repeats or skips an item: every record exactly once, or a clear error; the
/// connection is kept either way.
async fn misbehaving_pages(tally: &Tally, bad: Misbehave) {
    let case = format!(
        "a page that {}s an item",
        if bad == Misbehave::Repeat {
            "repeat"
        } else {
            "skip"
        }
    );
    let sb = sandbox(SandboxConfig::default()).await;
    let api = misbehaving_server(bad).await;
    let vault = Arc::new(MemoryVault::new());
    let core = core_with(&sb, vault.clone(), |d| {
        if d.id == "whatconverts" {
            d.api_base = api.clone();
            if let Some(r) = d.resources.iter_mut().find(|r| r.id == "leads") {
                if let patchbay_core::providers::Paging::PagePerPage { page_size, .. } =
                    &mut r.paging
                {
                    *page_size = PAGE;
                }
            }
        }
    });
    let account = connect_account(&core, "whatconverts").await;
    let result = core.sync("whatconverts", &account, "leads", |_| {}).await;
    let kept = vault
        .get(&tokens_key("whatconverts", &account))
        .unwrap()
        .is_some();
    let outcome = match result {
        Ok(records) => {
            let ids: HashSet<String> = records.iter().map(|r| r["lead_id"].to_string()).collect();
            if !kept {
                Err("the tokens were lost".into())
            } else if ids.len() != records.len() {
                Err(format!(
                    "{} records but {} distinct: a record twice",
                    records.len(),
                    ids.len()
                ))
            } else if (records.len() as u64) < TOTAL {
                // Reported: the core has no policy yet for a list that shrinks while it pages
                // (read again, or tell the user); counted as known, not hidden.
                tally.known(
                    &case,
                    format!(
                        "completed with {} of the {TOTAL} records the provider counts, without a word",
                        records.len()
                    ),
                );
                return;
            } else {
                Ok(())
            }
        }
        Err(e) => {
            let msg = core.api_error_view("whatconverts", &e).message;
            if msg.trim().len() >= 20 && kept {
                eprintln!("  {case}: stopped with a clear error: {msg}");
                Ok(())
            } else {
                Err(format!("unclear error or tokens lost: {msg:?}"))
            }
        }
    };
    tally.record(case, outcome);
}
