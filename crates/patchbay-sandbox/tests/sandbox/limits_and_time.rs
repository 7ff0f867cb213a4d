//! Daily quotas, limit headers, added latency, churn over the sandbox clock, and the
//! `/_sandbox` admin endpoints.

use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use patchbay_sandbox::{Churn, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn config() -> SandboxConfig {
    SandboxConfig {
        records: 60,
        seed: 12,
        auto_approve: true,
        rate_limits: false,
        ..SandboxConfig::default()
    }
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_1001st_request_of_a_day_is_refused_until_midnight_utc() {
    let sb = start(SandboxConfig {
        quotas: HashMap::from([("whatconverts".to_string(), 1000)]),
        ..config()
    })
    .await;
    let http = http();
    let t = connect(&http, &sb, "whatconverts").await;
    let path = "/whatconverts/api/v1/leads?leads_per_page=1";
    // Run close to midnight, the day could end mid-test: start just after one instead.
    let to_midnight = 86_400 - sb.now().unix_timestamp().rem_euclid(86_400);
    sb.advance_clock(Duration::from_secs(to_midnight as u64 + 60));
    let midnight = OffsetDateTime::from_unix_timestamp(
        (sb.now().unix_timestamp().div_euclid(86_400) + 1) * 86_400,
    )
    .unwrap();
    for n in 1..=1000u32 {
        let resp = api_get(&http, &sb, path, &t.access).await;
        assert_eq!(resp.status(), StatusCode::OK, "request {n}");
        assert_eq!(header(&resp, "x-quota-limit"), "1000");
        assert_eq!(header(&resp, "x-quota-remaining"), (1000 - n).to_string());
    }
    let refused = api_get(&http, &sb, path, &t.access).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&refused, "x-quota-remaining"), "0");
    let reset = OffsetDateTime::parse(&header(&refused, "x-quota-reset"), &Rfc3339).unwrap();
    assert_eq!(reset, midnight);
    let retry_after: i64 = header(&refused, "retry-after").parse().unwrap();
    let until_midnight = (midnight - sb.now()).whole_seconds();
    assert!(
        (until_midnight..=until_midnight + 1).contains(&retry_after),
        "Retry-After {retry_after} until the reset ({until_midnight} s)"
    );
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error_message"].as_str().unwrap().contains("daily"),
        "{body}"
    );
    // Another grant has its own quota; the refused one is logged as such.
    let other = connect(&http, &sb, "whatconverts").await;
    assert_eq!(
        api_get(&http, &sb, path, &other.access).await.status(),
        StatusCode::OK
    );
    let log = sb.requests();
    let refused_log: Vec<_> = log
        .iter()
        .filter(|r| r.refused.as_deref() == Some("quota"))
        .collect();
    assert_eq!(refused_log.len(), 1);
    assert_eq!(refused_log[0].status, 429);
    assert_eq!(
        log.iter()
            .filter(|r| r.path == "/whatconverts/api/v1/leads")
            .count(),
        1002
    );
    // Past midnight UTC by the sandbox clock the count starts again.
    sb.advance_clock(Duration::from_secs(retry_after as u64));
    let resp = api_get(&http, &sb, path, &t.access).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "x-quota-remaining"), "999");
    // Lifting the quota removes the headers.
    sb.set_quota("whatconverts", None);
    let resp = api_get(&http, &sb, path, &t.access).await;
    assert!(resp.headers().get("x-quota-limit").is_none());
}

#[tokio::test]
async fn quota_refusals_take_each_providers_error_shape() {
    let sb = start(config()).await;
    let http = http();
    for p in ["emailoctopus", "boomtown"] {
        sb.set_quota(p, Some(2));
        let t = connect(&http, &sb, p).await;
        for left in ["1", "0"] {
            let resp = api_get(&http, &sb, account_path(p), &t.access).await;
            assert_eq!(header(&resp, "x-quota-remaining"), left, "{p}");
        }
        let resp = api_get(&http, &sb, account_path(p), &t.access).await;
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "{p}");
        assert!(header(&resp, "retry-after").parse::<u64>().unwrap() >= 1);
        let problem = p == "emailoctopus";
        assert_eq!(
            header(&resp, "content-type") == "application/problem+json",
            problem,
            "{p}"
        );
        let body: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        if problem {
            assert_eq!(body["status"], 429);
        } else {
            assert_eq!(body["error"], "daily_limit_reached");
        }
    }
}

#[tokio::test]
async fn emailoctopus_reports_its_token_bucket() {
    let sb = start(SandboxConfig {
        rate_limits: true,
        ..config()
    })
    .await;
    let http = http();
    let t = connect(&http, &sb, "emailoctopus").await;
    let mut remaining = Vec::new();
    for _ in 0..30 {
        let resp = api_get(&http, &sb, "/emailoctopus/lists?limit=1", &t.access).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(header(&resp, "x-ratelimiting-limit"), "100");
        remaining.push(
            header(&resp, "x-ratelimiting-remaining")
                .parse::<u32>()
                .unwrap(),
        );
    }
    assert_eq!(remaining[0], 99, "the first call leaves 99 of 100");
    assert!(remaining.iter().all(|r| *r <= 99));
    assert!(remaining[29] < remaining[0], "counting down: {remaining:?}");
    // Providers that document no such headers get none.
    let t = connect(&http, &sb, "boomtown").await;
    let resp = api_get(&http, &sb, account_path("boomtown"), &t.access).await;
    assert!(resp.headers().get("x-ratelimiting-remaining").is_none());
}

