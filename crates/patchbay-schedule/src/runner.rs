//! Runs a [`Plan`] on tokio: sleeps until the next list is due (or the plan changes), starts
//! each due list's sync as its own task, and plans the next run from how it ended. Manual
//! refreshes go through [`Scheduler::exclusive`] so they respect "one sync per connection".

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::plan::{ListKey, Outcome, Plan, PlanSettings};

/// Runs one background sync of a list and says how it ended. The caller's function does the
/// work (fetch, store, tell the window); the scheduler only decides when.
pub type SyncFn =
    Arc<dyn Fn(ListKey) -> Pin<Box<dyn Future<Output = Outcome> + Send>> + Send + Sync>;

type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// A list's place in the schedule, as a status line shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListState {
    pub running: bool,
    /// `None` when its provider's background refresh is off.
    pub next_run: Option<OffsetDateTime>,
}

/// Told whenever a list starts or finishes a sync (after the plan has changed).
pub type OnChange = Arc<dyn Fn(&ListKey, ListState) + Send + Sync>;

struct Inner {
    plan: Mutex<Plan>,
    /// Wakes the loop: the plan changed or a sync finished.
    wake: Notify,
    /// Wakes callers of `exclusive` waiting for a connection to become idle.
    idle: Notify,
    sync: SyncFn,
    clock: Clock,
    on_change: OnChange,
}

impl Inner {
    fn plan(&self) -> MutexGuard<'_, Plan> {
        // parking_lot: no poisoning; a panic while the plan was held leaves it consistent
        // (every change is one call).
        self.plan.lock()
    }

    fn finished(&self, key: &ListKey, outcome: Outcome) {
        let state = {
            let mut plan = self.plan();
            plan.finish(key, outcome, (self.clock)());
            state_of(&plan, key)
        };
        (self.on_change)(key, state);
        self.idle.notify_waiters();
        self.wake.notify_one();
    }

    fn started(&self, key: &ListKey) {
        let state = state_of(&self.plan(), key);
        (self.on_change)(key, state);
    }
}

