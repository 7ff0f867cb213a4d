//! Provider faults through the sandbox's `--faults`. A transient fault (a share of requests
//! failing) must not show: the sync completes with every record exactly once and the tokens
//! kept. A persistent fault (the provider down, or only answering garbage) must stop the sync
//! with the right error (its code), the tokens kept, and the same connection syncing every
//! record once the provider is back.

use crate::adversarial_support;
use crate::common;
use patchbay_core::secret::ExposeSecret;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use adversarial_support::Tally;
use common::*;
use patchbay_core::vault::{MemoryVault, Vault, VaultKey};
use patchbay_core::{AccountId, Patchbay};
use patchbay_sandbox::{FaultSpec, Sandbox, SandboxConfig};
use serde_json::Value;

const RECORDS: usize = 600;

fn tokens_key(provider: &str, account: &AccountId) -> VaultKey {
    tokens_entry(provider, account)
}

/// (provider, resource, id pointer)
const TARGETS: [(&str, &str, &str); 2] = [
    ("whatconverts", "leads", "/lead_id"),
    ("clickfunnels", "contacts", "/id"),
];

/// Every record exactly once: `want` records, `want` distinct ids, none without an id.
fn exactly_once(records: &[Value], ptr: &str, want: usize) -> Result<(), String> {
    let ids: Vec<String> = records
        .iter()
        .filter_map(|r| r.pointer(ptr).map(|v| v.to_string()))
        .collect();
    let distinct: HashSet<&String> = ids.iter().collect();
    if records.len() != want || ids.len() != want || distinct.len() != want {
        return Err(format!(
            "{} records, {} with an id, {} distinct, want {want} each",
            records.len(),
            ids.len(),
            distinct.len()
        ));
    }
    Ok(())
}

fn sandbox_config(seed: u64, faults: FaultSpec) -> SandboxConfig {
    SandboxConfig {
        records: RECORDS,
        seed,
        faults,
        rate_limits: false,
        ..Default::default()
    }
}

fn core_for(sb: &Sandbox, vault: Arc<MemoryVault>) -> Patchbay {
    core_with(sb, vault, |d| {
        d.rate_limit = patchbay_core::providers::RateLimit {
            requests: 0,
            per_seconds: 1.0,
            concurrency: 4,
            ..Default::default()
        };
        // Several pages per list, so the tokens can expire between two of them (WhatConverts
        // reads 2,500 leads a page).
        for r in &mut d.resources {
            if let patchbay_core::providers::Paging::PagePerPage { page_size, .. } = &mut r.paging {
                *page_size = (*page_size).min(250);
            }
        }
    })
}

/// A transient fault: connected (a failed code exchange is clicked again, as a user would:
/// a code is single use), the sync must complete with every record exactly once.
async fn transient(tally: &Tally, spec: &str, seed: u64, expire_mid_sync: bool) {
    for (provider, resource, ptr) in TARGETS {
        let case = format!(
            "transient {spec:?} on {provider}/{resource}{}",
            if expire_mid_sync {
                " (tokens expire mid-sync)"
            } else {
                ""
            }
        );
        let sb = sandbox(sandbox_config(seed, spec.parse().unwrap())).await;
        let vault = Arc::new(MemoryVault::new());
        let core = core_for(&sb, vault.clone());
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
                    let view = core.connect_error_view(&e);
                    connected = Err(format!(
                        "connect failed 8 times, last: {} ({})",
                        view.message, view.code
                    ));
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
        // Refreshes the token endpoint answered (the sandbox's request log).
        let refreshes = || {
            sb.requests()
                .iter()
                .filter(|r| r.grant_type.as_deref() == Some("refresh_token") && r.status == 200)
                .count()
        };
        let refreshes_before = refreshes();
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
        let refreshes_after = refreshes();
        let outcome = match result {
            Ok(records) => exactly_once(&records, ptr, RECORDS).and_then(|()| {
                if kept.is_none() {
                    Err("the tokens were lost".into())
                } else if expire_mid_sync && !expired.load(Ordering::SeqCst) {
                    Err("the tokens were never expired mid-sync (no page reported)".into())
                } else if expire_mid_sync && refreshes_after == refreshes_before {
                    Err("no refresh reached the sandbox after the tokens expired".into())
                } else {
                    Ok(())
                }
            }),
            Err(e) => Err(format!(
                "a transient fault ended the sync: {} ({e})",
                e.code()
            )),
        };
        tally.record(case, outcome);
    }
}

