//! Every callback rejection: none of them sends a token request.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use patchbay_core::oauth::{CallbackError, OAuthErrorCode};
use patchbay_core::vault::MemoryVault;
use patchbay_core::{ConnectError, ConnectOutcome, CoreConfig, Patchbay};
use patchbay_sandbox::SandboxConfig;

fn callback_err(r: Result<ConnectOutcome, ConnectError>) -> CallbackError {
    match r {
        Err(ConnectError::Callback(c)) => c,
        other => panic!("expected a callback rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn rejected_callbacks_send_no_token_request() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (core, vault) = core(&sb);

    let url = core.begin_connect("whatconverts").await.unwrap();
    let location = approve(&url).await;

    // Wrong state.
    let e = callback_err(
        core.complete(&with_param(&location, "state", "not-the-state"))
            .await,
    );
    assert_eq!(e, CallbackError::UnknownState);
    // Missing state.
    let no_state = location
        .split('&')
        .filter(|p| !p.starts_with("state="))
        .collect::<Vec<_>>()
        .join("&");
    let no_state = if no_state.contains('?') {
        no_state
    } else {
        no_state.replacen('&', "?", 1)
    };
    assert!(matches!(
        callback_err(core.complete(&no_state).await),
        CallbackError::MissingState | CallbackError::UnknownState
    ));
    // Wrong path, wrong scheme, a fragment, a repeated parameter.
    let wrong_path = location.replace("/oauth/callback", "/oauth/callback2");
    assert_eq!(
        callback_err(core.complete(&wrong_path).await),
        CallbackError::WrongRedirect
    );
    let wrong_scheme = location.replace("dev.patchbay:", "dev.patchbay.evil:");
    assert_eq!(
        callback_err(core.complete(&wrong_scheme).await),
        CallbackError::WrongRedirect
    );
    assert_eq!(
        callback_err(core.complete(&format!("{location}#x")).await),
        CallbackError::WrongRedirect
    );
    assert_eq!(
        callback_err(core.complete(&format!("{location}&code=again")).await),
        CallbackError::RepeatedParameter
    );
    assert_eq!(
        callback_err(core.complete("not a url").await),
        CallbackError::Malformed
    );
    assert_eq!(token_requests(&sb, "authorization_code"), 0);

    // Wrong iss: consumes the pending request, sends nothing.
    let wrong_iss = with_param(&location, "iss", &format!("{}/clickfunnels", sb.url()));
    assert!(matches!(
        callback_err(core.complete(&wrong_iss).await),
        CallbackError::IssuerMismatch { .. }
    ));
    // ... and the pending request is gone: the genuine callback is now a replay.
    assert_eq!(
        callback_err(core.complete(&location).await),
        CallbackError::UnknownState
    );
    assert_eq!(token_requests(&sb, "authorization_code"), 0);

    // Missing iss where the provider advertises it.
    let url = core.begin_connect("whatconverts").await.unwrap();
    let location = approve(&url).await;
    let no_iss = location
        .split('&')
        .filter(|p| !p.starts_with("iss="))
        .collect::<Vec<_>>()
        .join("&");
    assert!(matches!(
        callback_err(core.complete(&no_iss).await),
        CallbackError::IssuerMismatch { .. }
    ));
    assert_eq!(token_requests(&sb, "authorization_code"), 0);

    // A good callback works once; its replay is refused without a second token request.
    let url = core.begin_connect("whatconverts").await.unwrap();
    let location = approve(&url).await;
    assert!(matches!(
        core.complete(&location).await.unwrap(),
        ConnectOutcome::Connected { .. }
    ));
    assert_eq!(token_requests(&sb, "authorization_code"), 1);
    assert_eq!(
        callback_err(core.complete(&location).await),
        CallbackError::UnknownState
    );
    assert_eq!(token_requests(&sb, "authorization_code"), 1);
    // The tokens and the account list.
    assert_eq!(vault.len(), 2);
}

#[tokio::test]
async fn error_callbacks_map_to_outcomes() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (core, _vault) = core(&sb);
    let iss = sb.issuer("boomtown");

    let url = core.begin_connect("boomtown").await.unwrap();
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let denied =
        format!("dev.patchbay:/oauth/callback?error=access_denied&state={state}&iss={iss}");
    assert_eq!(
        core.complete(&denied).await.unwrap(),
        ConnectOutcome::Cancelled {
            provider_id: "boomtown".into()
        }
    );
    // Consumed.
    assert!(core.complete(&denied).await.is_err());

    let url = core.begin_connect("boomtown").await.unwrap();
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let failed = format!("dev.patchbay:/oauth/callback?error=server_error&error_description=oops&state={state}&iss={iss}");
    let e = core.complete(&failed).await.unwrap_err();
    assert!(
        matches!(&e, ConnectError::Provider { error, .. } if error.error == OAuthErrorCode::ServerError)
    );
    let view = core.connect_error_view(&e);
    // server_error: the provider's trouble, so "try again later", with its plain words quoted.
    assert_eq!(view.code, "connect.provider_unavailable");
    assert!(view.message.contains("BoomTown"), "{}", view.message);
    assert!(view.message.contains("said: \"oops\""), "{}", view.message);
    assert_eq!(view.advice, "Try again in a few minutes.");

    // An error callback with a state we never issued is refused like any other.
    let forged = format!("dev.patchbay:/oauth/callback?error=access_denied&state=forged&iss={iss}");
    assert!(matches!(
        core.complete(&forged).await,
        Err(ConnectError::Callback(CallbackError::UnknownState))
    ));
    assert_eq!(token_requests(&sb, "authorization_code"), 0);
}

#[tokio::test]
async fn expired_pending_is_refused() {
    let sb = sandbox(SandboxConfig::default()).await;
    let config = CoreConfig {
        pending_ttl: Duration::from_millis(200),
        ..fast_config()
    };
    let core = Patchbay::new(demo_defs(&sb, |_| {}), Arc::new(MemoryVault::new()), config);
    let mut changes = core.subscribe();
    let url = core.begin_connect("clickfunnels").await.unwrap();
    let location = approve(&url).await;
    // The begin, then the expiry (pending requests expire by themselves now).
    for _ in 0..2 {
        let change = tokio::time::timeout(Duration::from_secs(10), changes.recv())
            .await
            .expect("the pending request expires in time")
            .unwrap();
        assert_eq!(change.provider_id, "clickfunnels");
    }
    assert_eq!(
        core.tiles()
            .await
            .into_iter()
            .find(|t| t.id == "clickfunnels")
            .unwrap()
            .waiting_authorize_url,
        None
    );
    // The browser comes back late: the user must learn the approval expired (and for which
    // provider), not that the link is unknown.
    let e = core.complete(&location).await.unwrap_err();
    assert!(
        matches!(e, ConnectError::Callback(CallbackError::Expired { .. })),
        "a late callback after the pending request expired by itself must say Expired \
         (naming the provider), got {e:?}"
    );
    let view = core.connect_error_view(&e);
    assert!(view.message.contains("ClickFunnels"), "{}", view.message);
    assert_eq!(token_requests(&sb, "authorization_code"), 0);
}

#[tokio::test]
async fn cancel_connect_forgets_the_pending_request() {
    let sb = sandbox(SandboxConfig::default()).await;
    let (core, _vault) = core(&sb);
    let url = core.begin_connect("emailoctopus").await.unwrap();
    let location = approve(&url).await;
    assert!(core.cancel_connect("emailoctopus"));
    assert!(matches!(
        core.complete(&location).await,
        Err(ConnectError::Callback(CallbackError::UnknownState))
    ));
    assert_eq!(token_requests(&sb, "authorization_code"), 0);
}

#[tokio::test]
async fn used_code_is_approval_expired() {
    // A code the sandbox already consumed: the token endpoint says invalid_grant.
    let sb = sandbox(SandboxConfig::default()).await;
    let (core, _vault) = core(&sb);
    let url = core.begin_connect("whatconverts").await.unwrap();
    let location = approve(&url).await;
    let code = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    // Someone else redeems it first (wrong verifier: the sandbox consumes it anyway).
    let client = reqwest::Client::new();
    client
        .post(format!("{}/whatconverts/oauth/token", sb.url()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "dev.patchbay:/oauth/callback"),
            ("client_id", "patchbay-desktop"),
            ("code_verifier", &"a".repeat(43)),
        ])
        .send()
        .await
        .unwrap();
    let e = core.complete(&location).await.unwrap_err();
    assert!(
        matches!(&e, ConnectError::Grant { error, .. } if error.error == OAuthErrorCode::InvalidGrant),
        "{e:?}"
    );
    let view = core.connect_error_view(&e);
    assert_eq!(view.code, "connect.approval_expired");
    // The sandbox's plain-text description is quoted after the sentence.
    assert_eq!(
        view.message,
        "WhatConverts said the approval expired. It said: \"authorization code already used\""
    );
    assert_eq!(view.advice, "Click Connect to try again.");
}
