//! Reading people: the People table, a person's page, merge suggestions, attribution, the
//! funnel and the CSV export. Everything runs in SQLite over `person` (one row per person,
//! with figures kept up to date by resolution) and `record_person` (one row per record).

use std::io::Write;
use std::rc::Rc;

use rusqlite::types::{ToSql, Value as SqlValue};
use rusqlite::vtab::array::Array;
use rusqlite::{params, Connection, OptionalExtension, Row};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::spec::RecordRole;
use super::{
    AttributionBy, AttributionRow, DateRange, Funnel, FunnelStep, FunnelStepKind, MergeSuggestion,
    PeoplePage, PeopleQuery, PeopleSortKey, PersonDetail, PersonRow, RecordRef, TimelineEntry,
};
use crate::query::MAX_LIMIT;
use crate::{extract, fts, Cache, CacheError};

const PERSON_COLUMNS: &str = "p.id, p.name, p.email, p.phone, p.first_seen, p.last_seen, p.source,
    p.medium, p.campaign, p.tools, p.records, p.leads, p.registrations, p.attended, p.orders, p.revenue";

fn rfc3339(secs: Option<i64>) -> Option<String> {
    let dt = OffsetDateTime::from_unix_timestamp(secs?).ok()?;
    dt.format(&Rfc3339).ok()
}

fn person_row(r: &Row<'_>) -> rusqlite::Result<PersonRow> {
    let tools: String = r.get(9)?;
    let count = |i| r.get::<_, i64>(i).map(|n| n.max(0) as u64);
    Ok(PersonRow {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        phone: r.get(3)?,
        first_seen: rfc3339(r.get(4)?),
        last_seen: rfc3339(r.get(5)?),
        source: r.get(6)?,
        medium: r.get(7)?,
        campaign: r.get(8)?,
        tools: tools
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        records: count(10)?,
        leads: count(11)?,
        registrations: count(12)?,
        attended: count(13)?,
        orders: count(14)?,
        revenue: r.get(15)?,
    })
}

/// Unix seconds, inclusive, for a range; a bare day as `to` includes the whole day.
pub(crate) fn bounds(range: &DateRange) -> Result<(i64, i64), CacheError> {
    let parse = |s: &str, end: bool| {
        let secs = extract::parse_date(s).ok_or_else(|| {
            CacheError::InvalidQuery(format!(
                "`{s}` is not a date; use a day like 2025-03-01 or a time like 2025-03-01T09:00:00Z"
            ))
        })?;
        let day_only = s.trim().len() <= 10;
        Ok::<i64, CacheError>(if end && day_only { secs + 86_399 } else { secs })
    };
    let from = range
        .from
        .as_deref()
        .map(|s| parse(s, false))
        .transpose()?
        .unwrap_or(i64::MIN);
    let to = range
        .to
        .as_deref()
        .map(|s| parse(s, true))
        .transpose()?
        .unwrap_or(i64::MAX);
    if from > to {
        return Err(CacheError::InvalidQuery(
            "the date range ends before it starts".into(),
        ));
    }
    Ok((from, to))
}

/// `WHERE` terms and their values for a query's filters (the search is read apart, once:
/// [`search_hits`]); no terms when nothing is filtered.
fn filters(q: &PeopleQuery) -> Result<(Vec<String>, Vec<SqlValue>), CacheError> {
    let mut terms = Vec::new();
    let mut values = Vec::new();
    let bind = |v: SqlValue, values: &mut Vec<SqlValue>| {
        values.push(v);
        format!("?{}", values.len())
    };
    if let Some(tool) = &q.tool {
        let p = bind(SqlValue::Text(tool.clone()), &mut values);
        terms.push(format!(
            "EXISTS (SELECT 1 FROM record_person rp JOIN resources r ON r.id = rp.resource_id
                     WHERE rp.person_id = p.id AND r.provider = {p})"
        ));
    }
    if let Some(source) = &q.source {
        let p = bind(SqlValue::Text(source.clone()), &mut values);
        terms.push(format!("p.source = {p}"));
    }
    if q.range != DateRange::default() {
        let (from, to) = bounds(&q.range)?;
        let a = bind(SqlValue::Integer(from), &mut values);
        let b = bind(SqlValue::Integer(to), &mut values);
        terms.push(format!(
            "EXISTS (SELECT 1 FROM record_person rp WHERE rp.person_id = p.id AND rp.at BETWEEN {a} AND {b})"
        ));
    }
    match q.has_order {
        Some(true) => terms.push("p.orders > 0".into()),
        Some(false) => terms.push("p.orders = 0".into()),
        None => {}
    }
    Ok((terms, values))
}

