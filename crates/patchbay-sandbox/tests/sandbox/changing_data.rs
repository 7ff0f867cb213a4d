//! Data that changes: change sets (`Sandbox::apply_changes`) seen through every API, the
//! providers' incremental filters, and `Sandbox::records` as the truth to compare with.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::*;
use patchbay_sandbox::{ChangeSet, SandboxConfig};
use reqwest::StatusCode;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn config(records: usize, seed: u64) -> SandboxConfig {
    SandboxConfig {
        records,
        seed,
        auto_approve: true,
        rate_limits: false,
        ..SandboxConfig::default()
    }
}

/// Every changing collection, as (provider, resource).
const CHANGING: [(&str, &str); 7] = [
    ("whatconverts", "leads"),
    ("clickfunnels", "funnels"),
    ("clickfunnels", "contacts"),
    ("clickfunnels", "orders"),
    ("webinargeek", "webinars"),
    ("boomtown", "leads"),
    ("emailoctopus", "contacts"),
];

fn set(add: usize, update: usize, delete: usize) -> ChangeSet {
    ChangeSet {
        add,
        update,
        delete,
    }
}

/// A record's id as `AppliedChanges` spells it.
fn id_of(record: &Value) -> String {
    match record.get("id").or_else(|| record.get("lead_id")).unwrap() {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

fn parse_time(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap()
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

#[tokio::test]
async fn change_sets_follow_the_seed_and_the_number_applied() {
    let (a, b, c) = (
        start(config(100, 3)).await,
        start(config(100, 3)).await,
        start(config(100, 4)).await,
    );
    for (p, r) in CHANGING {
        let mut runs = Vec::new();
        for sb in [&a, &b, &c] {
            let first = sb.apply_changes(p, r, set(2, 5, 5)).unwrap();
            let second = sb.apply_changes(p, r, set(2, 5, 5)).unwrap();
            runs.push((first, second));
        }
        assert_eq!(runs[0], runs[1], "{p}/{r}: same seed, same changes");
        assert_ne!(
            runs[0].0.updated, runs[0].1.updated,
            "{p}/{r}: the second set differs"
        );
        assert_ne!(
            (&runs[0].0.updated, &runs[0].0.deleted),
            (&runs[2].0.updated, &runs[2].0.deleted),
            "{p}/{r}: another seed picks other records"
        );
        let (first, _) = &runs[0];
        assert_eq!(
            (first.added.len(), first.updated.len(), first.deleted.len()),
            (2, 5, 5)
        );
        let touched: HashSet<&String> = first.updated.iter().chain(&first.deleted).collect();
        assert_eq!(touched.len(), 10, "{p}/{r}: each record touched once");
    }
}

#[tokio::test]
async fn added_ids_are_larger_and_updates_reach_old_records() {
    let sb = start(config(1000, 8)).await;
    for (p, r) in CHANGING.into_iter().filter(|(p, _)| *p != "emailoctopus") {
        let before: Vec<u64> = sb
            .records(p, r)
            .iter()
            .map(|x| id_of(x).parse().unwrap())
            .collect();
        let max = *before.iter().max().unwrap();
        let applied = sb.apply_changes(p, r, set(3, 200, 0)).unwrap();
        let added: Vec<u64> = applied.added.iter().map(|i| i.parse().unwrap()).collect();
        assert!(added.iter().all(|i| *i > max), "{p}/{r}: {added:?} > {max}");
        assert!(added.windows(2).all(|w| w[0] < w[1]), "{p}/{r}");
        // Uniform over all records: 200 picks out of 1000 reach the oldest half too.
        let median = before[before.len() / 2];
        let old = applied
            .updated
            .iter()
            .filter(|i| i.parse::<u64>().unwrap() < median)
            .count();
        assert!(
            (50..150).contains(&old),
            "{p}/{r}: {old} of 200 in the older half"
        );
    }
    let too_many = sb.apply_changes("boomtown", "leads", set(0, 600, 600));
    assert!(too_many.is_err());
    let unknown = sb
        .apply_changes("boomtown", "houses", set(1, 0, 0))
        .unwrap_err();
    assert!(
        unknown.to_string().contains("whatconverts/leads"),
        "{unknown}"
    );
}

#[tokio::test]
async fn changes_show_in_every_api_with_totals_and_match_records() {
    let sb = start(config(120, 5)).await;
    let http = http();
    for (p, r) in CHANGING {
        let t = connect(&http, &sb, p).await;
        let size = max_page_size(p).min(50);
        let (_, before, _) = page_all(&http, &sb, &t.access, p, r, size, true).await;
        let before: HashMap<String, Value> = before.into_iter().map(|x| (id_of(&x), x)).collect();
        assert_eq!(before.len(), 120, "{p}/{r}");
        let t0 = sb.now().replace_nanosecond(0).unwrap();
        let applied = sb.apply_changes(p, r, set(4, 6, 7)).unwrap();
        let t1 = sb.now();
        let (ids, after, requests) = page_all(&http, &sb, &t.access, p, r, size, true).await;
        assert_eq!(assert_each_once(&ids), 117, "{p}/{r}: 120 + 4 - 7");
        assert_eq!(
            requests as u64,
            expected_requests(&sb, p, r, 117, size),
            "{p}/{r}"
        );
        let mut truth = sb.records(p, r);
        let mut seen = after.clone();
        if p == "emailoctopus" {
            // Read one status at a time: compare in id order.
            truth.sort_by_key(id_of);
            seen.sort_by_key(id_of);
        }
        assert_eq!(seen, truth, "{p}/{r}: the API shows exactly the records");
        let after: HashMap<String, Value> = after.into_iter().map(|x| (id_of(&x), x)).collect();
        for id in &applied.deleted {
            assert!(
                before.contains_key(id) && !after.contains_key(id),
                "{p}/{r}: {id} deleted"
            );
        }
        for id in &applied.added {
            assert!(
                !before.contains_key(id) && after.contains_key(id),
                "{p}/{r}: {id} added"
            );
        }
        for id in &applied.updated {
            let (old, new) = (&before[id], &after[id]);
            assert_ne!(old, new, "{p}/{r}: {id} changed");
            // Updated-at fields say "now" by the sandbox clock.
            for field in ["updated_at", "last_updated_at", "last_updated"] {
                if let Some(v) = new.get(field) {
                    let at = parse_time(v);
                    assert!(t0 <= at && at <= t1, "{p}/{r}: {field} {at} in {t0}..{t1}");
                }
            }
        }
        // Every untouched record is exactly what it was.
        for (id, old) in &before {
            if !applied.updated.contains(id) && !applied.deleted.contains(id) {
                assert_eq!(&after[id], old, "{p}/{r}: {id} untouched");
            }
        }
    }
    // Totals count what is left.
    let t = connect(&http, &sb, "whatconverts").await;
    let page: Value = api_get(&http, &sb, "/whatconverts/api/v1/leads", &t.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total_leads"], 117);
    let t = connect(&http, &sb, "boomtown").await;
    let page: Value = api_get(&http, &sb, "/boomtown/v1/leads", &t.access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 117);
}

#[tokio::test]
async fn clickfunnels_after_the_last_seen_id_returns_just_the_new_records() {
    let sb = start(config(45, 2)).await;
    let http = http();
    let t = connect(&http, &sb, "clickfunnels").await;
    let last = id_of(sb.records("clickfunnels", "contacts").last().unwrap());
    let applied = sb
        .apply_changes("clickfunnels", "contacts", set(25, 3, 3))
        .unwrap();
    let path = format!("/clickfunnels/api/v2/workspaces/4201/contacts?after={last}");
    let resp = api_get(&http, &sb, &path, &t.access).await;
    let next = resp.headers()["pagination-next"]
        .to_str()
        .unwrap()
        .to_string();
    let page: Vec<Value> = resp.json().await.unwrap();
    assert_eq!(page.len(), 20, "ClickFunnels pages hold 20");
    assert_eq!(next, id_of(&page[19]));
    let path = format!("/clickfunnels/api/v2/workspaces/4201/contacts?after={next}");
    let resp = api_get(&http, &sb, &path, &t.access).await;
    assert!(resp.headers().get("pagination-next").is_none());
    let rest: Vec<Value> = resp.json().await.unwrap();
    let seen: Vec<String> = page.iter().chain(&rest).map(id_of).collect();
    assert_eq!(seen, applied.added);
}

#[tokio::test]
async fn emailoctopus_lists_subscribed_contacts_unless_asked_for_a_status() {
    let sb = start(config(200, 6)).await;
    let http = http();
    let t = connect(&http, &sb, "emailoctopus").await;
    let truth = sb.records("emailoctopus", "contacts");
    let count = |s: &str| truth.iter().filter(|r| r["status"] == s).count();
    for s in EO_STATUSES {
        assert!(count(s) > 10, "a mix of statuses: {s} {}", count(s));
    }
    let (ids, records, _) = page_all_filtered(
        &http,
        &sb,
        &t.access,
        "emailoctopus",
        "contacts",
        100,
        true,
        "",
    )
    .await;
    assert_eq!(ids.len(), count("subscribed"));
    assert!(records.iter().all(|r| r["status"] == "subscribed"));
    let (ids, records, _) = page_all_filtered(
        &http,
        &sb,
        &t.access,
        "emailoctopus",
        "contacts",
        100,
        true,
        "&status=pending",
    )
    .await;
    assert_eq!(ids.len(), count("pending"));
    assert!(records.iter().all(|r| r["status"] == "pending"));
    let list = parent_id(&http, &sb, "emailoctopus", &t.access).await;
    for bad in [
        "status=all",
        "last_updated_at.gte=yesterday",
        "created_at.lte=2026-01-01",
    ] {
        let resp = api_get(
            &http,
            &sb,
            &format!("/emailoctopus/lists/{list}/contacts?{bad}"),
            &t.access,
        )
        .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn emailoctopus_last_updated_filter_is_exact() {
    let sb = start(config(150, 9)).await;
    let http = http();
    let t = connect(&http, &sb, "emailoctopus").await;
    sb.advance_clock(Duration::from_secs(3600));
    let mark = sb.now().replace_nanosecond(0).unwrap() + time::Duration::seconds(1);
    sb.advance_clock(Duration::from_secs(60));
    let applied = sb
        .apply_changes("emailoctopus", "contacts", set(2, 5, 0))
        .unwrap();
    let since = url::form_urlencoded::byte_serialize(rfc3339(mark).as_bytes()).collect::<String>();
    let before =
        url::form_urlencoded::byte_serialize(rfc3339(mark - time::Duration::seconds(1)).as_bytes())
            .collect::<String>();
    let mut changed = Vec::new();
    let mut older = Vec::new();
    for s in EO_STATUSES {
        let f = format!("&status={s}&last_updated_at.gte={since}");
        let (ids, _, _) = page_all_filtered(
            &http,
            &sb,
            &t.access,
            "emailoctopus",
            "contacts",
            3,
            false,
            &f,
        )
        .await;
        changed.extend(ids);
        let f = format!("&status={s}&last_updated_at.lte={before}");
        let (ids, _, _) = page_all_filtered(
            &http,
            &sb,
            &t.access,
            "emailoctopus",
            "contacts",
            100,
            false,
            &f,
        )
        .await;
        older.extend(ids);
    }
    let mut expected: Vec<String> = applied
        .updated
        .iter()
        .chain(&applied.added)
        .cloned()
        .collect();
    expected.sort();
    let mut got: Vec<String> = changed
        .iter()
        .map(|i| match i {
            Id::Text(s) => s.clone(),
            Id::Number(n) => n.to_string(),
        })
        .collect();
    got.sort();
    assert_eq!(got, expected, "exactly the records changed after the mark");
    assert_eq!(older.len(), 150 - 5, "the rest were last updated before it");
}

#[tokio::test]
async fn whatconverts_date_window_is_inclusive_and_totals_count_it() {
    let sb = start(config(300, 4)).await;
    let http = http();
    let t = connect(&http, &sb, "whatconverts").await;
    let truth = sb.records("whatconverts", "leads");
    let lead = &truth[17];
    let created = parse_time(&lead["date_created"]);
    let enc = |t: OffsetDateTime| {
        url::form_urlencoded::byte_serialize(rfc3339(t).as_bytes()).collect::<String>()
    };
    let ids = |page: &Value| -> Vec<String> {
        page["leads"]
            .as_array()
            .unwrap()
            .iter()
            .map(id_of)
            .collect()
    };
    let get = |q: String| {
        let (http, sb, token) = (&http, &sb, &t.access);
        async move {
            let resp = api_get(
                http,
                sb,
                &format!("/whatconverts/api/v1/leads?leads_per_page=2500&{q}"),
                token,
            )
            .await;
            assert_eq!(resp.status(), StatusCode::OK, "{q}");
            resp.json::<Value>().await.unwrap()
        }
    };
    let exact = get(format!(
        "start_date={}&end_date={}",
        enc(created),
        enc(created)
    ))
    .await;
    assert!(ids(&exact).contains(&id_of(lead)), "both bounds inclusive");
    let later = get(format!(
        "start_date={}",
        enc(created + time::Duration::seconds(1))
    ))
    .await;
    assert!(!ids(&later).contains(&id_of(lead)));
    let earlier = get(format!(
        "end_date={}",
        enc(created - time::Duration::seconds(1))
    ))
    .await;
    assert!(!ids(&earlier).contains(&id_of(lead)));
    // A bare date is the whole UTC day; the total counts the filtered leads.
    let day = created.date();
    let whole_day = get(format!("start_date={day}&end_date={day}")).await;
    let expected: Vec<String> = truth
        .iter()
        .filter(|r| parse_time(&r["date_created"]).date() == day)
        .map(id_of)
        .collect();
    assert_eq!(ids(&whole_day), expected);
    assert_eq!(whole_day["total_leads"], expected.len());
    // New leads are created now: a window from today finds exactly them.
    let applied = sb
        .apply_changes("whatconverts", "leads", set(3, 0, 0))
        .unwrap();
    let today = sb.now().date();
    let new = get(format!("start_date={today}")).await;
    assert_eq!(ids(&new), applied.added);
    assert_eq!(new["total_leads"], 3);
    for bad in [
        "start_date=01/02/2026",
        "end_date=tomorrow",
        "start_date=2026-02-01&end_date=2026-01-01",
    ] {
        let resp = api_get(
            &http,
            &sb,
            &format!("/whatconverts/api/v1/leads?{bad}"),
            &t.access,
        )
        .await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let big = get("page_number=1".to_string()).await;
    assert_eq!(big["leads"].as_array().unwrap().len(), 303);
    // `order` sorts by date created (ties by id), combined with a window and pages.
    let truth = sb.records("whatconverts", "leads");
    let mut by_date: Vec<(OffsetDateTime, u64, String)> = truth
        .iter()
        .map(|r| {
            let id = r["lead_id"].as_u64().unwrap();
            (parse_time(&r["date_created"]), id, id.to_string())
        })
        .collect();
    by_date.sort();
    let asc: Vec<String> = by_date.iter().map(|x| x.2.clone()).collect();
    let first = get("order=asc&leads_per_page=100&page_number=1".to_string()).await;
    let second = get("order=asc&leads_per_page=100&page_number=2".to_string()).await;
    let paged: Vec<String> = ids(&first).into_iter().chain(ids(&second)).collect();
    assert_eq!(paged, asc[..200]);
    let desc = get("order=desc".to_string()).await;
    let mut newest_first = asc.clone();
    newest_first.reverse();
    assert_eq!(ids(&desc), newest_first);
    assert_eq!(
        ids(&desc)[..3],
        applied.added.iter().rev().cloned().collect::<Vec<_>>()[..]
    );
    let windowed = get(format!("order=desc&start_date={day}&end_date={day}")).await;
    let mut expected_desc = expected.clone();
    expected_desc.sort_by_key(|id| {
        let r = truth.iter().find(|r| &id_of(r) == id).unwrap();
        std::cmp::Reverse((
            parse_time(&r["date_created"]),
            r["lead_id"].as_u64().unwrap(),
        ))
    });
    assert_eq!(ids(&windowed), expected_desc);
    let resp = api_get(
        &http,
        &sb,
        "/whatconverts/api/v1/leads?order=newest",
        &t.access,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}
