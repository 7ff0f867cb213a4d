//! The rule book of background refresh, without clocks or threads: callers pass `now`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use time::OffsetDateTime;

/// One list of one connection (an account of a provider): what a background sync refreshes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListKey {
    pub provider: String,
    pub account: String,
    pub resource: String,
}

impl ListKey {
    pub fn new(provider: &str, account: &str, resource: &str) -> Self {
        Self {
            provider: provider.to_string(),
            account: account.to_string(),
            resource: resource.to_string(),
        }
    }

    fn same_connection(&self, other: &ListKey) -> bool {
        self.provider == other.provider && self.account == other.account
    }
}

/// How a sync ended, as far as the schedule cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Failed,
    /// The provider's request budget is spent: the list goes on at `until` (its reset).
    Paused {
        until: OffsetDateTime,
    },
    /// The sync did not run (the list is already being synced elsewhere): try at the next
    /// interval, not sooner.
    Skipped,
}

/// The user's choices and the schedule's pacing.
#[derive(Debug, Clone)]
pub struct PlanSettings {
    /// The refresh interval of a provider without one of its own.
    pub default_interval: Duration,
    /// Per provider id: its own interval, or `None` for "no background refresh".
    pub intervals: HashMap<String, Option<Duration>>,
    /// Lists due together (at start-up, after a long sleep) start this far apart, so a dozen
    /// lists do not hit their providers in the same second.
    pub stagger: Duration,
    /// The first retry after a failed sync; each further failure doubles it, up to the
    /// interval.
    pub retry_after_failure: Duration,
}

impl Default for PlanSettings {
    fn default() -> Self {
        Self {
            default_interval: Duration::from_secs(15 * 60),
            intervals: HashMap::new(),
            stagger: Duration::from_secs(20),
            retry_after_failure: Duration::from_secs(60),
        }
    }
}

