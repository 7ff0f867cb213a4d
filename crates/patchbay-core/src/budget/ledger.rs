//! How many requests each account used in the current quota day, kept across restarts so a
//! restarted app does not believe it has a fresh 1,000 requests. One small JSON file, replaced
//! atomically (written beside it, then renamed) and readable by the user only (0600 on Unix).
//! It holds counts and names, never a credential. `None` as the path keeps it in memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::budget::clock::Clock;
use crate::budget::limits::DailyQuota;

/// Whose requests a count is: the world's keychain namespace, the provider and the account
/// (one account is one credential: its quota is the credential's).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UsageKey {
    pub namespace: String,
    pub provider: String,
    pub account: String,
}

/// One account's count in one quota day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct DayCount {
    #[serde(with = "time::serde::rfc3339")]
    day_start: OffsetDateTime,
    used: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct LedgerFile {
    v: u32,
    entries: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    key: UsageKey,
    #[serde(flatten)]
    count: DayCount,
}

/// What today's quota stands at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub used: u32,
    pub limit: u32,
    pub resets_at: OffsetDateTime,
}

impl Usage {
    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.used)
    }
}

/// The quota is used up: nothing may be sent before `resets_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaRefusal {
    pub limit: u32,
    pub resets_at: OffsetDateTime,
    pub refused_at: OffsetDateTime,
}

#[derive(Debug)]
pub struct UsageLedger {
    path: Option<PathBuf>,
    clock: Clock,
    counts: Mutex<HashMap<UsageKey, DayCount>>,
}

impl UsageLedger {
    /// Kept in memory only.
    pub fn memory(clock: Clock) -> Self {
        Self {
            path: None,
            clock,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Reads the ledger at `path` (none yet: empty). An unreadable ledger is logged and
    /// replaced: the provider's own limit headers and refusals still hold the line.
    pub fn open(path: Option<PathBuf>, clock: Clock) -> Self {
        let counts = path.as_deref().map(read).unwrap_or_default();
        Self {
            path,
            clock,
            counts: Mutex::new(counts),
        }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    fn counts(&self) -> parking_lot::MutexGuard<'_, HashMap<UsageKey, DayCount>> {
        self.counts.lock()
    }

    /// Today's count of `key`, started afresh when its day is over.
    fn today<'a>(
        counts: &'a mut HashMap<UsageKey, DayCount>,
        key: &UsageKey,
        quota: &DailyQuota,
        now: OffsetDateTime,
    ) -> &'a mut DayCount {
        let day_start = quota.day_start(now);
        let count = counts
            .entry(key.clone())
            .or_insert(DayCount { day_start, used: 0 });
        if count.day_start != day_start {
            *count = DayCount { day_start, used: 0 };
        }
        count
    }

    /// Counts one request before it is sent, or refuses it when today's quota is used. The
    /// count is written before the request goes, so a crash right after sending cannot forget it.
    pub fn take(&self, key: &UsageKey, quota: &DailyQuota) -> Result<Usage, QuotaRefusal> {
        let now = self.clock.now();
        let mut counts = self.counts();
        let count = Self::today(&mut counts, key, quota, now);
        if count.used >= quota.requests {
            return Err(QuotaRefusal {
                limit: quota.requests,
                resets_at: quota.next_reset(now),
                refused_at: now,
            });
        }
        count.used += 1;
        let usage = usage_of(count, quota);
        self.persist(&counts);
        Ok(usage)
    }

    /// The provider reports `remaining` requests left today: when that is fewer than the
    /// ledger believes (another app uses the same key), the provider is right.
    pub fn lower_remaining(&self, key: &UsageKey, quota: &DailyQuota, remaining: u32) {
        let now = self.clock.now();
        let mut counts = self.counts();
        let count = Self::today(&mut counts, key, quota, now);
        let used = quota.requests.saturating_sub(remaining);
        if used > count.used {
            count.used = used;
            self.persist(&counts);
        }
    }

    /// Adds `from`'s requests of today to `into` and forgets `from`: a connect looks the account
    /// up under a fresh key before it knows the account is one already listed, and that
    /// request was sent with the account's credentials.
    pub fn absorb(&self, from: &UsageKey, into: &UsageKey) {
        let mut counts = self.counts();
        let Some(moved) = counts.remove(from) else {
            return;
        };
        let target = counts.entry(into.clone()).or_insert(DayCount {
            day_start: moved.day_start,
            used: 0,
        });
        if target.day_start == moved.day_start {
            target.used = target.used.saturating_add(moved.used);
        } else if moved.day_start > target.day_start {
            // `into` was last used on an earlier day: today's count is the moved one.
            *target = moved;
        }
        self.persist(&counts);
    }

    pub fn usage(&self, key: &UsageKey, quota: &DailyQuota) -> Usage {
        let now = self.clock.now();
        let mut counts = self.counts();
        usage_of(Self::today(&mut counts, key, quota, now), quota)
    }

    fn persist(&self, counts: &HashMap<UsageKey, DayCount>) {
        let Some(path) = &self.path else { return };
        let file = LedgerFile {
            v: 1,
            entries: counts
                .iter()
                .map(|(key, count)| Entry {
                    key: key.clone(),
                    count: *count,
                })
                .collect(),
        };
        if let Err(e) = write_atomically(path, &file) {
            // Counting goes on in memory; the next write tries again.
            tracing::warn!(path = %path.display(), error = %e, "could not write the request ledger");
        }
    }
}

fn usage_of(count: &DayCount, quota: &DailyQuota) -> Usage {
    Usage {
        used: count.used,
        limit: quota.requests,
        resets_at: count.day_start + time::Duration::DAY,
    }
}