/// The ids of the people a search matches, ascending; `None` when nothing is searched.
///
/// Why read them into memory: the People table needs both how many match and one page of
/// them. Matching a short prefix ("m") merges the search index's lists for every word that
/// starts with it, the costliest step of a keystroke; done once here, the count and the page
/// reuse the ids (`rarray`) instead of matching twice.
fn search_hits(conn: &Connection, search: &str) -> Result<Option<Rc<Vec<SqlValue>>>, CacheError> {
    let Some(expr) = fts::match_expression(search) else {
        return Ok(None);
    };
    let ids = conn
        .prepare_cached("SELECT rowid FROM person_fts WHERE person_fts MATCH ?1 ORDER BY rowid")?
        .query_map([expr], |r| r.get::<_, i64>(0).map(SqlValue::Integer))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Rc::new(ids)))
}

fn order_by(q: &PeopleQuery) -> String {
    let Some(sort) = q.sort else {
        return "p.id".into();
    };
    let col = match sort.key {
        PeopleSortKey::Name => "p.name COLLATE NOCASE",
        PeopleSortKey::Email => "p.email",
        PeopleSortKey::FirstSeen => "p.first_seen",
        PeopleSortKey::LastSeen => "p.last_seen",
        PeopleSortKey::Source => "p.source COLLATE NOCASE",
        PeopleSortKey::Leads => "p.leads",
        PeopleSortKey::Registrations => "p.registrations",
        PeopleSortKey::Orders => "p.orders",
        PeopleSortKey::Revenue => "p.revenue",
    };
    // Empty cells last in both directions, as in the records table.
    let dir = if sort.descending { "DESC" } else { "ASC" };
    format!("{col} IS NULL, {col} {dir}, p.id {dir}")
}

