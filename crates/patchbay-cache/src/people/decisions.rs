//! The user's word over automatic resolution: "these two are one person" (a merge) and
//! "these records are someone else" (a split). Decisions are kept by record, not by person id
//! (resolution renumbers persons), applied to the records' keys on every resolution, and can
//! be undone.

use rusqlite::{params, Connection, OptionalExtension};

use super::resolve::Changes;
use super::{DecisionId, RecordRef};
use crate::writer::now_rfc3339;
use crate::{Cache, CacheError};

type Keys = Vec<(String, String)>;

/// A record's keys with the standing decisions about it applied, oldest first: a split gives
/// its records keys of their own (so they only match each other), a merge adds a key the two
/// records share.
pub(crate) fn effective_keys(
    tx: &Connection,
    resource_id: i64,
    record_id: &str,
    mut keys: Keys,
) -> Result<Keys, CacheError> {
    let mut stmt = tx.prepare_cached(
        "SELECT d.id, d.kind FROM decision_record r JOIN person_decision d ON d.id = r.decision_id
         WHERE r.resource_id = ?1 AND r.record_id = ?2 AND d.undone_at IS NULL ORDER BY d.id",
    )?;
    let decisions: Vec<(i64, String)> = stmt
        .query_map(params![resource_id, record_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    for (id, kind) in decisions {
        if kind == "split" {
            for (k, _) in keys.iter_mut() {
                *k = format!("split{id}:{k}");
            }
        } else {
            keys.push(("merge".to_string(), id.to_string()));
        }
    }
    Ok(keys)
}

/// Whether any merge or split stands (made and not undone).
pub(crate) fn any_standing(tx: &Connection) -> Result<bool, CacheError> {
    Ok(tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM person_decision WHERE undone_at IS NULL)")?
        .query_row([], |r| r.get(0))?)
}

fn resource_of(tx: &Connection, r: &RecordRef) -> Result<i64, CacheError> {
    crate::schema::require(tx, &r.provider, &r.account, &r.resource).map(|res| res.id)
}

/// One record of a person, to anchor a decision about the person on.
fn anchor(tx: &Connection, person: i64) -> Result<(i64, String), CacheError> {
    tx.prepare_cached(
        "SELECT resource_id, record_id FROM record_person WHERE person_id = ?1
         ORDER BY resource_id, record_id LIMIT 1",
    )?
    .query_row([person], |r| Ok((r.get(0)?, r.get(1)?)))
    .optional()?
    .ok_or(CacheError::UnknownPerson(person))
}

fn record_decision(
    tx: &Connection,
    kind: &str,
    records: &[(i64, String)],
) -> Result<i64, CacheError> {
    tx.execute(
        "INSERT INTO person_decision (kind, made_at) VALUES (?1, ?2)",
        params![kind, now_rfc3339()],
    )?;
    let id = tx.last_insert_rowid();
    for (resource_id, record_id) in records {
        tx.execute(
            "INSERT OR IGNORE INTO decision_record (decision_id, resource_id, record_id) VALUES (?1, ?2, ?3)",
            params![id, resource_id, record_id],
        )?;
    }
    Ok(id)
}

fn person_of(tx: &Connection, resource_id: i64, record_id: &str) -> Result<i64, CacheError> {
    Ok(tx
        .prepare_cached(
            "SELECT person_id FROM record_person WHERE resource_id = ?1 AND record_id = ?2",
        )?
        .query_row(params![resource_id, record_id], |r| r.get(0))?)
}

impl Cache {
    /// The user confirms that two persons are one (a merge suggestion, or their own finding).
    /// Answers the decision (for [`Cache::undo_decision`]) and the merged person's id.
    pub fn confirm_merge(&self, a: i64, b: i64) -> Result<(DecisionId, i64), CacheError> {
        if a == b {
            return Err(CacheError::InvalidQuery(
                "a person cannot be merged with themselves".into(),
            ));
        }
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let records = [anchor(&tx, a)?, anchor(&tx, b)?];
        let id = record_decision(&tx, "merge", &records)?;
        let mut changes = Changes::default();
        changes.unsettle(a);
        changes.unsettle(b);
        changes.settle(&tx)?;
        let merged = person_of(&tx, records[0].0, &records[0].1)?;
        tx.commit()?;
        Ok((DecisionId(id), merged))
    }

    /// The user says these records of a person are someone else's: they become a person of
    /// their own (together), and nothing else matches them until the decision is undone.
    /// Answers the decision and the new person's id.
    pub fn split_person(
        &self,
        person: i64,
        records: &[RecordRef],
    ) -> Result<(DecisionId, i64), CacheError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let mut picked = Vec::with_capacity(records.len());
        for r in records {
            let resource_id = resource_of(&tx, r)?;
            let owner: Option<i64> = tx
                .prepare_cached(
                    "SELECT person_id FROM record_person WHERE resource_id = ?1 AND record_id = ?2",
                )?
                .query_row(params![resource_id, r.record_id], |row| row.get(0))
                .optional()?;
            if owner != Some(person) {
                return Err(CacheError::InvalidQuery(format!(
                    "record {} of {}/{} is not one of this person's records",
                    r.record_id, r.provider, r.resource
                )));
            }
            picked.push((resource_id, r.record_id.clone()));
        }
        let Some(first) = picked.first().cloned() else {
            return Err(CacheError::InvalidQuery(
                "choose at least one record to split off".into(),
            ));
        };
        let id = record_decision(&tx, "split", &picked)?;
        let mut changes = Changes::default();
        changes.unsettle(person);
        changes.settle(&tx)?;
        let split_off = person_of(&tx, first.0, &first.1)?;
        tx.commit()?;
        Ok((DecisionId(id), split_off))
    }

    /// Takes a merge or split back: its records are resolved again as if it was never made.
    pub fn undo_decision(&self, decision: DecisionId) -> Result<(), CacheError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "UPDATE person_decision SET undone_at = ?2 WHERE id = ?1 AND undone_at IS NULL",
            params![decision.0, now_rfc3339()],
        )?;
        if changed == 0 {
            return Err(CacheError::UnknownDecision(decision.0));
        }
        let persons: Vec<i64> = tx
            .prepare(
                "SELECT DISTINCT p.person_id FROM decision_record d JOIN record_person p
                   ON p.resource_id = d.resource_id AND p.record_id = d.record_id
                 WHERE d.decision_id = ?1",
            )?
            .query_map([decision.0], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut changes = Changes::default();
        for p in persons {
            changes.unsettle(p);
        }
        changes.settle(&tx)?;
        tx.commit()?;
        Ok(())
    }
}
