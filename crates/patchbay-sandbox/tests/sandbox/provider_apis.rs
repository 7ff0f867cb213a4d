//! The five provider APIs: shapes, paging, parameter validation, determinism.

use crate::common;

use common::*;
use patchbay_sandbox::SandboxConfig;
use reqwest::StatusCode;
use serde_json::Value;

fn config(records: usize, seed: u64) -> SandboxConfig {
    SandboxConfig {
        records,
        seed,
        auto_approve: true,
        rate_limits: false,
        ..SandboxConfig::default()
    }
}

#[tokio::test]
async fn every_collection_pages_each_record_once_at_default_and_odd_sizes() {
    let sb = start(config(250, 1)).await;
    let http = http();
    for (p, resource) in RESOURCES {
        let t = connect(&http, &sb, p).await;
        for size in [max_page_size(p), 7] {
            let (ids, _, requests) =
                page_all(&http, &sb, &t.access, p, resource, size, false).await;
            assert_eq!(ids.len(), 250, "{p}/{resource} size {size}");
            assert_eq!(assert_each_once(&ids), 250, "{p}/{resource} size {size}");
            assert_eq!(
                requests as u64,
                expected_requests(&sb, p, resource, 250, size),
                "{p}/{resource} size {size}"
            );
        }
    }
}