fn summary(role: RecordRole, r: &Row<'_>) -> rusqlite::Result<String> {
    let source: Option<String> = r.get("source")?;
    let medium: Option<String> = r.get("medium")?;
    let campaign: Option<String> = r.get("campaign")?;
    let amount: Option<f64> = r.get("amount")?;
    let currency: Option<String> = r.get("currency")?;
    let attended: Option<bool> = r.get("attended")?;
    let mut parts = vec![match role {
        RecordRole::Lead => "Lead".to_string(),
        RecordRole::Registration => "Webinar registration".to_string(),
        RecordRole::Order => "Order".to_string(),
        RecordRole::Contact => "Contact".to_string(),
    }];
    let touch: Vec<String> = [source, medium].into_iter().flatten().collect();
    if !touch.is_empty() {
        parts.push(touch.join(" / "));
    }
    parts.extend(campaign);
    if let Some(a) = amount {
        parts.push(
            [Some(extract::money(a)), currency]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    match attended {
        Some(true) => parts.push("attended".into()),
        Some(false) => parts.push("did not attend".into()),
        None => {}
    }
    Ok(parts.join(" · "))
}

fn find_person(conn: &Connection, id: i64) -> Result<PersonRow, CacheError> {
    conn.prepare_cached(&format!(
        "SELECT {PERSON_COLUMNS} FROM person p WHERE p.id = ?1"
    ))?
    .query_row([id], person_row)
    .optional()?
    .ok_or(CacheError::UnknownPerson(id))
}

impl Cache {
    /// A page of the People table.
    pub fn people(&self, q: &PeopleQuery) -> Result<PeoplePage, CacheError> {
        if q.limit > MAX_LIMIT {
            return Err(CacheError::InvalidQuery(format!(
                "a page holds at most {MAX_LIMIT} rows, not {}",
                q.limit
            )));
        }
        let (mut terms, values) = filters(q)?;
        self.with_reader(|conn| {
            let total: i64 = conn
                .prepare_cached("SELECT count(*) FROM person")?
                .query_row([], |r| r.get(0))?;
            let hits = search_hits(conn, &q.search)?;
            let offset = q.offset.min(i64::MAX as u64);
            // A search alone, in id order: the matches are the answer; only the page's rows
            // are read from the table.
            if let (Some(hits), true, None) = (&hits, terms.is_empty(), q.sort) {
                let start = (offset as usize).min(hits.len());
                let end = start.saturating_add(q.limit as usize).min(hits.len());
                let page: Array = Rc::new(hits[start..end].to_vec());
                let rows = conn
                    .prepare_cached(&format!(
                        "SELECT {PERSON_COLUMNS} FROM person p WHERE p.id IN rarray(?1) ORDER BY p.id"
                    ))?
                    .query_map([page], person_row)?
                    .collect::<Result<_, _>>()?;
                return Ok(PeoplePage {
                    total: total as u64,
                    matched: hits.len() as u64,
                    rows,
                });
            }
            let mut params: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
            if let Some(hits) = &hits {
                params.push(hits);
                terms.push(format!("p.id IN rarray(?{})", params.len()));
            }
            let filtered = !terms.is_empty();
            let filter = if filtered {
                terms.join(" AND ")
            } else {
                "1".to_string()
            };
            let matched: i64 = if !filtered {
                total
            } else {
                conn.prepare(&format!("SELECT count(*) FROM person p WHERE {filter}"))?
                    .query_row(params.as_slice(), |r| r.get(0))?
            };
            let rows = conn
                .prepare(&format!(
                    "SELECT {PERSON_COLUMNS} FROM person p WHERE {filter} ORDER BY {} LIMIT {} OFFSET {offset}",
                    order_by(q),
                    q.limit,
                ))?
                .query_map(params.as_slice(), person_row)?
                .collect::<Result<_, _>>()?;
            Ok(PeoplePage {
                total: total as u64,
                matched: matched as u64,
                rows,
            })
        })
    }

    /// A person's page: their figures and every record, newest first.
    pub fn person(&self, id: i64) -> Result<PersonDetail, CacheError> {
        self.with_reader(|conn| {
            let person = find_person(conn, id)?;
            let mut stmt = conn.prepare_cached(
                "SELECT r.provider, r.account, r.resource, rp.record_id, rp.resource_id, rp.role, rp.at,
                        rp.source, rp.medium, rp.campaign, rp.amount, rp.currency, rp.attended
                 FROM record_person rp JOIN resources r ON r.id = rp.resource_id
                 WHERE rp.person_id = ?1
                 ORDER BY rp.at IS NULL, rp.at DESC, r.provider, r.resource, rp.record_id",
            )?;
            let rows: Vec<(TimelineEntry, i64)> = stmt
                .query_map([id], |r| {
                    let role = RecordRole::parse(&r.get::<_, String>(5)?).unwrap_or(RecordRole::Contact);
                    Ok((
                        TimelineEntry {
                            record: RecordRef {
                                provider: r.get(0)?,
                                account: r.get(1)?,
                                resource: r.get(2)?,
                                record_id: r.get(3)?,
                            },
                            index: None,
                            role,
                            at: rfc3339(r.get(6)?),
                            summary: summary(role, r)?,
                        },
                        r.get(4)?,
                    ))
                })?
                .collect::<Result<_, _>>()?;
            let mut timeline = Vec::with_capacity(rows.len());
            for (mut entry, resource_id) in rows {
                entry.index = conn
                    .prepare_cached(&format!(
                        "SELECT idx FROM {} WHERE record_id = ?1",
                        crate::ids::record_table(resource_id)
                    ))?
                    .query_row([&entry.record.record_id], |r| r.get(0))
                    .optional()?;
                timeline.push(entry);
            }
            Ok(PersonDetail { person, timeline })
        })
    }

    /// The person a cached record was resolved to (`None` when the record is not cached, or
    /// its resource has no identity fields).
    pub fn person_of(&self, record: &RecordRef) -> Result<Option<i64>, CacheError> {
        self.with_reader(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT rp.person_id FROM record_person rp JOIN resources r ON r.id = rp.resource_id
                     WHERE r.provider = ?1 AND r.account = ?2 AND r.resource = ?3 AND rp.record_id = ?4",
                )?
                .query_row(
                    params![record.provider, record.account, record.resource, record.record_id],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// Other people with the same name and no shared email or phone: perhaps the same
    /// person, for the user to confirm ([`Cache::confirm_merge`]).
    pub fn merge_suggestions(&self, id: i64) -> Result<Vec<MergeSuggestion>, CacheError> {
        self.with_reader(|conn| {
            let name_key: Option<String> = conn
                .prepare_cached("SELECT name_folded FROM person WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?
                .ok_or(CacheError::UnknownPerson(id))?;
            let Some(name_key) = name_key else {
                return Ok(Vec::new());
            };
            let rows = conn
                .prepare_cached(&format!(
                    "SELECT {PERSON_COLUMNS} FROM person p WHERE p.name_folded = ?1 AND p.id <> ?2
                     ORDER BY p.id LIMIT 50"
                ))?
                .query_map(params![name_key, id], person_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows
                .into_iter()
                .map(|person| MergeSuggestion {
                    reason: format!("Same name: {}", person.name.clone().unwrap_or_default()),
                    person,
                })
                .collect())
        })
    }

    /// People first seen in the range, by their first-touch source, medium or campaign, most
    /// people first.
    pub fn attribution(
        &self,
        range: &DateRange,
        by: AttributionBy,
    ) -> Result<Vec<AttributionRow>, CacheError> {
        let (from, to) = bounds(range)?;
        let col = match by {
            AttributionBy::Source => "source",
            AttributionBy::Medium => "medium",
            AttributionBy::Campaign => "campaign",
        };
        self.with_reader(|conn| {
            Ok(conn
                .prepare(&format!(
                    "SELECT coalesce({col}, '(none)') AS v, count(*), coalesce(sum(revenue), 0)
                     FROM person WHERE first_seen BETWEEN ?1 AND ?2
                     GROUP BY v ORDER BY count(*) DESC, v"
                ))?
                .query_map([from, to], |r| {
                    Ok(AttributionRow {
                        value: r.get(0)?,
                        people: r.get::<_, i64>(1)? as u64,
                        revenue: r.get(2)?,
                    })
                })?
                .collect::<Result<_, _>>()?)
        })
    }

    /// Leads → webinar registrations → attendance → orders, in the range: each step counts
    /// the people with a record of it in the range who also reached every step before.
    pub fn funnel(&self, range: &DateRange) -> Result<Funnel, CacheError> {
        let (from, to) = bounds(range)?;
        self.with_reader(|conn| {
            let row: (i64, i64, i64, i64, f64) = conn.query_row(
                "WITH l AS (SELECT DISTINCT person_id FROM record_person
                            WHERE role = 'lead' AND at BETWEEN ?1 AND ?2),
                      g AS (SELECT DISTINCT person_id FROM record_person
                            WHERE role = 'registration' AND at BETWEEN ?1 AND ?2 AND person_id IN l),
                      a AS (SELECT DISTINCT person_id FROM record_person
                            WHERE role = 'registration' AND attended = 1 AND at BETWEEN ?1 AND ?2
                              AND person_id IN g),
                      o AS (SELECT person_id, amount FROM record_person
                            WHERE role = 'order' AND at BETWEEN ?1 AND ?2 AND person_id IN a)
                 SELECT (SELECT count(*) FROM l), (SELECT count(*) FROM g), (SELECT count(*) FROM a),
                        (SELECT count(DISTINCT person_id) FROM o), (SELECT coalesce(sum(amount), 0) FROM o)",
                [from, to],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )?;
            let counts = [
                (FunnelStepKind::Leads, row.0),
                (FunnelStepKind::Registrations, row.1),
                (FunnelStepKind::Attended, row.2),
                (FunnelStepKind::Orders, row.3),
            ];
            let mut steps: Vec<FunnelStep> = Vec::with_capacity(4);
            for (step, people) in counts {
                let people = people as u64;
                let rate = steps
                    .last()
                    .filter(|prev| prev.people > 0)
                    .map(|prev| people as f64 / prev.people as f64);
                let revenue = if step == FunnelStepKind::Orders { row.4 } else { 0.0 };
                steps.push(FunnelStep {
                    step,
                    people,
                    rate,
                    revenue,
                });
            }
            Ok(Funnel { steps })
        })
    }

    /// Writes every person the query matches (its paging aside) as CSV; answers the rows
    /// written.
    pub fn people_csv(&self, q: &PeopleQuery, out: impl Write) -> Result<u64, CacheError> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "Name",
            "Email",
            "Phone",
            "First seen",
            "Last seen",
            "Source",
            "Medium",
            "Campaign",
            "Tools",
            "Leads",
            "Registrations",
            "Attended",
            "Orders",
            "Revenue",
        ])?;
        let mut page_q = q.clone();
        page_q.limit = MAX_LIMIT;
        page_q.offset = 0;
        let mut written = 0u64;
        loop {
            let page = self.people(&page_q)?;
            let n = page.rows.len() as u64;
            for p in page.rows {
                let opt = |s: Option<String>| s.unwrap_or_default();
                // Names and emails come from web forms: no cell may start a formula.
                let row = [
                    opt(p.name),
                    opt(p.email),
                    opt(p.phone),
                    opt(p.first_seen),
                    opt(p.last_seen),
                    opt(p.source),
                    opt(p.medium),
                    opt(p.campaign),
                    p.tools.join(", "),
                    p.leads.to_string(),
                    p.registrations.to_string(),
                    p.attended.to_string(),
                    p.orders.to_string(),
                    format!("{:.2}", p.revenue),
                ];
                w.write_record(
                    row.iter()
                        .map(|c| crate::csv_cell::formula_safe(c).into_owned()),
                )?;
            }
            written += n;
            if n < MAX_LIMIT {
                break;
            }
            page_q.offset += n;
        }
        w.flush().map_err(CacheError::ExportWrite)?;
        Ok(written)
    }
}
