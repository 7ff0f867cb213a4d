//! Turns one JSON record into the cells of its row: a display string per column (what the table
//! shows and CSV exports) and, for non-text kinds, a typed sort key so SQLite sorts numbers
//! numerically and dates chronologically.

use rusqlite::types::Value as SqlValue;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::{ColumnKind, ColumnSpec};

pub(crate) struct Cell {
    pub display: String,
    /// `None` for text kinds: they sort on the display string itself (saves a copy per row).
    pub sort: Option<SqlValue>,
}

/// Dates are searchable as the text shown ("2024-03" finds March 2024).
pub(crate) fn is_searchable(kind: ColumnKind) -> bool {
    kind.is_text() || kind.is_date()
}

/// The SQLite type of a non-text column's sort key.
pub(crate) fn sql_type(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Number | ColumnKind::Money => "REAL",
        _ => "INTEGER",
    }
}

pub(crate) fn cell(spec: &ColumnSpec, record: &Value) -> Cell {
    let v = record.pointer(&spec.pointer).filter(|v| !v.is_null());
    let Some(v) = v else {
        return Cell {
            display: String::new(),
            sort: if spec.kind.is_text() {
                None
            } else {
                Some(SqlValue::Null)
            },
        };
    };
    match spec.kind {
        k if k.is_text() => Cell {
            display: text(v),
            sort: None,
        },
        ColumnKind::Integer => match number(v) {
            Some(n) => {
                let n = n.trunc() as i64;
                Cell {
                    display: n.to_string(),
                    sort: Some(SqlValue::Integer(n)),
                }
            }
            None => unparsed(v),
        },
        ColumnKind::Number => match number(v) {
            Some(n) => Cell {
                display: n.to_string(),
                sort: Some(SqlValue::Real(n)),
            },
            None => unparsed(v),
        },
        ColumnKind::Money => match number(v) {
            Some(n) => Cell {
                display: money(n),
                sort: Some(SqlValue::Real(n)),
            },
            None => unparsed(v),
        },
        ColumnKind::Boolean => match boolean(v) {
            Some(b) => Cell {
                display: if b { "Yes" } else { "No" }.to_string(),
                sort: Some(SqlValue::Integer(b as i64)),
            },
            None => unparsed(v),
        },
        _ => date_cell(spec.kind, v),
    }
}

/// A value that doesn't parse as its kind is still shown as given (the marketer sees what the
/// provider sent) but sorts with the empty cells, at the end.
fn unparsed(v: &Value) -> Cell {
    Cell {
        display: text(v),
        sort: Some(SqlValue::Null),
    }
}

pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(text)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

pub(crate) fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        // Providers send money as "$1,234.50" or "1234.5"; keep digits, sign and point.
        Value::String(s) => {
            let cleaned: String = s
                .chars()
                .filter(|c| c.is_ascii_digit() || matches!(c, '.' | '-'))
                .collect();
            if cleaned.is_empty() {
                None
            } else {
                cleaned.parse().ok()
            }
        }
        _ => None,
    }
    .filter(|n: &f64| n.is_finite())
}

pub(crate) fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|n| n != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Some(true),
            "false" | "no" | "n" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// 1234.5 -> "1,234.50"
pub(crate) fn money(n: f64) -> String {
    let fixed = format!("{:.2}", n.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, "00"));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if n < 0.0 && fixed != "0.00" { "-" } else { "" };
    format!("{sign}{grouped}.{frac}")
}

fn date_cell(kind: ColumnKind, v: &Value) -> Cell {
    match v {
        Value::String(s) => Cell {
            // Dates are shown as the provider gave them; only the sort key is normalised.
            display: s.clone(),
            sort: Some(
                parse_date(s)
                    .map(SqlValue::Integer)
                    .unwrap_or(SqlValue::Null),
            ),
        },
        Value::Number(n) => match n.as_f64().and_then(epoch_seconds) {
            Some(secs) => Cell {
                display: format_epoch(kind, secs),
                sort: Some(SqlValue::Integer(secs)),
            },
            None => unparsed(v),
        },
        _ => unparsed(v),
    }
}

/// Numbers above 10^11 are taken as milliseconds (10^11 seconds is the year 5138).
pub(crate) fn epoch_seconds(n: f64) -> Option<i64> {
    let secs = if n.abs() >= 1e11 { n / 1000.0 } else { n };
    OffsetDateTime::from_unix_timestamp(secs.trunc() as i64)
        .ok()
        .map(|d| d.unix_timestamp())
}

fn format_epoch(kind: ColumnKind, secs: i64) -> String {
    let Ok(dt) = OffsetDateTime::from_unix_timestamp(secs) else {
        return secs.to_string();
    };
    if kind == ColumnKind::Date {
        dt.date().to_string()
    } else {
        dt.format(&Rfc3339).unwrap_or_else(|_| secs.to_string())
    }
}

