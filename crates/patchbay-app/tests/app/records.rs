//! Records operations over a started app (the real world, nothing connected): what the
//! window gets for a list never synced, and the refusals it gets before anything is read.

use patchbay_app::records::{self, ExportFormat};
use patchbay_app::views::ListRef;
use patchbay_app::views::RecordQuery;
use patchbay_core::ErrorCode;

use crate::support::start;

fn query(search: &str) -> RecordQuery {
    RecordQuery {
        search: search.into(),
        filter: Vec::new(),
        sort: None,
        offset: 0,
        limit: 50,
    }
}

fn leads() -> ListRef {
    ListRef::new("whatconverts", "a0123456789", "leads")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_never_synced_is_an_empty_table_with_an_empty_chart() {
    let (_folder, _, state) = start(&[]).await;
    let page = records::query(&state, &leads(), query("")).await.unwrap();
    assert_eq!((page.total, page.matched, page.rows.len()), (0, 0, 0));
    assert!(records::weekly(&state, &leads(), query(""))
        .await
        .unwrap()
        .is_empty());
    // Its sync panel: one line per list of the provider, nothing run yet.
    let statuses = records::statuses(&state, "whatconverts", "a0123456789").unwrap();
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        (
            statuses[0].resource.as_str(),
            statuses[0].last_run.is_none()
        ),
        ("leads", true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_list_is_refused_with_its_code_and_a_sentence() {
    let (_folder, _, state) = start(&[]).await;
    let with = ListRef::new;
    let code = |e: patchbay_app::error::UserError| (e.code, e.message);

    let (c, m) = code(
        records::query(
            &state,
            &with("whatconverts", "Not An Account!", "leads"),
            query(""),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(c, ErrorCode::AccountUnknown, "{m}");
    let (c, m) = code(
        records::query(&state, &with("nope", "a0123456789", "leads"), query(""))
            .await
            .unwrap_err(),
    );
    assert_eq!(c, ErrorCode::ProviderUnknown, "{m}");
    let (c, m) = code(
        records::weekly(
            &state,
            &with("whatconverts", "a0123456789", "nope"),
            query(""),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(c, ErrorCode::ResourceUnknown, "{m}");
    assert!(m.starts_with("WhatConverts "), "names the provider: {m}");
    let (c, _) = code(
        records::query(&state, &leads(), query(&"lead ".repeat(201)))
            .await
            .unwrap_err(),
    );
    assert_eq!(c, ErrorCode::RecordsQueryTooLong);
    let (c, m) = code(
        records::export(&state, None, &leads(), query(""), ExportFormat::Csv, |_| {})
            .await
            .unwrap_err(),
    );
    assert_eq!(c, ErrorCode::ExportNoFolder, "{m}");
    let (c, _) = code(records::statuses(&state, "nope", "a0123456789").unwrap_err());
    assert_eq!(c, ErrorCode::ProviderUnknown);
}
