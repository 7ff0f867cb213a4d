//! What the window sees: every type a command returns or an event carries, exported to
//! TypeScript (`ui/src/bindings/`) by the shell. Built from the core's and the cache's types;
//! none of them can hold a token, a code or a verifier.

use patchbay_core::providers::ResourceDef;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One provider's tile, as the core builds it (the app adds the cache's last sync date).
pub use patchbay_core::views::ProviderTile;
/// The one column type, shared with the definitions and the cache.
pub use patchbay_model::ColumnKind;

#[derive(Debug, Clone, Serialize, TS)]
pub struct ColumnView {
    pub key: String,
    pub label: String,
    pub kind: ColumnKind,
    /// Money columns: the ISO 4217 code of every value, from the definition.
    pub currency: Option<String>,
    /// Money columns: the key of the column that holds each record's currency code.
    pub currency_column: Option<String>,
    /// Shown as a small badge (statuses, yes/no).
    pub badge: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ResourceView {
    pub id: String,
    pub label: String,
    pub columns: Vec<ColumnView>,
    /// Whether the tab shows "records per week" (leads and contacts).
    pub chart_by_week: bool,
    /// Whether a record of this list has its own page at the provider ("Open in …").
    pub opens_in_provider: bool,
}

/// The date column a weekly chart counts by: the first date column of a leads or contacts
/// list (their creation date in every provider we know).
pub fn chart_column(r: &ResourceDef) -> Option<&str> {
    let charted = r.id.contains("lead") || r.id.contains("contact");
    if !charted {
        return None;
    }
    r.columns
        .iter()
        .find(|c| matches!(c.kind, ColumnKind::Date | ColumnKind::DateTime))
        .map(|c| c.key.as_str())
}

impl From<&ResourceDef> for ResourceView {
    fn from(r: &ResourceDef) -> Self {
        Self {
            id: r.id.to_string(),
            label: r.label.clone(),
            columns: r
                .columns
                .iter()
                .map(|c| ColumnView {
                    key: c.key.clone(),
                    label: c.label.clone(),
                    kind: c.kind,
                    currency: c.currency.clone(),
                    currency_column: c.currency_column.clone(),
                    badge: c.badge,
                })
                .collect(),
            chart_by_week: chart_column(r).is_some(),
            opens_in_provider: r.record_page.is_some(),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct SyncSummary {
    /// Records cached for the list afterwards.
    pub total: u32,
    pub synced_at: String,
    /// Whether every record was read (and removals found) or only what changed.
    pub pass: patchbay_sync::PassKind,
    /// Records new to the cache.
    pub added: u32,
    /// Records whose content changed.
    pub updated: u32,
    /// Records the provider no longer has (found by full passes only).
    pub removed: u32,
    /// Requests sent to the provider.
    pub requests: u32,
}

impl From<patchbay_sync::SyncReport> for SyncSummary {
    fn from(report: patchbay_sync::SyncReport) -> Self {
        Self {
            total: saturate(report.total),
            synced_at: report.finished_at,
            pass: report.pass,
            added: saturate(report.added),
            updated: saturate(report.updated),
            removed: saturate(report.removed),
            requests: saturate(report.requests),
        }
    }
}

/// A count for the window, which shows numbers up to 4 billion (more is never reached).
pub fn saturate(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// One account's list of records, as the window names it in every records command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ListRef {
    pub provider: String,
    pub account: String,
    pub resource: String,
}

impl ListRef {
    pub fn new(provider: &str, account: &str, resource: &str) -> ListRef {
        ListRef {
            provider: provider.into(),
            account: account.into(),
            resource: resource.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SortSpec {
    pub key: String,
    pub descending: bool,
}

/// One filter of the records table (a column and its test), checked and run by the cache.
pub use patchbay_cache::filter::{Condition, FilterTest};

/// A date range relative to the day it is used: a saved view keeps "last 30 days" as such, and
/// the window turns it into dates in the user's time zone each time the view opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub enum DatePreset {
    /// Today and the 6 days before.
    #[serde(rename = "last_7_days")]
    Last7Days,
    /// From the first of this month.
    #[serde(rename = "this_month")]
    ThisMonth,
    /// Today and the 29 days before.
    #[serde(rename = "last_30_days")]
    Last30Days,
}

/// A filter as the filter bar holds it and a saved view keeps it: a condition the cache runs
/// as it is, or a date preset the window resolves first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FilterSpec {
    Condition { condition: Condition },
    DatePreset { column: String, preset: DatePreset },
}

/// A list's columns as the user arranged them: order, hidden ones, widths in pixels.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ViewColumns {
    /// Every column key, in display order.
    pub order: Vec<String>,
    pub hidden: Vec<String>,
    /// Widths of the columns the user resized.
    pub widths: std::collections::BTreeMap<String, u32>,
}

/// What a saved view keeps: the filters (date presets stay relative), search, sort and columns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ViewSettings {
    pub search: String,
    pub filter: Vec<FilterSpec>,
    pub sort: Option<SortSpec>,
    pub columns: ViewColumns,
}

/// A named view of one list of one account, kept in the world's cache.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SavedView {
    pub id: ViewId,
    pub name: String,
    pub settings: ViewSettings,
}

/// A saved view's id (the cache's row id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ViewId(#[ts(type = "number")] pub i64);

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct RecordQuery {
    pub search: String,
    /// Every condition holds (AND), together with the search. Absent is none (a caller from
    /// before filters existed).
    #[serde(default)]
    pub filter: Vec<Condition>,
    pub sort: Option<SortSpec>,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RecordRow {
    /// The record's stable index, for `record_detail`.
    pub index: u32,
    /// Display strings, in the resource's column order.
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RecordPage {
    pub total: u32,
    pub matched: u32,
    pub rows: Vec<RecordRow>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct DetailField {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RecordDetail {
    pub fields: Vec<DetailField>,
    pub raw_json: String,
}

/// How many of the shown rows hold one value of a column (a one-of filter's choice).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ValueCount {
    pub value: String,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct WeekCount {
    /// Monday of the week, `YYYY-MM-DD`.
    pub week_start: String,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportResult {
    pub path: String,
    pub rows: u32,
}

/// A person of the People table (`PersonRow::id`), as the window sends it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PersonId(#[ts(type = "number")] pub i64);

/// A merge or split the user made: the decision (to undo it) and the person it left.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PeopleDecision {
    pub decision: patchbay_cache::DecisionId,
    #[ts(type = "number")]
    pub person: i64,
}

/// How far an export has come (rows written of rows matched).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportProgress {
    pub provider: String,
    pub resource: String,
    pub done: u32,
    pub total: u32,
}

#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    Info,
    Error,
}

/// A quiet, dismissable message (a refused link, a finished export). Its sentence names the
/// provider when it concerns one, so the window shows it as it is. Built with
/// [`Notice::info`] or [`Notice::error`]: an error notice always carries its code and advice.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Notice {
    level: NoticeLevel,
    message: String,
    /// What the marketer can do about it; `None` for information.
    advice: Option<String>,
    /// The error's code, for the window to branch on; `None` for information.
    code: Option<patchbay_core::ErrorCode>,
    provider: Option<String>,
}

impl Notice {
    pub fn info(message: impl Into<String>, provider: Option<&str>) -> Self {
        Self {
            level: NoticeLevel::Info,
            message: message.into(),
            advice: None,
            code: None,
            provider: provider.map(str::to_string),
        }
    }

    pub fn error(error: patchbay_core::UserError, provider: Option<&str>) -> Self {
        Self {
            level: NoticeLevel::Error,
            message: error.message,
            advice: Some(error.advice),
            code: Some(error.code),
            provider: provider.map(str::to_string),
        }
    }
}