#[tokio::test]
async fn latency_is_added_to_provider_calls_only_and_logged() {
    let sb = start(SandboxConfig {
        latency: Duration::from_millis(30),
        ..config()
    })
    .await;
    let http = http();
    let t = connect(&http, &sb, "boomtown").await;
    assert_eq!(
        api_get(&http, &sb, "/boomtown/v1/leads", &t.access)
            .await
            .status(),
        StatusCode::OK
    );
    let log = sb.requests();
    let api = log.iter().find(|r| r.path == "/boomtown/v1/leads").unwrap();
    assert_eq!(api.latency_ms, 30);
    let token = log
        .iter()
        .find(|r| r.path == "/boomtown/oauth/token")
        .unwrap();
    assert_eq!(token.latency_ms, 0, "OAuth endpoints answer at once");
}

/// Records without their dates: two sandboxes started a moment apart date churn from their
/// own start.
fn undated(records: Vec<Value>) -> Vec<Value> {
    records
        .into_iter()
        .map(|mut r| {
            for f in [
                "created_at",
                "updated_at",
                "last_updated_at",
                "date_created",
                "last_updated",
                "last_visit_at",
                "starts_at",
                "unsubscribed_at",
            ] {
                r.as_object_mut().unwrap().remove(f);
            }
            r
        })
        .collect()
}

#[tokio::test]
async fn churn_follows_the_seed_and_the_clock() {
    let churn = Churn {
        add_per_min: 5,
        update_per_min: 3,
        delete_per_min: 2,
    };
    let with = |seed| SandboxConfig {
        seed,
        churn: Some(churn),
        frozen_clock: true,
        ..config()
    };
    let (a, b, c) = (
        start(with(12)).await,
        start(with(12)).await,
        start(with(13)).await,
    );
    for sb in [&a, &b, &c] {
        sb.advance_clock(Duration::from_secs(600));
    }
    for (p, r) in [
        ("whatconverts", "leads"),
        ("clickfunnels", "contacts"),
        ("emailoctopus", "contacts"),
        ("boomtown", "leads"),
    ] {
        let (ra, rb, rc) = (a.records(p, r), b.records(p, r), c.records(p, r));
        // Ten minutes: ten change sets.
        assert_eq!(ra.len(), 60 + 10 * 5 - 10 * 2, "{p}/{r}");
        assert_eq!(
            undated(ra.clone()),
            undated(rb),
            "{p}/{r}: same seed, same time, same data"
        );
        assert_ne!(undated(ra), undated(rc), "{p}/{r}: another seed");
    }
    // The clock drives it: ten more minutes, ten more change sets.
    a.advance_clock(Duration::from_secs(600));
    assert_eq!(a.records("boomtown", "leads").len(), 60 + 20 * 3);
    // Churned updates are dated within the clock's span.
    let newest = a
        .records("boomtown", "leads")
        .iter()
        .map(|r| OffsetDateTime::parse(r["updated_at"].as_str().unwrap(), &Rfc3339).unwrap())
        .max()
        .unwrap();
    assert_eq!(
        newest,
        a.now(),
        "the last minute's updates are dated at its end"
    );
}

#[tokio::test]
async fn admin_endpoints_change_data_move_the_clock_and_show_records() {
    let sb = start(config()).await;
    let http = http();
    let url = |p: &str| format!("{}{p}", sb.url());
    let applied: Value = http
        .post(url("/_sandbox/changes"))
        .json(&json!({"provider": "whatconverts", "resource": "leads", "add": 2, "update": 3, "delete": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(applied["added"].as_array().unwrap().len(), 2);
    assert_eq!(applied["updated"].as_array().unwrap().len(), 3);
    assert_eq!(applied["deleted"].as_array().unwrap().len(), 1);
    let records: Value = http
        .get(url("/_sandbox/records/whatconverts/leads"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(records, Value::Array(sb.records("whatconverts", "leads")));
    assert_eq!(records.as_array().unwrap().len(), 61);
    let before = sb.now();
    let clock: Value = http
        .post(url("/_sandbox/clock"))
        .json(&json!({"advance_secs": 86_400}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let now = OffsetDateTime::parse(clock["now"].as_str().unwrap(), &Rfc3339).unwrap();
    assert!(now >= before.replace_nanosecond(0).unwrap() + time::Duration::days(1));
    assert!(sb.now() >= now);
    let unknown = http
        .post(url("/_sandbox/changes"))
        .json(&json!({"provider": "whatconverts", "resource": "calls", "add": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"], "unknown_collection");
    let too_many = http
        .post(url("/_sandbox/changes"))
        .json(&json!({"provider": "boomtown", "resource": "leads", "delete": 61}))
        .send()
        .await
        .unwrap();
    assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);
    let body: Value = too_many.json().await.unwrap();
    assert_eq!(body["error"], "change_set_too_large");
    let typo = http
        .post(url("/_sandbox/changes"))
        .json(&json!({"provider": "boomtown", "resource": "leads", "adds": 1}))
        .send()
        .await
        .unwrap();
    assert!(
        typo.status().is_client_error(),
        "unknown fields are refused"
    );
    assert_eq!(
        http.get(url("/_sandbox/records/boomtown/houses"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_unknown_provider_in_quotas_stops_the_start_with_a_clear_error() {
    let err = patchbay_sandbox::Sandbox::start(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig {
            quotas: HashMap::from([("whatconvert".to_string(), 5)]),
            ..config()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "unknown_provider");
    assert!(err.to_string().contains("whatconverts"), "{err}");
    // A pair that does not change has no records to compare with.
    let sb = start(config()).await;
    assert!(sb.records("emailoctopus", "lists").is_empty());
    assert_eq!(sb.records("boomtown", "leads").len(), 60);
}
