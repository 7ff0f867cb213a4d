//! The `embedded-sandbox` family: the sandbox demo mode starts inside the app listens on
//! 127.0.0.1, where any web page can reach it by DNS rebinding (a name the attacker points
//! at 127.0.0.1), and any local user can read it. Each case sends real requests to a real
//! sandbox: one for another host must be refused with 421 before anything sees it, and the
//! request log (states and PKCE challenges) is served only when a test asks for it.

use crate::adversarial_support::Tally;
use crate::common;

use common::*;
use patchbay_sandbox::{Sandbox, SandboxConfig};

/// Paths that matter to an attacker: consent, tokens, registration, data, the log.
const PATHS: [(&str, &str); 6] = [
    (
        "GET",
        "/whatconverts/oauth/authorize?client_id=patchbay-desktop",
    ),
    ("POST", "/whatconverts/oauth/token"),
    (
        "GET",
        "/.well-known/oauth-authorization-server/clickfunnels",
    ),
    ("GET", "/whatconverts/api/v1/leads"),
    ("GET", "/_sandbox/requests"),
    ("GET", "/_sandbox/truth"),
];

async fn send(sb: &Sandbox, method: &str, path: &str, host: Option<&str>) -> Result<u16, String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let url = format!("{}{path}", sb.url());
    let mut req = match method {
        "POST" => client
            .post(url)
            .form(&[("grant_type", "client_credentials")]),
        _ => client.get(url),
    };
    if let Some(h) = host {
        req = req.header(reqwest::header::HOST, h);
    }
    let resp = req.send().await.map_err(|e| e.to_string())?;
    Ok(resp.status().as_u16())
}

/// A request naming another host is refused with 421 and never reaches the handlers (it is
/// not even in the log).
async fn foreign_host_is_refused(
    sb: &Sandbox,
    method: &str,
    path: &str,
    host: &str,
) -> Result<(), String> {
    let before = sb.requests().len();
    let status = send(sb, method, path, Some(host)).await?;
    if status != 421 {
        return Err(format!("Host {host}: {method} {path} answered {status}"));
    }
    if sb.requests().len() != before {
        return Err(format!("Host {host}: {method} {path} reached the handlers"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_sandbox_answers_only_itself() {
    let tally = Tally::new("embedded-sandbox", "rejected");
    // As the app starts it: the default configuration.
    let sb = sandbox(SandboxConfig::default()).await;
    let port = sb.url().rsplit(':').next().unwrap_or_default().to_string();
    let hosts = [
        format!("rebound.attacker.example:{port}"),
        "rebound.attacker.example".to_string(),
        format!("localhost:{port}"),
        "127.0.0.1".to_string(),
        format!("[::1]:{port}"),
        format!("127.0.0.2:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
    ];
    for (method, path) in PATHS {
        for host in &hosts {
            tally.record(
                format!(
                    "Host {host} on {method} {}",
                    path.split('?').next().unwrap_or(path)
                ),
                foreign_host_is_refused(&sb, method, path, host).await,
            );
        }
    }
    // Its own address is still served (the refusals above are not a sandbox that is down).
    tally.record(
        "its own Host is served",
        match send(
            &sb,
            "GET",
            "/.well-known/oauth-authorization-server/clickfunnels",
            None,
        )
        .await
        {
            Ok(200) => Ok(()),
            other => Err(format!("own Host: {other:?}")),
        },
    );
    // The request log, with states and challenges, is not served unless a test asks.
    tally.record(
        "the request log is not served without --serve-request-log",
        match send(&sb, "GET", "/_sandbox/requests", None).await {
            Ok(404) => Ok(()),
            other => Err(format!("log without the flag: {other:?}")),
        },
    );
    let with_log = sandbox(SandboxConfig {
        serve_request_log: true,
        ..Default::default()
    })
    .await;
    tally.record(
        "the request log is served with --serve-request-log, to its own Host only",
        match (
            send(&with_log, "GET", "/_sandbox/requests", None).await,
            send(&with_log, "GET", "/_sandbox/requests", Some("localhost")).await,
        ) {
            (Ok(200), Ok(421)) => Ok(()),
            other => Err(format!("log with the flag: {other:?}")),
        },
    );
    tally.finish();
}
