//! Background refresh: while the app runs, every list of every connected account syncs on
//! its provider's schedule (`patchbay-schedule`), and each list's status (last success, next
//! run, what the last run changed, the error or the quota pause) is kept for the sync panel
//! and announced on every change. Manual refreshes go through [`Background::sync_now`], so a
//! Refresh and a background run of the same account never race.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use patchbay_cache::{Cache, CacheError};
use patchbay_core::budget::BudgetView;
use patchbay_core::views::AccountState;
use patchbay_core::{AccountId, ApiError, Patchbay, UserError};
use patchbay_schedule::{ListKey, ListState, Outcome, Plan, PlanSettings, Scheduler, SyncFn};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::watch;
use ts_rs::TS;

use crate::watermark::rfc3339;
use crate::{run, Pass, PassKind, ProgressSink, SyncError, SyncReport, SyncTarget};

/// What one finished sync did, as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncRun {
    pub pass: PassKind,
    pub added: u32,
    pub updated: u32,
    pub removed: u32,
    pub requests: u32,
    /// Records stored for the list afterwards.
    pub total: u32,
    /// RFC 3339, UTC.
    pub finished_at: String,
}

fn n(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl From<&SyncReport> for SyncRun {
    fn from(r: &SyncReport) -> Self {
        Self {
            pass: r.pass,
            added: n(r.added),
            updated: n(r.updated),
            removed: n(r.removed),
            requests: n(r.requests),
            total: n(r.total),
            finished_at: r.finished_at.clone(),
        }
    }
}

/// One list's line in the sync panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncStatus {
    pub provider: String,
    pub account: String,
    pub resource: String,
    pub running: bool,
    /// When it refreshes next on its own (RFC 3339, UTC); `None` when its provider's
    /// background refresh is off.
    pub next_run: Option<String>,
    /// When a sync of it last succeeded (RFC 3339, UTC), from this run or the cache.
    pub last_success: Option<String>,
    /// What the last successful sync of this app run did.
    pub last_run: Option<SyncRun>,
    /// Why the last sync failed, when it did (cleared by the next success).
    pub error: Option<UserError>,
    /// The provider's daily requests are used up: the list goes on at this time.
    pub paused_until: Option<String>,
    /// "N of M requests left today" where the provider has a daily quota.
    pub budget: Option<BudgetView>,
}

/// Hears every status change (the shell: an event to the window).
pub trait StatusSink: Send + Sync {
    fn status(&self, status: SyncStatus);
}

/// What the board remembers of a list between syncs.
#[derive(Debug, Clone, Default)]
struct Record {
    last_success: Option<String>,
    last_run: Option<SyncRun>,
    error: Option<UserError>,
    paused_until: Option<String>,
}

struct Inner {
    core: Arc<Patchbay>,
    cache: Arc<Cache>,
    records: Mutex<HashMap<ListKey, Record>>,
    progress: Arc<dyn ProgressSink>,
    statuses: Arc<dyn StatusSink>,
}

fn target_of(key: &ListKey) -> Option<SyncTarget> {
    Some(SyncTarget {
        provider: key.provider.clone(),
        account: AccountId::parse(&key.account).ok()?,
        resource: key.resource.clone(),
    })
}

fn key_of(t: &SyncTarget) -> ListKey {
    ListKey::new(&t.provider, t.account.as_str(), &t.resource)
}

/// How the schedule should take a sync's result.
fn outcome(result: &Result<SyncReport, SyncError>) -> Outcome {
    match result {
        Ok(_) => Outcome::Done,
        Err(SyncError::Api {
            error: ApiError::QuotaExhausted { resets_at, .. },
            ..
        }) => Outcome::Paused { until: *resets_at },
        // A manual Refresh of the same list from another window path: not a failure.
        Err(SyncError::Cache(CacheError::SyncRunning { .. })) => Outcome::Skipped,
        Err(_) => Outcome::Failed,
    }
}

impl Inner {
    fn record(&self, key: &ListKey, result: &Result<SyncReport, SyncError>) {
        let mut records = self.records.lock();
        let r = records.entry(key.clone()).or_default();
        match result {
            Ok(report) => {
                r.last_success = Some(report.finished_at.clone());
                r.last_run = Some(SyncRun::from(report));
                r.error = None;
                r.paused_until = None;
            }
            Err(e) => {
                if let Outcome::Paused { until } = outcome(result) {
                    r.paused_until = Some(rfc3339(until));
                }
                if !matches!(e, SyncError::Cache(CacheError::SyncRunning { .. })) {
                    r.error = Some(e.to_user());
                }
            }
        }
    }

