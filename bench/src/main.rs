//! `patchbay-bench`: the Rust side of `bash bench/run.sh`.
//!
//! - `token SANDBOX_URL PROVIDER`: runs the authorization code flow (PKCE S256) against a
//!   sandbox started with `--auto-approve` and prints the access token, for the clients that
//!   are not Patchbay (the axios script and wrk).
//! - `sync SANDBOX_URL PROVIDER RESOURCE`: connects a `patchbay_core::Patchbay` (MemoryVault)
//!   and syncs every record of RESOURCE the way the app does (`sync_stream`: pages handed over
//!   as they arrive, none kept), printing one JSON line with the records and seconds.
//!   It also prints the client's CPU seconds (this process, every thread) and, when
//!   `BENCH_SANDBOX_PID` names the sandbox's process, the sandbox's CPU seconds over the sync.
//! - `floor SANDBOX_URL PROVIDER RESOURCE`: figure 1b, the parse floor: the same pages fetched
//!   once, then split and their columns read single-threaded with no `Value` (`floor.rs`).
//! - `incremental [RECORDS]`: figure 7, a full sync then a `Pass::Auto` refresh after a 1%
//!   change set, all in this process (sandbox, core, cache in a temporary directory).
//! - `people [RECORDS]`: figure 9, People: resolving five providers × RECORDS records (default
//!   100000) and one more page, against the cache's plain insert rate (`people.rs`).
//! - `filter [RECORDS]`: figure 10, a filter change to the table's count and first page over
//!   RECORDS WhatConverts leads in the cache (default 100000): p50 and p95 (`filter.rs`).
//! - `search [RECORDS]`: search in the cache, a keystroke's count and first page over RECORDS
//!   WhatConverts leads (default 100000), by letters typed (`search.rs`).
//! - `limits [PROVIDER]`: figure 8, each provider's full sync under its documented limits
//!   against the least time those limits allow.
//!
//! Measurements are one-shot and bounded; `bench/run.sh` interleaves the clients and takes
//! medians, so the ratios come from one run on one machine.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use patchbay_core::providers::builtin;
use patchbay_core::vault::MemoryVault;
use patchbay_core::{CoreConfig, Patchbay};
use sha2::{Digest, Sha256};

/// The app's allocator (src-tauri/main.rs), so the client here spends what the app spends.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cpu;
mod filter;
mod floor;
mod incremental;
mod inprocess;
mod leads_cache;
mod limits;
mod people;
mod search;

const CLIENT_ID: &str = "patchbay-desktop";
const LOOPBACK_REDIRECT: &str = "http://127.0.0.1:53682/oauth/callback";

