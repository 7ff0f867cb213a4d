//! Typed filters on a records table: each [`Condition`] names a column and a [`FilterTest`] that fits
//! its kind, and becomes one SQL term with bound values over the row table. Filters combine
//! with the search and the sort and run in SQLite, so the table, the weekly chart, the one-of
//! counts and the exports all read the same rows.
//!
//! Text tests read the display column `d{i}` (case-insensitive: the column is `NOCASE`); date
//! and number ranges read the typed sort key `s{i}`, so "last 30 days" compares instants, not
//! the provider's date strings.

use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::people::queries::bounds;
use crate::schema::Resource;
use crate::{CacheError, ColumnKind, DateRange};

/// More conditions than this is not a filter bar a person filled in.
pub const MAX_CONDITIONS: usize = 20;
/// A one-of with more values than this is a bug in the caller (the bar offers at most 50).
pub const MAX_VALUES: usize = 200;
/// A typed value longer than this is not a filter either.
const MAX_TEXT: usize = 1000;

/// One filter: the column (by key) and what its cells must satisfy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Condition {
    pub column: String,
    pub test: FilterTest,
}

/// What a column's cells must satisfy. Which tests fit which kinds: date ranges only dates,
/// number ranges only integers, numbers and money; the text tests any column (they read the
/// value as shown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum FilterTest {
    /// From and to inclusive: a day (`2025-03-01`, the whole day as `to`) or an RFC 3339 time;
    /// either end open.
    DateRange {
        from: Option<String>,
        to: Option<String>,
    },
    /// The value as shown, ignoring case.
    Equals { value: String },
    /// The value as shown contains this, ignoring case.
    Contains { value: String },
    /// No value.
    IsEmpty,
    /// Inclusive; either end open.
    NumberRange { min: Option<f64>, max: Option<f64> },
    /// The value as shown is one of these (ignoring case).
    OneOf { values: Vec<String> },
}

/// The SQL of a set of conditions: terms to AND into a `WHERE`, over table alias `alias`, with
/// their values bound from parameter `?{first}` on.
#[derive(Debug, Default)]
pub(crate) struct Terms {
    pub terms: Vec<String>,
    pub values: Vec<SqlValue>,
}

fn invalid(why: impl Into<String>) -> CacheError {
    CacheError::InvalidFilter(why.into())
}

/// Checks `conditions` against the resource's columns and turns them into SQL terms.
pub(crate) fn compile(
    res: &Resource,
    conditions: &[Condition],
    alias: &str,
    first: usize,
) -> Result<Terms, CacheError> {
    if conditions.len() > MAX_CONDITIONS {
        return Err(invalid(format!(
            "{} conditions is more than {MAX_CONDITIONS}",
            conditions.len()
        )));
    }
    let mut out = Terms::default();
    for c in conditions {
        let (i, spec) = res
            .columns
            .iter()
            .enumerate()
            .find(|(_, s)| s.key == c.column)
            .ok_or_else(|| invalid(format!("there is no column `{}`", c.column)))?;
        let d = format!("{alias}.d{i}");
        let s = format!("{alias}.s{i}");
        let mut bind = |v: SqlValue| {
            out.values.push(v);
            format!("?{}", first + out.values.len() - 1)
        };
        let term = match &c.test {
            FilterTest::DateRange { from, to } => {
                if !spec.kind.is_date() {
                    return Err(invalid(format!("`{}` holds no dates", spec.label)));
                }
                if from.is_none() && to.is_none() {
                    return Err(invalid("a date range needs a start or an end"));
                }
                let range = DateRange {
                    from: from.clone(),
                    to: to.clone(),
                };
                let (lo, hi) = bounds(&range).map_err(|e| match e {
                    CacheError::InvalidQuery(why) => invalid(why),
                    other => other,
                })?;
                let lo = bind(SqlValue::Integer(lo));
                let hi = bind(SqlValue::Integer(hi));
                format!("{s} BETWEEN {lo} AND {hi}")
            }
            FilterTest::Equals { value } => {
                let v = bind(SqlValue::Text(text(value)?));
                format!("{d} = {v}")
            }
            FilterTest::Contains { value } => {
                let value = text(value)?;
                if value.is_empty() {
                    return Err(invalid("“contains” needs some text"));
                }
                let v = bind(SqlValue::Text(format!("%{}%", escape_like(&value))));
                format!("{d} LIKE {v} ESCAPE '\\'")
            }
            FilterTest::IsEmpty => format!("{d} IS NULL"),
            FilterTest::NumberRange { min, max } => {
                if !matches!(
                    spec.kind,
                    ColumnKind::Integer | ColumnKind::Number | ColumnKind::Money
                ) {
                    return Err(invalid(format!("`{}` holds no numbers", spec.label)));
                }
                let lo = min.unwrap_or(f64::NEG_INFINITY);
                let hi = max.unwrap_or(f64::INFINITY);
                if lo.is_nan() || hi.is_nan() || (min.is_none() && max.is_none()) || lo > hi {
                    return Err(invalid(
                        "a number range needs a lowest or a highest value, in that order",
                    ));
                }
                let mut parts = Vec::new();
                if let Some(lo) = min {
                    let p = bind(SqlValue::Real(*lo));
                    parts.push(format!("{s} >= {p}"));
                }
                if let Some(hi) = max {
                    let p = bind(SqlValue::Real(*hi));
                    parts.push(format!("{s} <= {p}"));
                }
                parts.join(" AND ")
            }
            FilterTest::OneOf { values } => {
                if values.is_empty() || values.len() > MAX_VALUES {
                    return Err(invalid(format!(
                        "a one-of filter needs between 1 and {MAX_VALUES} values"
                    )));
                }
                let mut params = Vec::with_capacity(values.len());
                for v in values {
                    params.push(bind(SqlValue::Text(text(v)?)));
                }
                format!("{d} IN ({})", params.join(", "))
            }
        };
        out.terms.push(format!("({term})"));
    }
    Ok(out)
}