    fn status(&self, key: &ListKey, state: ListState) -> SyncStatus {
        let r = self.records.lock().get(key).cloned().unwrap_or_default();
        // Before the first sync of this app run, the cache knows when the last one ended.
        let last_success = r.last_success.or_else(|| {
            self.cache
                .stats(&key.provider, &key.account, &key.resource)
                .ok()
                .flatten()
                .and_then(|s| s.last_synced)
        });
        let budget = AccountId::parse(&key.account)
            .ok()
            .and_then(|a| self.core.budget(&key.provider, &a));
        SyncStatus {
            provider: key.provider.clone(),
            account: key.account.clone(),
            resource: key.resource.clone(),
            running: state.running,
            next_run: state.next_run.map(rfc3339),
            last_success,
            last_run: r.last_run,
            error: r.error,
            paused_until: r.paused_until,
            budget,
        }
    }

    async fn sync(
        &self,
        target: &SyncTarget,
        pass: Pass,
        sink: &dyn ProgressSink,
    ) -> Result<SyncReport, SyncError> {
        let result = run(&self.core, &self.cache, target, pass, sink).await;
        if let Err(e) = &result {
            tracing::warn!(provider = %target.provider, resource = %target.resource, code = %e.code(), error = %e, "sync failed");
        }
        self.record(&key_of(target), &result);
        result
    }
}

/// A sync started by a connect: its outcome once it ends.
type ConnectRun = Option<Result<SyncReport, Arc<SyncError>>>;

/// How long after a connect's own sync ends a Refresh of the same list still takes its
/// outcome: the window opens the list moments after the connect (it asks within 0.1 s; on a
/// loaded machine within a few), so asking the provider again then would only cost a request.
const JOIN_AFTER: Duration = Duration::from_secs(10);

/// The background refresh of one world's connected lists.
pub struct Background {
    inner: Arc<Inner>,
    scheduler: Scheduler,
    /// Syncs started by a connect, for the first Refresh of the same list to join.
    joinable: Mutex<HashMap<ListKey, watch::Receiver<ConnectRun>>>,
}

impl Background {
    /// Starts the schedule on `runtime`; call [`Background::lists_changed`] once the core is
    /// up and whenever its connections change.
    pub fn start(
        runtime: &tokio::runtime::Handle,
        core: Arc<Patchbay>,
        cache: Arc<Cache>,
        settings: PlanSettings,
        progress: Arc<dyn ProgressSink>,
        statuses: Arc<dyn StatusSink>,
    ) -> Self {
        let inner = Arc::new(Inner {
            core,
            cache,
            records: Mutex::new(HashMap::new()),
            progress,
            statuses,
        });
        let sync: SyncFn = {
            let inner = inner.clone();
            Arc::new(move |key: ListKey| {
                let inner = inner.clone();
                Box::pin(async move {
                    let Some(target) = target_of(&key) else {
                        return Outcome::Failed;
                    };
                    let sink = inner.progress.clone();
                    outcome(&inner.sync(&target, Pass::Auto, sink.as_ref()).await)
                })
            })
        };
        let on_change = {
            let inner = inner.clone();
            Arc::new(move |key: &ListKey, state: ListState| {
                inner.statuses.status(inner.status(key, state));
            })
        };
        let scheduler = Scheduler::start_with(
            runtime,
            Plan::new(settings),
            sync,
            on_change,
            Arc::new(OffsetDateTime::now_utc),
        );
        Self {
            inner,
            scheduler,
            joinable: Mutex::new(HashMap::new()),
        }
    }

