//! Figure 7, incremental refresh against a full sync (issue 14): a full sync of RECORDS records
//! into a fresh cache, a change set touching 1% of them in the sandbox, then a `Pass::Auto`
//! refresh. One JSON line per (provider, resource) with both passes' requests and seconds.

use std::time::Instant;

use patchbay_sandbox::{ChangeSet, SandboxConfig};
use patchbay_sync::{Pass, PassKind, SyncReport, SyncTarget};
use serde_json::json;

use crate::inprocess::{api_calls, connect, core_at, open_cache, sandbox, NoProgress, LATENCY};
use crate::Error;

/// 1% of the records: half added, 30% edited, 20% deleted (500/300/200 of 100,000).
fn one_percent(records: usize) -> ChangeSet {
    ChangeSet {
        add: records / 200,
        update: records * 3 / 1000,
        delete: records / 500,
    }
}

/// The resources with an incremental plan, as (provider, resource): a creation-date window
/// with a trailing re-pull, and `after=<last id>`. EmailOctopus contacts are not here: they
/// are children of lists, and the sandbox gives every one of RECORDS lists RECORDS contacts.
pub const TARGETS: [(&str, &str); 2] = [("whatconverts", "leads"), ("clickfunnels", "contacts")];

pub async fn run(records: usize) -> Result<(), Error> {
    for (provider, resource) in TARGETS {
        let line = one(provider, resource, records).await?;
        println!("{line}");
    }
    Ok(())
}

async fn one(provider: &str, resource: &str, records: usize) -> Result<serde_json::Value, Error> {
    // Rate limits off on both sides: this figure compares how many requests each pass needs
    // and what they cost, not how a provider paces them (that is the `limits` figure).
    let sb = sandbox(SandboxConfig {
        records,
        seed: 14,
        rate_limits: false,
        latency: LATENCY,
        ..Default::default()
    })
    .await?;
    let core = core_at(&sb.url(), |d| d.rate_limit.requests = 0);
    let account = connect(&core, provider).await?;
    // Connecting calls the API too ("connected as"); only the syncs' calls count.
    let connected = api_calls(&sb.requests(), provider).len();
    let dir = tempfile::tempdir()?;
    let cache = open_cache(&dir.path().join("cache.sqlite3"))?;
    let target = SyncTarget {
        provider: provider.into(),
        account,
        resource: resource.into(),
    };

    let full = timed(&core, &cache, &target, Pass::Full).await?;
    let logged_full = api_calls(&sb.requests(), provider).len() - connected;
    if full.report.total != records as u64 {
        return Err(format!(
            "the full sync cached {} of {records} {resource}",
            full.report.total
        )
        .into());
    }

    let applied = sb.apply_changes(provider, resource, one_percent(records))?;
    let refresh = timed(&core, &cache, &target, Pass::Auto).await?;
    let logged_refresh = api_calls(&sb.requests(), provider).len() - connected - logged_full;
    if refresh.report.pass != PassKind::Incremental {
        return Err(format!(
            "the refresh ran a {:?} pass, not an incremental one",
            refresh.report.pass
        )
        .into());
    }
    let requests_ratio = refresh.report.requests as f64 / full.report.requests as f64;
    Ok(json!({
        "figure": "incremental",
        "provider": provider,
        "resource": resource,
        "records": records,
        "latency_ms": LATENCY.as_millis() as u64,
        "changes": {
            "added": applied.added.len(),
            "updated": applied.updated.len(),
            "deleted": applied.deleted.len(),
        },
        "full": full.json(logged_full),
        "refresh": refresh.json(logged_refresh),
        "requests_ratio": requests_ratio,
        "seconds_ratio": refresh.seconds / full.seconds,
        // Issue 14's target: a refresh sends at most 3% of a full sync's requests.
        "requests_goal": 0.03,
    }))
}

struct Timed {
    report: SyncReport,
    seconds: f64,
}

impl Timed {
    /// `logged`: the API calls the sandbox saw during the pass, a check on `report.requests`.
    fn json(&self, logged: usize) -> serde_json::Value {
        let r = &self.report;
        json!({
            "pass": r.pass,
            "requests": r.requests,
            "sandbox_requests": logged,
            "seconds": self.seconds,
            "added": r.added,
            "updated": r.updated,
            "removed": r.removed,
            "total": r.total,
        })
    }
}

async fn timed(
    core: &patchbay_core::Patchbay,
    cache: &std::sync::Arc<patchbay_cache::Cache>,
    target: &SyncTarget,
    pass: Pass,
) -> Result<Timed, Error> {
    let start = Instant::now();
    let report = patchbay_sync::run(core, cache, target, pass, &NoProgress).await?;
    Ok(Timed {
        report,
        seconds: start.elapsed().as_secs_f64(),
    })
}
