//! Forged and malformed callbacks handed to the core as the shell hands it every deep link.
//! Each must be refused with no token request and a message fit for a quiet notice; the
//! genuine callbacks still work afterwards. (The e2e suite delivers the same links to the
//! running app through a second instance.)

use crate::adversarial_support;
use crate::common;

use std::time::Duration;

use adversarial_support::Tally;
use common::*;
use patchbay_core::{ConnectOutcome, CoreConfig, Patchbay};
use patchbay_sandbox::SandboxConfig;

fn tokens(sb: &patchbay_sandbox::Sandbox) -> usize {
    sb.requests()
        .iter()
        .filter(|r| r.grant_type.is_some())
        .count()
}

/// Tries one forged link: refused, no token request, a non-empty message naming no secret.
async fn forged(
    tally: &Tally,
    core: &Patchbay,
    sb: &patchbay_sandbox::Sandbox,
    case: &str,
    link: &str,
) {
    let before = tokens(sb);
    let result = core.complete(link).await;
    let after = tokens(sb);
    let outcome = match result {
        Ok(o) => Err(format!("accepted: {o:?}")),
        Err(_) if after != before => Err(format!("{} token request(s) made", after - before)),
        Err(e) => {
            let view = core.connect_error_view(&e);
            if view.message.trim().is_empty() {
                Err("empty message".into())
            } else if link.len() > 20 && view.message.contains(&link[link.len() - 20..]) {
                Err(format!("the message echoes the link: {}", view.message))
            } else {
                Ok(())
            }
        }
    };
    tally.record(case, outcome);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_callbacks_are_refused_without_a_token_request() {
    let tally = Tally::new("forged-links", "rejected");
    let sb = sandbox(SandboxConfig::default()).await;
    let (core, _vault) = core(&sb);

    let wc_url = core.begin_connect("whatconverts").await.unwrap();
    let cf_url = core.begin_connect("clickfunnels").await.unwrap();
    let wc = approve(&wc_url).await; // genuine, not yet delivered
    let cf = approve(&cf_url).await;
    let wc_iss = sb.issuer("whatconverts");
    let cf_iss = sb.issuer("clickfunnels");
    let param = |u: &str, k: &str| {
        url::Url::parse(u)
            .unwrap()
            .query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    let (wc_code, wc_state) = (param(&wc, "code"), param(&wc, "state"));
    let r = "dev.patchbay:/oauth/callback";
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();

    let cases: Vec<(&str, String)> = vec![
        (
            "wrong state",
            with_param(&wc, "state", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ),
        (
            "no state",
            format!("{r}?code={wc_code}&iss={}", enc(&wc_iss)),
        ),
        (
            "empty state",
            format!("{r}?code={wc_code}&state=&iss={}", enc(&wc_iss)),
        ),
        (
            "wrong path",
            wc.replace("/oauth/callback", "/oauth/callback2"),
        ),
        (
            "wrong path (traversal)",
            wc.replace("/oauth/callback", "/oauth/./callback"),
        ),
        (
            "wrong scheme case",
            wc.replace("dev.patchbay:", "DEV.PATCHBAY:"),
        ),
        (
            "authority form",
            wc.replace("dev.patchbay:/", "dev.patchbay://"),
        ),
        (
            "http redirect",
            wc.replace("dev.patchbay:", "http://127.0.0.1:1"),
        ),
        ("fragment appended", format!("{wc}#x")),
        ("duplicated state", format!("{wc}&state={wc_state}")),
        ("duplicated code", format!("{wc}&code=other")),
        ("duplicated iss", format!("{wc}&iss={}", enc(&cf_iss))),
        (
            "extra parameters, forged state",
            format!(
                "{}&access_token=x&token_type=bearer&redirect_uri=https%3A%2F%2Fevil.example",
                with_param(&wc, "state", "forged")
            ),
        ),
        (
            "error callback, unknown state",
            format!("{r}?error=access_denied&state=unknown&iss={}", enc(&wc_iss)),
        ),
        (
            "error callback, no state",
            format!("{r}?error=server_error&error_description=%3Cscript%3E"),
        ),
        (
            "1 MB URL",
            format!(
                "{}&pad={}",
                with_param(&wc, "state", "x"),
                "A".repeat(1 << 20)
            ),
        ),
        (
            "invalid percent-encoding in state",
            format!("{r}?code={wc_code}&state=%ZZ%G1%&iss={}", enc(&wc_iss)),
        ),
        (
            "invalid UTF-8 in state",
            format!("{r}?code={wc_code}&state=%C3%28%FF%FE&iss={}", enc(&wc_iss)),
        ),
        (
            "NUL in state",
            format!(
                "{r}?code={wc_code}&state={wc_state}%00&iss={}",
                enc(&wc_iss)
            ),
        ),
        ("not a URL", "dev.patchbay".to_string()),
        ("empty", String::new()),
        ("no query", r.to_string()),
    ];
    for (case, link) in &cases {
        forged(&tally, &core, &sb, case, link).await;
    }

    // The genuine callbacks still complete after all that (forgeries cancel nothing).
    let genuine = |name: &str, r: Result<ConnectOutcome, _>| match r {
        Ok(ConnectOutcome::Connected { .. }) => Ok(()),
        other => Err(format!("{name}: {other:?}")),
    };
    tally.record(
        "genuine WhatConverts link after the forgeries",
        genuine("whatconverts", core.complete(&wc).await),
    );
    tally.record(
        "genuine ClickFunnels link after the forgeries",
        genuine("clickfunnels", core.complete(&cf).await),
    );
    // Replay of a link already used.
    forged(&tally, &core, &sb, "replayed state (link used once)", &wc).await;

    // Forgeries that carry a genuine state (a mix-up attack, RFC 9207): refused, and the
    // request they name is aborted, so the genuine link that follows is refused too.
    let wc = approve(&core.begin_connect("whatconverts").await.unwrap()).await;
    let cf = approve(&core.begin_connect("clickfunnels").await.unwrap()).await;
    let (wc_code, cf_state) = (param(&wc, "code"), param(&cf, "state"));
    forged(
        &tally,
        &core,
        &sb,
        "wrong iss",
        &with_param(&wc, "iss", "https://evil.example/whatconverts"),
    )
    .await;
    forged(
        &tally,
        &core,
        &sb,
        "genuine link after a wrong-iss forgery",
        &wc,
    )
    .await;
    forged(
        &tally,
        &core,
        &sb,
        "state from another provider (with that provider's code and iss)",
        &format!("{r}?code={wc_code}&state={cf_state}&iss={}", enc(&wc_iss)),
    )
    .await;
    let cf2 = approve(&core.begin_connect("clickfunnels").await.unwrap()).await;
    forged(
        &tally,
        &core,
        &sb,
        "other provider's iss",
        &with_param(&cf2, "iss", &wc_iss),
    )
    .await;

    // State of an expired request (its own core: a 200 ms lifetime).
    let short = Patchbay::new(
        demo_defs(&sb, |_| {}),
        std::sync::Arc::new(patchbay_core::vault::MemoryVault::new()),
        CoreConfig {
            pending_ttl: Duration::from_millis(200),
            ..fast_config()
        },
    );
    let url = short.begin_connect("boomtown").await.unwrap();
    let link = approve(&url).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    forged(&tally, &short, &sb, "state of an expired request", &link).await;

    let redeemed = sb
        .requests()
        .iter()
        .filter(|r| r.grant_type.as_deref() == Some("authorization_code"))
        .count();
    tally.record(
        "only the two genuine links were redeemed",
        if redeemed == 2 {
            Ok(())
        } else {
            Err(format!("{redeemed} code redemptions"))
        },
    );
    tally.finish();
}
