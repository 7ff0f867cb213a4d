//! Reading the cache: the paged rows behind the virtual table, a record's detail, weekly counts
//! for the chart and per-resource stats. Search, sort and paging all run in SQLite.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, OptionalExtension};

use crate::ids::{fts_table, raw_table, record_table, validate, validate_list};
use crate::schema::{self, sort_column, Resource};
use crate::{
    filter, fts, Cache, CacheError, Detail, Field, Query, QueryPage, ResourceStats, Row,
    ValueCount, WeekCount,
};

/// A virtual table asks for a screenful at a time; a bigger page is a bug in the caller and
/// would hold the read connection for long.
pub(crate) const MAX_LIMIT: u64 = 10_000;

/// The rows of a query in display order: `SELECT r.idx, <select> ...`, with its parameters
/// (`?1` the FTS expression when there is one, then the filters' values).
pub(crate) struct Plan {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

/// The `WHERE` of a query over row-table alias `alias`: the search (as `?1`) and the filters,
/// with their parameters; empty when nothing narrows the rows.
pub(crate) fn narrowing(
    res: &Resource,
    q: &Query,
    match_expr: Option<&str>,
    alias: &str,
) -> Result<(String, Vec<SqlValue>), CacheError> {
    narrowing_without(res, q, match_expr, alias, None)
}

/// As [`narrowing`], leaving out the conditions on column `skip` (a one-of's counts are those
/// of the rows the other filters leave, so choosing a value never hides the others).
fn narrowing_without(
    res: &Resource,
    q: &Query,
    match_expr: Option<&str>,
    alias: &str,
    skip: Option<&str>,
) -> Result<(String, Vec<SqlValue>), CacheError> {
    let mut terms = Vec::new();
    let mut params = Vec::new();
    if let Some(m) = match_expr {
        let fts = fts_table(res.id);
        terms.push(format!(
            "{alias}.idx IN (SELECT rowid FROM {fts} WHERE {fts} MATCH ?1)"
        ));
        params.push(SqlValue::Text(m.to_string()));
    }
    let conditions: Vec<_> = q
        .filter
        .iter()
        .filter(|c| Some(c.column.as_str()) != skip)
        .cloned()
        .collect();
    let f = filter::compile(res, &conditions, alias, params.len() + 1)?;
    terms.extend(f.terms);
    params.extend(f.values);
    let sql = if terms.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", terms.join(" AND "))
    };
    Ok((sql, params))
}

/// Builds ORDER BY terms over a table alias, optionally with `+` to keep an index out of them.
type OrderTerms = dyn Fn(&str, &str) -> String;

pub(crate) struct Shape<'a> {
    /// Column expressions over `r` (the row table) and, when `with_raw`, `w` (the raw JSON).
    pub select: &'a str,
    pub with_raw: bool,
    /// `(limit, offset)`; `None` for every matching row (exports).
    pub page: Option<(u64, u64)>,
}

