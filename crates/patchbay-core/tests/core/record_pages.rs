//! "Open in <Provider>" in the demo world: a definition's `record_page`, moved onto the sandbox
//! by the demo rewrite, names a page the sandbox serves for that very record.

use crate::common;

use common::sandbox;
use patchbay_core::providers::builtin;
use patchbay_sandbox::SandboxConfig;

#[tokio::test]
async fn a_demo_record_page_is_the_sandboxs_page_of_that_lead() {
    let sb = sandbox(SandboxConfig {
        records: 3,
        seed: 4,
        ..SandboxConfig::default()
    })
    .await;
    let mut wc = builtin()
        .into_iter()
        .find(|d| d.id == "whatconverts")
        .unwrap();
    // No WhatConverts page documents a per-lead address: the shape a definition would carry.
    wc.resources[0].record_page = Some("https://app.whatconverts.com/leads/{/lead_id}".into());
    patchbay_core::demo::rewrite_for_demo(&mut wc, &sb.url());
    let template = wc.resources[0].record_page.clone().unwrap();

    let http = reqwest::Client::new();
    let leads: serde_json::Value = http
        .get(format!("{}/_sandbox/records/whatconverts/leads", sb.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let leads = leads
        .get("records")
        .unwrap_or(&leads)
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(leads.len(), 3);
    for lead in &leads {
        let url = patchbay_core::record_page::expand(&template, lead).unwrap();
        let id = lead["lead_id"].as_u64().unwrap();
        assert_eq!(
            url.origin().ascii_serialization(),
            sb.url().trim_end_matches('/'),
            "on the sandbox's own origin"
        );
        assert_eq!(url.path(), format!("/whatconverts/leads/{id}"));
        let page = http.get(url.as_str()).send().await.unwrap();
        assert_eq!(page.status().as_u16(), 200, "{url}");
        let body = page.text().await.unwrap();
        assert!(
            body.contains(&format!("<h1>WhatConverts lead {id}</h1>")),
            "{body}"
        );
    }
}
