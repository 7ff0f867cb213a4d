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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_in_provider_needs_a_record_page_in_the_definition() {
    let (_folder, _, state) = start(&[]).await;
    let view = records::list_resources(&state, "whatconverts").unwrap();
    assert!(!view[0].opens_in_provider, "no provider documents one");
    let e = records::record_page(&state, &leads(), 0).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::RecordsNoProviderPage);
    assert!(e.message.contains("WhatConverts"), "{}", e.message);
    let bad_list = ListRef::new("whatconverts", "a0123456789", "calls");
    let e = records::record_page(&state, &bad_list, 0)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::ResourceUnknown);
    let bad_account = ListRef::new("whatconverts", "../x", "leads");
    let e = records::record_page(&state, &bad_account, 0)
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AccountUnknown);

    // A definition with a page per lead: the window offers the button, and a list never
    // fetched is refused as such (the template passed its checks; the cache is asked).
    let real = include_str!("../../../patchbay-core/providers/whatconverts.toml");
    let with_page = real.replacen(
        "id_pointer = \"/lead_id\"\n",
        "id_pointer = \"/lead_id\"\nrecord_page = \"https://app.example.com/leads/{/lead_id}\"\n",
        1,
    );
    assert_ne!(with_page, real);
    let (_folder, _, state) = start(&[("whatconverts.toml", &with_page)]).await;
    let view = records::list_resources(&state, "whatconverts").unwrap();
    assert!(view[0].opens_in_provider);
    let e = records::record_page(&state, &leads(), 0).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::CacheNotCached);
}
