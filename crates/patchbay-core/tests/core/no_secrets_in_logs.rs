//! No token, code, state or verifier in any log line or Debug output.

use crate::common;
use patchbay_core::secret::ExposeSecret;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use patchbay_core::vault::Vault;
use patchbay_sandbox::{pkce_s256_challenge, SandboxConfig};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn param(url: &str, key: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == key)
        .unwrap()
        .1
        .into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_logs_or_debug() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let sb = sandbox(SandboxConfig {
        records: 300,
        faults: "500=0.1".parse().unwrap(),
        ..Default::default()
    })
    .await;
    let (core, vault) = core(&sb);
    let mut secrets: Vec<String> = Vec::new();
    let mut challenges: Vec<String> = Vec::new();

    // A refused callback first (its code never redeemed), then a good one.
    let url = core.begin_connect("whatconverts").await.unwrap();
    let location = approve(&url).await;
    secrets.extend([param(&location, "code"), param(&location, "state")]);
    challenges.push(param(url.as_str(), "code_challenge"));
    tracing::info!(debug = ?core, "core while pending");
    let wrong_iss = with_param(&location, "iss", "http://evil.example");
    assert!(core.complete(&wrong_iss).await.is_err());

    let url = core.begin_connect("whatconverts").await.unwrap();
    let location = approve(&url).await;
    secrets.extend([param(&location, "code"), param(&location, "state")]);
    challenges.push(param(url.as_str(), "code_challenge"));
    let account = account_of(&core.complete(&location).await.unwrap());

    let key = tokens_entry("whatconverts", &account);
    let grab = |secrets: &mut Vec<String>| {
        let v: serde_json::Value =
            serde_json::from_str(vault.get(&key).unwrap().unwrap().expose_secret()).unwrap();
        secrets.push(v["access_token"].as_str().unwrap().to_string());
        secrets.push(v["refresh_token"].as_str().unwrap().to_string());
    };
    grab(&mut secrets);
    let conn = core.connection("whatconverts", &account).unwrap();
    let current = conn.current().await.unwrap();
    let debug_dump = format!("{core:?} {current:?} {vault:?}");

    core.sync("whatconverts", &account, "leads", |_| {})
        .await
        .unwrap();
    sb.expire_access_tokens();
    core.sync("whatconverts", &account, "leads", |_| {})
        .await
        .unwrap(); // 401 → refresh → retry
    grab(&mut secrets);
    conn.refresh_now().await.unwrap();
    grab(&mut secrets);
    core.disconnect("whatconverts", &account).await.unwrap();

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("refreshed"), "the log captured our events");
    assert!(
        logs.contains("[redacted]"),
        "Debug output was logged, redacted"
    );
    // Pushed in this order: code and state of the refused callback, of the good one, then tokens.
    let what = |s: &String| match secrets.iter().position(|x| x == s) {
        Some(0 | 2) => "an authorization code",
        Some(1 | 3) => "a pending request's state",
        _ => "a token",
    };
    for s in &secrets {
        assert!(s.len() >= 20);
        assert!(
            !logs.contains(s.as_str()),
            "a secret leaked into the logs: {}",
            what(s)
        );
        assert!(
            !debug_dump.contains(s.as_str()),
            "a secret leaked into Debug output"
        );
    }
    // The verifiers: any 43..128-char word whose S256 is one of the challenges.
    for text in [&logs, &debug_dump] {
        let words = text.split(|c: char| !(c.is_ascii_alphanumeric() || "-._~".contains(c)));
        for w in words.filter(|w| (43..=128).contains(&w.len())) {
            assert!(
                !challenges.contains(&pkce_s256_challenge(w)),
                "a PKCE verifier leaked"
            );
        }
    }
}
