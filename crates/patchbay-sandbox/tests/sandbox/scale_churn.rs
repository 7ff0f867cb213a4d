//! 100000 WhatConverts leads under churn: paging and date windows stay exact (the overlay
//! keeps only what changed; pages cost O(page), not O(collection)).

use crate::common;

use std::time::Duration;

use common::*;
use patchbay_sandbox::{Churn, SandboxConfig};
use serde_json::Value;

const RECORDS: usize = 100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_leads_with_churn_page_exactly() {
    let sb = start(SandboxConfig {
        records: RECORDS,
        seed: 77,
        auto_approve: true,
        rate_limits: false,
        churn: Some(Churn {
            add_per_min: 50,
            update_per_min: 20,
            delete_per_min: 5,
        }),
        ..SandboxConfig::default()
    })
    .await;
    // A day of churn: 1440 change sets.
    sb.advance_clock(Duration::from_secs(86_400));
    let http = http();
    let t = connect(&http, &sb, "whatconverts").await;
    // The clock runs on with real time, so a churn minute may pass while paging (a client
    // would then see a moving collection, as with the real API): page again until a pass
    // saw no churn, at most three times (passes take far less than a minute).
    let mut attempts = 0;
    let truth = loop {
        attempts += 1;
        let before = sb.records("whatconverts", "leads");
        let (ids, _, _) =
            page_all(&http, &sb, &t.access, "whatconverts", "leads", 2500, false).await;
        let after = sb.records("whatconverts", "leads");
        if before != after {
            assert!(attempts < 3, "churn kept moving the collection");
            continue;
        }
        assert_eq!(assert_each_once(&ids), after.len());
        let truth_ids: Vec<Id> = after
            .iter()
            .map(|r| Id::Number(r["lead_id"].as_u64().unwrap()))
            .collect();
        assert_eq!(ids, truth_ids);
        break after;
    };
    let expected = RECORDS + 1440 * 50 - 1440 * 5;
    // The day of churn, plus a minute or two of real time.
    assert!(
        (expected..=expected + 2 * 45).contains(&truth.len()),
        "{}",
        truth.len()
    );
    // The last day's window holds exactly the churned-in leads, however they were paged.
    let today = sb.now().date();
    let yesterday = today.previous_day().unwrap();
    let q = format!("start_date={yesterday}");
    let (window, records, _) = page_all_filtered(
        &http,
        &sb,
        &t.access,
        "whatconverts",
        "leads",
        2500,
        true,
        &format!("&{q}"),
    )
    .await;
    let in_window = |r: &Value| r["date_created"].as_str().unwrap()[..10] >= *yesterday.to_string();
    let expected = truth.iter().filter(|r| in_window(r)).count();
    // At most one churn minute (45 more leads) may have passed between the two reads.
    assert!(
        (expected..=expected + 45).contains(&window.len()),
        "{} in the window, {expected} expected",
        window.len()
    );
    assert!(records.iter().all(in_window));
    assert!(window.len() > 1000, "a day of adds: {}", window.len());
}
