//! Sync: each page of records lands in one transaction together with the resume cursor, so an
//! interrupted sync resumes after the last whole page and can never leave half a page behind.
//! Records are keyed by their provider id (`record_id UNIQUE`), so a page written twice (the
//! page in flight when the app was closed is fetched again on resume) updates, never duplicates.
//!
//! Full syncs delete what the provider no longer has: every row written carries the sync's
//! generation number, a resumed sync keeps its generation, and `finish` drops rows from older
//! generations. Nothing is deleted before `finish`, so an interrupted full sync never empties
//! the view.

use std::collections::HashMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Transaction};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tracing::{debug, info};

use crate::ids::{fts_table, raw_table, record_table, validate, validate_list};
use crate::people::resolve::{self as people, Changes, Resolver};
use crate::schema::{self, Resource};
use crate::{extract, Cache, CacheError, ColumnSpec, SyncMarks, SyncMode, SyncStats, Unfinished};

pub struct SyncWriter<'c> {
    cache: &'c Cache,
    _active: ActiveSync<'c>,
    resource_id: i64,
    sql: RowSql,
    mode: SyncMode,
    generation: i64,
    /// Resolves stored records to people, when the resource has identity fields.
    people: Option<Resolver>,
}

/// A resource's key among the syncs that run.
fn sync_key(provider: &str, account: &str, resource: &str) -> (String, String, String) {
    (
        provider.to_string(),
        account.to_string(),
        resource.to_string(),
    )
}

/// Marks a resource as being synced for as long as its `SyncWriter` lives (also when it is
/// dropped without `finish`, as an interrupted sync is).
struct ActiveSync<'c> {
    cache: &'c Cache,
    key: (String, String, String),
}

impl<'c> ActiveSync<'c> {
    fn claim(
        cache: &'c Cache,
        provider: &str,
        account: &str,
        resource: &str,
    ) -> Result<Self, CacheError> {
        let key = sync_key(provider, account, resource);
        let mut active = cache.active_syncs.lock();
        if !active.insert(key.clone()) {
            return Err(CacheError::SyncRunning {
                provider: key.0,
                account: key.1,
                resource: key.2,
            });
        }
        Ok(ActiveSync { cache, key })
    }
}

impl Drop for ActiveSync<'_> {
    fn drop(&mut self) {
        let mut active = self.cache.active_syncs.lock();
        active.remove(&self.key);
        let last = active.is_empty();
        drop(active);
        if last {
            self.cache.release_sync_memory();
        }
    }
}

fn mode_name(mode: SyncMode) -> &'static str {
    match mode {
        SyncMode::Full => "full",
        SyncMode::Incremental => "incremental",
    }
}

fn mode_of(name: &str) -> Option<SyncMode> {
    match name {
        "full" => Some(SyncMode::Full),
        "incremental" => Some(SyncMode::Incremental),
        _ => None,
    }
}

/// How one page changed the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageStats {
    /// Records new to the cache.
    pub added: u64,
    /// Records whose content changed.
    pub updated: u64,
}

pub(crate) fn now_rfc3339() -> String {
    rfc3339_seconds(OffsetDateTime::now_utc())
}

/// `t` in UTC as RFC 3339, whole seconds.
fn rfc3339_seconds(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Record fields whose names say they hold credentials are dropped before the raw JSON is
/// stored: the cache file is not a secret store, even when a provider echoes a key back.
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "passwd",
        "api_key",
        "apikey",
        "authorization",
        "credential",
    ]
    .iter()
    .any(|s| k.contains(s))
}

pub(crate) fn strip_secrets(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !is_secret_key(k))
                .map(|(k, v)| (k.clone(), strip_secrets(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_secrets).collect()),
        other => other.clone(),
    }
}

/// The SQL that writes one resource's rows, built once per sync from its column definitions.
pub(crate) struct RowSql {
    columns: Vec<ColumnSpec>,
    find: String,
    /// A record's row index and stored JSON, to tell an edit from a record seen again.
    find_raw: String,
    /// Marks an unchanged row as seen by this sync.
    touch: String,
    insert: String,
    update: String,
    fts_delete: String,
    fts_insert: String,
    raw_put: String,
}

