//! Per-resource tables. Layout choice: one record table and one FTS5 table per resource of one
//! provider account (`rec_N`, `fts_N`, N = the row id in `resources`) rather than shared tables
//! keyed by (provider, account, resource), because at 200000 rows:
//! - a search only walks the doclists of the resource being browsed (a shared FTS index would
//!   match every resource's rows and filter afterwards);
//! - each shown column is a real typed SQL column with its own index, so sorting reads an index
//!   instead of decoding JSON or a generic key/value layout;
//! - deleting a resource is a DROP TABLE: nothing can be left behind.
//!
//! Each column i is stored as `d{i}`, its display string (NULL when empty); non-text kinds also
//! get `s{i}`, a typed sort key (REAL for numbers and money, INTEGER unix seconds for dates, 0/1
//! for booleans). Text kinds sort on `d{i}` with NOCASE so "apple" and "Banana" sort as a person
//! expects.
//!
//! Each sort column has two indexes so a sorted page is read in index order in both directions
//! with empty cells last: `(col)` scanned backwards for descending (NULLs sort lowest, so they
//! come last), and `(col IS NULL, col)` for ascending.
//!
//! The raw JSON lives in its own table `raw_N` keyed by the same index: the row table stays
//! narrow (several times more rows per page), which is what sorting, deep paging and search
//! lookups read; the raw JSON is only read for the detail view and JSON exports.

use rusqlite::{Connection, OptionalExtension};

use crate::ids::{fts_table, raw_table, record_table};
use crate::{fts, CacheError, ColumnSpec};

pub(crate) struct Resource {
    pub id: i64,
    pub columns: Vec<ColumnSpec>,
}

pub(crate) fn sort_column(i: usize, spec: &ColumnSpec) -> String {
    if spec.kind.is_text() {
        format!("d{i}")
    } else {
        format!("s{i}")
    }
}

/// The index that serves `ORDER BY` of sort column `col` in the given direction.
pub(crate) fn sort_index(resource_id: i64, col: &str, descending: bool) -> String {
    let rec = record_table(resource_id);
    if descending {
        format!("{rec}_{col}")
    } else {
        format!("{rec}_{col}_n")
    }
}

pub(crate) fn validate_columns(columns: &[ColumnSpec]) -> Result<(), CacheError> {
    if columns.is_empty() {
        return Err(CacheError::InvalidColumns(
            "a resource needs at least one column".into(),
        ));
    }
    // SQLite allows 2000 columns per table; two per column plus four fixed ones stays well clear.
    if columns.len() > 500 {
        return Err(CacheError::InvalidColumns(format!(
            "{} columns is more than 500",
            columns.len()
        )));
    }
    for (i, c) in columns.iter().enumerate() {
        if c.key.is_empty() {
            return Err(CacheError::InvalidColumns(format!(
                "column {i} has an empty key"
            )));
        }
        if columns[..i].iter().any(|o| o.key == c.key) {
            return Err(CacheError::InvalidColumns(format!(
                "column key `{}` appears twice",
                c.key
            )));
        }
        if !(c.pointer.is_empty() || c.pointer.starts_with('/')) {
            return Err(CacheError::InvalidColumns(format!(
                "column `{}` has pointer `{}`; JSON pointers start with /",
                c.key, c.pointer
            )));
        }
    }
    Ok(())
}

pub(crate) fn lookup(
    conn: &Connection,
    provider: &str,
    account: &str,
    resource: &str,
) -> Result<Option<Resource>, CacheError> {
    let row: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT id, columns FROM resources WHERE provider = ?1 AND account = ?2 AND resource = ?3",
        )?
        .query_row([provider, account, resource], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(id, columns)| {
        let columns = serde_json::from_str(&columns).map_err(|e| {
            CacheError::InvalidColumns(format!("stored column definitions are unreadable: {e}"))
        })?;
        Ok(Resource { id, columns })
    })
    .transpose()
}

pub(crate) fn require(
    conn: &Connection,
    provider: &str,
    account: &str,
    resource: &str,
) -> Result<Resource, CacheError> {
    crate::ids::validate_list(provider, account, resource)?;
    lookup(conn, provider, account, resource)?.ok_or_else(|| CacheError::NotCached {
        provider: provider.to_string(),
        account: account.to_string(),
        resource: resource.to_string(),
    })
}

pub(crate) fn create_tables(
    conn: &Connection,
    id: i64,
    columns: &[ColumnSpec],
) -> Result<(), CacheError> {
    let rec = record_table(id);
    let mut cols = String::new();
    for (i, c) in columns.iter().enumerate() {
        cols.push_str(&format!(",\n  d{i} TEXT COLLATE NOCASE"));
        if !c.kind.is_text() {
            cols.push_str(&format!(",\n  s{i} {}", crate::extract::sql_type(c.kind)));
        }
    }
    // AUTOINCREMENT so a row index handed to the UI is never reused by a later record after a
    // deletion (detail(index) must not show a different record).
    let mut ddl = format!(
        "CREATE TABLE {rec} (\n  idx INTEGER PRIMARY KEY AUTOINCREMENT,\n  record_id TEXT NOT NULL UNIQUE,\n  \
         seen_gen INTEGER NOT NULL{cols}\n);\n\
         CREATE TABLE IF NOT EXISTS {raw} (idx INTEGER PRIMARY KEY, raw_json TEXT NOT NULL);\n",
        raw = raw_table(id)
    );
    for (i, c) in columns.iter().enumerate() {
        let col = sort_column(i, c);
        let desc = sort_index(id, &col, true);
        let asc = sort_index(id, &col, false);
        ddl.push_str(&format!(
            "CREATE INDEX {desc} ON {rec}({col});\nCREATE INDEX {asc} ON {rec}({col} IS NULL, {col});\n"
        ));
    }
    ddl.push_str(&format!(
        "CREATE VIRTUAL TABLE {} USING fts5(body, {});\n",
        fts_table(id),
        fts::FTS_OPTIONS
    ));
    conn.execute_batch(&ddl)?;
    Ok(())
}

pub(crate) fn drop_tables(conn: &Connection, id: i64) -> Result<(), CacheError> {
    drop_derived_tables(conn, id)?;
    conn.execute_batch(&format!("DROP TABLE IF EXISTS {};", raw_table(id)))?;
    Ok(())
}

/// Drops the tables whose layout follows the column definitions (row table with its indexes,
/// search index), keeping the raw JSON they are rebuilt from.
pub(crate) fn drop_derived_tables(conn: &Connection, id: i64) -> Result<(), CacheError> {
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS {}; DROP TABLE IF EXISTS {};",
        record_table(id),
        fts_table(id)
    ))?;
    Ok(())
}
