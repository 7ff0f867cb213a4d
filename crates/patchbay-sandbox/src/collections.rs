//! The collections that change over time, and the store of their overlays: what pages and
//! filters see, what `Sandbox::apply_changes` and churn change, what `Sandbox::records` shows.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;

use serde_json::Value;

use crate::changes::{AppliedChanges, ChangeSet, Churn, Overlay, RecordState};
use crate::clock::SimClock;
use crate::data::Gen;
use crate::errors::SandboxError;
use crate::filters::Attrs;
use crate::providers::{boomtown, clickfunnels, emailoctopus, webinargeek, whatconverts, Provider};

/// A top-level collection that changes. EmailOctopus contacts live under lists: changes and
/// churn apply to the contacts of the FIRST list only (the other lists keep their generated
/// contacts), so ids in `AppliedChanges` name one contact each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    WhatConvertsLeads,
    ClickFunnelsFunnels,
    ClickFunnelsContacts,
    ClickFunnelsOrders,
    WebinarGeekWebinars,
    BoomTownLeads,
    EmailOctopusContacts,
}

impl Collection {
    pub const ALL: [Collection; 7] = [
        Collection::WhatConvertsLeads,
        Collection::ClickFunnelsFunnels,
        Collection::ClickFunnelsContacts,
        Collection::ClickFunnelsOrders,
        Collection::WebinarGeekWebinars,
        Collection::BoomTownLeads,
        Collection::EmailOctopusContacts,
    ];

    pub fn provider(self) -> Provider {
        match self {
            Collection::WhatConvertsLeads => Provider::WhatConverts,
            Collection::ClickFunnelsFunnels
            | Collection::ClickFunnelsContacts
            | Collection::ClickFunnelsOrders => Provider::ClickFunnels,
            Collection::WebinarGeekWebinars => Provider::WebinarGeek,
            Collection::BoomTownLeads => Provider::BoomTown,
            Collection::EmailOctopusContacts => Provider::EmailOctopus,
        }
    }

    pub fn resource(self) -> &'static str {
        match self {
            Collection::WhatConvertsLeads | Collection::BoomTownLeads => "leads",
            Collection::ClickFunnelsFunnels => "funnels",
            Collection::ClickFunnelsContacts | Collection::EmailOctopusContacts => "contacts",
            Collection::ClickFunnelsOrders => "orders",
            Collection::WebinarGeekWebinars => "webinars",
        }
    }

    /// `("whatconverts", "leads")` and so on; an unknown pair is a clear error.
    pub fn parse(provider: &str, resource: &str) -> Result<Collection, SandboxError> {
        Collection::ALL
            .into_iter()
            .find(|c| c.provider().slug() == provider && c.resource() == resource)
            .ok_or_else(|| SandboxError::UnknownCollection {
                provider: provider.to_string(),
                resource: resource.to_string(),
                known: Collection::ALL
                    .iter()
                    .map(|c| format!("{}/{}", c.provider().slug(), c.resource()))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The record as the API serialises it (for `Sandbox::records`), and its id as text.
    fn json(self, seed: u64, records: u64, parent: u64, index: u64, st: RecordState) -> Value {
        let v = match self {
            Collection::WhatConvertsLeads => {
                serde_json::to_value(whatconverts::lead_at(seed, index, st))
            }
            Collection::ClickFunnelsFunnels => Ok(clickfunnels::funnel_at(seed, index, st)),
            Collection::ClickFunnelsContacts => {
                serde_json::to_value(clickfunnels::contact_at(seed, index, st))
            }
            Collection::ClickFunnelsOrders => Ok(clickfunnels::order_at(seed, index, records, st)),
            Collection::WebinarGeekWebinars => Ok(webinargeek::webinar_at(seed, index, st)),
            Collection::BoomTownLeads => serde_json::to_value(boomtown::lead_at(seed, index, st)),
            Collection::EmailOctopusContacts => {
                serde_json::to_value(emailoctopus::contact_at(seed, parent, index, st))
            }
        };
        v.expect("records serialise to JSON")
    }

    fn id(self, seed: u64, records: u64, index: u64, st: RecordState) -> String {
        if self == Collection::WhatConvertsLeads {
            return whatconverts::lead_id(index).to_string();
        }
        match self.json(seed, records, 0, index, st).get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => unreachable!("every other collection's records have an id"),
        }
    }

    fn attrs(self, seed: u64, parent: u64, index: u64, st: RecordState) -> Attrs {
        match self {
            Collection::WhatConvertsLeads => whatconverts::lead_attrs(seed, index, st),
            Collection::EmailOctopusContacts => {
                emailoctopus::contact_attrs(seed, parent, index, st)
            }
            // No filter reads these; dates are not needed.
            _ => Attrs {
                created: 0,
                updated: 0,
                status: crate::filters::Status::None,
            },
        }
    }
}

/// The order of a page: ascending id (every API's default here), or by creation date
/// (WhatConverts' `order=asc|desc`; ties by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Id,
    CreatedAsc,
    CreatedDesc,
}

