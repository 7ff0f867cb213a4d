//! People: one view of each person across every connected tool. Records of resources with
//! identity fields are resolved to persons as pages are stored (`resolve.rs`), the user's
//! merges and splits ride on top (`decisions.rs`), and the People table, a person's page,
//! attribution and the funnel are indexed queries (`queries.rs`).

mod decisions;
mod normalize;
pub(crate) mod queries;
pub(crate) mod resolve;
mod spec;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use spec::{BelongsTo, IdentityFields, RecordRole};

/// A user's merge or split, to undo it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DecisionId(#[ts(type = "number")] pub i64);

/// One cached record, by where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub struct RecordRef {
    pub provider: String,
    pub account: String,
    pub resource: String,
    pub record_id: String,
}

/// An inclusive range of days or instants (`2025-03-01`, or RFC 3339); either end open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DateRange {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PeopleSortKey {
    Name,
    Email,
    FirstSeen,
    LastSeen,
    Source,
    Leads,
    Registrations,
    Orders,
    Revenue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PeopleSort {
    pub key: PeopleSortKey,
    pub descending: bool,
}

/// The People table's query: search (across everything any of a person's records says),
/// filters, sort and a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PeopleQuery {
    pub search: String,
    pub sort: Option<PeopleSort>,
    /// Only people with a record from this provider.
    pub tool: Option<String>,
    /// Only people whose first-touch source is this.
    pub source: Option<String>,
    /// Only people with a record dated in this range.
    pub range: DateRange,
    /// Only people with (or without) an order.
    pub has_order: Option<bool>,
    #[ts(type = "number")]
    pub offset: u64,
    #[ts(type = "number")]
    pub limit: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PersonRow {
    #[ts(type = "number")]
    pub id: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// RFC 3339, UTC.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// First touch: the source, medium and campaign of the person's earliest attributed lead.
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    /// Provider ids, sorted.
    pub tools: Vec<String>,
    #[ts(type = "number")]
    pub records: u64,
    #[ts(type = "number")]
    pub leads: u64,
    #[ts(type = "number")]
    pub registrations: u64,
    #[ts(type = "number")]
    pub attended: u64,
    #[ts(type = "number")]
    pub orders: u64,
    pub revenue: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PeoplePage {
    /// People in the cache.
    #[ts(type = "number")]
    pub total: u64,
    /// People matching the search and filters.
    #[ts(type = "number")]
    pub matched: u64,
    pub rows: Vec<PersonRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TimelineEntry {
    pub record: RecordRef,
    /// The row index for [`crate::Cache::detail`].
    #[ts(type = "number | null")]
    pub index: Option<i64>,
    pub role: RecordRole,
    pub at: Option<String>,
    /// One line: "Lead · google / cpc · Spring Promo", "Order · 97.00 USD", ...
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PersonDetail {
    pub person: PersonRow,
    /// Every record of the person, newest first.
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MergeSuggestion {
    pub person: PersonRow,
    /// Why they may be one person ("Same name: Maria Lopez").
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AttributionBy {
    Source,
    Medium,
    Campaign,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AttributionRow {
    /// The source, medium or campaign; "(none)" for people with no attributed lead.
    pub value: String,
    #[ts(type = "number")]
    pub people: u64,
    /// Their order revenue (all time).
    pub revenue: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FunnelStepKind {
    Leads,
    Registrations,
    Attended,
    Orders,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FunnelStep {
    pub step: FunnelStepKind,
    /// People who reached this step and every one before it, in the range.
    #[ts(type = "number")]
    pub people: u64,
    /// `people` over the previous step's (`None` for the first step, or after an empty step).
    pub rate: Option<f64>,
    /// Order revenue of the people at this step, in the range (orders step only; else 0).
    pub revenue: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Funnel {
    pub steps: Vec<FunnelStep>,
}

impl crate::Cache {
    /// Sets which fields of a provider's resource say who the person is (its definition's
    /// identity section), for every account of the provider; `None` when it holds no people.
    /// Records already cached are resolved again when the fields changed. Call it whenever
    /// definitions load: an unchanged section costs one read.
    pub fn set_identity(
        &self,
        provider: &str,
        resource: &str,
        spec: Option<&IdentityFields>,
    ) -> Result<(), crate::CacheError> {
        crate::ids::validate(provider)?;
        crate::ids::validate(resource)?;
        let text = spec
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| crate::CacheError::InvalidColumns(e.to_string()))?;
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let stored: Option<String> = rusqlite::OptionalExtension::optional(tx.query_row(
            "SELECT spec FROM identity_spec WHERE provider = ?1 AND resource = ?2",
            [provider, resource],
            |r| r.get(0),
        ))?;
        if stored == text {
            return Ok(());
        }
        match &text {
            Some(t) => tx.execute(
                "INSERT INTO identity_spec (provider, resource, spec) VALUES (?1, ?2, ?3)
                 ON CONFLICT (provider, resource) DO UPDATE SET spec = ?3",
                [provider, resource, t],
            )?,
            None => tx.execute(
                "DELETE FROM identity_spec WHERE provider = ?1 AND resource = ?2",
                [provider, resource],
            )?,
        };
        let cached: Vec<(i64, String)> = tx
            .prepare("SELECT id, account FROM resources WHERE provider = ?1 AND resource = ?2")?
            .query_map([provider, resource], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, account) in cached {
            match resolve::Resolver::load(&tx, id, provider, &account, resource)? {
                Some(resolver) => resolve::reindex(&tx, &resolver)?,
                None => resolve::forget_resource(&tx, id)?,
            }
        }
        tx.commit()?;
        Ok(())
    }
}