impl RowSql {
    pub(crate) fn new(resource_id: i64, columns: &[ColumnSpec]) -> Self {
        let rec = record_table(resource_id);
        let fts = fts_table(resource_id);
        // Data columns in bind order: `d0, s0, d1, ...` (text kinds have no `s`).
        let mut cols = Vec::new();
        for (i, c) in columns.iter().enumerate() {
            cols.push(format!("d{i}"));
            if !c.kind.is_text() {
                cols.push(format!("s{i}"));
            }
        }
        let placeholders: Vec<String> = (0..cols.len()).map(|i| format!("?{}", i + 4)).collect();
        let sets: Vec<String> = cols
            .iter()
            .zip(&placeholders)
            .map(|(c, p)| format!("{c} = {p}"))
            .collect();
        RowSql {
            columns: columns.to_vec(),
            find: format!("SELECT idx FROM {rec} WHERE record_id = ?1"),
            // One table with its unique key in WHERE (the raw JSON a subquery by row index):
            // as a join, SQLite's plan would depend on the bound id, and rusqlite's statement
            // cache clearing the bindings would make SQLite prepare it again for every record.
            find_raw: format!(
                "SELECT r.idx, (SELECT w.raw_json FROM {raw} w WHERE w.idx = r.idx) FROM {rec} r
                 WHERE r.record_id = ?1",
                raw = raw_table(resource_id)
            ),
            touch: format!("UPDATE {rec} SET seen_gen = ?2 WHERE idx = ?1"),
            insert: format!(
                "INSERT INTO {rec} (idx, record_id, seen_gen, {}) VALUES (?1, ?2, ?3, {})",
                cols.join(", "),
                placeholders.join(", ")
            ),
            update: format!(
                "UPDATE {rec} SET record_id = ?2, seen_gen = ?3, {} WHERE idx = ?1",
                sets.join(", ")
            ),
            fts_delete: format!("DELETE FROM {fts} WHERE rowid = ?1"),
            fts_insert: format!("INSERT INTO {fts} (rowid, body) VALUES (?1, ?2)"),
            raw_put: format!(
                "INSERT OR REPLACE INTO {} (idx, raw_json) VALUES (?1, ?2)",
                raw_table(resource_id)
            ),
        }
    }

    /// Inserts or updates (by record id) one record's row and search entry. `fixed_idx` is for
    /// rebuilds, which keep each row's index. Returns the row index and whether it is new.
    fn put_row(
        &self,
        tx: &Connection,
        record_id: &str,
        record: &Value,
        generation: i64,
        fixed_idx: Option<i64>,
    ) -> Result<(i64, bool), CacheError> {
        let cells: Vec<extract::Cell> = self
            .columns
            .iter()
            .map(|c| extract::cell(c, record))
            .collect();
        let body = extract::search_text(&self.columns, &cells);
        let mut values: Vec<SqlValue> = Vec::with_capacity(3 + cells.len() * 2);
        values.push(SqlValue::Null);
        values.push(SqlValue::Text(record_id.to_string()));
        values.push(SqlValue::Integer(generation));
        for c in cells {
            // Empty cells are NULL so they sort last through the same indexes as missing numbers.
            values.push(if c.display.is_empty() {
                SqlValue::Null
            } else {
                SqlValue::Text(c.display)
            });
            if let Some(sort) = c.sort {
                values.push(sort);
            }
        }
        let existing: Option<i64> = match fixed_idx {
            Some(_) => None,
            None => tx
                .prepare_cached(&self.find)?
                .query_row([record_id], |r| r.get(0))
                .optional()?,
        };
        let (idx, is_new) = match existing {
            Some(idx) => {
                values[0] = SqlValue::Integer(idx);
                tx.prepare_cached(&self.update)?
                    .execute(params_from_iter(&values))?;
                tx.prepare_cached(&self.fts_delete)?.execute([idx])?;
                (idx, false)
            }
            None => {
                values[0] = fixed_idx.map(SqlValue::Integer).unwrap_or(SqlValue::Null);
                tx.prepare_cached(&self.insert)?
                    .execute(params_from_iter(&values))?;
                (tx.last_insert_rowid(), true)
            }
        };
        tx.prepare_cached(&self.fts_insert)?
            .execute(params![idx, body])?;
        Ok((idx, is_new))
    }

