//! Paging through 200000 records yields each record exactly once: one collection of each
//! provider, so every paging mechanism (page number, `after` + header, page/per_page,
//! limit/offset, body cursor) is covered, including the child collections.

use crate::common;

use std::time::Instant;

use common::*;
use patchbay_sandbox::SandboxConfig;

const RECORDS: usize = 200_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_thousand_records_each_exactly_once() {
    let sb = start(SandboxConfig {
        records: RECORDS,
        seed: 42,
        auto_approve: true,
        // The client here pages as fast as loopback allows; rate limits have their own test.
        rate_limits: false,
        ..SandboxConfig::default()
    })
    .await;
    let http = http();
    let resources = [
        ("whatconverts", "leads"),
        ("clickfunnels", "contacts"),
        ("webinargeek", "subscriptions"),
        ("boomtown", "leads"),
        ("emailoctopus", "contacts"),
    ];
    for (p, resource) in resources {
        let started = Instant::now();
        let t = connect(&http, &sb, p).await;
        let size = max_page_size(p);
        let (ids, _, requests) = page_all(&http, &sb, &t.access, p, resource, size, false).await;
        assert_eq!(ids.len(), RECORDS, "{p}/{resource}");
        assert_eq!(assert_each_once(&ids), RECORDS, "{p}/{resource}");
        assert_eq!(
            requests as u64,
            expected_requests(&sb, p, resource, RECORDS as u64, size)
        );
        eprintln!(
            "{p}/{resource}: {requests} pages in {:?}",
            started.elapsed()
        );
    }
}