/// Builds the SQL for a query in two steps: first the page of row indexes, in order, reading only
/// the narrow sort index or the search index; then the cells of just those rows.
///
/// How the order is produced depends on how much the search matches (`matched` of `total`, known
/// from the count before this runs): when matches are dense, walking the sort index and keeping
/// the matching rows fills a page after a few hundred entries; when they are sparse, SQLite reads
/// the matches from the search index and sorts only those. SQLite cannot estimate FTS
/// selectivity itself, so the choice is made here (INDEXED BY, or `+` to keep the index out).
pub(crate) fn plan(
    res: &Resource,
    q: &Query,
    match_expr: Option<String>,
    matched: u64,
    total: u64,
    shape: Shape<'_>,
) -> Result<Plan, CacheError> {
    let rec = record_table(res.id);
    // A page reads its ordered indexes from `t` first; an export reads the rows as `r`.
    let alias = if shape.page.is_some() { "t" } else { "r" };
    let (filter, params) = narrowing(res, q, match_expr.as_deref(), alias)?;
    let narrowed = match_expr.is_some() || !q.filter.is_empty();
    let wanted = match shape.page {
        Some((limit, offset)) => limit.saturating_add(offset).min(matched),
        None => matched,
    };
    // Index entries to walk to fill the page, against rows to fetch and sort from the matches.
    let dense = !narrowed || wanted.saturating_mul(total) / matched.max(1) < matched;
    // `order(alias, plus)`: the ORDER BY terms over table alias `alias`; `plus` keeps an index
    // from being used for them.
    let (indexed, order): (String, Box<OrderTerms>) = match &q.sort {
        None => (
            String::new(),
            Box::new(|t: &str, _: &str| format!("{t}.idx")),
        ),
        Some(sort) => {
            let (i, spec) = res
                .columns
                .iter()
                .enumerate()
                .find(|(_, c)| c.key == sort.key)
                .ok_or_else(|| CacheError::UnknownColumn(sort.key.clone()))?;
            let col = sort_column(i, spec);
            let index = schema::sort_index(res.id, &col, sort.descending);
            let descending = sort.descending;
            // Empty cells go last in both directions: a marketer sorting by revenue wants the
            // biggest (or smallest) real figures first, not a screen of blanks.
            let order = move |t: &str, plus: &str| {
                if descending {
                    format!("{plus}{t}.{col} DESC, {t}.idx DESC")
                } else {
                    format!("{plus}{t}.{col} IS NULL, {plus}{t}.{col}, {t}.idx")
                }
            };
            let indexed = if dense {
                format!("INDEXED BY {index}")
            } else {
                String::new()
            };
            (indexed, Box::new(order))
        }
    };
    let plus = if dense { "" } else { "+" };
    let page = match shape.page {
        Some((limit, offset)) => {
            if limit > MAX_LIMIT {
                return Err(CacheError::InvalidQuery(format!(
                    "a page holds at most {MAX_LIMIT} rows, not {limit}"
                )));
            }
            format!(" LIMIT {limit} OFFSET {}", offset.min(i64::MAX as u64))
        }
        None => String::new(),
    };
    let raw_join = if shape.with_raw {
        format!(" CROSS JOIN {} AS w ON w.idx = r.idx", raw_table(res.id))
    } else {
        String::new()
    };
    let select = shape.select;
    // A search alone in record order (the table as it opens, and every keystroke typed into
    // the search box): the search index gives its matches in rowid order, so the page is read
    // from it directly and it stops after the page. Through `idx IN (SELECT rowid ...)` SQLite
    // first collected every match into a temporary index, about as many entries as rows for a
    // one-letter prefix, on every keystroke (bench figure 5's tail).
    let fts_in_order = q.sort.is_none() && q.filter.is_empty() && match_expr.is_some();
    let sql = if fts_in_order && !page.is_empty() {
        let fts = fts_table(res.id);
        format!(
            "SELECT r.idx, {select} FROM (SELECT rowid AS idx FROM {fts} WHERE {fts} MATCH ?1 \
             ORDER BY rowid{page}) AS p CROSS JOIN {rec} AS r ON r.idx = p.idx{raw_join} ORDER BY r.idx"
        )
    } else if page.is_empty() {
        // Every row (export): one pass in order, streamed.
        format!(
            "SELECT r.idx, {select} FROM {rec} AS r {indexed}{raw_join} {filter} ORDER BY {}",
            order("r", plus)
        )
    } else {
        // A page: the ordered indexes first (narrow reads only), then the cells of those rows.
        // The outer ORDER BY re-sorts just the page; SQLite does not promise to keep a
        // subquery's order otherwise.
        format!(
            "SELECT r.idx, {select} FROM (SELECT t.idx FROM {rec} AS t {indexed} {filter} ORDER BY {}{page}) AS p \
             CROSS JOIN {rec} AS r ON r.idx = p.idx{raw_join} ORDER BY {}",
            order("t", plus),
            order("r", "")
        )
    };
    Ok(Plan { sql, params })
}

