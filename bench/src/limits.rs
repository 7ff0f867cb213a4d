//! Figure 8, throughput under documented limits (issue 14): for each provider a full sync with
//! its limits enforced by the sandbox (rate limits on) and by the client (the shipped
//! definition, untouched), 80 ms latency, against the least time those limits allow for the
//! same requests. The formula is in bench/README.md ("Throughput under documented limits").

use std::time::{Duration, Instant};

use patchbay_core::providers::{Paging, ProviderDef, ResourceDef};
use patchbay_sandbox::SandboxConfig;
use patchbay_sync::{Pass, SyncTarget};
use serde_json::json;

use crate::inprocess::{api_calls, connect, core_at, open_cache, sandbox, NoProgress, LATENCY};
use crate::Error;

/// One provider's run. Record counts keep each run near 20 s at its limits (under ~30 s).
struct Run {
    provider: &'static str,
    resource: &'static str,
    records: usize,
    /// The sandbox's token bucket for the provider (burst, refill a second), as in
    /// crates/patchbay-sandbox/src/providers/mod.rs (`Provider::rate_limit`; not public).
    sandbox_bucket: (u32, u32),
}

/// Top-level resources only: a child resource (EmailOctopus contacts, WebinarGeek
/// registrations) has `records` records under each of `records` parents in the sandbox.
const RUNS: [Run; 5] = [
    limited_run("whatconverts", "leads", 50_000, (20, 10)),
    limited_run("clickfunnels", "contacts", 20_000, (20, 10)),
    limited_run("webinargeek", "webinars", 10_000, (10, 5)),
    limited_run("boomtown", "leads", 20_000, (20, 10)),
    limited_run("emailoctopus", "lists", 20_000, (100, 10)),
];

const fn limited_run(
    provider: &'static str,
    resource: &'static str,
    records: usize,
    sandbox_bucket: (u32, u32),
) -> Run {
    Run {
        provider,
        resource,
        records,
        sandbox_bucket,
    }
}

pub async fn run(only: Option<&str>) -> Result<(), Error> {
    let runs: Vec<&Run> = RUNS
        .iter()
        .filter(|r| only.is_none_or(|p| p == r.provider))
        .collect();
    if runs.is_empty() {
        let known: Vec<&str> = RUNS.iter().map(|r| r.provider).collect();
        return Err(format!(
            "limits: no provider {:?}; pick one of {}",
            only.unwrap_or_default(),
            known.join(", ")
        )
        .into());
    }
    for r in runs {
        println!("{}", one(r).await?);
    }
    Ok(())
}

async fn one(run: &Run) -> Result<serde_json::Value, Error> {
    let sb = sandbox(SandboxConfig {
        records: run.records,
        seed: 14,
        rate_limits: true,
        latency: LATENCY,
        ..Default::default()
    })
    .await?;
    // The shipped definition as it is: its window, bucket, concurrency and page size.
    let core = core_at(&sb.url(), |_| {});
    let def = core
        .providers()
        .iter()
        .find(|d| d.id == run.provider)
        .cloned()
        .ok_or_else(|| format!("no built-in definition for {}", run.provider))?;
    let resource = def
        .resource(run.resource)
        .cloned()
        .ok_or_else(|| format!("{} has no resource {}", run.provider, run.resource))?;
    let account = connect(&core, run.provider).await?;
    let before = api_calls(&sb.requests(), run.provider).len();
    let dir = tempfile::tempdir()?;
    let cache = open_cache(&dir.path().join("cache.sqlite3"))?;
    let target = SyncTarget {
        provider: run.provider.into(),
        account,
        resource: run.resource.into(),
    };

    let start = Instant::now();
    let report = patchbay_sync::run(&core, &cache, &target, Pass::Full, &NoProgress).await?;
    let seconds = start.elapsed().as_secs_f64();
    if report.total != run.records as u64 {
        return Err(format!(
            "{} cached {} of {} {}",
            run.provider, report.total, run.records, run.resource
        )
        .into());
    }
    let log = sb.requests();
    let calls = &api_calls(&log, run.provider)[before..];
    // Every call the sandbox answered counts against its bucket, refused ones too; the bound
    // is for the calls that succeeded (a refused call is time the client lost).
    let refused = calls.iter().filter(|r| r.status == 429).count();
    let ok = calls.len() - refused;
    let limits = Limits::of(&def, &resource, run.sandbox_bucket);
    let allowed = limits.least_seconds(ok as u64, LATENCY);
    // The same bound with the sandbox's bucket alone (the provider's limit, not the
    // definition's pacing): shows what a definition stricter than its provider costs.
    let provider_only = Limits {
        window: (0, 0.0),
        client_bucket: None,
        ..limits
    };
    let allowed_provider_only = provider_only.least_seconds(ok as u64, LATENCY);
    Ok(json!({
        "figure": "limits",
        "provider": run.provider,
        "resource": run.resource,
        "records": run.records,
        "latency_ms": LATENCY.as_millis() as u64,
        "requests": ok,
        "refused_429": refused,
        "sync_requests": report.requests,
        "seconds": seconds,
        "allowed_seconds": allowed,
        "fraction": allowed / seconds,
        "allowed_seconds_provider_only": allowed_provider_only,
        "fraction_provider_only": allowed_provider_only / seconds,
        "goal": 0.9,
        "limits": limits.describe(),
    }))
}