/// Unix seconds (UTC) for the date formats providers send; times without an offset are UTC.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(dt) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(dt.unix_timestamp());
    }
    let naive_formats = [
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
        format_description!("[year]-[month]-[day] [hour]:[minute]"),
    ];
    for f in naive_formats {
        if let Ok(dt) = PrimitiveDateTime::parse(s, &f) {
            return Some(dt.assume_utc().unix_timestamp());
        }
    }
    let date_formats = [
        format_description!("[year]-[month]-[day]"),
        // US tools (ClickFunnels, BoomTown exports) write month first.
        format_description!("[month]/[day]/[year]"),
        format_description!("[month padding:none]/[day padding:none]/[year]"),
    ];
    for f in date_formats {
        if let Ok(d) = Date::parse(s, &f) {
            return Some(d.midnight().assume_utc().unix_timestamp());
        }
    }
    None
}

/// The text the search index sees for one record: every searchable cell, plus phone numbers as
/// bare digits so "5551234567" finds "(555) 123-4567".
pub(crate) fn search_text(columns: &[ColumnSpec], cells: &[Cell]) -> String {
    let mut out = String::new();
    for (spec, cell) in columns.iter().zip(cells) {
        if !is_searchable(spec.kind) || cell.display.is_empty() {
            continue;
        }
        out.push_str(&cell.display);
        out.push('\n');
        if spec.kind == ColumnKind::Phone {
            let digits: String = cell
                .display
                .chars()
                .filter(|c| c.is_ascii_digit())
                .collect();
            out.push_str(&digits);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(kind: ColumnKind) -> ColumnSpec {
        ColumnSpec {
            key: "k".into(),
            label: "K".into(),
            pointer: "/v".into(),
            kind,
        }
    }

    fn run(kind: ColumnKind, v: Value) -> (String, Option<SqlValue>) {
        let c = cell(&spec(kind), &json!({ "v": v }));
        (c.display, c.sort)
    }

    #[test]
    fn money_has_two_decimals_and_groups() {
        assert_eq!(money(1234.5), "1,234.50");
        assert_eq!(money(-1234567.891), "-1,234,567.89");
        assert_eq!(money(0.0), "0.00");
        assert_eq!(money(999.999), "1,000.00");
        assert_eq!(
            run(ColumnKind::Money, json!("$1,200.5")),
            ("1,200.50".into(), Some(SqlValue::Real(1200.5)))
        );
    }

    #[test]
    fn kinds_display_and_sort() {
        assert_eq!(run(ColumnKind::Boolean, json!(true)).0, "Yes");
        assert_eq!(run(ColumnKind::Boolean, json!("no")).0, "No");
        assert_eq!(
            run(ColumnKind::Integer, json!("42")),
            ("42".into(), Some(SqlValue::Integer(42)))
        );
        assert_eq!(
            run(ColumnKind::Number, json!(2.5)),
            ("2.5".into(), Some(SqlValue::Real(2.5)))
        );
        assert_eq!(run(ColumnKind::Text, json!(["a", "b"])).0, "a, b");
        // Missing values are empty and sort last (NULL).
        let c = cell(&spec(ColumnKind::Money), &json!({}));
        assert_eq!((c.display.as_str(), c.sort), ("", Some(SqlValue::Null)));
        // Garbage in a number column is shown as sent, sorted with the empties.
        assert_eq!(
            run(ColumnKind::Integer, json!("n/a")),
            ("n/a".into(), Some(SqlValue::Null))
        );
    }

    #[test]
    fn dates_parse_in_the_formats_providers_send() {
        let day = 1_709_596_800; // 2024-03-05T00:00:00Z
        assert_eq!(parse_date("2024-03-05"), Some(day));
        assert_eq!(parse_date("03/05/2024"), Some(day));
        assert_eq!(parse_date("3/5/2024"), Some(day));
        assert_eq!(parse_date("2024-03-05T01:00:00Z"), Some(day + 3600));
        assert_eq!(parse_date("2024-03-05T02:00:00+01:00"), Some(day + 3600));
        assert_eq!(parse_date("2024-03-05 01:00:00"), Some(day + 3600));
        assert_eq!(parse_date("2024-03-05T01:00:00.250"), Some(day + 3600));
        assert_eq!(parse_date("yesterday"), None);
        // Epochs in seconds or milliseconds are shown as dates.
        assert_eq!(
            run(ColumnKind::Date, json!(day)),
            ("2024-03-05".into(), Some(SqlValue::Integer(day)))
        );
        assert_eq!(
            run(ColumnKind::DateTime, json!(day * 1000 + 3_600_000)),
            (
                "2024-03-05T01:00:00Z".into(),
                Some(SqlValue::Integer(day + 3600))
            )
        );
    }
}
