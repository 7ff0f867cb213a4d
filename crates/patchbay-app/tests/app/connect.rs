//! A connect starts its account's first list syncing at once, and the window's Refresh of that
//! list right after joins the run: the list syncs once, before anyone opens it.

use std::time::Duration;

use patchbay_app::views::{ListRef, RecordQuery};
use patchbay_app::{connections, records, tiles};
use patchbay_sandbox::{AuthMode, Sandbox, SandboxConfig};

use crate::support::start_with;

fn leads_requests(sb: &Sandbox) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r.path.ends_with("/leads"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_a_key_syncs_the_first_list_and_a_refresh_right_after_joins_that_sync() {
    // The key goes to a file in this test's own folder, not the keychain the other tests of
    // this run share (they expect no saved key): no Secret Service for this process.
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/patchbay-test-bus",
    );
    let sb = Sandbox::start(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig {
            records: 300,
            rate_limits: false,
            // WhatConverts' own scheme: an API token and secret.
            auth: [("whatconverts".to_string(), AuthMode::ApiKey)].into(),
            ..Default::default()
        },
    )
    .await
    .expect("sandbox starts");
    // The real WhatConverts definition (an API key) pointed at the loopback sandbox.
    let builtin = include_str!("../../../patchbay-core/providers/whatconverts.toml");
    let from = r#"api_base = "https://app.whatconverts.com/api/v1""#;
    assert!(builtin.contains(from), "the built-in definition has {from}");
    let def = builtin.replace(
        from,
        &format!(r#"api_base = "{}/whatconverts/api/v1""#, sb.url()),
    );
    let (_folder, _, state) = start_with(
        &[("whatconverts.toml", &def)],
        r#"{"demo_mode": false, "secret_storage": "file_when_no_keychain"}"#,
    )
    .await;

    let key = SandboxConfig::api_key_for_account("whatconverts", 1).unwrap();
    connections::save_api_key(&state, "whatconverts", key)
        .await
        .expect("the key works");
    let account = tiles::tiles(&state)
        .await
        .into_iter()
        .find(|t| t.id == "whatconverts")
        .and_then(|t| t.accounts.first().map(|a| a.account_id.clone()))
        .expect("the account is on its tile");
    let list = ListRef::new("whatconverts", &account, "leads");
    let all = || RecordQuery {
        search: String::new(),
        filter: Vec::new(),
        sort: None,
        offset: 0,
        limit: 1,
    };

    // Nobody asked for a sync: the records arrive anyway.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let page = records::query(&state, &list, all()).await.unwrap();
        if page.total == 300 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for the connect's own sync: {} stored",
            page.total
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let fetched = leads_requests(&sb);
    assert!(fetched >= 1);

    // The window opens the list a moment later: its Refresh answers that sync's outcome.
    let summary = records::sync(&state, &list, &crate::support::Nowhere)
        .await
        .expect("the Refresh answers");
    assert_eq!(summary.total, 300);
    assert_eq!(leads_requests(&sb), fetched, "not fetched a second time");
}
