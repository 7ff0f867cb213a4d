//! A sync's first records are stored, and reported, ahead of the rest of their page: the window
//! shows a first sync's rows while the rest of a large page is still being written.

use std::sync::Mutex;

use patchbay_cache::Cache;
use patchbay_core::views::SyncProgress;
use patchbay_sync::{Pass, ProgressSink, SyncReport};

use crate::common::*;

/// Each stored progress report with the records the cache held when it came.
struct StoredWhenReported<'a> {
    cache: &'a Cache,
    account: String,
    seen: Mutex<Vec<(u32, u64)>>,
}

impl ProgressSink for StoredWhenReported<'_> {
    fn progress(&self, p: SyncProgress) {
        let stored = self
            .cache
            .stats("whatconverts", &self.account, "leads")
            .unwrap()
            .map_or(0, |s| s.count);
        self.seen.lock().unwrap().push((p.fetched, stored));
    }
}

/// Syncs the leads, answering the report and each progress report's (fetched, stored then).
async fn sync_noting_what_was_stored(leads: &Leads) -> (SyncReport, Vec<(u32, u64)>) {
    let sink = StoredWhenReported {
        cache: &leads.cache,
        account: leads.account.as_str().to_string(),
        seen: Mutex::new(Vec::new()),
    };
    let report = patchbay_sync::run(&leads.core, &leads.cache, &leads.target, Pass::Auto, &sink)
        .await
        .expect("the sync runs");
    (report, sink.seen.into_inner().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_syncs_first_records_are_stored_and_reported_before_the_rest_of_their_page() {
    // Pages of 250: the first page is 250 leads, the last 100.
    let (report, seen) = sync_noting_what_was_stored(&leads(600, 8, 250).await).await;
    assert_eq!(report.total, 600);
    let reported: Vec<u32> = seen.iter().map(|(fetched, _)| *fetched).collect();
    // 50 ahead of the first page's other 200 (the first page goes alone: it tells the page
    // count); the two later pages whole, in the order they came; the end.
    assert_eq!(reported.len(), 5, "{seen:?}");
    assert_eq!(reported[..2], [50, 250], "{seen:?}");
    assert_eq!(reported[4], 600, "{seen:?}");
    for (fetched, stored) in &seen {
        assert!(
            *stored >= u64::from(*fetched),
            "{fetched} reported with {stored} stored: {seen:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_page_syncs_first_records_are_reported_while_the_rest_of_the_page_is_stored() {
    // One page of 2,500 leads (WhatConverts' largest): the sync's only page is also its last.
    let (report, seen) = sync_noting_what_was_stored(&leads(2_500, 9, 2_500).await).await;
    assert_eq!(report.total, 2_500);
    assert_eq!(
        seen.first().map(|(fetched, _)| *fetched),
        Some(50),
        "{seen:?}"
    );
    // Passed on while the page's other 2,450 (hundreds of milliseconds of storing) were still
    // being written, not once the sync had handed over its end.
    let (_, stored_then) = seen[0];
    assert!(stored_then < 2_500, "{seen:?}");
}