    fn put_raw(&self, tx: &Connection, idx: i64, raw_json: &str) -> Result<(), CacheError> {
        tx.prepare_cached(&self.raw_put)?
            .execute(params![idx, raw_json])?;
        Ok(())
    }
}

/// Re-extracts every cached row when the shell's column definitions changed (a new app version
/// shows another column): the raw JSON is kept for exactly this. Only the small per-row
/// bookkeeping is held in memory; the raw JSON is streamed.
fn rebuild(tx: &Transaction, old: &Resource, columns: &[ColumnSpec]) -> Result<(), CacheError> {
    let rec = record_table(old.id);
    let kept: HashMap<i64, (String, i64)> = tx
        .prepare(&format!("SELECT idx, record_id, seen_gen FROM {rec}"))?
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<Result<_, _>>()?;
    let seq: Option<i64> = tx
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = ?1",
            [&rec],
            |r| r.get(0),
        )
        .optional()?;
    schema::drop_derived_tables(tx, old.id)?;
    schema::create_tables(tx, old.id, columns)?;
    let sql = RowSql::new(old.id, columns);
    let mut raw_rows = tx.prepare(&format!("SELECT idx, raw_json FROM {}", raw_table(old.id)))?;
    let mut rows = raw_rows.query([])?;
    while let Some(row) = rows.next()? {
        let idx: i64 = row.get(0)?;
        let raw: String = row.get(1)?;
        let Some((record_id, generation)) = kept.get(&idx) else {
            continue;
        };
        let value: Value =
            serde_json::from_str(&raw).map_err(|e| CacheError::Record(e.to_string()))?;
        sql.put_row(tx, record_id, &value, *generation, Some(idx))?;
    }
    if let Some(seq) = seq {
        // Keep row indexes from ever being reused, even across a rebuild.
        tx.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, ?1) WHERE name = ?2",
            params![seq, rec],
        )?;
    }
    tx.execute(
        "UPDATE resources SET columns = ?1 WHERE id = ?2",
        params![serde_json::to_string(columns).unwrap_or_default(), old.id],
    )?;
    info!(
        resource_id = old.id,
        rows = kept.len(),
        "cache columns changed; rows re-extracted"
    );
    Ok(())
}

impl Cache {
    /// Whether a sync of this resource runs now (its [`SyncWriter`] is alive): its unfinished
    /// marks are that sync's, not an interrupted one's.
    pub fn sync_running(&self, provider: &str, account: &str, resource: &str) -> bool {
        self.active_syncs
            .lock()
            .contains(&sync_key(provider, account, resource))
    }