    /// Re-reads which accounts are connected and which lists they have.
    pub async fn lists_changed(&self) {
        let core = &self.inner.core;
        let mut lists = Vec::new();
        for tile in core.tiles().await {
            let Some(resources) = list_ids(core, &tile.id) else {
                continue;
            };
            for account in tile.accounts {
                if !matches!(account.state, AccountState::Connected { .. }) {
                    continue;
                }
                for r in &resources {
                    let key = ListKey::new(&tile.id, &account.account_id, r);
                    let stats = self
                        .inner
                        .cache
                        .stats(&tile.id, &account.account_id, r)
                        .ok()
                        .flatten();
                    let running = || {
                        self.inner
                            .cache
                            .sync_running(&tile.id, &account.account_id, r)
                    };
                    let last = match stats {
                        // Interrupted (a crash, a quit, a lost network): overdue, so it
                        // resumes from its last stored page soon after start. Not one that
                        // runs now (a connect's own): a second run would only be refused.
                        Some(s) if !s.complete && !running() => Some(OffsetDateTime::UNIX_EPOCH),
                        Some(s) => s.last_synced.and_then(|t| {
                            OffsetDateTime::parse(
                                &t,
                                &time::format_description::well_known::Rfc3339,
                            )
                            .ok()
                        }),
                        None => None,
                    };
                    lists.push((key, last));
                }
            }
        }
        self.scheduler.set_lists(lists);
    }

    pub fn set_settings(&self, settings: PlanSettings) {
        self.scheduler.set_settings(settings);
    }

    /// A manual Refresh: waits for a background sync of the same account to end, runs, and
    /// plans the list's next background run from now. A Refresh of a list that a connect
    /// started syncing a moment ago takes that sync's outcome instead (its progress went to the
    /// world's sink meanwhile) rather than asking the provider again.
    pub async fn sync_now(
        &self,
        target: &SyncTarget,
        pass: Pass,
        sink: &dyn ProgressSink,
    ) -> Result<SyncReport, SyncError> {
        let key = key_of(target);
        let joined = self.joinable.lock().remove(&key);
        if let Some(mut outcome) = joined {
            if let Ok(done) = outcome.wait_for(Option::is_some).await {
                if let Some(result) = done.clone() {
                    return result.map_err(SyncError::Shared);
                }
            }
            // The connect's sync was dropped before it ended (its world went): sync anew.
        }
        self.sync_exclusive(&key, target, pass, sink).await
    }

    /// Starts a list of an account that was just connected syncing now, reporting to the
    /// world's progress sink, rather than when the window opens it (which joins this run) or
    /// one interval later. Call it on the runtime the app runs on.
    pub fn sync_connected(self: &Arc<Self>, target: SyncTarget, sink: Arc<dyn ProgressSink>) {
        let key = key_of(&target);
        let (tx, rx) = watch::channel(None);
        self.joinable.lock().insert(key.clone(), rx.clone());
        let this = self.clone();
        tokio::spawn(async move {
            let result = this
                .sync_exclusive(&key, &target, Pass::Auto, sink.as_ref())
                .await
                .map_err(Arc::new);
            let _ = tx.send(Some(result));
            tokio::time::sleep(JOIN_AFTER).await;
            let mut joinable = this.joinable.lock();
            // Unless a later connect of the same list put its own run there meanwhile.
            if joinable.get(&key).is_some_and(|r| r.same_channel(&rx)) {
                joinable.remove(&key);
            }
        });
    }

    async fn sync_exclusive(
        &self,
        key: &ListKey,
        target: &SyncTarget,
        pass: Pass,
        sink: &dyn ProgressSink,
    ) -> Result<SyncReport, SyncError> {
        let inner = self.inner.clone();
        let result = self
            .scheduler
            .exclusive(key, async move {
                let result = inner.sync(target, pass, sink).await;
                (outcome(&result), result)
            })
            .await;
        // Also for a list the schedule does not know yet (connected a moment ago).
        let status = self.inner.status(key, self.scheduler.state(key));
        self.inner.statuses.status(status);
        result
    }

    /// The sync panel's lines for one account: each of its provider's lists.
    pub fn statuses(&self, provider: &str, account: &AccountId) -> Vec<SyncStatus> {
        let Some(resources) = list_ids(&self.inner.core, provider) else {
            return Vec::new();
        };
        resources
            .iter()
            .map(|r| {
                let key = ListKey::new(provider, account.as_str(), r);
                self.inner.status(&key, self.scheduler.state(&key))
            })
            .collect()
    }
}

/// The ids of a provider's lists, `None` for a provider the core does not know.
fn list_ids(core: &Patchbay, provider: &str) -> Option<Vec<String>> {
    core.providers()
        .iter()
        .find(|d| d.id == provider)
        .map(|d| d.resources.iter().map(|r| r.id.to_string()).collect())
}
