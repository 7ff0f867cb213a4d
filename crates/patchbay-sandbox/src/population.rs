//! One population of people behind all five providers' records, so the same person is a
//! WhatConverts lead, a webinar registration, a ClickFunnels contact with orders, a BoomTown
//! lead and a subscriber, written the way each tool writes them (case and spaces around
//! emails, phones as "(512) 555-0142" or "+15125550142", a second email for some), and so
//! tests can ask who is really behind every record ([`truth`]).
//!
//! Everything is a pure function of the seed and the record's place, like the rest of the
//! generated data: record `index` of a collection is population member `index` (plus the
//! parent's index, so each webinar's and list's audience differs) for about 60% of records,
//! and someone only that collection knows otherwise. Names come from short lists, so
//! different people share names, as in life.

use serde::Serialize;
use serde_json::Value;

use crate::changes::RecordState;
use crate::data::{Gen, Person, FIRST_NAMES, LAST_NAMES};
use crate::providers::{boomtown, clickfunnels, emailoctopus, webinargeek, whatconverts, Provider};

/// Where the ids of people who appear in one collection only start: above any member index
/// a collection reaches. Such an id is `OWN_PEOPLE + collection << 40 + parent << 20 + index`.
const OWN_PEOPLE: u64 = 1 << 48;

/// The population member behind record `index` of a collection.
pub fn member(seed: u64, provider: Provider, resource: &str, parent: u64, index: u64) -> u64 {
    let mut g = Gen::record(seed, provider, &format!("{resource}/who"), parent, index);
    if provider == Provider::WhatConverts && index > 0 && g.chance(15) {
        // A repeat lead: someone who called or wrote in again.
        let back = 1 + g.below(index.min(5));
        return member(seed, provider, resource, parent, index - back);
    }
    if g.chance(60) {
        index + parent
    } else {
        // Each provider has one people collection (orders are their contacts' people).
        OWN_PEOPLE + ((provider.tag() - 1) << 40) + ((parent & 0xf_ffff) << 20) + (index & 0xf_ffff)
    }
}

/// Area codes in use, for the numbers below.
const AREA_CODES: [&str; 60] = [
    "201", "202", "203", "205", "206", "207", "208", "209", "210", "212", "213", "214", "215",
    "216", "217", "218", "219", "224", "225", "228", "229", "231", "234", "239", "240", "248",
    "251", "252", "253", "254", "256", "260", "262", "267", "269", "270", "276", "281", "301",
    "302", "303", "304", "305", "307", "308", "309", "310", "312", "313", "314", "315", "316",
    "317", "318", "319", "320", "321", "323", "325", "330",
];

/// Member `id`'s phone number slot, so two members never share a number: shared members
/// (ids below 300,000) take their id; each collection's own people a band of 60,000 after
/// them (unique while its parents × 1,000 + index stays under 60,000: the tests' sizes).
fn phone_slot(id: u64) -> u64 {
    if id < OWN_PEOPLE {
        return id % 300_000;
    }
    let own = id - OWN_PEOPLE;
    let (collection, parent, index) = (own >> 40, (own >> 20) & 0xf_ffff, own & 0xf_ffff);
    300_000 + collection * 60_000 + (parent * 1_000 + index) % 60_000
}

/// Who member `id` is: a name, their addresses and their number.
fn identity(seed: u64, id: u64) -> (&'static str, &'static str, String, Option<String>, String) {
    let mut g = Gen::record(seed, Provider::WhatConverts, "population", 0, id);
    let first = g.pick(FIRST_NAMES);
    let last = g.pick(LAST_NAMES);
    let domain = g.pick(&["example.com", "example.org", "example.net", "mail.example"]);
    let email = format!(
        "{}.{}{id}@{domain}",
        first.to_ascii_lowercase(),
        last.to_ascii_lowercase()
    );
    let second = g
        .chance(15)
        .then(|| format!("{}{id}@work.example", first.to_ascii_lowercase()));
    // 555 numbers, as the rest of the generated data uses (fiction's exchange).
    let slot = phone_slot(id);
    let area = AREA_CODES[(slot % AREA_CODES.len() as u64) as usize];
    let line = slot / AREA_CODES.len() as u64 % 10_000;
    let e164 = format!("+1{area}555{line:04}");
    (first, last, email, second, e164)
}