/// Which part of a collection a request reads.
#[derive(Debug, Clone, Copy)]
pub enum Span {
    /// Skip `skip` records, take `take` (page numbers, offsets).
    Offset { skip: u64, take: u64 },
    /// The first `take` records whose index is `index` or more (cursors).
    From { index: u64, take: u64 },
}

pub fn page_range_of(page: u64, per_page: u64) -> Span {
    Span::Offset {
        skip: page.saturating_sub(1).saturating_mul(per_page),
        take: per_page,
    }
}

/// One page: the matching total, the page's indices with their states (read under one
/// lock, so churn cannot slip between them), and whether more follow it.
#[derive(Debug)]
pub struct Page {
    pub total: u64,
    pub indices: Vec<u64>,
    states: Vec<RecordState>,
    pub more: bool,
}

impl Page {
    /// The page's records, built from each index and state.
    pub fn records<T>(&self, f: impl Fn(u64, RecordState) -> T) -> Vec<T> {
        self.indices
            .iter()
            .zip(&self.states)
            .map(|(i, st)| f(*i, *st))
            .collect()
    }
}

#[derive(Debug)]
struct Slot {
    overlay: Overlay,
    /// Generated records' filter attributes, computed once on the first filtered read.
    base_attrs: Option<Arc<Vec<Attrs>>>,
}

/// Every collection's overlay, created on first use.
#[derive(Debug)]
pub struct Store {
    seed: u64,
    records: u64,
    churn: Option<Churn>,
    slots: Mutex<HashMap<SlotKey, Arc<Mutex<Slot>>>>,
}

/// A page of the visible records in index order, in O(page + log deletions).
fn unfiltered(o: &mut Overlay, span: Span) -> Page {
    let total = o.len();
    let (first, take) = match span {
        Span::Offset { skip, take } => (o.nth(skip), take),
        Span::From { index, take } => (Some(index), take),
    };
    let mut indices = Vec::new();
    let mut more = false;
    if let Some(first) = first {
        let mut it = o.visible_from(first);
        indices.extend(it.by_ref().take(take as usize));
        more = it.next().is_some();
    }
    let states = indices.iter().map(|i| o.state(*i)).collect();
    Page {
        total,
        indices,
        states,
        more,
    }
}

/// A collection under one parent (EmailOctopus: the list's index; otherwise 0).
type SlotKey = (Collection, u64);

type Filter<'a> = Option<(&'a str, &'a dyn Fn(Attrs) -> bool)>;

