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
        // The clock moves only when told, so the collection holds still while it is read.
        frozen_clock: true,
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
    let truth = sb.records("whatconverts", "leads");
    assert_eq!(truth.len(), RECORDS + 1440 * 50 - 1440 * 5);
    let (ids, _, _) = page_all(&http, &sb, &t.access, "whatconverts", "leads", 2500, false).await;
    assert_eq!(assert_each_once(&ids), truth.len());
    let truth_ids: Vec<Id> = truth
        .iter()
        .map(|r| Id::Number(r["lead_id"].as_u64().unwrap()))
        .collect();
    assert_eq!(ids, truth_ids);
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
    let expected: Vec<Id> = truth
        .iter()
        .filter(|r| in_window(r))
        .map(|r| Id::Number(r["lead_id"].as_u64().unwrap()))
        .collect();
    assert_eq!(window, expected);
    assert!(records.iter().all(in_window));
    assert!(window.len() > 1000, "a day of adds: {}", window.len());
}
