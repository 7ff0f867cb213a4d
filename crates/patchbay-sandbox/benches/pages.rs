//! Pages per second served over loopback, per provider, at each provider's largest page.
//!
//! `cargo bench -p patchbay-sandbox --bench pages` (optional env: BENCH_SECONDS, default 3).
//! A plain timing loop rather than criterion: the number we want is a throughput over a
//! real keep-alive connection, and each measurement is bounded in time and count.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use patchbay_sandbox::{Sandbox, SandboxConfig};
use sha2::{Digest, Sha256};

const REDIRECT: &str = "http://127.0.0.1:53682/oauth/callback";

async fn token(http: &reqwest::Client, sb: &Sandbox, p: &str) -> String {
    let verifier = "bench-verifier-0123456789-0123456789-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url = url::Url::parse(&format!("{}/{p}/oauth/authorize", sb.url())).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "patchbay-desktop")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let resp = http.get(url).send().await.unwrap();
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let body: serde_json::Value = http
        .post(format!("{}/{p}/oauth/token", sb.url()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", "patchbay-desktop"),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// Path of page `n` (0-based) of each provider's main collection at its largest page size.
fn page_path(p: &str, n: u64) -> (String, u64) {
    match p {
        "whatconverts" => (
            format!(
                "/whatconverts/api/v1/leads?page_number={}&leads_per_page=250",
                n + 1
            ),
            250,
        ),
        "clickfunnels" => {
            let after = if n == 0 {
                String::new()
            } else {
                format!("&after={}", 20_000_000 + n * 100)
            };
            (
                format!("/clickfunnels/api/v2/workspaces/4201/contacts?limit=100{after}"),
                100,
            )
        }
        "webinargeek" => (
            format!("/webinargeek/api/v2/webinars?page={}&per_page=100", n + 1),
            100,
        ),
        "boomtown" => (
            format!("/boomtown/v1/leads?limit=100&offset={}", n * 100),
            100,
        ),
        _ => ("/emailoctopus/campaigns?limit=100".to_string(), 100),
    }
}

fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sb = Sandbox::start(
            "127.0.0.1:0".parse().unwrap(),
            SandboxConfig {
                records: 200_000,
                auto_approve: true,
                rate_limits: false,
                ..SandboxConfig::default()
            },
        )
        .await
        .unwrap();
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        println!("sandbox pages/second over loopback (one client, keep-alive, {seconds} s each)");
        for p in patchbay_sandbox::PROVIDERS {
            let token = token(&http, &sb, p).await;
            let started = Instant::now();
            let (mut pages, mut records, mut bytes) = (0u64, 0u64, 0u64);
            // Bounded in time and in count (200000 records' worth of pages).
            while started.elapsed() < Duration::from_secs(seconds) && pages < 2000 {
                let (path, per_page) = page_path(p, pages);
                let resp = http
                    .get(format!("{}{path}", sb.url()))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert!(resp.status().is_success(), "{p}: {}", resp.status());
                bytes += resp.bytes().await.unwrap().len() as u64;
                pages += 1;
                records += per_page;
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{p:<13} {:>8.1} pages/s {:>10.0} records/s {:>7.1} MB/s ({pages} pages)",
                pages as f64 / secs,
                records as f64 / secs,
                bytes as f64 / secs / 1e6
            );
        }
        sb.shutdown().await;
    });
}