impl Store {
    pub fn new(seed: u64, records: u64, churn: Option<Churn>) -> Store {
        Store {
            seed,
            records,
            churn,
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, c: Collection, parent: u64) -> Arc<Mutex<Slot>> {
        self.slots
            .lock()
            .entry((c, parent))
            .or_insert_with(|| {
                Arc::new(Mutex::new(Slot {
                    overlay: Overlay::new(self.records),
                    base_attrs: None,
                }))
            })
            .clone()
    }

    /// Runs `f` on the overlay after catching up on churn (only the first parent churns).
    fn with<R>(
        &self,
        c: Collection,
        parent: u64,
        clock: &SimClock,
        f: impl FnOnce(&mut Slot) -> R,
    ) -> R {
        let slot = self.slot(c, parent);
        let mut slot = slot.lock();
        if parent == 0 {
            if let Some(churn) = self.churn {
                self.catch_up(c, &mut slot.overlay, churn, clock);
            }
        }
        f(&mut slot)
    }

    /// Applies one change set per whole minute of the clock not applied yet, each dated at
    /// its minute and drawn from (seed, collection, minute): the same elapsed time gives
    /// the same data whenever it is looked at.
    fn catch_up(&self, c: Collection, o: &mut Overlay, churn: Churn, clock: &SimClock) {
        let due = clock.elapsed().as_secs() / 60;
        let name = format!("churn/{}", c.resource());
        while o.churn_ticks < due {
            let tick = o.churn_ticks;
            let mut set = churn.as_change_set();
            // A collection that shrinks to nothing stops losing records instead of failing.
            let visible = o.len() as usize;
            set.update = set.update.min(visible);
            set.delete = set.delete.min(visible - set.update);
            let g = Gen::record(self.seed, c.provider(), &name, 0, tick);
            let at = clock.start_unix() + (tick as i64 + 1) * 60;
            o.apply(g, set, at).expect("a clamped change set fits");
            o.churn_ticks += 1;
        }
    }

    /// The page `span` of collection `c` (under `parent`), filtered when `filter` is given
    /// (its key names the filter for the cache), in `order`.
    #[allow(clippy::too_many_arguments)]
    pub fn page(
        &self,
        c: Collection,
        parent: u64,
        clock: &SimClock,
        filter: Filter<'_>,
        order: Order,
        span: Span,
    ) -> Page {
        let seed = self.seed;
        let records = self.records;
        self.with(c, parent, clock, |slot| {
            if filter.is_none() && order == Order::Id {
                return unfiltered(&mut slot.overlay, span);
            }
            let keep_all = |_: Attrs| true;
            let (key, keep): (&str, &dyn Fn(Attrs) -> bool) = filter.unwrap_or(("", &keep_all));
            let base = slot
                .base_attrs
                .get_or_insert_with(|| {
                    Arc::new(
                        (0..records)
                            .map(|i| c.attrs(seed, parent, i, RecordState::default()))
                            .collect(),
                    )
                })
                .clone();
            let view = slot.overlay.filtered(&format!("{key}|{order:?}"), |o| {
                let attrs = |i: u64| {
                    if o.is_changed(i) {
                        c.attrs(seed, parent, i, o.state(i))
                    } else {
                        base[i as usize]
                    }
                };
                if order == Order::Id {
                    return o.visible_from(0).filter(|i| keep(attrs(*i))).collect();
                }
                let mut dated: Vec<(i64, u64)> = o
                    .visible_from(0)
                    .filter_map(|i| {
                        let a = attrs(i);
                        keep(a).then_some((a.created, i))
                    })
                    .collect();
                dated.sort_unstable();
                if order == Order::CreatedDesc {
                    dated.reverse();
                }
                dated.into_iter().map(|(_, i)| i).collect()
            });
            let total = view.len() as u64;
            let (start, take) = match span {
                Span::Offset { skip, take } => (skip.min(total) as usize, take),
                // Cursors name an index; they are only used with views in index order.
                Span::From { index, take } => (view.partition_point(|i| *i < index), take),
            };
            let end = start.saturating_add(take as usize).min(view.len());
            let indices = view[start..end].to_vec();
            let states = indices.iter().map(|i| slot.overlay.state(*i)).collect();
            Page {
                total,
                indices,
                states,
                more: end < view.len(),
            }
        })
    }

    /// Applies `set` now, drawn from the seed and the number of sets applied so far.
    pub fn apply(
        &self,
        c: Collection,
        set: ChangeSet,
        clock: &SimClock,
    ) -> Result<AppliedChanges, SandboxError> {
        let (seed, records) = (self.seed, self.records);
        let name = format!("changes/{}", c.resource());
        let (applied, states) = self.with(c, 0, clock, |slot| {
            let o = &mut slot.overlay;
            let g = Gen::record(seed, c.provider(), &name, 0, o.sets_applied);
            let applied = o
                .apply(g, set, clock.now_unix())
                .map_err(|e| SandboxError::ChangeSet(e.to_string()))?;
            let states: Vec<RecordState> = applied
                .updated
                .iter()
                .chain(&applied.added)
                .map(|i| o.state(*i))
                .collect();
            Ok::<_, SandboxError>((applied, states))
        })?;
        let id = |i: u64, st: RecordState| c.id(seed, records, i, st);
        let mut states = states.into_iter();
        Ok(AppliedChanges {
            updated: applied
                .updated
                .iter()
                .map(|i| id(*i, states.next().unwrap_or_default()))
                .collect(),
            added: applied
                .added
                .iter()
                .map(|i| id(*i, states.next().unwrap_or_default()))
                .collect(),
            // A deleted record's id does not depend on its state.
            deleted: applied
                .deleted
                .iter()
                .map(|i| id(*i, RecordState::default()))
                .collect(),
        })
    }

    /// Every visible record of `c` (its first parent), in the API's order.
    pub fn records(&self, c: Collection, clock: &SimClock) -> Vec<Value> {
        let (seed, records) = (self.seed, self.records);
        let states: Vec<(u64, RecordState)> = self.with(c, 0, clock, |slot| {
            let o = &slot.overlay;
            o.visible_from(0).map(|i| (i, o.state(i))).collect()
        });
        states
            .into_iter()
            .map(|(i, st)| c.json(seed, records, 0, i, st))
            .collect()
    }
}