#[tokio::test]
async fn records_have_realistic_fields() {
    let sb = start(config(250, 1)).await;
    let http = http();
    let check_email = |e: &Value| {
        let e = e.as_str().unwrap();
        assert!(e.contains('@') && e.contains('.'), "{e}");
    };
    let check_date = |d: &Value| {
        let d = d.as_str().unwrap();
        assert_eq!(d.len(), 20, "{d}");
        let year: u32 = d[..4].parse().unwrap();
        assert!((2024..=2026).contains(&year), "{d}");
        assert!(d.ends_with('Z'));
    };
    for (p, resource) in RESOURCES {
        let t = connect(&http, &sb, p).await;
        let (_, records, _) =
            page_all(&http, &sb, &t.access, p, resource, max_page_size(p), true).await;
        assert_eq!(records.len(), 250);
        let r = &records[0];
        match (p, resource) {
            ("whatconverts", _) => {
                check_email(&r["contact_email_address"]);
                check_date(&r["date_created"]);
                assert!(r["contact_phone_number"].as_str().unwrap().contains("555"));
                assert!(
                    r["quote_value"].is_number()
                        && r["lead_source"].is_string()
                        && r["lead_campaign"].is_string()
                );
            }
            ("clickfunnels", "contacts") => {
                check_email(&r["email_address"]);
                check_date(&r["created_at"]);
                assert_eq!(r["workspace_id"], 4201);
            }
            ("clickfunnels", "orders") => {
                assert!(r["total_amount"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);
                assert_eq!(r["currency"], "USD");
            }
            ("clickfunnels", "funnels") => assert!(r["name"].is_string()),
            ("webinargeek", "webinars") => check_date(&r["starts_at"]),
            ("webinargeek", "subscriptions") => {
                check_email(&r["email"]);
                check_date(&r["registered_at"]);
            }
            ("boomtown", _) => {
                check_email(&r["email"]);
                assert!(r["price_max"].as_u64() > r["price_min"].as_u64());
            }
            ("emailoctopus", "contacts") => {
                check_email(&r["email_address"]);
                assert!(r["fields"]["FirstName"].is_string());
            }
            ("emailoctopus", "lists") => assert_eq!(r["id"].as_str().unwrap().len(), 36),
            ("emailoctopus", "campaigns") => assert!(r["subject"].is_string()),
            _ => unreachable!(),
        }
        // Dates spread over about two years.
        let dates: Vec<&str> = records
            .iter()
            .filter_map(|r| {
                ["date_created", "created_at", "starts_at", "registered_at"]
                    .iter()
                    .find_map(|k| r[*k].as_str())
            })
            .collect();
        if dates.len() > 100 {
            let min = dates.iter().min().unwrap();
            let max = dates.iter().max().unwrap();
            assert!(
                min[..4].parse::<u32>().unwrap() + 1 < max[..4].parse::<u32>().unwrap()
                    || (&min[..7] < "2024-09" && &max[..7] > "2026-03"),
                "{p}/{resource}: {min}..{max}"
            );
        }
    }
}

#[tokio::test]
async fn same_seed_same_data_other_seed_other_data() {
    let (a, b, c) = (
        start(config(30, 5)).await,
        start(config(30, 5)).await,
        start(config(30, 6)).await,
    );
    let http = http();
    for (p, resource) in RESOURCES {
        let mut pages = Vec::new();
        for sb in [&a, &b, &c] {
            let t = connect(&http, sb, p).await;
            pages.push(
                page_all(&http, sb, &t.access, p, resource, 10, true)
                    .await
                    .1,
            );
        }
        assert_eq!(pages[0], pages[1], "{p}/{resource}: same seed");
        assert_ne!(pages[0], pages[2], "{p}/{resource}: other seed");
    }
}

#[tokio::test]
async fn paging_parameters_are_validated() {
    let sb = start(config(50, 1)).await;
    let http = http();
    let cases: &[(&str, &str, StatusCode)] = &[
        (
            "whatconverts",
            "/whatconverts/api/v1/leads?leads_per_page=2501",
            StatusCode::BAD_REQUEST,
        ),
        (
            "whatconverts",
            "/whatconverts/api/v1/leads?leads_per_page=0",
            StatusCode::BAD_REQUEST,
        ),
        (
            "whatconverts",
            "/whatconverts/api/v1/leads?page_number=abc",
            StatusCode::BAD_REQUEST,
        ),
        (
            "clickfunnels",
            "/clickfunnels/api/v2/workspaces/4201/contacts?after=xyz",
            StatusCode::BAD_REQUEST,
        ),
        (
            "clickfunnels",
            "/clickfunnels/api/v2/workspaces/4201/contacts?limit=101",
            StatusCode::BAD_REQUEST,
        ),
        (
            "clickfunnels",
            "/clickfunnels/api/v2/workspaces/999/contacts",
            StatusCode::NOT_FOUND,
        ),
        (
            "clickfunnels",
            "/clickfunnels/api/v2/teams/301/workspaces",
            StatusCode::OK,
        ),
        (
            "clickfunnels",
            "/clickfunnels/api/v2/teams/302/workspaces",
            StatusCode::NOT_FOUND,
        ),
        (
            "webinargeek",
            "/webinargeek/api/v2/webinars?per_page=101",
            StatusCode::BAD_REQUEST,
        ),
        (
            "webinargeek",
            "/webinargeek/api/v2/webinars/1/subscriptions",
            StatusCode::NOT_FOUND,
        ),
        (
            "webinargeek",
            "/webinargeek/api/v2/webinars/5050/subscriptions",
            StatusCode::OK,
        ),
        (
            "webinargeek",
            "/webinargeek/api/v2/webinars/5051/subscriptions",
            StatusCode::NOT_FOUND,
        ),
        (
            "webinargeek",
            "/webinargeek/api/v2/webinars/5001/registrations",
            StatusCode::OK,
        ),
        (
            "boomtown",
            "/boomtown/v1/leads?limit=101",
            StatusCode::BAD_REQUEST,
        ),
        (
            "boomtown",
            "/boomtown/v1/leads?offset=-1",
            StatusCode::BAD_REQUEST,
        ),
        (
            "emailoctopus",
            "/emailoctopus/lists?limit=101",
            StatusCode::BAD_REQUEST,
        ),
        (
            "emailoctopus",
            "/emailoctopus/lists?starting_after=bogus",
            StatusCode::BAD_REQUEST,
        ),
        (
            "emailoctopus",
            "/emailoctopus/lists/00000000-0000-4000-8000-000000000000/contacts",
            StatusCode::NOT_FOUND,
        ),
    ];
    let mut tokens = std::collections::HashMap::new();
    for p in PROVIDERS {
        tokens.insert(p, connect(&http, &sb, p).await.access);
    }
    for (p, path, expected) in cases {
        let resp = api_get(&http, &sb, path, &tokens[p]).await;
        assert_eq!(resp.status(), *expected, "{path}");
        if !expected.is_success() {
            let body: Value = resp.json().await.unwrap();
            assert!(body["error"].is_string(), "{path}: {body}");
        }
    }
    // A cursor of one EmailOctopus collection is refused by another.
    let lists: Value = api_get(
        &http,
        &sb,
        "/emailoctopus/lists?limit=5",
        &tokens["emailoctopus"],
    )
    .await
    .json()
    .await
    .unwrap();
    let cursor = lists["paging"]["next"]["starting_after"].as_str().unwrap();
    let resp = api_get(
        &http,
        &sb,
        &format!("/emailoctopus/campaigns?starting_after={cursor}"),
        &tokens["emailoctopus"],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // The documented next url works relative to the provider base.
    let next_url = lists["paging"]["next"]["url"].as_str().unwrap();
    let resp = api_get(
        &http,
        &sb,
        &format!("/emailoctopus{next_url}"),
        &tokens["emailoctopus"],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page2: Value = resp.json().await.unwrap();
    assert_ne!(page2["data"][0]["id"], lists["data"][0]["id"]);
}

#[tokio::test]
async fn last_pages_say_there_is_no_more() {
    let sb = start(config(10, 1)).await;
    let http = http();
    let cf = connect(&http, &sb, "clickfunnels").await;
    let resp = api_get(
        &http,
        &sb,
        "/clickfunnels/api/v2/workspaces/4201/funnels?limit=10",
        &cf.access,
    )
    .await;
    assert!(resp.headers().get("pagination-next").is_none());
    assert!(resp.headers().get("link").is_none());
    let resp = api_get(
        &http,
        &sb,
        "/clickfunnels/api/v2/workspaces/4201/funnels?limit=9",
        &cf.access,
    )
    .await;
    assert_eq!(resp.headers()["pagination-next"], "10009");
    assert_eq!(
        resp.headers()["link"],
        format!(
            "<{}/clickfunnels/api/v2/workspaces/4201/funnels?after=10009&limit=9>; rel=\"next\"",
            sb.url()
        )
        .as_str()
    );
    let eo = connect(&http, &sb, "emailoctopus").await;
    let body: Value = api_get(&http, &sb, "/emailoctopus/campaigns?limit=10", &eo.access)
        .await
        .json()
        .await
        .unwrap();
    assert!(body["paging"]["next"].is_null());
    let wc = connect(&http, &sb, "whatconverts").await;
    let body: Value = api_get(
        &http,
        &sb,
        "/whatconverts/api/v1/leads?page_number=2",
        &wc.access,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["leads"].as_array().unwrap().len(), 0);
    assert_eq!(body["total_leads"], 10);
    assert_eq!(body["total_pages"], 1);
}

#[tokio::test]
async fn a_whatconverts_lead_has_a_plain_page_outside_the_api() {
    // "Open in WhatConverts" in the demo world lands here: no token, a page naming the lead.
    let sb = start(config(5, 1)).await;
    let http = http();
    let page = http
        .get(format!("{}/whatconverts/leads/1000002", sb.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let body = page.text().await.unwrap();
    assert!(
        body.contains("<h1>WhatConverts lead 1000002</h1>"),
        "{body}"
    );
    for bad in ["abc", "1%2F2", "-1"] {
        let r = http
            .get(format!("{}/whatconverts/leads/{bad}", sb.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }
}