fn text(value: &str) -> Result<String, CacheError> {
    if value.len() > MAX_TEXT {
        return Err(invalid(format!(
            "a filter value holds at most {MAX_TEXT} bytes"
        )));
    }
    Ok(value.trim().to_string())
}

/// `%`, `_` and the escape itself match literally.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ColumnSpec;

    fn res() -> Resource {
        let col = |key: &str, kind| ColumnSpec {
            key: key.into(),
            label: key.into(),
            pointer: format!("/{key}"),
            kind,
        };
        Resource {
            id: 7,
            columns: vec![
                col("name", ColumnKind::Text),
                col("created", ColumnKind::DateTime),
                col("value", ColumnKind::Money),
            ],
        }
    }

    fn cond(column: &str, test: FilterTest) -> Condition {
        Condition {
            column: column.into(),
            test,
        }
    }

    #[test]
    fn terms_number_their_parameters_from_first() {
        let t = compile(
            &res(),
            &[
                cond(
                    "name",
                    FilterTest::OneOf {
                        values: vec!["a".into(), "b".into()],
                    },
                ),
                cond(
                    "value",
                    FilterTest::NumberRange {
                        min: Some(10.0),
                        max: None,
                    },
                ),
            ],
            "t",
            2,
        )
        .unwrap();
        assert_eq!(t.terms, ["(t.d0 IN (?2, ?3))", "(t.s2 >= ?4)"]);
        assert_eq!(t.values.len(), 3);
    }

    #[test]
    fn like_wildcards_are_literal() {
        let t = compile(
            &res(),
            &[cond(
                "name",
                FilterTest::Contains {
                    value: "50%_off".into(),
                },
            )],
            "r",
            1,
        )
        .unwrap();
        assert_eq!(t.values, [SqlValue::Text("%50\\%\\_off%".into())]);
    }

    #[test]
    fn tests_that_do_not_fit_the_column_are_refused() {
        let bad = [
            cond("nope", FilterTest::IsEmpty),
            cond(
                "name",
                FilterTest::DateRange {
                    from: Some("2024-01-01".into()),
                    to: None,
                },
            ),
            cond(
                "created",
                FilterTest::DateRange {
                    from: None,
                    to: None,
                },
            ),
            cond(
                "created",
                FilterTest::DateRange {
                    from: Some("2024-02-01".into()),
                    to: Some("2024-01-01".into()),
                },
            ),
            cond(
                "created",
                FilterTest::DateRange {
                    from: Some("last week".into()),
                    to: None,
                },
            ),
            cond(
                "name",
                FilterTest::NumberRange {
                    min: Some(1.0),
                    max: None,
                },
            ),
            cond(
                "value",
                FilterTest::NumberRange {
                    min: Some(5.0),
                    max: Some(1.0),
                },
            ),
            cond("name", FilterTest::OneOf { values: vec![] }),
            cond("name", FilterTest::Contains { value: "  ".into() }),
        ];
        for c in bad {
            let err = compile(&res(), std::slice::from_ref(&c), "t", 1).unwrap_err();
            assert!(
                matches!(err, CacheError::InvalidFilter(_)),
                "{c:?}: {err:?}"
            );
        }
        let many = vec![cond("name", FilterTest::IsEmpty); MAX_CONDITIONS + 1];
        assert!(matches!(
            compile(&res(), &many, "t", 1),
            Err(CacheError::InvalidFilter(_))
        ));
    }
}
