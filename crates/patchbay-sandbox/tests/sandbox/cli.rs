//! The `patchbay-sandbox` binary: first line, serving, and exit code 2 on bad flags.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_patchbay-sandbox");

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args` and returns it with the URL from its first line.
async fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Child(
        Command::new(BIN)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on http://127.0.0.1:")
        .map(|port| format!("http://127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    (child, url)
}

#[tokio::test]
async fn prints_the_url_first_and_serves() {
    let (_child, url) = spawn(&[
        "--addr",
        "127.0.0.1:0",
        "--records",
        "12",
        "--seed",
        "3",
        "--auto-approve",
    ])
    .await;
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert_ne!(port, 0);
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let meta: serde_json::Value = http
        .get(format!(
            "{url}/.well-known/oauth-authorization-server/emailoctopus"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["issuer"], format!("{url}/emailoctopus").as_str());
}

#[tokio::test]
async fn non_expiring_flag_drops_the_refresh_token() {
    let (_child, url) = spawn(&["--auto-approve", "--non-expiring", "clickfunnels"]).await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let verifier = "v".repeat(43);
    let redirect = "dev.patchbay:/oauth/callback";
    let mut tokens = Vec::new();
    for p in ["clickfunnels", "boomtown"] {
        let resp = http
            .get(format!("{url}/{p}/oauth/authorize"))
            .query(&[
                ("response_type", "code"),
                ("client_id", "patchbay-desktop"),
                ("redirect_uri", redirect),
                (
                    "code_challenge",
                    &patchbay_sandbox::pkce_s256_challenge(&verifier),
                ),
                ("code_challenge_method", "S256"),
                ("state", "s"),
            ])
            .send()
            .await
            .unwrap();
        let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
        let code = location
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned();
        let body: serde_json::Value = http
            .post(format!("{url}/{p}/oauth/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("client_id", "patchbay-desktop"),
                ("code_verifier", &verifier),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(body["access_token"].is_string(), "{p}: {body}");
        tokens.push(body);
    }
    assert!(tokens[0].get("refresh_token").is_none(), "{}", tokens[0]);
    assert!(tokens[1]["refresh_token"].is_string(), "{}", tokens[1]);
}

#[tokio::test]
async fn quota_churn_and_latency_flags_take_effect() {
    let (_child, url) = spawn(&[
        "--auth",
        "whatconverts=api-key",
        "--quota",
        "whatconverts=2/day,boomtown=9/day",
        "--churn",
        "add=4/min",
        "--latency",
        "5ms",
        "--records",
        "10",
        "--frozen-clock",
        "--serve-request-log",
    ])
    .await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let key = patchbay_sandbox::SandboxConfig::api_key_for("whatconverts").unwrap();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let resp = http
            .get(format!("{url}/whatconverts/api/v1/leads"))
            .basic_auth(&key["api_token"], Some(&key["api_secret"]))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429]);
    let advanced: serde_json::Value = http
        .post(format!("{url}/_sandbox/clock"))
        .json(&serde_json::json!({"advance_secs": 120}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(advanced["now"].is_string());
    let records: Vec<serde_json::Value> = http
        .get(format!("{url}/_sandbox/records/boomtown/leads"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(records.len(), 10 + 2 * 4, "two minutes of churn");
    let log: Vec<serde_json::Value> = http
        .get(format!("{url}/_sandbox/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api: Vec<_> = log
        .iter()
        .filter(|r| r["path"] == "/whatconverts/api/v1/leads")
        .collect();
    assert_eq!(api.len(), 3);
    assert!(api.iter().all(|r| r["latency_ms"] == 5));
    assert_eq!(api[2]["refused"], "quota");
}

#[test]
fn bad_flags_exit_with_2_and_a_message() {
    for args in [
        vec!["--records", "many"],
        vec!["--faults", "200=0.5"],
        vec!["--faults", "latency=fast"],
        vec!["--addr", "not-an-address"],
        vec!["--access-ttl", "0"],
        vec!["--frobnicate"],
        vec!["--auth", "bogus"],
        vec!["--auth", "clickfunnels=api-key"],
        vec!["--auth", "nope=oauth"],
        vec!["--client-secret", "boomtown"],
        vec!["--client-secret", "nope=x"],
        vec!["--non-expiring", "nope"],
        vec!["--non-expiring"],
        vec!["--churn", "add=50"],
        vec!["--churn", "grow=5/min"],
        vec!["--quota", "whatconverts=1000"],
        vec!["--quota", "nope=5/day"],
        vec!["--latency", "fast"],
    ] {
        let out = Command::new(BIN)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("error"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