    /// Starts (or resumes) a sync of one resource of one account. When an unfinished sync of the
    /// same mode exists it is resumed: ask [`Cache::resume_point`] for the cursor to continue
    /// from. Accounts of one provider sync side by side, each into its own tables.
    pub fn begin_sync(
        &self,
        provider: &str,
        account: &str,
        resource: &str,
        columns: &[ColumnSpec],
        mode: SyncMode,
    ) -> Result<SyncWriter<'_>, CacheError> {
        validate_list(provider, account, resource)?;
        schema::validate_columns(columns)?;
        let columns_json = serde_json::to_string(columns)
            .map_err(|e| CacheError::InvalidColumns(e.to_string()))?;
        let active = ActiveSync::claim(self, provider, account, resource)?;
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let resource_id = match schema::lookup(&tx, provider, account, resource)? {
            Some(existing) => {
                if existing.columns != columns {
                    rebuild(&tx, &existing, columns)?;
                }
                existing.id
            }
            None => {
                tx.execute(
                    "INSERT INTO resources (provider, account, resource, columns)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![provider, account, resource, columns_json],
                )?;
                let id = tx.last_insert_rowid();
                schema::create_tables(&tx, id, columns)?;
                id
            }
        };
        let previous: Option<(String, i64, bool)> = tx
            .query_row(
                "SELECT mode, generation, in_progress FROM sync_state WHERE resource_id = ?1",
                [resource_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let generation = match previous {
            Some((m, generation, true)) if m == mode_name(mode) => {
                info!(
                    provider,
                    account, resource, generation, "resuming interrupted sync"
                );
                generation
            }
            other => {
                let generation = other.map(|(_, g, _)| g + 1).unwrap_or(1);
                tx.execute(
                    "INSERT INTO sync_state (resource_id, mode, generation, page_cursor, in_progress, started_at, pages,
                         added, updated, watermark)
                     VALUES (?1, ?2, ?3, NULL, 1, ?4, 0, 0, 0, NULL)
                     ON CONFLICT(resource_id) DO UPDATE SET mode = ?2, generation = ?3, page_cursor = NULL,
                         in_progress = 1, started_at = ?4, pages = 0, added = 0, updated = 0, watermark = NULL",
                    params![resource_id, mode_name(mode), generation, now_rfc3339()],
                )?;
                info!(
                    provider,
                    account,
                    resource,
                    generation,
                    mode = mode_name(mode),
                    "sync started"
                );
                generation
            }
        };
        tx.execute(
            "UPDATE resources SET complete = 0 WHERE id = ?1",
            [resource_id],
        )?;
        let people = Resolver::load(&tx, resource_id, provider, account, resource)?;
        tx.commit()?;
        Ok(SyncWriter {
            cache: self,
            _active: active,
            resource_id,
            sql: RowSql::new(resource_id, columns),
            mode,
            generation,
            people,
        })
    }

    /// The cursor stored with the last committed page of an unfinished sync, if there is one.
    pub fn resume_point(
        &self,
        provider: &str,
        account: &str,
        resource: &str,
    ) -> Result<Option<String>, CacheError> {
        validate_list(provider, account, resource)?;
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT s.page_cursor FROM sync_state s JOIN resources r ON r.id = s.resource_id
                     WHERE r.provider = ?1 AND r.account = ?2 AND r.resource = ?3
                       AND s.in_progress = 1",
                )?
                .query_row([provider, account, resource], |r| {
                    r.get::<_, Option<String>>(0)
                })
                .optional()?
                .flatten())
        })
    }

    /// What the cache knows about a resource's syncs (all `None` before its first sync).
    pub fn sync_marks(
        &self,
        provider: &str,
        account: &str,
        resource: &str,
    ) -> Result<SyncMarks, CacheError> {
        validate_list(provider, account, resource)?;
        self.with_reader(|conn| {
            type Row = (
                Option<String>,
                Option<String>,
                Option<String>,
                Option<bool>,
                Option<String>,
                Option<String>,
            );
            let row: Option<Row> = conn
                .prepare_cached(
                    "SELECT r.watermark, r.last_full, s.mode, s.in_progress, s.page_cursor, s.watermark
                     FROM resources r LEFT JOIN sync_state s ON s.resource_id = r.id
                     WHERE r.provider = ?1 AND r.account = ?2 AND r.resource = ?3",
                )?
                .query_row([provider, account, resource], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })
                .optional()?;
            let Some((watermark, last_full, mode, in_progress, cursor, pending)) = row else {
                return Ok(SyncMarks::default());
            };
            let unfinished = match (mode.as_deref().and_then(mode_of), in_progress) {
                (Some(mode), Some(true)) => Some(Unfinished {
                    mode,
                    cursor,
                    watermark: pending,
                }),
                _ => None,
            };
            Ok(SyncMarks {
                watermark,
                last_full,
                unfinished,
            })
        })
    }

    /// Removes the cached records of one resource of an account, or of every resource of that
    /// account (on disconnect); other accounts of the provider keep theirs (to remove a whole
    /// provider, delete each of its [`Cache::accounts`]). Nothing is left behind: the tables are
    /// dropped, SQLite overwrites the freed pages (secure_delete, set in `open`), and the WAL is
    /// checkpointed and truncated. Deleting every resource (a disconnect) deletes the account's
    /// saved views too: their filters may hold a customer's name or address.
    pub fn delete(
        &self,
        provider: &str,
        account: &str,
        resource: Option<&str>,
    ) -> Result<(), CacheError> {
        validate(provider)?;
        validate(account)?;
        if let Some(r) = resource {
            validate(r)?;
        }
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let ids: Vec<i64> = tx
            .prepare(
                "SELECT id FROM resources
                 WHERE provider = ?1 AND account = ?2 AND (?3 IS NULL OR resource = ?3)",
            )?
            .query_map(params![provider, account, resource], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in &ids {
            people::forget_resource(&tx, *id)?;
            schema::drop_tables(&tx, *id)?;
            tx.execute("DELETE FROM sync_state WHERE resource_id = ?1", [id])?;
            tx.execute("DELETE FROM resources WHERE id = ?1", [id])?;
        }
        if resource.is_none() {
            tx.execute(
                "DELETE FROM saved_view WHERE provider = ?1 AND account = ?2",
                params![provider, account],
            )?;
        }
        tx.commit()?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        info!(
            provider,
            account,
            resource,
            resources = ids.len(),
            "cached records deleted"
        );
        Ok(())
    }
}