const USAGE: &str = "usage:
  patchbay-bench token SANDBOX_URL PROVIDER
  patchbay-bench sync SANDBOX_URL PROVIDER RESOURCE [--shipped-rate-limit]
  patchbay-bench floor SANDBOX_URL PROVIDER RESOURCE
  patchbay-bench incremental [RECORDS]      (default 100000)
  patchbay-bench limits [PROVIDER]          (default: all five)
  patchbay-bench people [RECORDS]           (default 100000 per provider)
  patchbay-bench filter [RECORDS]           (default 100000 leads)
  patchbay-bench search [RECORDS]           (default 100000 leads)";

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("patchbay-bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["token", url, provider] => rt.block_on(token(url, provider)).map(|t| println!("{t}")),
        ["sync", url, provider, resource] => rt.block_on(sync(url, provider, resource, false)),
        ["sync", url, provider, resource, "--shipped-rate-limit"] => {
            rt.block_on(sync(url, provider, resource, true))
        }
        ["floor", url, provider, resource] => rt.block_on(floor::run(url, provider, resource)),
        ["incremental"] => rt.block_on(incremental::run(100_000)),
        ["incremental", records] => match records.parse::<usize>() {
            Ok(n) if n > 0 => rt.block_on(incremental::run(n)),
            _ => {
                eprintln!("RECORDS must be a whole number above 0, not {records:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        },
        ["filter"] => filter::run(100_000),
        ["filter", records] => match records.parse::<u64>() {
            Ok(n) if n > 0 => filter::run(n),
            _ => {
                eprintln!("RECORDS must be a whole number above 0, not {records:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        },
        ["search"] => search::run(100_000),
        ["search", records] => match records.parse::<u64>() {
            Ok(n) if n > 0 => search::run(n),
            _ => {
                eprintln!("RECORDS must be a whole number above 0, not {records:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        },
        ["people"] => people::run(100_000),
        ["people", records] => match records.parse::<u64>() {
            Ok(n) if n > 0 => people::run(n),
            _ => {
                eprintln!("RECORDS must be a whole number above 0, not {records:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        },
        ["limits"] => rt.block_on(limits::run(None)),
        ["limits", provider] => rt.block_on(limits::run(Some(provider))),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("patchbay-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Authorization code + PKCE against an auto-approving sandbox; returns the access token.
async fn token(sandbox: &str, provider: &str) -> Result<String, Error> {
    let base = sandbox.trim_end_matches('/');
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let verifier = URL_SAFE_NO_PAD.encode(rand_bytes());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut authorize = url::Url::parse(&format!("{base}/{provider}/oauth/authorize"))?;
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", LOOPBACK_REDIRECT)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "bench");
    let resp = http.get(authorize).send().await?;
    let location = resp
        .headers()
        .get("location")
        .ok_or("authorize did not redirect: start the sandbox with --auto-approve")?
        .to_str()?;
    let code = url::Url::parse(location)?
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| format!("no code in the redirect: {location}"))?;
    let body: serde_json::Value = http
        .post(format!("{base}/{provider}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", LOOPBACK_REDIRECT),
            ("client_id", CLIENT_ID),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    body["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no access_token in {body}").into())
}

/// 32 bytes that differ per call; the verifier only has to be unguessable by nobody here.
fn rand_bytes() -> [u8; 32] {
    let seed = format!(
        "{:?}{}",
        Instant::now(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    Sha256::digest(seed.as_bytes()).into()
}

/// Connects a real `Patchbay` to the sandbox and syncs one resource, timing only the sync.
async fn sync(sandbox: &str, provider: &str, resource: &str, shipped: bool) -> Result<(), Error> {
    let defs = builtin()
        .into_iter()
        .map(|mut d| {
            patchbay_core::demo::rewrite_for_demo(&mut d, sandbox);
            // The definitions carry each provider's real rate limit (10 requests/s), which the
            // client honours on its own. Against a sandbox run with --no-rate-limits the
            // benchmark lifts only that pacing; the concurrency stays as shipped.
            if !shipped {
                d.rate_limit.requests = 0;
            }
            d
        })
        .collect();
    let config = CoreConfig {
        namespace: format!("dev.patchbay.bench.{}", std::process::id()),
        ..CoreConfig::default()
    };
    let core = Arc::new(Patchbay::new(defs, Arc::new(MemoryVault::new()), config));

    // The sandbox must run with --auto-approve (it approves at once).
    let account = inprocess::connect(&core, provider).await?;

    let concurrency = core
        .providers()
        .iter()
        .find(|d| d.id == provider)
        .map(|d| d.rate_limit.concurrency)
        .unwrap_or(1);
    // What the app does: each page handed over as it arrives, none kept (the app stores them).
    let sandbox_pid: Option<u32> = std::env::var("BENCH_SANDBOX_PID")
        .ok()
        .and_then(|p| p.parse().ok());
    let sandbox_cpu = || sandbox_pid.and_then(cpu::of_process);
    let (cpu_start, sandbox_start) = (cpu::process_time(), sandbox_cpu());
    let start = Instant::now();
    // On a worker of the runtime, as the app runs it (a Tauri command's future is spawned on
    // the async runtime): `block_on`'s own thread is no worker, so every wake-up between it
    // and the HTTP connection's task would cross threads, which the app does not pay.
    let records = {
        let (core, provider, resource) = (core.clone(), provider.to_string(), resource.to_string());
        tokio::spawn(async move {
            core.sync_stream(&provider, &account, &resource, |_, _| {})
                .await
        })
        .await??
    };
    let seconds = start.elapsed().as_secs_f64();
    let client_cpu_s = cpu::process_time().saturating_sub(cpu_start).as_secs_f64();
    let sandbox_cpu_s = match (sandbox_start, sandbox_cpu()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a).as_secs_f64()),
        _ => None,
    };
    println!(
        "{}",
        serde_json::json!({
            "client": "patchbay-core",
            "provider": provider,
            "resource": resource,
            "records": records,
            "seconds": seconds,
            "concurrency": concurrency,
            "peak_rss_kib": peak_rss_kib(),
            "client_cpu_s": client_cpu_s,
            "sandbox_cpu_s": sandbox_cpu_s,
        })
    );
    Ok(())
}

/// This process's peak resident set (VmHWM) in KiB; 0 where /proc is missing.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