/// `drawn` (the record's own generated person, for its city and time zone) as member
/// `member(..)` of the population, written as this record writes it.
pub fn person(
    seed: u64,
    provider: Provider,
    resource: &str,
    parent: u64,
    index: u64,
    drawn: Person,
) -> Person {
    let id = member(seed, provider, resource, parent, index);
    let (first, last, email, second, e164) = identity(seed, id);
    let mut v = Gen::record(
        seed,
        provider,
        &format!("{resource}/variation"),
        parent,
        index,
    );
    let mut shown = email;
    if v.chance(25) {
        shown = recase(&shown);
    }
    if v.chance(10) {
        shown = format!("  {shown} ");
    }
    let (area, rest) = e164[2..].split_at(3);
    let (exchange, line) = rest.split_at(3);
    let phone = match v.below(4) {
        0 => format!("({area}) {exchange}-{line}"),
        1 => format!("+1 ({area}) {exchange}-{line}"),
        2 => format!("{area}.{exchange}.{line}"),
        _ => e164.clone(),
    };
    Person {
        first,
        last,
        email: shown,
        second_email: second,
        phone,
        phone_e164: e164,
        ..drawn
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The address as a person might type it: "Maria.Lopez12@Example.com".
fn recase(email: &str) -> String {
    let lower = email.to_ascii_lowercase();
    let (local, domain) = lower.split_once('@').unwrap_or((&lower, ""));
    let local: Vec<String> = local.split('.').map(capitalise).collect();
    format!("{}@{}", local.join("."), capitalise(domain))
}

/// The true person behind one record the sandbox serves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TruthRow {
    pub provider: &'static str,
    pub resource: &'static str,
    pub record_id: String,
    pub person: u64,
    /// A registration's: whether the person watched the webinar (the funnel's third step).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attended: Option<bool>,
    /// An order's total (the funnel's revenue).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
}

/// One record of a people collection, with the person behind it.
#[derive(Debug, Clone)]
pub struct PeopleRecord {
    pub truth: TruthRow,
    pub record: Value,
}

fn id_text(v: &Value) -> String {
    match &v["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The people collections.
#[derive(Debug, Clone, Copy)]
enum Kind {
    WhatConvertsLeads,
    ClickFunnelsContacts,
    ClickFunnelsOrders,
    WebinarGeekRegistrations,
    BoomTownLeads,
    EmailOctopusContacts,
}

/// Record `index` of a collection (of parent `parent`: a webinar's or a list's index; `total`
/// records in it), as generated, with the person behind it.
fn generated(seed: u64, kind: Kind, parent: u64, index: u64, total: u64) -> PeopleRecord {
    let st = RecordState::default();
    let json = |v: Result<Value, serde_json::Error>| v.expect("records serialise to JSON");
    let (provider, resource, person, record) = match kind {
        Kind::WhatConvertsLeads => (
            "whatconverts",
            "leads",
            member(seed, Provider::WhatConverts, "leads", 0, index),
            json(serde_json::to_value(whatconverts::lead_at(seed, index, st))),
        ),
        Kind::ClickFunnelsContacts => (
            "clickfunnels",
            "contacts",
            member(seed, Provider::ClickFunnels, "contacts", 0, index),
            json(serde_json::to_value(clickfunnels::contact_at(
                seed, index, st,
            ))),
        ),
        Kind::ClickFunnelsOrders => {
            let order = clickfunnels::order_at(seed, index, total, st);
            // An order is its contact's person's.
            let contact =
                order["contact_id"].as_u64().unwrap_or(0) - clickfunnels::FIRST_CONTACT_ID;
            let person = member(seed, Provider::ClickFunnels, "contacts", 0, contact);
            ("clickfunnels", "orders", person, order)
        }
        Kind::WebinarGeekRegistrations => (
            "webinargeek",
            "registrations",
            member(
                seed,
                Provider::WebinarGeek,
                "subscriptions",
                parent + 1,
                index,
            ),
            json(serde_json::to_value(webinargeek::subscription(
                seed, parent, index, total,
            ))),
        ),
        Kind::BoomTownLeads => (
            "boomtown",
            "leads",
            member(seed, Provider::BoomTown, "leads", 0, index),
            json(serde_json::to_value(boomtown::lead_at(seed, index, st))),
        ),
        Kind::EmailOctopusContacts => (
            "emailoctopus",
            "contacts",
            member(seed, Provider::EmailOctopus, "contacts", parent + 1, index),
            json(serde_json::to_value(emailoctopus::contact_at(
                seed, parent, index, st,
            ))),
        ),
    };
    let record_id = match kind {
        Kind::WhatConvertsLeads => whatconverts::lead_id(index).to_string(),
        _ => id_text(&record),
    };
    let attended = matches!(kind, Kind::WebinarGeekRegistrations)
        .then(|| record["watched"].as_bool().unwrap_or(false));
    let amount = matches!(kind, Kind::ClickFunnelsOrders).then(|| {
        record["total_amount"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .unwrap_or(0.0)
    });
    PeopleRecord {
        truth: TruthRow {
            provider,
            resource,
            record_id,
            person,
            attended,
            amount,
        },
        record,
    }
}

/// Every record of the people collections as generated (before any `apply_changes`), with
/// its true person: WhatConverts leads, ClickFunnels contacts and orders, every webinar's
/// registrations, BoomTown leads and every list's EmailOctopus contacts (`records` webinars
/// and lists of `records` each, as the sandbox serves them).
pub fn people_records(seed: u64, records: u64) -> Vec<PeopleRecord> {
    let mut out = Vec::new();
    for i in 0..records {
        for kind in [
            Kind::WhatConvertsLeads,
            Kind::ClickFunnelsContacts,
            Kind::ClickFunnelsOrders,
            Kind::BoomTownLeads,
        ] {
            out.push(generated(seed, kind, 0, i, records));
        }
        for j in 0..records {
            out.push(generated(
                seed,
                Kind::WebinarGeekRegistrations,
                i,
                j,
                records,
            ));
            out.push(generated(seed, Kind::EmailOctopusContacts, i, j, records));
        }
    }
    out
}

/// `per_provider` records of one people collection of each of the five providers
/// (WhatConverts leads, ClickFunnels contacts, the first webinar's registrations, BoomTown
/// leads, the first list's contacts), with their truth: a workload of the same size for every
/// tool, for benchmarks.
pub fn five_providers(seed: u64, per_provider: u64) -> Vec<PeopleRecord> {
    let kinds = [
        Kind::WhatConvertsLeads,
        Kind::ClickFunnelsContacts,
        Kind::WebinarGeekRegistrations,
        Kind::BoomTownLeads,
        Kind::EmailOctopusContacts,
    ];
    (0..per_provider)
        .flat_map(|i| kinds.map(|kind| generated(seed, kind, 0, i, per_provider)))
        .collect()
}

/// [`people_records`] without the records: who is behind each one.
pub fn truth(seed: u64, records: u64) -> Vec<TruthRow> {
    people_records(seed, records)
        .into_iter()
        .map(|r| r.truth)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_recur_across_tools_and_records_vary_how_they_write_them() {
        let rows = people_records(3, 40);
        let mut tools: std::collections::HashMap<u64, std::collections::HashSet<&str>> =
            Default::default();
        for r in &rows {
            tools
                .entry(r.truth.person)
                .or_default()
                .insert(r.truth.provider);
        }
        let in_three = tools.values().filter(|t| t.len() >= 3).count();
        assert!(in_three >= 20, "people in three or more tools: {in_three}");
        let emails: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.record.get("email").and_then(Value::as_str))
            .collect();
        assert!(
            emails.iter().any(|e| e.starts_with(' ')),
            "some with spaces"
        );
        assert!(
            emails
                .iter()
                .any(|e| e.chars().any(|c| c.is_ascii_uppercase())),
            "some capitalised"
        );
        let phones: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.record.get("contact_phone_number").and_then(Value::as_str))
            .collect();
        assert!(
            phones.iter().any(|p| p.starts_with('('))
                && phones
                    .iter()
                    .any(|p| p.starts_with("+1") && !p.contains(' '))
        );
        assert_eq!(truth(3, 40).len(), rows.len());
        assert_eq!(truth(3, 40), truth(3, 40), "the same seed, the same people");
    }
}
