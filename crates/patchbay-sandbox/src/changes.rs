//! Data that changes: an overlay of adds, updates and deletes over a generated collection.
//!
//! A collection's records are indices `0..base` (generated on demand, see `data.rs`) plus the
//! added ones `base..base + added.len()`; an index never changes meaning, so ids stay stable
//! and new ids are larger than every earlier one. Updates are kept as (time, version) per
//! index and deletions as a set, so 100000 records cost memory only for what changed.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::data::Gen;

/// How many records a change set adds, updates and deletes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct ChangeSet {
    #[serde(default)]
    pub add: usize,
    #[serde(default)]
    pub update: usize,
    #[serde(default)]
    pub delete: usize,
}

/// The records a change set touched, by id as the API shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AppliedChanges {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub deleted: Vec<String>,
}

/// Changes per minute of the sandbox clock on every changing collection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Churn {
    pub add_per_min: u32,
    pub update_per_min: u32,
    pub delete_per_min: u32,
}

impl Churn {
    pub fn as_change_set(self) -> ChangeSet {
        ChangeSet {
            add: self.add_per_min as usize,
            update: self.update_per_min as usize,
            delete: self.delete_per_min as usize,
        }
    }
}

/// An update of one record: when, and the how-manieth update of the collection it was (which
/// picks the new field values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    pub at: i64,
    pub version: u64,
}

/// What the overlay says about one index; the provider module turns it into a record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordState {
    /// Set for added records: their creation time (unix seconds).
    pub created: Option<i64>,
    pub edit: Option<Edit>,
}

/// Indices touched by one change set.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AppliedIndices {
    pub added: Vec<u64>,
    pub updated: Vec<u64>,
    pub deleted: Vec<u64>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the change set updates {update} and deletes {delete} of {visible} records; it can touch each existing record at most once")]
pub struct TooManyChanges {
    pub update: usize,
    pub delete: usize,
    pub visible: u64,
}

/// Filtered views kept per collection (each up to one index per record).
const MAX_CACHED_VIEWS: usize = 8;

#[derive(Debug)]
pub struct Overlay {
    base: u64,
    added: Vec<i64>,
    edits: HashMap<u64, Edit>,
    deleted: BTreeSet<u64>,
    /// `deleted` as a sorted vector for rank queries; rebuilt when stale.
    deleted_sorted: Vec<u64>,
    sorted_stale: bool,
    /// Change sets applied so far (explicit ones and churn ticks): seeds the next one.
    pub sets_applied: u64,
    edits_made: u64,
    /// Churn minutes already applied.
    pub churn_ticks: u64,
    /// Bumped on every change, so cached views know they are stale.
    pub generation: u64,
    /// Filtered views of this generation keyed by the filter's text: a client reading each
    /// EmailOctopus status in turn (or at once) pages each from its own view.
    cache: Vec<(String, std::sync::Arc<Vec<u64>>)>,
    cache_generation: u64,
}

impl Overlay {
    pub fn new(base: u64) -> Overlay {
        Overlay {
            base,
            added: Vec::new(),
            edits: HashMap::new(),
            deleted: BTreeSet::new(),
            deleted_sorted: Vec::new(),
            sorted_stale: false,
            sets_applied: 0,
            edits_made: 0,
            churn_ticks: 0,
            generation: 0,
            cache: Vec::new(),
            cache_generation: 0,
        }
    }

    /// Indices ever used (deleted ones included): the next added record gets this one.
    pub fn end(&self) -> u64 {
        self.base + self.added.len() as u64
    }

    /// Records visible now.
    pub fn len(&self) -> u64 {
        self.end() - self.deleted.len() as u64
    }

    pub fn is_visible(&self, index: u64) -> bool {
        index < self.end() && !self.deleted.contains(&index)
    }

    pub fn state(&self, index: u64) -> RecordState {
        let created = index
            .checked_sub(self.base)
            .and_then(|k| self.added.get(k as usize).copied());
        RecordState {
            created,
            edit: self.edits.get(&index).copied(),
        }
    }

    /// Whether the overlay changed this index (added or updated): its record must be built
    /// to know its dates; any other index has its generated dates.
    pub fn is_changed(&self, index: u64) -> bool {
        index >= self.base || self.edits.contains_key(&index)
    }

    fn sorted(&mut self) -> &[u64] {
        if self.sorted_stale {
            self.deleted_sorted = self.deleted.iter().copied().collect();
            self.sorted_stale = false;
        }
        &self.deleted_sorted
    }

