//! Resolution, incremental and in SQLite: each stored record's keys (its own, its emails and
//! phones, the record it belongs to) name a person in `person_key` (one person per key). A
//! record whose keys name no one starts a person; one that names one joins it; one that
//! names several bridges them, and they merge into the oldest (union-find, with the union
//! done by rewriting the younger persons' rows). Removing a record, or a user decision,
//! "unsettles" its person: its records are resolved again from their stored keys, which
//! splits it when the removed record was the only bridge.
//!
//! The user's decisions ride on the keys (`decisions.rs`): a confirmed merge adds a key both
//! records share; a split renames the split records' keys so nothing else matches them.

use std::collections::{HashMap, HashSet};

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::spec::{Facts, IdentityFields, Place};
use super::{decisions, normalize};
use crate::CacheError;

type Keys = Vec<(String, String)>;

/// Persons touched by a page (or a decision, or a deletion), settled together at its end.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// Aggregates and search text to recompute.
    dirty: HashSet<i64>,
    /// Persons whose records must be resolved again (a record left or changed its keys).
    unsettled: HashSet<i64>,
    /// Persons created by these changes: they have no search entry to replace yet.
    fresh: HashSet<i64>,
    /// Whether any merge or split stands, read once: without one, a record's keys are its own.
    decisions: Option<bool>,
}

impl Changes {
    /// Resolves the unsettled persons again, then brings every touched person's figures up
    /// to date (or removes a person left without records).
    pub(crate) fn settle(mut self, tx: &Connection) -> Result<(), CacheError> {
        let unsettled: Vec<i64> = self.unsettled.drain().collect();
        reresolve(tx, &unsettled, &mut self)?;
        let mut dirty: Vec<i64> = self.dirty.into_iter().collect();
        dirty.sort_unstable();
        recompute(tx, &dirty, &self.fresh)
    }

    /// A record's keys with the standing decisions applied ([`decisions::effective_keys`]),
    /// skipping the lookup while no decision stands (nearly always: they are the user's).
    fn effective_keys(
        &mut self,
        tx: &Connection,
        resource_id: i64,
        record_id: &str,
        keys: Keys,
    ) -> Result<Keys, CacheError> {
        let standing = match self.decisions {
            Some(standing) => standing,
            None => *self.decisions.insert(decisions::any_standing(tx)?),
        };
        if standing {
            decisions::effective_keys(tx, resource_id, record_id, keys)
        } else {
            Ok(keys)
        }
    }

    pub(crate) fn unsettle(&mut self, person: i64) {
        self.unsettled.insert(person);
    }
}

/// One syncing resource's resolution, when its definition has identity fields.
pub(crate) struct Resolver {
    resource_id: i64,
    provider: String,
    account: String,
    resource: String,
    spec: IdentityFields,
}

impl Resolver {
    /// The resolver of a resource, or `None` when no identity fields were set for it.
    pub(crate) fn load(
        conn: &Connection,
        resource_id: i64,
        provider: &str,
        account: &str,
        resource: &str,
    ) -> Result<Option<Resolver>, CacheError> {
        let spec: Option<String> = conn
            .prepare_cached("SELECT spec FROM identity_spec WHERE provider = ?1 AND resource = ?2")?
            .query_row([provider, resource], |r| r.get(0))
            .optional()?;
        spec.map(|s| {
            let spec = serde_json::from_str(&s).map_err(|e| {
                CacheError::InvalidColumns(format!("stored identity fields are unreadable: {e}"))
            })?;
            Ok(Resolver {
                resource_id,
                provider: provider.to_string(),
                account: account.to_string(),
                resource: resource.to_string(),
                spec,
            })
        })
        .transpose()
    }

