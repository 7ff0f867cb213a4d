//! Export of the current view (search + sort, all matched rows, no paging), streamed row by row
//! from SQLite to the writer so a 200000-row export never sits in memory.

use std::io::Write;

use rusqlite::params_from_iter;
use tracing::info;

use crate::csv_cell::formula_safe;
use crate::query::{bind, display_columns, matched, plan, Shape};
use crate::{fts, schema, Cache, CacheError, ExportFormat, Query};

/// Progress is reported every this many rows: often enough for a smooth bar, rare enough not
/// to flood the UI channel.
const PROGRESS_EVERY: u64 = 500;

impl Cache {
    /// Writes every row matching `q` (search and sort; offset and limit are ignored) as CSV
    /// (header of column labels, display values) or as a JSON array of the raw records.
    /// Returns the number of rows written. `progress(done, total)` is called at the start,
    /// every few hundred rows and at the end.
    // Eight arguments: the same (provider, account, resource) address every other method takes,
    // then what to export and where. A struct for just this one call would make it the odd one.
    #[allow(clippy::too_many_arguments)]
    pub fn export(
        &self,
        provider: &str,
        account: &str,
        resource: &str,
        q: &Query,
        format: ExportFormat,
        out: &mut dyn Write,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64, CacheError> {
        self.with_reader(|conn| {
            // One read transaction: the export is a consistent snapshot even if a sync writes
            // meanwhile (WAL), and its count matches the rows written.
            let tx = conn.unchecked_transaction()?;
            let conn: &rusqlite::Connection = &tx;
            let result = (|| {
                let res = schema::require(conn, provider, account, resource)?;
                let (select, with_raw) = match format {
                    ExportFormat::Csv => (display_columns(&res), false),
                    ExportFormat::Json => ("w.raw_json".to_string(), true),
                };
                let all: i64 = conn.query_row(
                    &format!("SELECT count(*) FROM {}", crate::ids::record_table(res.id)),
                    [],
                    |r| r.get(0),
                )?;
                let match_expr = fts::match_expression(&q.search);
                let total = matched(conn, &res, q, match_expr.as_deref(), all as u64)?;
                let shape = Shape {
                    select: &select,
                    with_raw,
                    page: None,
                };
                let plan = plan(&res, q, match_expr, total, all as u64, shape)?;
                progress(0, total);
                let mut stmt = conn.prepare(&plan.sql)?;
                let mut rows = stmt.query(params_from_iter(bind(&plan)))?;
                let mut done = 0u64;
                match format {
                    ExportFormat::Csv => {
                        let mut csv = csv::Writer::from_writer(&mut *out);
                        // Labels and values alike: a spreadsheet never runs a cell as a
                        // formula (see `csv_cell`; JSON below keeps the values as they are).
                        csv.write_record(
                            res.columns
                                .iter()
                                .map(|c| formula_safe(&c.label).into_owned()),
                        )?;
                        let width = res.columns.len();
                        while let Some(row) = rows.next()? {
                            let mut cells = Vec::with_capacity(width);
                            for i in 0..width {
                                let cell = row.get::<_, Option<String>>(i + 1)?.unwrap_or_default();
                                cells.push(match formula_safe(&cell) {
                                    std::borrow::Cow::Borrowed(_) => cell,
                                    std::borrow::Cow::Owned(quoted) => quoted,
                                });
                            }
                            csv.write_record(&cells)?;
                            done += 1;
                            if done.is_multiple_of(PROGRESS_EVERY) {
                                progress(done, total);
                            }
                        }
                        csv.flush().map_err(CacheError::ExportWrite)?;
                    }
                    ExportFormat::Json => {
                        let w = &mut *out;
                        w.write_all(b"[").map_err(CacheError::ExportWrite)?;
                        while let Some(row) = rows.next()? {
                            let raw: String = row.get(1)?;
                            let sep: &[u8] = if done == 0 { b"\n" } else { b",\n" };
                            w.write_all(sep).map_err(CacheError::ExportWrite)?;
                            // Stored raw JSON was serialised by serde_json, so it is valid as is.
                            w.write_all(raw.as_bytes())
                                .map_err(CacheError::ExportWrite)?;
                            done += 1;
                            if done.is_multiple_of(PROGRESS_EVERY) {
                                progress(done, total);
                            }
                        }
                        w.write_all(if done == 0 { b"]\n" } else { b"\n]\n" })
                            .map_err(CacheError::ExportWrite)?;
                    }
                }
                out.flush().map_err(CacheError::ExportWrite)?;
                progress(done, total);
                info!(provider, account, resource, rows = done, "export written");
                Ok(done)
            })();
            // The transaction ends when `tx` drops, also after a failed write, so the pooled
            // connection never pins an old snapshot.
            result
        })
    }
}