    /// The index of the `k`-th visible record (0-based), in O(log deletions).
    pub fn nth(&mut self, k: u64) -> Option<u64> {
        let d = self.sorted();
        // Before deleted[j] there are deleted[j] - j visible records; skip every deletion
        // that sits at or before the k-th visible record.
        // `deleted[j] - j` never decreases, so a binary search finds how many to skip.
        let (mut lo, mut hi) = (0, d.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if d[mid] - mid as u64 <= k {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let index = k + lo as u64;
        (index < self.end()).then_some(index)
    }

    /// Visible indices from `start` up, ascending.
    pub fn visible_from(&self, start: u64) -> impl Iterator<Item = u64> + '_ {
        let mut deleted = self.deleted.range(start..).peekable();
        (start..self.end()).filter(move |i| {
            while deleted.next_if(|d| **d < *i).is_some() {}
            deleted.next_if_eq(&i).is_none()
        })
    }

    /// A view of the visible records (some of them, in some order) built by `build` and
    /// cached under `key` for this generation.
    pub fn filtered(
        &mut self,
        key: &str,
        build: impl FnOnce(&Overlay) -> Vec<u64>,
    ) -> std::sync::Arc<Vec<u64>> {
        if self.cache_generation != self.generation {
            self.cache.clear();
            self.cache_generation = self.generation;
        }
        if let Some((_, view)) = self.cache.iter().find(|(k, _)| k == key) {
            return view.clone();
        }
        let view = build(self);
        let view = std::sync::Arc::new(view);
        if self.cache.len() >= MAX_CACHED_VIEWS {
            self.cache.remove(0);
        }
        self.cache.push((key.to_string(), view.clone()));
        view
    }

    /// Applies `set` at time `now`, drawing which records to touch from `g`: updates and
    /// deletions pick uniformly among the records visible before the set (never the same
    /// record twice), adds get the next indices.
    pub fn apply(
        &mut self,
        mut g: Gen,
        set: ChangeSet,
        now: i64,
    ) -> Result<AppliedIndices, TooManyChanges> {
        let visible = self.len();
        if (set.update + set.delete) as u64 > visible {
            return Err(TooManyChanges {
                update: set.update,
                delete: set.delete,
                visible,
            });
        }
        let mut out = AppliedIndices::default();
        let mut touched = HashSet::new();
        let end = self.end();
        // Rejection sampling over all indices: uniform over the visible ones, and cheap as
        // long as most records are visible. When few are, walk the visible ones instead.
        let pick = |this: &Overlay, g: &mut Gen, touched: &mut HashSet<u64>| -> u64 {
            for _ in 0..64 {
                let i = g.below(end);
                if this.is_visible(i) && !touched.contains(&i) {
                    touched.insert(i);
                    return i;
                }
            }
            let free: Vec<u64> = this
                .visible_from(0)
                .filter(|i| *i < end && !touched.contains(i))
                .collect();
            let i = free[g.below(free.len() as u64) as usize];
            touched.insert(i);
            i
        };
        for _ in 0..set.update {
            let i = pick(self, &mut g, &mut touched);
            self.edits_made += 1;
            self.edits.insert(
                i,
                Edit {
                    at: now,
                    version: self.edits_made,
                },
            );
            out.updated.push(i);
        }
        for _ in 0..set.delete {
            let i = pick(self, &mut g, &mut touched);
            out.deleted.push(i);
        }
        for i in &out.deleted {
            self.deleted.insert(*i);
            self.edits.remove(i);
        }
        if !out.deleted.is_empty() {
            self.sorted_stale = true;
        }
        for _ in 0..set.add {
            out.added.push(self.end());
            self.added.push(now);
        }
        self.sets_applied += 1;
        self.generation += 1;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Provider;

    fn g(n: u64) -> Gen {
        Gen::record(1, Provider::WhatConverts, "changes", 0, n)
    }

    #[test]
    fn nth_skips_deleted_records() {
        let mut o = Overlay::new(10);
        let set = ChangeSet {
            add: 2,
            update: 0,
            delete: 4,
        };
        let applied = o.apply(g(0), set, 5).unwrap();
        assert_eq!(applied.added, vec![10, 11]);
        assert_eq!(o.len(), 8);
        let visible: Vec<u64> = o.visible_from(0).collect();
        assert_eq!(visible.len(), 8);
        for (k, i) in visible.iter().enumerate() {
            assert_eq!(o.nth(k as u64), Some(*i), "k={k}");
        }
        assert_eq!(o.nth(8), None);
        for d in &applied.deleted {
            assert!(!visible.contains(d));
        }
        let from3: Vec<u64> = o.visible_from(3).collect();
        assert_eq!(
            from3,
            visible
                .iter()
                .copied()
                .filter(|i| *i >= 3)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn updates_and_deletes_touch_distinct_records_and_can_empty_a_collection() {
        let mut o = Overlay::new(6);
        let applied = o
            .apply(
                g(1),
                ChangeSet {
                    add: 0,
                    update: 3,
                    delete: 3,
                },
                7,
            )
            .unwrap();
        let mut all: Vec<u64> = applied
            .updated
            .iter()
            .chain(&applied.deleted)
            .copied()
            .collect();
        all.sort_unstable();
        assert_eq!(all, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(o.len(), 3);
        assert_eq!(o.state(applied.updated[0]).edit.unwrap().at, 7);
        assert!(o
            .apply(
                g(2),
                ChangeSet {
                    add: 0,
                    update: 0,
                    delete: 4
                },
                8
            )
            .is_err());
    }
}