impl PlanSettings {
    /// The provider's interval, or `None` when its background refresh is off.
    pub fn interval(&self, provider: &str) -> Option<Duration> {
        match self.intervals.get(provider) {
            Some(own) => *own,
            None => Some(self.default_interval),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    /// When the list last finished a sync (or was last synced before the app started).
    last_run: Option<OffsetDateTime>,
    next_run: OffsetDateTime,
    running: bool,
    failures: u32,
    /// A paused list waits for its budget whatever the interval says.
    paused_until: Option<OffsetDateTime>,
}

/// Every known list with its next run. One sync per connection runs at a time: providers
/// meter requests per credential, and one connection's token refresh must not race itself.
#[derive(Debug, Clone)]
pub struct Plan {
    settings: PlanSettings,
    entries: BTreeMap<ListKey, Entry>,
}

fn add(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    t.checked_add(time::Duration::try_from(d).unwrap_or(time::Duration::MAX))
        .unwrap_or(OffsetDateTime::new_utc(
            time::Date::MAX,
            time::Time::MIDNIGHT,
        ))
}

impl Plan {
    pub fn new(settings: PlanSettings) -> Self {
        Self {
            settings,
            entries: BTreeMap::new(),
        }
    }

    pub fn settings(&self) -> &PlanSettings {
        &self.settings
    }

    /// When `key` runs next on its own, or `None` when it is unknown or its provider's
    /// background refresh is off.
    pub fn next_run(&self, key: &ListKey) -> Option<OffsetDateTime> {
        self.settings.interval(&key.provider)?;
        self.entries.get(key).map(|e| e.next_run)
    }

    /// Whether `key` is one of the lists the plan was given.
    pub fn knows(&self, key: &ListKey) -> bool {
        self.entries.contains_key(key)
    }

    pub fn is_running(&self, key: &ListKey) -> bool {
        self.entries.get(key).is_some_and(|e| e.running)
    }

    /// The lists that exist now (each connected account's lists) with when each was last
    /// synced. New lists join one interval after their last sync (or after now): an overdue
    /// one is due now, but lists due together get staggered slots; lists no longer present
    /// leave (a disconnected account).
    pub fn set_lists(
        &mut self,
        lists: impl IntoIterator<Item = (ListKey, Option<OffsetDateTime>)>,
        now: OffsetDateTime,
    ) {
        let lists: BTreeMap<ListKey, Option<OffsetDateTime>> = lists.into_iter().collect();
        self.entries
            .retain(|k, e| lists.contains_key(k) || e.running);
        let mut slot = self.entries.values().filter(|e| e.next_run <= now).count() as u32;
        for (key, last_run) in lists {
            if self.entries.contains_key(&key) {
                continue;
            }
            let interval = self
                .settings
                .interval(&key.provider)
                .unwrap_or(Duration::ZERO);
            // A list never synced waits one interval: opening it syncs it at once, and a
            // background full sync beside that first one would fetch everything twice.
            let wanted = add(last_run.unwrap_or(now), interval);
            let earliest = add(now, self.settings.stagger * slot);
            let next_run = if wanted <= earliest {
                slot += 1;
                earliest
            } else {
                wanted
            };
            self.entries.insert(
                key,
                Entry {
                    last_run,
                    next_run,
                    running: false,
                    failures: 0,
                    paused_until: None,
                },
            );
        }
    }

    /// New settings: each idle list's next run follows its provider's new interval, counted
    /// from its last run.
    pub fn set_settings(&mut self, settings: PlanSettings, now: OffsetDateTime) {
        self.settings = settings;
        for (key, e) in self.entries.iter_mut() {
            if e.running || e.failures > 0 || e.paused_until.is_some() {
                continue;
            }
            if let Some(interval) = self.settings.interval(&key.provider) {
                e.next_run = e.last_run.map_or(now, |l| add(l, interval)).max(now);
            }
        }
    }

    fn connection_busy(&self, key: &ListKey) -> bool {
        self.entries
            .iter()
            .any(|(k, e)| e.running && k.same_connection(key))
    }

    /// The lists to start now, marked running: due, background refresh on, and their
    /// connection idle; at most one per connection (the most overdue first).
    pub fn take_due(&mut self, now: OffsetDateTime) -> Vec<ListKey> {
        let mut due: Vec<(OffsetDateTime, ListKey)> = self
            .entries
            .iter()
            .filter(|(k, e)| {
                !e.running && e.next_run <= now && self.settings.interval(&k.provider).is_some()
            })
            .map(|(k, e)| (e.next_run, k.clone()))
            .collect();
        due.sort();
        let mut started = Vec::new();
        for (_, key) in due {
            if self.try_start(&key) {
                started.push(key);
            }
        }
        started
    }

    /// Marks `key` running outside the schedule (a manual Refresh). False when the list is
    /// unknown or its connection already runs a sync.
    pub fn try_start(&mut self, key: &ListKey) -> bool {
        if !self.entries.contains_key(key) || self.connection_busy(key) {
            return false;
        }
        if let Some(e) = self.entries.get_mut(key) {
            e.running = true;
        }
        true
    }

    /// Records how a sync of `key` ended and plans its next run.
    pub fn finish(&mut self, key: &ListKey, outcome: Outcome, now: OffsetDateTime) {
        let interval = self
            .settings
            .interval(&key.provider)
            .unwrap_or(self.settings.default_interval);
        let retry = self.settings.retry_after_failure;
        let Some(e) = self.entries.get_mut(key) else {
            return;
        };
        e.running = false;
        match outcome {
            Outcome::Done => {
                e.last_run = Some(now);
                e.failures = 0;
                e.paused_until = None;
                e.next_run = add(now, interval);
            }
            Outcome::Failed => {
                e.failures = e.failures.saturating_add(1);
                let backoff = retry
                    .checked_mul(1u32 << (e.failures - 1).min(16))
                    .unwrap_or(interval)
                    .min(interval);
                e.next_run = add(now, backoff);
            }
            Outcome::Paused { until } => {
                e.paused_until = Some(until);
                e.next_run = until.max(now);
            }
            Outcome::Skipped => e.next_run = add(now, interval),
        }
    }

    /// When the earliest idle list with background refresh on is due.
    pub fn next_wake(&self) -> Option<OffsetDateTime> {
        self.entries
            .iter()
            .filter(|(k, e)| !e.running && self.settings.interval(&k.provider).is_some())
            .map(|(_, e)| e.next_run)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-30 12:00 UTC);

    fn settings() -> PlanSettings {
        PlanSettings {
            default_interval: Duration::from_secs(900),
            intervals: HashMap::new(),
            stagger: Duration::from_secs(20),
            retry_after_failure: Duration::from_secs(60),
        }
    }

    fn secs(s: i64) -> time::Duration {
        time::Duration::seconds(s)
    }

    #[test]
    fn overdue_lists_are_staggered_and_fresh_ones_wait_for_their_interval() {
        let mut plan = Plan::new(settings());
        plan.set_lists(
            [
                (ListKey::new("a", "x", "leads"), Some(T0 - secs(7200))),
                (ListKey::new("b", "x", "contacts"), Some(T0 - secs(3600))),
                (ListKey::new("c", "x", "orders"), Some(T0 - secs(60))),
                (ListKey::new("d", "x", "webinars"), None),
            ],
            T0,
        );
        assert_eq!(plan.next_run(&ListKey::new("a", "x", "leads")), Some(T0));
        assert_eq!(
            plan.next_run(&ListKey::new("b", "x", "contacts")),
            Some(T0 + secs(20))
        );
        assert_eq!(
            plan.next_run(&ListKey::new("c", "x", "orders")),
            Some(T0 + secs(840))
        );
        assert_eq!(
            plan.next_run(&ListKey::new("d", "x", "webinars")),
            Some(T0 + secs(900)),
            "never synced: its first sync is when it is opened, or after one interval"
        );
        assert_eq!(plan.take_due(T0), vec![ListKey::new("a", "x", "leads")]);
        assert_eq!(plan.next_wake(), Some(T0 + secs(20)));
    }

    #[test]
    fn one_sync_per_connection_at_a_time() {
        let mut plan = Plan::new(settings());
        let leads = ListKey::new("wc", "acct1", "leads");
        let calls = ListKey::new("wc", "acct1", "calls");
        let other = ListKey::new("wc", "acct2", "leads");
        let mut s = settings();
        s.stagger = Duration::ZERO;
        plan.set_settings(s, T0);
        let long_ago = Some(T0 - secs(86_400));
        plan.set_lists(
            [
                (leads.clone(), long_ago),
                (calls.clone(), long_ago),
                (other.clone(), long_ago),
            ],
            T0,
        );
        let first = plan.take_due(T0);
        assert_eq!(first.len(), 2, "one per connection: {first:?}");
        assert!(first.contains(&other));
        let busy = first.iter().find(|k| k.account == "acct1").unwrap().clone();
        let waiting = if busy == leads {
            calls.clone()
        } else {
            leads.clone()
        };
        assert!(!plan.try_start(&waiting), "the connection is busy");
        assert!(plan.take_due(T0).is_empty());
        plan.finish(&busy, Outcome::Done, T0 + secs(5));
        assert_eq!(plan.take_due(T0 + secs(5)), vec![waiting]);
        assert_eq!(plan.next_run(&busy), Some(T0 + secs(905)));
    }

    #[test]
    fn failures_back_off_and_a_paused_list_waits_for_its_reset() {
        let mut plan = Plan::new(settings());
        let key = ListKey::new("wc", "a", "leads");
        plan.set_lists([(key.clone(), Some(T0 - secs(86_400)))], T0);
        assert_eq!(plan.take_due(T0), vec![key.clone()]);
        plan.finish(&key, Outcome::Failed, T0);
        assert_eq!(plan.next_run(&key), Some(T0 + secs(60)));
        assert!(plan.try_start(&key));
        plan.finish(&key, Outcome::Failed, T0 + secs(60));
        assert_eq!(plan.next_run(&key), Some(T0 + secs(180)));
        for _ in 0..10 {
            assert!(plan.try_start(&key));
            plan.finish(&key, Outcome::Failed, T0);
        }
        assert_eq!(
            plan.next_run(&key),
            Some(T0 + secs(900)),
            "never beyond the interval"
        );
        let midnight = datetime!(2026-12-01 0:00 UTC);
        assert!(plan.try_start(&key));
        plan.finish(&key, Outcome::Paused { until: midnight }, T0);
        assert_eq!(plan.next_run(&key), Some(midnight));
        assert!(plan.take_due(T0 + secs(3600)).is_empty());
        assert_eq!(plan.take_due(midnight), vec![key]);
    }

    #[test]
    fn a_provider_turned_off_never_runs_and_a_new_interval_counts_from_the_last_run() {
        let mut plan = Plan::new(settings());
        let key = ListKey::new("eo", "a", "contacts");
        plan.set_lists([(key.clone(), Some(T0 - secs(100)))], T0);
        assert_eq!(plan.next_run(&key), Some(T0 + secs(800)));
        let mut s = settings();
        s.intervals.insert("eo".into(), None);
        plan.set_settings(s.clone(), T0);
        assert_eq!(plan.next_run(&key), None);
        assert!(plan.take_due(T0 + secs(100_000)).is_empty());
        assert_eq!(plan.next_wake(), None);
        s.intervals
            .insert("eo".into(), Some(Duration::from_secs(300)));
        plan.set_settings(s, T0);
        assert_eq!(plan.next_run(&key), Some(T0 + secs(200)));
    }

    #[test]
    fn a_list_that_leaves_is_forgotten_unless_it_is_running() {
        let mut plan = Plan::new(settings());
        let a = ListKey::new("wc", "a", "leads");
        let b = ListKey::new("wc", "b", "leads");
        plan.set_lists([(a.clone(), None), (b.clone(), None)], T0);
        assert!(plan.try_start(&a));
        plan.set_lists(Vec::new(), T0);
        assert!(plan.is_running(&a));
        assert_eq!(plan.next_run(&b), None);
        plan.finish(&a, Outcome::Done, T0);
        plan.set_lists(Vec::new(), T0);
        assert_eq!(plan.next_run(&a), None);
        assert_eq!(plan.next_wake(), None);
    }
}