/// A running schedule. Dropping it stops the loop (syncs already started finish).
pub struct Scheduler {
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Scheduler {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The longest the loop sleeps without looking again; also bounds a wrong clock's damage.
const MAX_SLEEP: Duration = Duration::from_secs(3600);

impl Scheduler {
    /// Starts the loop on `runtime` with the system clock.
    pub fn start(runtime: &tokio::runtime::Handle, plan: Plan, sync: SyncFn) -> Self {
        Self::start_with(
            runtime,
            plan,
            sync,
            Arc::new(|_, _| {}),
            Arc::new(OffsetDateTime::now_utc),
        )
    }

    /// Starts the loop, telling `on_change` of every start and finish, with `clock` as now.
    pub fn start_with(
        runtime: &tokio::runtime::Handle,
        plan: Plan,
        sync: SyncFn,
        on_change: OnChange,
        clock: Clock,
    ) -> Self {
        let inner = Arc::new(Inner {
            plan: Mutex::new(plan),
            wake: Notify::new(),
            idle: Notify::new(),
            sync,
            clock,
            on_change,
        });
        let task = runtime.spawn(run(inner.clone(), runtime.clone()));
        Self { inner, task }
    }

    /// The lists that exist now, with when each was last synced (see [`Plan::set_lists`]).
    pub fn set_lists(&self, lists: Vec<(ListKey, Option<OffsetDateTime>)>) {
        let now = (self.inner.clock)();
        self.inner.plan().set_lists(lists, now);
        self.inner.wake.notify_one();
    }

    pub fn set_settings(&self, settings: PlanSettings) {
        let now = (self.inner.clock)();
        self.inner.plan().set_settings(settings, now);
        self.inner.wake.notify_one();
    }

    pub fn next_run(&self, key: &ListKey) -> Option<OffsetDateTime> {
        self.inner.plan().next_run(key)
    }

    pub fn is_running(&self, key: &ListKey) -> bool {
        self.inner.plan().is_running(key)
    }

    pub fn state(&self, key: &ListKey) -> ListState {
        state_of(&self.inner.plan(), key)
    }

    /// Runs `work` as a sync of `key` once its connection is idle (a manual Refresh waits
    /// for a background sync of the same account to end rather than racing it), then plans
    /// the list's next run from the outcome `work` reports. A list the plan does not know
    /// (not connected, or not yet listed) runs at once.
    pub async fn exclusive<T>(&self, key: &ListKey, work: impl Future<Output = (Outcome, T)>) -> T {
        let known = loop {
            let idle = self.inner.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            {
                let mut plan = self.inner.plan();
                if !plan.knows(key) {
                    break false;
                }
                if plan.try_start(key) {
                    break true;
                }
            }
            idle.await;
        };
        if known {
            self.inner.started(key);
        }
        let (outcome, answer) = work.await;
        if known {
            self.inner.finished(key, outcome);
        }
        answer
    }
}

fn state_of(plan: &Plan, key: &ListKey) -> ListState {
    ListState {
        running: plan.is_running(key),
        next_run: plan.next_run(key),
    }
}

async fn run(inner: Arc<Inner>, runtime: tokio::runtime::Handle) {
    loop {
        let (due, wake) = {
            let now = (inner.clock)();
            let mut plan = inner.plan();
            let due = plan.take_due(now);
            (due, plan.next_wake())
        };
        for key in due {
            let inner = inner.clone();
            inner.started(&key);
            runtime.spawn(async move {
                tracing::info!(provider = %key.provider, account = %key.account, resource = %key.resource, "background refresh");
                let outcome = (inner.sync)(key.clone()).await;
                inner.finished(&key, outcome);
            });
        }
        let sleep = wake.map_or(MAX_SLEEP, |at| {
            let left = at - (inner.clock)();
            Duration::try_from(left)
                .unwrap_or(Duration::ZERO)
                .min(MAX_SLEEP)
        });
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = inner.wake.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use tokio::sync::mpsc;

    fn quick() -> PlanSettings {
        PlanSettings {
            default_interval: Duration::from_millis(30),
            intervals: HashMap::new(),
            stagger: Duration::ZERO,
            retry_after_failure: Duration::from_millis(30),
        }
    }

    async fn next(rx: &mut mpsc::UnboundedReceiver<ListKey>) -> ListKey {
        tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("a background sync within 20 s")
            .expect("the scheduler is alive")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connected_lists_refresh_again_and_again_without_a_call() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let sync: SyncFn = Arc::new(move |key| {
            let tx = tx.clone();
            Box::pin(async move {
                let _ = tx.send(key);
                Outcome::Done
            })
        });
        let s = Scheduler::start(&tokio::runtime::Handle::current(), Plan::new(quick()), sync);
        let key = ListKey::new("wc", "a", "leads");
        s.set_lists(vec![(key.clone(), None)]);
        for _ in 0..3 {
            assert_eq!(next(&mut rx).await, key);
        }
        // Turned off: no run after the one that may be in flight.
        let mut off = quick();
        off.intervals.insert("wc".into(), None);
        s.set_settings(off);
        assert_eq!(s.next_run(&key), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_manual_refresh_waits_for_the_background_sync_of_its_connection() {
        let log = Arc::new(Mutex::new(Vec::<&'static str>::new()));
        let (started_tx, mut started) = mpsc::unbounded_channel();
        let (release_tx, release_rx) = tokio::sync::oneshot::channel::<()>();
        let release = Arc::new(Mutex::new(Some(release_rx)));
        let sync: SyncFn = {
            let log = log.clone();
            Arc::new(move |key| {
                let (started_tx, release, log) = (started_tx.clone(), release.clone(), log.clone());
                Box::pin(async move {
                    let _ = started_tx.send(key);
                    let rx = release.lock().take();
                    if let Some(rx) = rx {
                        let _ = rx.await;
                    }
                    log.lock().push("background done");
                    Outcome::Done
                })
            })
        };
        let mut settings = quick();
        settings.default_interval = Duration::from_secs(3600);
        let s = Arc::new(Scheduler::start(
            &tokio::runtime::Handle::current(),
            Plan::new(settings),
            sync,
        ));
        let leads = ListKey::new("wc", "a", "leads");
        let calls = ListKey::new("wc", "a", "calls");
        s.set_lists(vec![
            (
                leads.clone(),
                Some(OffsetDateTime::now_utc() - time::Duration::DAY),
            ),
            (calls.clone(), Some(OffsetDateTime::now_utc())),
        ]);
        assert_eq!(next(&mut started).await, leads, "the overdue list starts");
        let manual = {
            let (s, log) = (s.clone(), log.clone());
            tokio::spawn(async move {
                s.exclusive(&calls, async move {
                    log.lock().push("manual");
                    (Outcome::Done, "manual answer")
                })
                .await
            })
        };
        // Give a wrong scheduler every chance to start the manual refresh beside the
        // background one (the assertion below is on order, not on time).
        tokio::time::sleep(Duration::from_millis(100)).await;
        release_tx.send(()).unwrap();
        assert_eq!(manual.await.unwrap(), "manual answer");
        assert_eq!(*log.lock(), vec!["background done", "manual"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unknown_list_runs_at_once_through_exclusive() {
        let sync: SyncFn = Arc::new(|_| Box::pin(async { Outcome::Done }));
        let s = Scheduler::start(&tokio::runtime::Handle::current(), Plan::new(quick()), sync);
        let answer = s
            .exclusive(&ListKey::new("x", "y", "z"), async { (Outcome::Failed, 7) })
            .await;
        assert_eq!(answer, 7);
    }
}