impl SyncWriter<'_> {
    /// Writes one page in ONE transaction: the rows, their search entries and the cursor for the
    /// next page. A page either lands whole or not at all; the same id twice never duplicates.
    pub fn write_page(
        &mut self,
        records: &[(String, Value)],
        next: Option<&str>,
    ) -> Result<(), CacheError> {
        self.write_page_marked(records, next, None).map(|_| ())
    }

    /// Like [`SyncWriter::write_page`], also storing `watermark` (the sync engine's, for the
    /// records stored so far; `None` keeps the one stored) in the same transaction, and
    /// answering how many records were new and how many changed. A record seen again
    /// unchanged only has its row marked as seen: no search entry is rewritten.
    pub fn write_page_marked(
        &mut self,
        records: &[(String, Value)],
        next: Option<&str>,
        watermark: Option<&str>,
    ) -> Result<PageStats, CacheError> {
        self.write(records, Some((next, watermark)))
    }

    /// Writes part of a page in its own transaction, leaving the cursor and the watermark as
    /// they are: a sync that stops before the page's rest is written fetches the whole page
    /// again, and what this wrote is seen again unchanged. Lets the first rows of a page show
    /// while the rest of it is written.
    pub fn write_rows(&mut self, records: &[(String, Value)]) -> Result<PageStats, CacheError> {
        self.write(records, None)
    }

    /// Whether this sync still owns its records: they were not deleted (a disconnect) and no
    /// other sync took over. Checked first in each of its transactions.
    fn owns_records(&self, tx: &Transaction) -> Result<bool, CacheError> {
        Ok(tx.query_row(
            "SELECT count(*) FROM sync_state WHERE resource_id = ?1 AND generation = ?2 AND in_progress = 1",
            params![self.resource_id, self.generation],
            |r| r.get(0),
        )?)
    }

    /// `end`: the cursor for the next page and the watermark, when `records` end a page.
    fn write(
        &mut self,
        records: &[(String, Value)],
        end: Option<(Option<&str>, Option<&str>)>,
    ) -> Result<PageStats, CacheError> {
        let mut conn = self.cache.writer();
        let tx = conn.transaction()?;
        // Checked first: if the records were deleted (disconnect) or another sync took over,
        // this writer must not resurrect them.
        let live = match end {
            Some((next, watermark)) => {
                tx.execute(
                    "UPDATE sync_state SET page_cursor = ?1, pages = pages + 1,
                         watermark = coalesce(?4, watermark)
                     WHERE resource_id = ?2 AND generation = ?3 AND in_progress = 1",
                    params![next, self.resource_id, self.generation, watermark],
                )? > 0
            }
            None => self.owns_records(&tx)?,
        };
        if !live {
            return Err(CacheError::SyncSuperseded);
        }
        let mut stats = PageStats::default();
        let mut changes = Changes::default();
        for (record_id, record) in records {
            if record_id.is_empty() {
                return Err(CacheError::Record("a record has an empty id".into()));
            }
            let clean = strip_secrets(record);
            let raw =
                serde_json::to_string(&clean).map_err(|e| CacheError::Record(e.to_string()))?;
            let existing: Option<(i64, Option<String>)> = tx
                .prepare_cached(&self.sql.find_raw)?
                .query_row([record_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match existing {
                Some((idx, Some(old))) if old == raw => {
                    tx.prepare_cached(&self.sql.touch)?
                        .execute(params![idx, self.generation])?;
                }
                _ => {
                    let (idx, is_new) =
                        self.sql
                            .put_row(&tx, record_id, &clean, self.generation, None)?;
                    self.sql.put_raw(&tx, idx, &raw)?;
                    if let Some(people) = &self.people {
                        people.observe(&tx, &mut changes, record_id, &clean)?;
                    }
                    if is_new {
                        stats.added += 1;
                    } else {
                        stats.updated += 1;
                    }
                }
            }
        }
        // People follow the page in its transaction: they are never behind the stored records.
        changes.settle(&tx)?;
        tx.execute(
            "UPDATE resources SET row_count = row_count + ?1 WHERE id = ?2",
            params![stats.added as i64, self.resource_id],
        )?;
        tx.execute(
            "UPDATE sync_state SET added = added + ?1, updated = updated + ?2 WHERE resource_id = ?3",
            params![stats.added as i64, stats.updated as i64, self.resource_id],
        )?;
        tx.commit()?;
        debug!(
            resource_id = self.resource_id,
            records = records.len(),
            added = stats.added,
            updated = stats.updated,
            "page written"
        );
        Ok(stats)
    }

    /// Ends the sync. Full mode deletes the rows no page of this sync (across resumed attempts)
    /// contained; both modes mark the resource complete and set `last_synced`. A full pass is
    /// dated now; see [`SyncWriter::finish_as_of`].
    pub fn finish(self) -> Result<SyncStats, CacheError> {
        self.finish_as_of(OffsetDateTime::now_utc())
    }

    /// Like [`SyncWriter::finish`], dating a full pass `as_of`: the present its sync planned
    /// with. The next plan measures the pass's age from its own present, so both ends of the
    /// comparison come from one clock (a test's simulated one included).
    pub fn finish_as_of(self, as_of: OffsetDateTime) -> Result<SyncStats, CacheError> {
        let rec = record_table(self.resource_id);
        let fts = fts_table(self.resource_id);
        let mut conn = self.cache.writer();
        let tx = conn.transaction()?;
        if !self.owns_records(&tx)? {
            return Err(CacheError::SyncSuperseded);
        }
        let deleted = if self.mode == SyncMode::Full {
            if self.people.is_some() {
                let gone: Vec<String> = tx
                    .prepare(&format!("SELECT record_id FROM {rec} WHERE seen_gen <> ?1"))?
                    .query_map([self.generation], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                people::forget(&tx, self.resource_id, gone.iter().map(String::as_str))?;
            }
            tx.execute(
                &format!(
                    "DELETE FROM {fts} WHERE rowid IN (SELECT idx FROM {rec} WHERE seen_gen <> ?1)"
                ),
                [self.generation],
            )?;
            tx.execute(
                &format!(
                    "DELETE FROM {} WHERE idx IN (SELECT idx FROM {rec} WHERE seen_gen <> ?1)",
                    raw_table(self.resource_id)
                ),
                [self.generation],
            )?;
            tx.execute(
                &format!("DELETE FROM {rec} WHERE seen_gen <> ?1"),
                [self.generation],
            )? as u64
        } else {
            0
        };
        let written: i64 = tx.query_row(
            &format!("SELECT count(*) FROM {rec} WHERE seen_gen = ?1"),
            [self.generation],
            |r| r.get(0),
        )?;
        let total: i64 = tx.query_row(&format!("SELECT count(*) FROM {rec}"), [], |r| r.get(0))?;
        let (added, updated): (i64, i64) = tx.query_row(
            "SELECT added, updated FROM sync_state WHERE resource_id = ?1",
            [self.resource_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let now = now_rfc3339();
        let full_at = rfc3339_seconds(as_of);
        // The watermark the stored pages reached becomes the resource's only now: an
        // interrupted sync resumes with its own, and the next pass starts from a finished one.
        tx.execute(
            "UPDATE resources SET row_count = ?1, complete = 1, last_synced = ?2,
                 watermark = coalesce((SELECT watermark FROM sync_state WHERE resource_id = ?3), watermark),
                 last_full = CASE WHEN ?4 THEN ?5 ELSE last_full END
             WHERE id = ?3",
            params![
                total,
                now,
                self.resource_id,
                self.mode == SyncMode::Full,
                full_at
            ],
        )?;
        tx.execute(
            "UPDATE sync_state SET in_progress = 0, page_cursor = NULL WHERE resource_id = ?1",
            [self.resource_id],
        )?;
        tx.commit()?;
        info!(
            resource_id = self.resource_id,
            written, added, updated, deleted, total, "sync finished"
        );
        Ok(SyncStats {
            written: written as u64,
            added: added as u64,
            updated: updated as u64,
            deleted,
            total: total as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{Cache, ColumnKind, ColumnSpec, SyncMode, Unfinished};

    const P: &str = "whatconverts";
    const A: &str = "acct";
    const R: &str = "leads";

    fn cols() -> Vec<ColumnSpec> {
        vec![ColumnSpec {
            key: "name".into(),
            label: "Name".into(),
            pointer: "/name".into(),
            kind: ColumnKind::Text,
        }]
    }

    fn rows(items: &[(&str, &str)]) -> Vec<(String, serde_json::Value)> {
        items
            .iter()
            .map(|(id, name)| (id.to_string(), json!({ "name": name })))
            .collect()
    }

    /// Bytes the connection's page cache holds now (SQLite's own count).
    fn page_cache_bytes(conn: &rusqlite::Connection) -> i32 {
        let (mut now, mut high) = (0, 0);
        // SAFETY: the handle is the live connection `conn` borrows for this call, and the two
        // out-pointers are valid for its duration.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_db_status(
                conn.handle(),
                rusqlite::ffi::SQLITE_DBSTATUS_CACHE_USED,
                &mut now,
                &mut high,
                0,
            )
        };
        assert_eq!(rc, rusqlite::ffi::SQLITE_OK);
        now
    }

    fn big_page(from: usize, n: usize) -> Vec<(String, serde_json::Value)> {
        (from..from + n)
            .map(|i| {
                (
                    i.to_string(),
                    json!({ "name": format!("Lead {i} {}", "x".repeat(300)) }),
                )
            })
            .collect()
    }

    #[test]
    fn the_writer_gives_back_its_page_cache_when_the_last_sync_ends() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("c.sqlite3")).unwrap();
        let mut leads = cache.begin_sync(P, A, R, &cols(), SyncMode::Full).unwrap();
        let mut calls = cache
            .begin_sync(P, A, "calls", &cols(), SyncMode::Full)
            .unwrap();
        for page in 0..10 {
            leads
                .write_page(&big_page(page * 1000, 1000), None)
                .unwrap();
        }
        calls.write_page(&big_page(0, 10), None).unwrap();
        let during = page_cache_bytes(&cache.writer());
        assert!(
            during > 4 << 20,
            "10,000 records fill the cache: {during} bytes"
        );

        leads.finish().unwrap();
        let one_left = page_cache_bytes(&cache.writer());
        assert!(
            one_left > during / 2,
            "a sync still running keeps the cache: {one_left} of {during} bytes"
        );
        calls.finish().unwrap();
        let after = page_cache_bytes(&cache.writer());
        assert!(
            after < during / 10,
            "the last sync's end gives the cache back: {after} of {during} bytes"
        );
        // What was given back is read again on demand.
        let mut again = cache.begin_sync(P, A, R, &cols(), SyncMode::Full).unwrap();
        again.write_page(&big_page(0, 10), None).unwrap();
        assert!(again.finish().unwrap().total == 10);
    }

    #[test]
    fn a_sync_counts_what_it_added_changed_and_removed_across_resumed_attempts() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("c.sqlite3")).unwrap();
        let mut w = cache.begin_sync(P, A, R, &cols(), SyncMode::Full).unwrap();
        w.write_page(&rows(&[("1", "Ann"), ("2", "Bo"), ("3", "Cy")]), None)
            .unwrap();
        let s = w.finish().unwrap();
        assert_eq!((s.added, s.updated, s.deleted), (3, 0, 0));

        // A full pass interrupted after its first page, then resumed: counted as one sync.
        let mut w = cache.begin_sync(P, A, R, &cols(), SyncMode::Full).unwrap();
        let page = w
            .write_page_marked(&rows(&[("1", "Ann"), ("2", "Bob")]), Some("c1"), Some("w1"))
            .unwrap();
        assert_eq!(
            (page.added, page.updated),
            (0, 1),
            "Ann is unchanged, Bo became Bob"
        );
        drop(w);
        let marks = cache.sync_marks(P, A, R).unwrap();
        assert_eq!(
            marks.unfinished,
            Some(Unfinished {
                mode: SyncMode::Full,
                cursor: Some("c1".into()),
                watermark: Some("w1".into()),
            })
        );
        assert_eq!(
            marks.watermark, None,
            "promoted only when the sync finishes"
        );
        let mut w = cache.begin_sync(P, A, R, &cols(), SyncMode::Full).unwrap();
        w.write_page_marked(&rows(&[("4", "Di")]), Some("c2"), None)
            .unwrap();
        let s = w.finish().unwrap();
        assert_eq!((s.added, s.updated, s.deleted, s.total), (1, 1, 1, 3));
        let marks = cache.sync_marks(P, A, R).unwrap();
        assert_eq!(marks.watermark.as_deref(), Some("w1"));
        assert!(marks.unfinished.is_none());
        let full_at = marks.last_full.clone().expect("a full pass finished");

        // An incremental pass keeps the last full pass's time and deletes nothing.
        let mut w = cache
            .begin_sync(P, A, R, &cols(), SyncMode::Incremental)
            .unwrap();
        w.write_page_marked(&rows(&[("5", "Ed")]), Some("c"), Some("w2"))
            .unwrap();
        let s = w.finish().unwrap();
        assert_eq!((s.added, s.updated, s.deleted, s.total), (1, 0, 0, 4));
        let marks = cache.sync_marks(P, A, R).unwrap();
        assert_eq!(marks.watermark.as_deref(), Some("w2"));
        assert_eq!(marks.last_full, Some(full_at));
        assert_eq!(cache.sync_marks(P, A, "other").unwrap(), Default::default());
    }

    #[test]
    fn a_full_pass_is_dated_by_the_present_its_sync_planned_with() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(&dir.path().join("c.sqlite3")).unwrap();
        // A present behind the wall clock (a simulated one, or a sync that started long ago)
        // and given with an offset: stored in UTC, whole seconds.
        let as_of = time::macros::datetime!(2020-03-04 07:08:09.75 +02:00);
        let mut w = cache.begin_sync(P, A, R, &cols(), SyncMode::Full).unwrap();
        w.write_page_marked(&rows(&[("1", "Ann")]), Some("c"), None)
            .unwrap();
        w.finish_as_of(as_of).unwrap();
        let marks = cache.sync_marks(P, A, R).unwrap();
        assert_eq!(marks.last_full.as_deref(), Some("2020-03-04T05:08:09Z"));

        // An incremental pass dates nothing.
        let mut w = cache
            .begin_sync(P, A, R, &cols(), SyncMode::Incremental)
            .unwrap();
        w.write_page_marked(&rows(&[("2", "Bo")]), Some("c"), None)
            .unwrap();
        w.finish_as_of(time::macros::datetime!(2021-01-01 00:00 UTC))
            .unwrap();
        let marks = cache.sync_marks(P, A, R).unwrap();
        assert_eq!(marks.last_full.as_deref(), Some("2020-03-04T05:08:09Z"));
    }
}
