//! Reading the cache: the paged rows behind the virtual table, a record's detail, weekly counts
//! for the chart and per-resource stats. Search, sort and paging all run in SQLite.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, OptionalExtension};

use crate::ids::{fts_table, record_table, validate};
use crate::schema::{self, sort_column, Resource};
use crate::{
    fts, Cache, CacheError, Detail, Field, Query, QueryPage, ResourceStats, Row, WeekCount,
};

/// A virtual table asks for a screenful at a time; a bigger page is a bug in the caller and
/// would hold the read connection for long.
pub(crate) const MAX_LIMIT: u64 = 10_000;

/// The matching rows of a query in display order, as `SELECT idx, <extra> ... ORDER BY ...`.
/// `?1` is bound to the FTS expression when there is one.
pub(crate) struct Plan {
    pub sql: String,
    pub match_expr: Option<String>,
}

pub(crate) fn plan(
    res: &Resource,
    q: &Query,
    select: &str,
    paged: bool,
) -> Result<Plan, CacheError> {
    let rec = record_table(res.id);
    let fts = fts_table(res.id);
    let match_expr = fts::match_expression(&q.search);
    let filter = if match_expr.is_some() {
        format!("WHERE idx IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?1)")
    } else {
        String::new()
    };
    let order = match &q.sort {
        None => "idx".to_string(),
        Some(sort) => {
            let (i, spec) = res
                .columns
                .iter()
                .enumerate()
                .find(|(_, c)| c.key == sort.key)
                .ok_or_else(|| CacheError::UnknownColumn(sort.key.clone()))?;
            let col = sort_column(i, spec);
            // Empty cells go last in both directions: a marketer sorting by revenue wants the
            // biggest (or smallest) real figures first, not a screen of blanks.
            let empty = if spec.kind.is_text() {
                format!("{col} = ''")
            } else {
                format!("{col} IS NULL")
            };
            let dir = if sort.descending { "DESC" } else { "ASC" };
            format!("{empty}, {col} {dir}, idx")
        }
    };
    let page = if paged {
        if q.limit > MAX_LIMIT {
            return Err(CacheError::InvalidQuery(format!(
                "a page holds at most {MAX_LIMIT} rows, not {}",
                q.limit
            )));
        }
        format!(
            " LIMIT {} OFFSET {}",
            q.limit,
            q.offset.min(i64::MAX as u64)
        )
    } else {
        String::new()
    };
    Ok(Plan {
        sql: format!("SELECT idx, {select} FROM {rec} {filter} ORDER BY {order}{page}"),
        match_expr,
    })
}