fn read(path: &Path) -> HashMap<UsageKey, DayCount> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return HashMap::new(),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "could not read the request ledger; starting a new one");
            return HashMap::new();
        }
    };
    match serde_json::from_slice::<LedgerFile>(&text) {
        Ok(f) if f.v == 1 => f.entries.into_iter().map(|e| (e.key, e.count)).collect(),
        _ => {
            tracing::warn!(path = %path.display(), "the request ledger is unreadable; starting a new one");
            HashMap::new()
        }
    }
}

/// Writes a temporary file beside `path` (0600) and renames it over `path`, so a reader (or a
/// crashed app) sees the old ledger or the new one, never half of one. No fsync: it runs once
/// per request, and a count lost to a power cut only means the provider's own refusal (which
/// the budget reads as the day's end) stops the sync instead of the ledger.
fn write_atomically(path: &Path, file: &LedgerFile) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(file).map_err(std::io::Error::other)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::private_fs::create_private_dir_all(dir)?;
    }
    crate::private_fs::write_private_atomically(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use time::macros::datetime;

    fn quota(requests: u32) -> DailyQuota {
        DailyQuota {
            requests,
            resets_at: crate::budget::limits::ResetTime::try_from("00:00 UTC".to_string()).unwrap(),
        }
    }

    fn key(account: &str) -> UsageKey {
        UsageKey {
            namespace: "dev.patchbay.test".into(),
            provider: "whatconverts".into(),
            account: account.into(),
        }
    }

    /// A clock the test moves.
    fn manual(start: OffsetDateTime) -> (Clock, Arc<Mutex<OffsetDateTime>>) {
        let now = Arc::new(Mutex::new(start));
        let read = now.clone();
        (Clock::from_fn(move || *read.lock()), now)
    }

    #[test]
    fn refuses_past_the_quota_until_the_reset() {
        let (clock, now) = manual(datetime!(2026-11-30 20:48 UTC));
        let ledger = UsageLedger::memory(clock);
        let q = quota(3);
        for used in 1..=3 {
            assert_eq!(ledger.take(&key("a"), &q).unwrap().used, used);
        }
        let refusal = ledger.take(&key("a"), &q).unwrap_err();
        assert_eq!(refusal.resets_at, datetime!(2026-12-01 00:00 UTC));
        assert_eq!(refusal.limit, 3);
        // Another account has its own quota.
        assert!(ledger.take(&key("b"), &q).is_ok());
        *now.lock() = datetime!(2026-11-30 23:59:59 UTC);
        assert!(ledger.take(&key("a"), &q).is_err(), "still the same day");
        *now.lock() = datetime!(2026-12-01 00:00 UTC);
        let usage = ledger.take(&key("a"), &q).unwrap();
        assert_eq!((usage.used, usage.remaining()), (1, 2));
        assert_eq!(usage.resets_at, datetime!(2026-12-02 00:00 UTC));
    }

    #[test]
    fn the_providers_lower_count_wins_a_higher_one_does_not() {
        let (clock, _) = manual(datetime!(2026-11-30 12:00 UTC));
        let ledger = UsageLedger::memory(clock);
        let q = quota(1000);
        ledger.take(&key("a"), &q).unwrap();
        ledger.lower_remaining(&key("a"), &q, 400);
        assert_eq!(ledger.usage(&key("a"), &q).remaining(), 400);
        ledger.lower_remaining(&key("a"), &q, 900);
        assert_eq!(ledger.usage(&key("a"), &q).remaining(), 400);
        ledger.lower_remaining(&key("a"), &q, 0);
        assert!(ledger.take(&key("a"), &q).is_err());
    }

    #[test]
    fn a_reconnects_look_up_counts_for_the_account() {
        let (clock, _) = manual(datetime!(2026-11-30 12:00 UTC));
        let ledger = UsageLedger::memory(clock);
        let q = quota(10);
        for _ in 0..3 {
            ledger.take(&key("known"), &q).unwrap();
        }
        ledger.take(&key("fresh"), &q).unwrap();
        ledger.absorb(&key("fresh"), &key("known"));
        assert_eq!(ledger.usage(&key("known"), &q).used, 4);
        assert_eq!(ledger.usage(&key("fresh"), &q).used, 0);
        // Nothing counted under `from`: nothing changes.
        ledger.absorb(&key("nobody"), &key("known"));
        assert_eq!(ledger.usage(&key("known"), &q).used, 4);
    }

    #[test]
    fn survives_a_restart_in_a_private_file() {
        let dir = std::env::temp_dir().join(format!("patchbay-ledger-{}", std::process::id()));
        let path = dir.join("usage.json");
        let _ = std::fs::remove_file(&path);
        let (clock, now) = manual(datetime!(2026-11-30 12:00 UTC));
        let q = quota(10);
        {
            let ledger = UsageLedger::open(Some(path.clone()), clock.clone());
            for _ in 0..7 {
                ledger.take(&key("a"), &q).unwrap();
            }
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("secret"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = UsageLedger::open(Some(path.clone()), clock.clone());
        assert_eq!(again.usage(&key("a"), &q).used, 7);
        // The next day starts at zero, also after a restart.
        *now.lock() = datetime!(2026-12-01 00:00:01 UTC);
        let next_day = UsageLedger::open(Some(path.clone()), clock);
        assert_eq!(next_day.usage(&key("a"), &q).used, 0);
        // A damaged file starts a new ledger instead of failing every request.
        std::fs::write(&path, b"{not json").unwrap();
        let (clock, _) = manual(datetime!(2026-11-30 12:00 UTC));
        assert_eq!(
            UsageLedger::open(Some(path.clone()), clock)
                .usage(&key("a"), &q)
                .used,
            0
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
