//! Incremental refreshes against the sandbox: after a full sync and a change set touching 1 %
//! of the records (adds, edits, deletes), an Auto refresh fetches a small share of what the
//! full sync fetched and leaves the cache equal to the provider's data record by record, except
//! what the API cannot reveal without a full pass; a forced full pass then makes it equal
//! without exception and counts the removals.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use patchbay_cache::Cache;
use patchbay_core::providers::ProviderDef;
use patchbay_core::{AccountId, Patchbay};
use patchbay_sandbox::{AppliedChanges, ChangeSet, Sandbox, SandboxConfig};
use patchbay_sync::{Pass, PassKind, SyncReport, SyncTarget};
use serde_json::Value;

use crate::common::*;

/// No pacing: the sandbox's rate limits are off too.
/// These tests are about what a refresh asks for, not pacing: the sandbox's limits are off,
/// and so are the client's (its window, and EmailOctopus's token bucket of 10 a second, which
/// alone made the EmailOctopus test wait ~100 s).
fn unpaced(d: &mut ProviderDef) {
    d.rate_limit.requests = 10_000;
    d.rate_limit.per_seconds = 1.0;
    d.rate_limit.bucket = None;
}

struct World {
    sb: Sandbox,
    core: Patchbay,
    cache: Arc<Cache>,
    target: SyncTarget,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new(provider: &str, resource: &str, records: usize) -> World {
        let sb = sandbox(SandboxConfig {
            records,
            seed: 14,
            rate_limits: false,
            ..Default::default()
        })
        .await;
        let core = core_at(&sb.url(), unpaced);
        let account: AccountId = connect(&core, provider).await;
        let dir = tempfile::tempdir().unwrap();
        let cache = open_cache(&dir.path().join("cache.sqlite3"));
        World {
            sb,
            core,
            cache,
            target: target(provider, &account, resource),
            _dir: dir,
        }
    }

    /// A sync as of the sandbox's clock.
    async fn sync(&self, pass: Pass) -> (SyncReport, u32) {
        self.sync_later(pass, std::time::Duration::ZERO).await
    }

    /// A sync `later` than the sandbox's clock (the provider's data as it is).
    async fn sync_later(&self, pass: Pass, later: std::time::Duration) -> (SyncReport, u32) {
        let recorder = Recorder::default();
        let report = patchbay_sync::run_at(
            &self.core,
            &self.cache,
            &self.target,
            pass,
            &recorder,
            self.sb.now() + later,
        )
        .await
        .expect("the sync finishes");
        let fetched = recorder.0.lock().unwrap().last().expect("progress").fetched;
        (report, fetched)
    }

    fn cached(&self, id: &str) -> BTreeMap<String, Value> {
        by_id(
            cached_records(
                &self.cache,
                &self.target.provider,
                &self.target.account,
                &self.target.resource,
            ),
            id,
        )
    }

    fn provider_records(&self, id: &str) -> BTreeMap<String, Value> {
        by_id(
            self.sb
                .records(&self.target.provider, &self.target.resource),
            id,
        )
    }