pub(crate) fn display_columns(res: &Resource) -> String {
    (0..res.columns.len())
        .map(|i| format!("d{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn bind(plan: &Plan) -> Vec<SqlValue> {
    plan.match_expr
        .iter()
        .map(|m| SqlValue::Text(m.clone()))
        .collect()
}

pub(crate) fn matched(
    conn: &Connection,
    res: &Resource,
    plan: &Plan,
    total: u64,
) -> Result<u64, CacheError> {
    match &plan.match_expr {
        None => Ok(total),
        Some(m) => {
            let fts = fts_table(res.id);
            let n: i64 = conn
                .prepare_cached(&format!("SELECT count(*) FROM {fts} WHERE {fts} MATCH ?1"))?
                .query_row([m], |r| r.get(0))?;
            Ok(n as u64)
        }
    }
}

fn row_count(conn: &Connection, res: &Resource) -> Result<u64, CacheError> {
    let n: i64 = conn
        .prepare_cached("SELECT row_count FROM resources WHERE id = ?1")?
        .query_row([res.id], |r| r.get(0))?;
    Ok(n as u64)
}

impl Cache {
    /// One page of rows for the records view: searched, sorted and paged in SQLite.
    pub fn query(
        &self,
        provider: &str,
        resource: &str,
        q: &Query,
    ) -> Result<QueryPage, CacheError> {
        self.with_reader(|conn| {
            // One read transaction so total, matched and rows agree while a sync writes.
            let tx = conn.unchecked_transaction()?;
            let conn: &Connection = &tx;
            let res = schema::require(conn, provider, resource)?;
            let plan = plan(&res, q, &display_columns(&res), true)?;
            let total = row_count(conn, &res)?;
            let matched = matched(conn, &res, &plan, total)?;
            let width = res.columns.len();
            let mut stmt = conn.prepare_cached(&plan.sql)?;
            let rows = stmt
                .query_map(params_from_iter(bind(&plan)), |r| {
                    let mut cells = Vec::with_capacity(width);
                    for i in 0..width {
                        cells.push(r.get::<_, Option<String>>(i + 1)?.unwrap_or_default());
                    }
                    Ok(Row {
                        index: r.get(0)?,
                        cells,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(QueryPage {
                total,
                matched,
                rows,
            })
        })
    }

    /// Every column of one record (label and display value, in column order) and its raw JSON.
    pub fn detail(
        &self,
        provider: &str,
        resource: &str,
        index: i64,
    ) -> Result<Option<Detail>, CacheError> {
        self.with_reader(|conn| {
            let res = schema::require(conn, provider, resource)?;
            let sql = format!(
                "SELECT record_id, raw_json, {} FROM {} WHERE idx = ?1",
                display_columns(&res),
                record_table(res.id)
            );
            let found = conn
                .prepare_cached(&sql)?
                .query_row([index], |r| {
                    let mut fields = Vec::with_capacity(res.columns.len());
                    for (i, spec) in res.columns.iter().enumerate() {
                        fields.push(Field {
                            label: spec.label.clone(),
                            value: r.get::<_, Option<String>>(i + 2)?.unwrap_or_default(),
                        });
                    }
                    Ok(Detail {
                        index,
                        record_id: r.get(0)?,
                        fields,
                        raw_json: r.get(1)?,
                    })
                })
                .optional()?;
            Ok(found)
        })
    }

    /// Records per week (weeks start on Monday, UTC) by a date or date-time column, oldest first.
    /// Records without a readable date in that column are not counted.
    pub fn weekly_counts(
        &self,
        provider: &str,
        resource: &str,
        column_key: &str,
    ) -> Result<Vec<WeekCount>, CacheError> {
        self.with_reader(|conn| {
            let res = schema::require(conn, provider, resource)?;
            let (i, spec) = res
                .columns
                .iter()
                .enumerate()
                .find(|(_, c)| c.key == column_key)
                .ok_or_else(|| CacheError::UnknownColumn(column_key.to_string()))?;
            if !spec.kind.is_date() {
                return Err(CacheError::NotADateColumn(spec.label.clone()));
            }
            // '-6 days' then 'weekday 1' lands on the Monday on or before the date.
            let sql = format!(
                "SELECT date(s{i}, 'unixepoch', '-6 days', 'weekday 1') AS week, count(*)
                 FROM {} WHERE s{i} IS NOT NULL GROUP BY week ORDER BY week",
                record_table(res.id)
            );
            let weeks = conn
                .prepare_cached(&sql)?
                .query_map([], |r| {
                    Ok(WeekCount {
                        week_start: r.get(0)?,
                        count: r.get::<_, i64>(1)? as u64,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(weeks)
        })
    }

    /// Row count, last finished sync and whether it completed; `None` when nothing is cached.
    pub fn stats(
        &self,
        provider: &str,
        resource: &str,
    ) -> Result<Option<ResourceStats>, CacheError> {
        validate(provider)?;
        validate(resource)?;
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT row_count, last_synced, complete FROM resources WHERE provider = ?1 AND resource = ?2",
                )?
                .query_row([provider, resource], |r| {
                    Ok(ResourceStats {
                        count: r.get::<_, i64>(0)? as u64,
                        last_synced: r.get(1)?,
                        complete: r.get(2)?,
                    })
                })
                .optional()?)
        })
    }
}