/// A persistent fault, switched on once connected and synced: the sync stops with the
/// error `code`, the tokens are the same, and when the provider is back the same connection
/// syncs every record exactly once.
async fn persistent(tally: &Tally, spec: &str, code: &str, seed: u64) {
    for (provider, resource, ptr) in TARGETS {
        let case = format!("persistent {spec:?} on {provider}/{resource}");
        let sb = sandbox(sandbox_config(seed, FaultSpec::default())).await;
        let vault = Arc::new(MemoryVault::new());
        let core = core_for(&sb, vault.clone());
        let account = connect_account(&core, provider).await;
        let first = core.sync(provider, &account, resource, |_| {}).await;
        if let Err(e) = first
            .as_ref()
            .map_err(|e| e.to_string())
            .and_then(|r| exactly_once(r, ptr, RECORDS))
        {
            tally.lost(&case, format!("the sync before the fault: {e}"));
            continue;
        }
        let before = vault.get(&tokens_key(provider, &account)).unwrap();
        sb.set_faults(spec.parse().unwrap());
        let during = core.sync(provider, &account, resource, |_| {}).await;
        let after = vault.get(&tokens_key(provider, &account)).unwrap();
        sb.set_faults(FaultSpec::default());
        let outcome = match during {
            Ok(records) => Err(format!(
                "completed with {} records while the provider only failed",
                records.len()
            )),
            Err(e) if e.code() != code => Err(format!("error {} ({e}), want {code}", e.code())),
            Err(e) => {
                let view = core.api_error_view(provider, &e);
                if view.code != code || view.message.trim().is_empty() {
                    Err(format!("the window would show {view:?}"))
                } else if after.as_ref().map(|t| t.expose_secret().to_string())
                    != before.as_ref().map(|t| t.expose_secret().to_string())
                {
                    Err("the tokens changed or were lost".into())
                } else {
                    match core.sync(provider, &account, resource, |_| {}).await {
                        Ok(records) => exactly_once(&records, ptr, RECORDS)
                            .map_err(|e| format!("after the provider came back: {e}")),
                        Err(e) => Err(format!("after the provider came back: {} ({e})", e.code())),
                    }
                }
            }
        };
        tally.record(case, outcome);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_survive_provider_faults() {
    let tally = Tally::new("faults", "survived");
    let transients = [
        ("429=0.3", false),             // 429 bursts (Retry-After: 1)
        ("500=0.3,503=0.1", false),     // server errors
        ("drop=0.25", false),           // connections closed without an answer
        ("latency=20ms..120ms", false), // slow responses
        ("malformed=0.2", false),       // 200 with a body that is not JSON
        ("", true),                     // tokens expire in the middle of a sync
        ("500=0.2,tokens=true", true),  // ... and the token endpoint fails too
        (
            "429=0.1,500=0.1,drop=0.05,malformed=0.05,latency=0ms..20ms",
            true,
        ),
    ];
    for (i, (spec, expire)) in transients.iter().enumerate() {
        transient(&tally, spec, 11 + i as u64, *expire).await;
    }
    let persistents = [
        ("500=1.0", "api.retries_exhausted"), // a provider that is down
        ("malformed=1.0", "api.retries_exhausted"), // ... that only answers garbage
        ("drop=1.0", "api.retries_exhausted"), // ... that hangs up on every call
        ("429=1.0,retry_after=3600", "api.rate_limited"), // ... "come back in an hour"
        ("403=1.0", "api.forbidden"),         // ... that refuses access
    ];
    for (i, (spec, code)) in persistents.iter().enumerate() {
        persistent(&tally, spec, code, 31 + i as u64).await;
    }
    for bad in [Misbehave::Repeat, Misbehave::Skip, Misbehave::Garble] {
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
    /// Page 3 (fetched beside pages 2 and 4) is not JSON the first time it is asked for: the
    /// pages after the first come as bytes and are parsed when taken, so this one must be
    /// asked for again, not fail the sync.
    Garble,
}

const PAGE: u64 = 25;
const TOTAL: u64 = 100;

/// A provider that speaks WhatConverts' paging but shifts page 2; plain HTTP/1.1 on loopback.
async fn misbehaving_server(bad: Misbehave) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let garbled = Arc::new(AtomicBool::new(false));
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let garbled = garbled.clone();
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
                            Misbehave::Garble => {}
                        }
                    }
                    let leads: Vec<_> = (start..end)
                        .map(|i| serde_json::json!({"lead_id": 1_000_000 + i, "contact_name": format!("Lead {i}"), "date_created": "2025-01-01T00:00:00Z"}))
                        .collect();
                    serde_json::json!({"page_number": page, "leads_per_page": PAGE, "total_pages": TOTAL / PAGE, "total_leads": TOTAL, "leads": leads})
                }
                .to_string();
                let body = if bad == Misbehave::Garble
                    && url.query().is_some_and(|q| q.contains("page_number=3"))
                    && !garbled.swap(true, Ordering::SeqCst)
                {
                    body[..body.len() / 2].to_string()
                } else {
                    body
                };
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

/// A page that repeats an item, skips one, or is not JSON once: every record exactly once, or
/// a clear error (for a skipped item, the list's "changed while it was read"); the connection
/// is kept either way.
async fn misbehaving_pages(tally: &Tally, bad: Misbehave) {
    let case = match bad {
        Misbehave::Repeat => "a page that repeats an item",
        Misbehave::Skip => "a page that skips an item",
        Misbehave::Garble => "a page fetched beside others that is not JSON once",
    }
    .to_string();
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
            } else if records.len() as u64 != TOTAL {
                // A list that lost a record while it was paged fails the read as incomplete
                // (the distinct records seen against the provider's total); it never passes.
                Err(format!(
                    "completed with {} of the {TOTAL} records the provider counts",
                    records.len()
                ))
            } else {
                Ok(())
            }
        }
        Err(e) if bad == Misbehave::Garble => Err(format!(
            "failed instead of asking for page 3 again: {} ({e})",
            e.code()
        )),
        // The read counts the distinct records it saw against the total the provider gave.
        Err(e) if bad == Misbehave::Skip && e.code() != patchbay_core::ErrorCode::ApiIncomplete => {
            Err(format!(
                "stopped with {} ({e}), not as a list that changed while it was read",
                e.code()
            ))
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
