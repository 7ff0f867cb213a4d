//! Watermarks: the newest value of a record field the stored records reached (a change time, a
//! creation time or an id), kept as text in the cache and compared as what it is.

use patchbay_core::providers::IncrementalKind;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// One watermark value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Mark {
    Time(OffsetDateTime),
    /// Ids compare as numbers when they are numbers (`9` before `10`).
    Number(u64),
    Text(String),
}

impl Mark {
    pub(crate) fn text(&self) -> String {
        match self {
            Mark::Time(t) => rfc3339(*t),
            Mark::Number(n) => n.to_string(),
            Mark::Text(s) => s.clone(),
        }
    }
}

/// RFC 3339 in UTC, whole seconds (`2024-05-01T10:00:00Z`): what the providers' date filters
/// document.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// A time as providers send it: RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC), or Unix seconds.
pub(crate) fn parse_time(v: &Value) -> Option<OffsetDateTime> {
    match v {
        Value::Number(n) => OffsetDateTime::from_unix_timestamp(n.as_i64()?).ok(),
        Value::String(s) => OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
            PrimitiveDateTime::parse(
                s,
                format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
            )
            .ok()
            .map(PrimitiveDateTime::assume_utc)
        }),
        _ => None,
    }
}

/// Which kind of value a resource's watermark holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MarkKind {
    Time,
    Id,
}

impl MarkKind {
    pub(crate) fn of(kind: &IncrementalKind) -> MarkKind {
        match kind {
            IncrementalKind::UpdatedSince { .. } | IncrementalKind::CreatedWindow { .. } => {
                MarkKind::Time
            }
            IncrementalKind::AfterId { .. } => MarkKind::Id,
        }
    }

    pub(crate) fn parse(self, v: &Value) -> Option<Mark> {
        match self {
            MarkKind::Time => parse_time(v).map(Mark::Time),
            MarkKind::Id => match v {
                Value::Number(n) => n.as_u64().map(Mark::Number),
                Value::String(s) => Some(
                    s.parse()
                        .map(Mark::Number)
                        .unwrap_or_else(|_| Mark::Text(s.clone())),
                ),
                _ => None,
            },
        }
    }
}

/// The newest value seen so far.
#[derive(Debug, Clone)]
pub(crate) struct Tracker {
    kind: MarkKind,
    field: String,
    best: Option<Mark>,
}

impl Tracker {
    /// Starts from `stored` (the watermark of the last finished sync, or of the interrupted one
    /// being resumed): a watermark never goes back.
    pub(crate) fn new(kind: MarkKind, field: &str, stored: &[Option<&str>]) -> Tracker {
        let best = stored
            .iter()
            .flatten()
            .filter_map(|s| kind.parse(&Value::String((*s).to_string())))
            .max();
        Tracker {
            kind,
            field: field.to_string(),
            best,
        }
    }

    /// Takes in a page; answers the new watermark's text when it moved.
    pub(crate) fn observe(&mut self, records: &[Value]) -> Option<String> {
        let page_best = records
            .iter()
            .filter_map(|r| r.pointer(&self.field))
            .filter_map(|v| self.kind.parse(v))
            .max()?;
        if self.best.as_ref().is_some_and(|b| *b >= page_best) {
            return None;
        }
        let text = page_best.text();
        self.best = Some(page_best);
        Some(text)
    }

    pub(crate) fn current(&self) -> Option<&Mark> {
        self.best.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_compare_as_numbers_and_never_go_back() {
        let mut t = Tracker::new(MarkKind::Id, "/id", &[Some("9"), None]);
        assert_eq!(
            t.observe(&[json!({"id": 8})]),
            None,
            "older than the stored 9"
        );
        assert_eq!(
            t.observe(&[json!({"id": 10}), json!({"id": 12})]),
            Some("12".into())
        );
        assert_eq!(t.observe(&[json!({"id": "11"})]), None);
        assert_eq!(t.current(), Some(&Mark::Number(12)));
    }

    #[test]
    fn times_are_read_in_the_providers_formats_and_written_in_utc() {
        let mut t = Tracker::new(MarkKind::Time, "/at", &[]);
        assert_eq!(
            t.observe(&[json!({"at": "2024-05-01T12:00:00+02:00"})]),
            Some("2024-05-01T10:00:00Z".into())
        );
        assert_eq!(
            t.observe(&[json!({"at": "2024-05-01 10:30:00"})]),
            Some("2024-05-01T10:30:00Z".into())
        );
        assert_eq!(t.observe(&[json!({"at": 1714559400})]), None, "10:30 again");
        assert_eq!(t.observe(&[json!({"at": "not a date"}), json!({})]), None);
    }
}