pub(crate) fn display_columns(res: &Resource) -> String {
    (0..res.columns.len())
        .map(|i| format!("r.d{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn bind(plan: &Plan) -> Vec<SqlValue> {
    plan.params.clone()
}

/// Rows matching the search and the filters.
pub(crate) fn matched(
    conn: &Connection,
    res: &Resource,
    q: &Query,
    match_expr: Option<&str>,
    total: u64,
) -> Result<u64, CacheError> {
    if !q.filter.is_empty() {
        let (filter, params) = narrowing(res, q, match_expr, "t")?;
        let n: i64 = conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM {} AS t {filter}",
                record_table(res.id)
            ))?
            .query_row(params_from_iter(params), |r| r.get(0))?;
        return Ok(n as u64);
    }
    match match_expr {
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

/// A `WHERE` from [`narrowing`] (or none) ready for one more term.
fn then_where(filter: String) -> String {
    if filter.is_empty() {
        "WHERE".to_string()
    } else {
        format!("{filter} AND")
    }
}

/// The (text, count) rows of a grouped count, each made into a `T`.
fn counts<T>(
    conn: &Connection,
    sql: &str,
    params: Vec<SqlValue>,
    make: impl Fn(String, u64) -> T,
) -> Result<Vec<T>, CacheError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_map(params_from_iter(params), |r| {
            Ok(make(r.get(0)?, r.get::<_, i64>(1)? as u64))
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

pub(crate) fn row_count(conn: &Connection, res: &Resource) -> Result<u64, CacheError> {
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
        account: &str,
        resource: &str,
        q: &Query,
    ) -> Result<QueryPage, CacheError> {
        self.with_reader(|conn| {
            // One read transaction so total, matched and rows agree while a sync writes.
            let tx = conn.unchecked_transaction()?;
            let conn: &Connection = &tx;
            let res = schema::require(conn, provider, account, resource)?;
            let total = row_count(conn, &res)?;
            let match_expr = fts::match_expression(&q.search);
            let matched = matched(conn, &res, q, match_expr.as_deref(), total)?;
            let shape = Shape {
                select: &display_columns(&res),
                with_raw: false,
                page: Some((q.limit, q.offset)),
            };
            let plan = plan(&res, q, match_expr, matched, total, shape)?;
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
        account: &str,
        resource: &str,
        index: i64,
    ) -> Result<Option<Detail>, CacheError> {
        self.with_reader(|conn| {
            let res = schema::require(conn, provider, account, resource)?;
            let sql = format!(
                "SELECT r.record_id, w.raw_json, {} FROM {} AS r JOIN {} AS w ON w.idx = r.idx \
                 WHERE r.idx = ?1",
                display_columns(&res),
                record_table(res.id),
                raw_table(res.id)
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

    /// Records per week (weeks start on Monday, UTC) by a date or date-time column, oldest first,
    /// of the rows `shown` leaves (its search and filters; sort and paging are ignored), so the
    /// chart counts what the table shows. Records without a readable date in that column are
    /// not counted.
    pub fn weekly_counts(
        &self,
        provider: &str,
        account: &str,
        resource: &str,
        column_key: &str,
        shown: &Query,
    ) -> Result<Vec<WeekCount>, CacheError> {
        self.with_reader(|conn| {
            let res = schema::require(conn, provider, account, resource)?;
            let (i, spec) = res
                .columns
                .iter()
                .enumerate()
                .find(|(_, c)| c.key == column_key)
                .ok_or_else(|| CacheError::UnknownColumn(column_key.to_string()))?;
            if !spec.kind.is_date() {
                return Err(CacheError::NotADateColumn(spec.label.clone()));
            }
            let match_expr = fts::match_expression(&shown.search);
            let (filter, params) = narrowing(&res, shown, match_expr.as_deref(), "t")?;
            let filter = then_where(filter);
            // '-6 days' then 'weekday 1' lands on the Monday on or before the date.
            let sql = format!(
                "SELECT date(t.s{i}, 'unixepoch', '-6 days', 'weekday 1') AS week, count(*)
                 FROM {} AS t {filter} t.s{i} IS NOT NULL GROUP BY week ORDER BY week",
                record_table(res.id)
            );
            counts(conn, &sql, params, |week_start, count| WeekCount {
                week_start,
                count,
            })
        })
    }

    /// The most common values of a column among the rows `shown` leaves, most first (ties by
    /// value), at most `limit`: the choices of a one-of filter with their counts. The
    /// column's own conditions are left out, so the other choices keep their counts once one
    /// is picked. Empty cells are not a choice (the "is empty" test is).
    pub fn value_counts(
        &self,
        provider: &str,
        account: &str,
        resource: &str,
        column_key: &str,
        shown: &Query,
        limit: u32,
    ) -> Result<Vec<ValueCount>, CacheError> {
        self.with_reader(|conn| {
            let res = schema::require(conn, provider, account, resource)?;
            let i = res
                .columns
                .iter()
                .position(|c| c.key == column_key)
                .ok_or_else(|| CacheError::UnknownColumn(column_key.to_string()))?;
            let match_expr = fts::match_expression(&shown.search);
            let (filter, params) =
                narrowing_without(&res, shown, match_expr.as_deref(), "t", Some(column_key))?;
            let filter = then_where(filter);
            let sql = format!(
                "SELECT t.d{i}, count(*) AS n FROM {} AS t {filter} t.d{i} IS NOT NULL
                 GROUP BY t.d{i} ORDER BY n DESC, t.d{i} LIMIT {limit}",
                record_table(res.id)
            );
            counts(conn, &sql, params, |value, count| ValueCount {
                value,
                count,
            })
        })
    }

    /// When any resource of this account of `provider` last finished a sync (RFC 3339 UTC),
    /// from the file, so a restarted app still knows; `None` when none has.
    pub fn last_synced(&self, provider: &str, account: &str) -> Result<Option<String>, CacheError> {
        validate(provider)?;
        validate(account)?;
        self.with_reader(|conn| {
            // One format (`...Z`, fixed width) everywhere, so the text maximum is the latest.
            Ok(conn
                .prepare_cached(
                    "SELECT max(last_synced) FROM resources WHERE provider = ?1 AND account = ?2",
                )?
                .query_row([provider, account], |r| r.get(0))?)
        })
    }

    /// How many records of this account of `provider` the cache holds, every list together;
    /// `None` when no list of it has been fetched.
    pub fn record_count(&self, provider: &str, account: &str) -> Result<Option<u64>, CacheError> {
        validate(provider)?;
        validate(account)?;
        self.with_reader(|conn| {
            let total: Option<i64> = conn
                .prepare_cached(
                    "SELECT sum(row_count) FROM resources WHERE provider = ?1 AND account = ?2",
                )?
                .query_row([provider, account], |r| r.get(0))?;
            Ok(total.map(|n| u64::try_from(n).unwrap_or(0)))
        })
    }

    /// The accounts of `provider` the cache holds something for (records, or a sync that has
    /// begun), sorted. After an upgrade from a single-account install this is
    /// [`crate::DEFAULT_ACCOUNT`] alone.
    pub fn accounts(&self, provider: &str) -> Result<Vec<String>, CacheError> {
        validate(provider)?;
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT DISTINCT account FROM resources WHERE provider = ?1 ORDER BY account",
                )?
                .query_map([provider], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?)
        })
    }

    /// Row count, last finished sync and whether it completed; `None` when nothing is cached.
    pub fn stats(
        &self,
        provider: &str,
        account: &str,
        resource: &str,
    ) -> Result<Option<ResourceStats>, CacheError> {
        validate_list(provider, account, resource)?;
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT row_count, last_synced, complete FROM resources
                     WHERE provider = ?1 AND account = ?2 AND resource = ?3",
                )?
                .query_row([provider, account, resource], |r| {
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
