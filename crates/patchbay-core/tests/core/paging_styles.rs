//! The paging engine's variants beyond the built-in definitions: page number only, and the
//! sequential fallbacks when a provider does not say how many records there are.

use crate::common;

use std::collections::HashSet;

use common::*;
use patchbay_core::providers::Paging;
use patchbay_sandbox::SandboxConfig;

async fn leads_with(paging_for: &str, paging: Paging, records: usize) -> Vec<serde_json::Value> {
    let sb = sandbox(SandboxConfig {
        records,
        rate_limits: false,
        ..Default::default()
    })
    .await;
    let vault = std::sync::Arc::new(patchbay_core::vault::MemoryVault::new());
    let provider = paging_for.to_string();
    let core = core_with(&sb, vault, move |d| {
        if d.id == provider {
            d.rate_limit.requests = 0;
            d.resources[0].paging = paging.clone();
        }
    });
    let account = connect_account(&core, paging_for).await;
    let id = core
        .providers()
        .iter()
        .find(|d| d.id == paging_for)
        .unwrap()
        .resources[0]
        .id
        .to_string();
    core.sync(paging_for, &account, &id, |_| {}).await.unwrap()
}

fn unique(records: &[serde_json::Value], ptr: &str) -> usize {
    records
        .iter()
        .map(|r| r.pointer(ptr).unwrap().to_string())
        .collect::<HashSet<_>>()
        .len()
}

#[tokio::test]
async fn page_number_only_with_total_pages() {
    // WhatConverts serves 25 a page when not told: 60 records are 3 pages.
    let paging = Paging::PageNumber {
        page_param: "page_number".into(),
        first_page: 1,
        total_pages: Some("/total_pages".into()),
        total_items: Some("/total_leads".into()),
    };
    let records = leads_with("whatconverts", paging, 60).await;
    assert_eq!(records.len(), 60);
    assert_eq!(unique(&records, "/lead_id"), 60);
}

#[tokio::test]
async fn page_number_without_totals_stops_on_an_empty_page() {
    let paging = Paging::PageNumber {
        page_param: "page_number".into(),
        first_page: 1,
        total_pages: None,
        total_items: None,
    };
    let records = leads_with("whatconverts", paging, 60).await;
    assert_eq!(records.len(), 60);
    assert_eq!(unique(&records, "/lead_id"), 60);
}

#[tokio::test]
async fn page_per_page_without_totals_stops_on_a_short_page() {
    let paging = Paging::PagePerPage {
        page_param: "page_number".into(),
        size_param: "leads_per_page".into(),
        page_size: 7,
        first_page: 1,
        total_pages: None,
        total_items: None,
    };
    let records = leads_with("whatconverts", paging, 50).await;
    assert_eq!(records.len(), 50);
    assert_eq!(unique(&records, "/lead_id"), 50);
}

#[tokio::test]
async fn offset_limit_without_total_goes_sequentially() {
    let paging = Paging::OffsetLimit {
        offset_param: "offset".into(),
        limit_param: "limit".into(),
        page_size: 9,
        total_items: None,
    };
    let records = leads_with("boomtown", paging, 40).await;
    assert_eq!(records.len(), 40);
    assert_eq!(unique(&records, "/id"), 40);
}