    /// Resolves one stored (new or changed) record.
    pub(crate) fn observe(
        &self,
        tx: &Connection,
        changes: &mut Changes,
        record_id: &str,
        record: &Value,
    ) -> Result<(), CacheError> {
        let place = Place {
            provider: &self.provider,
            account: &self.account,
            resource: &self.resource,
        };
        let facts = super::spec::facts(&self.spec, &place, record_id, record);
        let keys_json = serde_json::to_string(&facts.keys).unwrap_or_default();
        let existing: Option<(i64, String)> = tx
            .prepare_cached(
                "SELECT person_id, identifiers FROM record_person WHERE resource_id = ?1 AND record_id = ?2",
            )?
            .query_row(params![self.resource_id, record_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let person = match existing {
            // Same keys: same person; only what it shows may have changed.
            Some((person, old)) if old == keys_json => person,
            other => {
                if let Some((old_person, _)) = other {
                    // Its old keys may have been the only bridge within its person.
                    changes.unsettle(old_person);
                }
                let keys =
                    changes.effective_keys(tx, self.resource_id, record_id, facts.keys.clone())?;
                attach(tx, &keys, changes)?
            }
        };
        write_facts(
            tx,
            self.resource_id,
            record_id,
            person,
            self.spec.counts_as.as_str(),
            &facts,
            &keys_json,
        )?;
        changes.dirty.insert(person);
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn write_facts(
    tx: &Connection,
    resource_id: i64,
    record_id: &str,
    person: i64,
    role: &str,
    f: &Facts,
    keys_json: &str,
) -> Result<(), CacheError> {
    tx.prepare_cached(
        "INSERT INTO record_person (resource_id, record_id, person_id, role, at, name, email, phone,
             source, medium, campaign, amount, currency, attended, identifiers)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (resource_id, record_id) DO UPDATE SET person_id = ?3, role = ?4, at = ?5,
             name = ?6, email = ?7, phone = ?8, source = ?9, medium = ?10, campaign = ?11,
             amount = ?12, currency = ?13, attended = ?14, identifiers = ?15",
    )?
    .execute(params![
        resource_id,
        record_id,
        person,
        role,
        f.at,
        f.name,
        f.email,
        f.phone,
        f.source,
        f.medium,
        f.campaign,
        f.amount,
        f.currency,
        f.attended,
        keys_json
    ])?;
    Ok(())
}

/// The person these keys name, after merging every person they name; a new one if none.
fn attach(tx: &Connection, keys: &Keys, changes: &mut Changes) -> Result<i64, CacheError> {
    let mut found: Vec<i64> = Vec::new();
    // Keys no one has yet: the only ones to add (the others name the person after merging).
    let mut new_keys: Vec<&(String, String)> = Vec::new();
    {
        let mut lookup =
            tx.prepare_cached("SELECT person_id FROM person_key WHERE kind = ?1 AND value = ?2")?;
        for key in keys {
            match lookup
                .query_row([&key.0, &key.1], |r| r.get(0))
                .optional()?
            {
                Some(p) if !found.contains(&p) => found.push(p),
                Some(_) => {}
                None => new_keys.push(key),
            }
        }
    }
    let person = match found.iter().min() {
        Some(&oldest) => {
            for &other in found.iter().filter(|p| **p != oldest) {
                merge_into(tx, other, oldest, changes)?;
            }
            oldest
        }
        None => {
            tx.prepare_cached("INSERT INTO person DEFAULT VALUES")?
                .execute([])?;
            let person = tx.last_insert_rowid();
            changes.fresh.insert(person);
            person
        }
    };
    let mut put = tx.prepare_cached(
        "INSERT OR IGNORE INTO person_key (kind, value, person_id) VALUES (?1, ?2, ?3)",
    )?;
    for (kind, value) in new_keys {
        put.execute(params![kind, value, person])?;
    }
    Ok(person)
}

fn merge_into(
    tx: &Connection,
    from: i64,
    into: i64,
    changes: &mut Changes,
) -> Result<(), CacheError> {
    tx.prepare_cached("UPDATE person_key SET person_id = ?2 WHERE person_id = ?1")?
        .execute([from, into])?;
    tx.prepare_cached("UPDATE record_person SET person_id = ?2 WHERE person_id = ?1")?
        .execute([from, into])?;
    remove_person(tx, from)?;
    changes.dirty.remove(&from);
    if changes.unsettled.remove(&from) {
        changes.unsettled.insert(into);
    }
    changes.dirty.insert(into);
    Ok(())
}

fn remove_person(tx: &Connection, person: i64) -> Result<(), CacheError> {
    tx.prepare_cached("DELETE FROM person WHERE id = ?1")?
        .execute([person])?;
    tx.prepare_cached("DELETE FROM person_fts WHERE rowid = ?1")?
        .execute([person])?;
    Ok(())
}

/// Resolves the records of `persons` again from their stored keys and the decisions.
fn reresolve(tx: &Connection, persons: &[i64], changes: &mut Changes) -> Result<(), CacheError> {
    if persons.is_empty() {
        return Ok(());
    }
    // Person 0 never exists (ids start at 1): it marks the records being placed again. The
    // persons go as one JSON array, so each statement runs (and is planned) once, not once
    // per person.
    let ids = serde_json::to_string(persons).unwrap_or_default();
    tx.prepare_cached(
        "UPDATE record_person SET person_id = 0
         WHERE person_id IN (SELECT value FROM json_each(?1))",
    )?
    .execute([&ids])?;
    tx.prepare_cached(
        "DELETE FROM person_key WHERE person_id IN (SELECT value FROM json_each(?1))",
    )?
    .execute([&ids])?;
    for &p in persons {
        remove_person(tx, p)?;
        changes.dirty.remove(&p);
    }
    let records: Vec<(i64, String, String)> = tx
        .prepare_cached(
            "SELECT resource_id, record_id, identifiers FROM record_person WHERE person_id = 0",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (resource_id, record_id, keys) in records {
        let keys: Keys = serde_json::from_str(&keys).unwrap_or_default();
        let keys = changes.effective_keys(tx, resource_id, &record_id, keys)?;
        let person = attach(tx, &keys, changes)?;
        tx.prepare_cached(
            "UPDATE record_person SET person_id = ?3 WHERE resource_id = ?1 AND record_id = ?2",
        )?
        .execute(params![resource_id, record_id, person])?;
        changes.dirty.insert(person);
    }
    Ok(())
}

/// Forgets records the cache no longer has (a full pass's removals, a disconnect): their
/// persons are resolved again without them.
pub(crate) fn forget<'a>(
    tx: &Connection,
    resource_id: i64,
    record_ids: impl IntoIterator<Item = &'a str>,
) -> Result<(), CacheError> {
    let mut changes = Changes::default();
    for record_id in record_ids {
        let person: Option<i64> = tx
            .prepare_cached(
                "DELETE FROM record_person WHERE resource_id = ?1 AND record_id = ?2 RETURNING person_id",
            )?
            .query_row(params![resource_id, record_id], |r| r.get(0))
            .optional()?;
        if let Some(p) = person {
            changes.unsettle(p);
        }
    }
    changes.settle(tx)
}

/// Forgets every record of a resource (its cached records are being deleted).
pub(crate) fn forget_resource(tx: &Connection, resource_id: i64) -> Result<(), CacheError> {
    let mut changes = Changes::default();
    let persons: Vec<i64> = tx
        .prepare("DELETE FROM record_person WHERE resource_id = ?1 RETURNING person_id")?
        .query_map([resource_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for p in persons {
        changes.unsettle(p);
    }
    changes.settle(tx)
}

/// How many persons one batch of [`recompute`] reads at a time: their record rows are held in
/// memory together, and their ids travel as one JSON array parameter.
const BATCH: usize = 500;

/// One person's figures, as `person` keeps them.
#[derive(Default)]
struct Figures {
    records: i64,
    first_seen: Option<i64>,
    last_seen: Option<i64>,
    leads: i64,
    registrations: i64,
    attended: i64,
    orders: i64,
    revenue: f64,
    // The first non-empty value in the person's records, oldest first (undated last, then by
    // record); medium and campaign come from the record the source came from.
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    source: Option<String>,
    medium: Option<String>,
    campaign: Option<String>,
    /// Provider ids of the person's records.
    tools: Vec<String>,
    /// The (name, email, phone) of each of the person's records, for search.
    texts: Vec<(Option<String>, Option<String>, Option<String>)>,
}

/// The figures and search text of `persons` (sorted), from their records; a person without
/// records is removed. Set-based, a batch of persons per statement: the page's persons are
/// read in two queries instead of a dozen subqueries per person, and the statements bind one
/// JSON array, so SQLite does not re-plan them for every person (a statement whose plan
/// depends on a bound value is prepared again each time rusqlite's cache hands it out).
/// `fresh` persons were created by this batch of changes: they have no search entry yet.
fn recompute(tx: &Connection, persons: &[i64], fresh: &HashSet<i64>) -> Result<(), CacheError> {
    for batch in persons.chunks(BATCH) {
        let ids = serde_json::to_string(batch).unwrap_or_default();
        let mut figures: HashMap<i64, Figures> = HashMap::with_capacity(batch.len());
        {
            let mut totals = tx.prepare_cached(
                "SELECT person_id, count(*), min(at), max(at),
                        count(CASE WHEN role = 'lead' THEN 1 END),
                        count(CASE WHEN role = 'registration' THEN 1 END),
                        count(CASE WHEN role = 'registration' AND attended = 1 THEN 1 END),
                        count(CASE WHEN role = 'order' THEN 1 END),
                        coalesce(sum(CASE WHEN role = 'order' THEN amount END), 0)
                 FROM record_person WHERE person_id IN (SELECT value FROM json_each(?1))
                 GROUP BY person_id",
            )?;
            let mut rows = totals.query([&ids])?;
            while let Some(r) = rows.next()? {
                figures.insert(
                    r.get(0)?,
                    Figures {
                        records: r.get(1)?,
                        first_seen: r.get(2)?,
                        last_seen: r.get(3)?,
                        leads: r.get(4)?,
                        registrations: r.get(5)?,
                        attended: r.get(6)?,
                        orders: r.get(7)?,
                        revenue: r.get(8)?,
                        ..Figures::default()
                    },
                );
            }
        }
        {
            let mut texts = tx.prepare_cached(
                "SELECT rp.person_id, rp.name, rp.email, rp.phone, rp.source, rp.medium,
                        rp.campaign, r.provider
                 FROM record_person rp JOIN resources r ON r.id = rp.resource_id
                 WHERE rp.person_id IN (SELECT value FROM json_each(?1))
                 ORDER BY rp.person_id, rp.at IS NULL, rp.at, rp.resource_id, rp.record_id",
            )?;
            let mut rows = texts.query([&ids])?;
            while let Some(r) = rows.next()? {
                let person: i64 = r.get(0)?;
                let Some(f) = figures.get_mut(&person) else {
                    continue;
                };
                let name: Option<String> = r.get(1)?;
                let email: Option<String> = r.get(2)?;
                let phone: Option<String> = r.get(3)?;
                let source: Option<String> = r.get(4)?;
                if f.name.is_none() {
                    f.name.clone_from(&name);
                }
                if f.email.is_none() {
                    f.email.clone_from(&email);
                }
                if f.phone.is_none() {
                    f.phone.clone_from(&phone);
                }
                if f.source.is_none() && source.is_some() {
                    f.source = source;
                    f.medium = r.get(5)?;
                    f.campaign = r.get(6)?;
                }
                // Repeats go in store_figures (sorted): a person may have thousands of records.
                f.tools.push(r.get(7)?);
                f.texts.push((name, email, phone));
            }
        }
        for &person in batch {
            match figures.remove(&person) {
                Some(f) => store_figures(tx, person, f, !fresh.contains(&person))?,
                None => remove_person(tx, person)?,
            }
        }
    }
    Ok(())
}

/// Writes one person's figures and search entry (replacing the old one when `indexed`).
fn store_figures(
    tx: &Connection,
    person: i64,
    mut f: Figures,
    indexed: bool,
) -> Result<(), CacheError> {
    f.tools.sort_unstable();
    f.tools.dedup();
    f.texts.sort_unstable();
    f.texts.dedup();
    let name_folded = f.name.as_deref().and_then(normalize::name_key);
    tx.prepare_cached(
        "UPDATE person SET records = ?2, first_seen = ?3, last_seen = ?4, name = ?5,
             name_folded = ?6, email = ?7, phone = ?8, source = ?9, medium = ?10,
             campaign = ?11, leads = ?12, registrations = ?13, attended = ?14, orders = ?15,
             revenue = ?16, tools = ?17
         WHERE id = ?1",
    )?
    .execute(params![
        person,
        f.records,
        f.first_seen,
        f.last_seen,
        f.name,
        name_folded,
        f.email,
        f.phone,
        f.source,
        f.medium,
        f.campaign,
        f.leads,
        f.registrations,
        f.attended,
        f.orders,
        f.revenue,
        f.tools.join(","),
    ])?;
    // Search finds a person by anything any of their records says: every name, address and
    // number (also as bare digits, so "5125550142" finds "+1 (512) 555-0142").
    let mut body = String::new();
    for (name, email, phone) in f.texts {
        for t in [name, email].into_iter().flatten() {
            body.push_str(&t);
            body.push('\n');
        }
        if let Some(p) = phone {
            body.push_str(&p);
            body.push('\n');
            body.push_str(p.trim_start_matches("+1"));
            body.push('\n');
        }
    }
    if indexed {
        tx.prepare_cached("DELETE FROM person_fts WHERE rowid = ?1")?
            .execute([person])?;
    }
    tx.prepare_cached("INSERT INTO person_fts (rowid, body) VALUES (?1, ?2)")?
        .execute(params![person, body])?;
    Ok(())
}

/// Resolves a resource's stored records again after its identity fields changed.
pub(crate) fn reindex(tx: &Connection, resolver: &Resolver) -> Result<(), CacheError> {
    forget_resource(tx, resolver.resource_id)?;
    let raw = crate::ids::raw_table(resolver.resource_id);
    let rec = crate::ids::record_table(resolver.resource_id);
    let mut changes = Changes::default();
    let mut stmt = tx.prepare(&format!(
        "SELECT r.record_id, w.raw_json FROM {rec} r JOIN {raw} w ON w.idx = r.idx"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let record_id: String = row.get(0)?;
        let raw: String = row.get(1)?;
        let value: Value =
            serde_json::from_str(&raw).map_err(|e| CacheError::Record(e.to_string()))?;
        resolver.observe(tx, &mut changes, &record_id, &value)?;
    }
    changes.settle(tx)
}