/// What bounds the pace of one provider's full sync.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// The client's sliding window: `requests` started in any `per_seconds` (0: none).
    window: (u32, f64),
    /// Token buckets (capacity, refill a second): the definition's, if any, and the sandbox's.
    client_bucket: Option<(f64, f64)>,
    sandbox_bucket: (f64, f64),
    /// Requests in flight at most: the definition's concurrency, or 1 per cursor sequence
    /// when the next page's cursor is only known from the previous page.
    in_flight: u64,
    /// Page-number and offset paging learn the page count from the first page, which is
    /// therefore alone in flight.
    first_page_alone: bool,
}

impl Limits {
    fn of(def: &ProviderDef, resource: &ResourceDef, sandbox_bucket: (u32, u32)) -> Limits {
        let rl = &def.rate_limit;
        let sequences = resource.split.as_ref().map_or(1, |s| s.values.len()) as u64;
        let cursor = matches!(
            resource.paging,
            Paging::CursorHeader { .. } | Paging::CursorBody { .. }
        );
        let concurrency = rl.concurrency.max(1) as u64;
        Limits {
            window: (rl.requests, rl.per_seconds),
            client_bucket: rl
                .bucket
                .map(|b| (f64::from(b.capacity), b.refill_per_second)),
            sandbox_bucket: (f64::from(sandbox_bucket.0), f64::from(sandbox_bucket.1)),
            in_flight: if cursor {
                concurrency.min(sequences)
            } else {
                concurrency
            },
            first_page_alone: !cursor,
        }
    }

    /// The least seconds `n` successful requests can take, each answered after `latency`:
    /// the later of (a) the last request's earliest start under the window and the buckets,
    /// plus one latency, and (b) the requests' latencies spread over `in_flight` slots.
    fn least_seconds(&self, n: u64, latency: Duration) -> f64 {
        if n == 0 {
            return 0.0;
        }
        let l = latency.as_secs_f64();
        let k = (n - 1) as f64; // the last request, counted from 0
        let mut last_start: f64 = 0.0;
        let (requests, per_seconds) = self.window;
        if requests > 0 {
            last_start = last_start.max((k / f64::from(requests)).floor() * per_seconds);
        }
        for (capacity, refill) in self.client_bucket.into_iter().chain([self.sandbox_bucket]) {
            if refill > 0.0 {
                last_start = last_start.max((k + 1.0 - capacity).max(0.0) / refill);
            }
        }
        let rate_bound = last_start + l;
        let rest = if self.first_page_alone { n - 1 } else { n };
        let rounds = rest.div_ceil(self.in_flight) + u64::from(self.first_page_alone);
        let concurrency_bound = rounds as f64 * l;
        rate_bound.max(concurrency_bound)
    }

    fn describe(&self) -> serde_json::Value {
        json!({
            "window": { "requests": self.window.0, "per_seconds": self.window.1 },
            "client_bucket": self.client_bucket.map(|(c, r)| json!({"capacity": c, "refill_per_second": r})),
            "sandbox_bucket": { "capacity": self.sandbox_bucket.0, "refill_per_second": self.sandbox_bucket.1 },
            "in_flight": self.in_flight,
            "first_page_alone": self.first_page_alone,
        })
    }
}