    fn change_one_percent(&self, records: usize) -> AppliedChanges {
        let n = records / 300;
        self.sb
            .apply_changes(
                &self.target.provider,
                &self.target.resource,
                ChangeSet {
                    add: n,
                    update: n,
                    delete: n,
                },
            )
            .expect("the changes apply")
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn by_id(records: Vec<Value>, id: &str) -> BTreeMap<String, Value> {
    let n = records.len();
    let map: BTreeMap<String, Value> = records
        .into_iter()
        .map(|r| (text(r.pointer(id).expect("an id")), r))
        .collect();
    assert_eq!(map.len(), n, "no record twice");
    map
}

fn set(ids: &[String]) -> BTreeSet<String> {
    ids.iter().cloned().collect()
}

/// Checks the cache against the provider after an incremental pass: every record the provider
/// has is cached; what is cached besides is exactly the deleted records; records differ only
/// where `unseen_edit` says the API could not show the edit. Answers the edits not seen.
fn equal_except(
    cached: &BTreeMap<String, Value>,
    provider: &BTreeMap<String, Value>,
    applied: &AppliedChanges,
    unseen_edit: impl Fn(&Value) -> bool,
) -> BTreeSet<String> {
    let cached_ids: BTreeSet<&String> = cached.keys().collect();
    let provider_ids: BTreeSet<&String> = provider.keys().collect();
    let lost: Vec<_> = provider_ids.difference(&cached_ids).collect();
    assert!(lost.is_empty(), "records lost: {lost:?}");
    let extra: BTreeSet<String> = cached_ids
        .difference(&provider_ids)
        .map(|s| (*s).clone())
        .collect();
    assert_eq!(
        extra,
        set(&applied.deleted),
        "only deletions are still cached"
    );
    let updated = set(&applied.updated);
    let mut unseen = BTreeSet::new();
    for (id, want) in provider {
        let got = &cached[id];
        if got != want {
            assert!(
                updated.contains(id) && unseen_edit(want),
                "record {id} differs and the API could have shown it:\n cached   {got}\n provider {want}"
            );
            unseen.insert(id.clone());
        }
    }
    unseen
}

/// The cached records among `ids`, and how many others are cached.
fn scoped(
    cached: BTreeMap<String, Value>,
    ids: &BTreeSet<String>,
) -> (BTreeMap<String, Value>, usize) {
    let n = cached.len();
    let inside: BTreeMap<String, Value> = cached
        .into_iter()
        .filter(|(k, _)| ids.contains(k))
        .collect();
    let others = n - inside.len();
    (inside, others)
}

/// A forced full pass: the cache equals the provider's data (`others`: records cached besides
/// those `Sandbox::records` lists, which the changes never touch).
async fn full_pass_makes_it_equal(
    w: &World,
    id: &str,
    applied: &AppliedChanges,
    unseen: usize,
    others: usize,
) {
    let (full, _) = w.sync(Pass::Full).await;
    full_pass_left_it_equal(w, id, applied, unseen, others, full);
}

fn full_pass_left_it_equal(
    w: &World,
    id: &str,
    applied: &AppliedChanges,
    unseen: usize,
    others: usize,
    full: SyncReport,
) {
    assert_eq!(full.pass, PassKind::Full);
    assert_eq!(
        full.removed,
        applied.deleted.len() as u64,
        "deletions counted"
    );
    assert_eq!(
        (full.added, full.updated),
        (0, unseen as u64),
        "only the edits not seen before"
    );
    let provider = w.provider_records(id);
    let ids: BTreeSet<String> = provider.keys().cloned().collect();
    let (cached, cached_others) = scoped(w.cached(id), &ids);
    assert!(cached == provider, "the cache equals the provider's data");
    assert_eq!(cached_others, others, "nothing else cached");
    assert_eq!(full.total as usize, provider.len() + others);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatconverts_refreshes_a_trailing_week_of_100000_leads() {
    const RECORDS: usize = 100_000;
    let w = World::new("whatconverts", "leads", RECORDS).await;
    let (full, _) = w.sync(Pass::Auto).await;
    assert_eq!(full.pass, PassKind::Full, "the first sync is full");
    assert_eq!((full.added, full.total), (RECORDS as u64, RECORDS as u64));
    assert_eq!(full.requests, 40, "2,500 leads a page");
    let newest = w
        .provider_records("/lead_id")
        .values()
        .filter_map(|r| r["date_created"].as_str().map(str::to_string))
        .max()
        .unwrap();

    let applied = w.change_one_percent(RECORDS);
    let (inc, _) = w.sync(Pass::Auto).await;
    assert_eq!(inc.pass, PassKind::Incremental);
    assert!(
        inc.requests * 100 <= full.requests * 3,
        "the refresh used {} requests, more than 3 % of the full sync's {}",
        inc.requests,
        full.requests
    );
    assert_eq!(inc.added, applied.added.len() as u64, "every new lead");
    assert_eq!(inc.removed, 0, "an incremental pass deletes nothing");
    // The window: a week before the newest lead the full sync stored.
    let window = patchbay_sandbox::time::OffsetDateTime::parse(
        &newest,
        &patchbay_sandbox::time::format_description::well_known::Rfc3339,
    )
    .unwrap()
        - patchbay_sandbox::time::Duration::days(7);
    let unseen = equal_except(
        &w.cached("/lead_id"),
        &w.provider_records("/lead_id"),
        &applied,
        |r| {
            let created = patchbay_sandbox::time::OffsetDateTime::parse(
                r["date_created"].as_str().unwrap(),
                &patchbay_sandbox::time::format_description::well_known::Rfc3339,
            )
            .unwrap();
            created < window
        },
    );
    assert_eq!(
        inc.updated as usize,
        applied.updated.len() - unseen.len(),
        "the edits inside the window were counted"
    );
    eprintln!(
        "whatconverts: full {} requests, refresh {} ({:.1} %), {} of {} edits older than the window",
        full.requests,
        inc.requests,
        inc.requests as f64 * 100.0 / full.requests as f64,
        unseen.len(),
        applied.updated.len()
    );
    full_pass_makes_it_equal(&w, "/lead_id", &applied, unseen.len(), 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clickfunnels_refreshes_contacts_after_the_largest_id() {
    const RECORDS: usize = 20_000;
    let w = World::new("clickfunnels", "contacts", RECORDS).await;
    let (full, _) = w.sync(Pass::Auto).await;
    assert_eq!(full.pass, PassKind::Full);
    assert_eq!(full.total, RECORDS as u64);

    let applied = w.change_one_percent(RECORDS);
    let (inc, fetched) = w.sync(Pass::Auto).await;
    assert_eq!(inc.pass, PassKind::Incremental);
    assert_eq!(
        (inc.added, inc.updated, inc.removed),
        (applied.added.len() as u64, 0, 0)
    );
    assert_eq!(
        fetched as usize,
        applied.added.len(),
        "only the new contacts were fetched"
    );
    assert!(
        inc.requests * 100 <= full.requests * 3,
        "the refresh used {} requests, more than 3 % of the full sync's {}",
        inc.requests,
        full.requests
    );
    // No "updated since" filter: every edit waits for the full pass.
    let unseen = equal_except(
        &w.cached("/id"),
        &w.provider_records("/id"),
        &applied,
        |_| true,
    );
    assert_eq!(unseen, set(&applied.updated));
    eprintln!(
        "clickfunnels: full {} requests, refresh {} ({:.1} %)",
        full.requests,
        inc.requests,
        inc.requests as f64 * 100.0 / full.requests as f64
    );
    // A day later Auto still refreshes incrementally; a week after the full pass it runs one
    // by itself (the definition's full_every_days), which sees the edits and deletions.
    let day = std::time::Duration::from_secs(86_400);
    let (next, _) = w.sync_later(Pass::Auto, day).await;
    assert_eq!(
        (next.pass, next.added, next.removed),
        (PassKind::Incremental, 0, 0)
    );
    let (weekly, _) = w.sync_later(Pass::Auto, 7 * day).await;
    assert_eq!(
        weekly.pass,
        PassKind::Full,
        "a week after the last full pass"
    );
    full_pass_left_it_equal(&w, "/id", &applied, unseen.len(), 0, weekly);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emailoctopus_refreshes_contacts_changed_since_the_watermark_in_every_status() {
    // 100 lists of 100 contacts; the changes touch the first list.
    const RECORDS: usize = 100;
    let w = World::new("emailoctopus", "contacts", RECORDS).await;
    let (full, full_fetched) = w.sync(Pass::Auto).await;
    assert_eq!(full.pass, PassKind::Full);
    // Every status, not only the subscribed contacts the list answers by default.
    assert_eq!(full.total as usize, RECORDS * RECORDS);

    // The refresh asks for contacts changed since the newest change stored, minus 5 minutes:
    // those, and the ones the change set adds and edits.
    let changed_since = |cached: &BTreeMap<String, Value>| {
        let at = |r: &Value| {
            patchbay_sandbox::time::OffsetDateTime::parse(
                r["last_updated_at"].as_str().unwrap(),
                &patchbay_sandbox::time::format_description::well_known::Rfc3339,
            )
            .unwrap()
        };
        let newest = cached.values().map(at).max().unwrap();
        let since = newest - patchbay_sandbox::time::Duration::minutes(5);
        cached
            .iter()
            .filter(|(_, r)| at(r) >= since)
            .map(|(id, _)| id.clone())
            .collect::<BTreeSet<String>>()
    };
    let expected = |near: BTreeSet<String>, applied: &AppliedChanges| {
        let mut ids = near;
        ids.extend(applied.added.iter().cloned());
        ids.extend(applied.updated.iter().cloned());
        for d in &applied.deleted {
            ids.remove(d);
        }
        ids.len()
    };
    let near = changed_since(&w.cached("/id"));
    let applied = w.change_one_percent(RECORDS * RECORDS);
    let (inc, fetched) = w.sync(Pass::Auto).await;
    assert_eq!(inc.pass, PassKind::Incremental);
    assert_eq!(
        fetched as usize,
        expected(near, &applied),
        "exactly the contacts changed since the watermark"
    );
    assert_eq!(inc.added, applied.added.len() as u64); // `Sandbox::records` lists the first list's contacts, the ones the changes touch; the
                                                       // other 99 lists' contacts stay as the full sync stored them.
    let others = RECORDS * (RECORDS - 1);
    let provider = w.provider_records("/id");
    let mut ids: BTreeSet<String> = provider.keys().cloned().collect();
    ids.extend(applied.deleted.iter().cloned());
    let (cached, cached_others) = scoped(w.cached("/id"), &ids);
    assert_eq!(cached_others, others);
    let unseen = equal_except(&cached, &provider, &applied, |_| false);
    assert!(unseen.is_empty());
    eprintln!(
        "emailoctopus: full {} requests / {full_fetched} contacts, first refresh {} / {fetched}",
        full.requests, inc.requests
    );

    // The first refresh re-read the generated contacts that share the newest change time; from
    // then on a refresh transfers what changed: an hour later, a change set of 1 % again.
    w.sb.advance_clock(std::time::Duration::from_secs(3600));
    let near = changed_since(&w.cached("/id"));
    let second = w.change_one_percent(RECORDS * RECORDS);
    let (inc2, fetched2) = w.sync(Pass::Auto).await;
    assert_eq!(inc2.pass, PassKind::Incremental);
    assert_eq!(fetched2 as usize, expected(near, &second));
    assert!(
        fetched2 as u64 * 100 <= full_fetched as u64 * 3,
        "the refresh fetched {fetched2} contacts, more than 3 % of {full_fetched}"
    );
    eprintln!(
        "emailoctopus: second refresh {} requests / {fetched2} contacts",
        inc2.requests
    );
    let both = AppliedChanges {
        added: [applied.added.clone(), second.added.clone()].concat(),
        updated: [applied.updated.clone(), second.updated.clone()].concat(),
        deleted: [applied.deleted.clone(), second.deleted.clone()].concat(),
    };
    full_pass_makes_it_equal(&w, "/id", &both, 0, others).await;
}
