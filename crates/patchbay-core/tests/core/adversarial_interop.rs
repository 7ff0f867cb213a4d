//! The `interop` family: what a strict, independent authorization server (oidc-provider)
//! expects of a client, tried against the sandbox, which is as strict. Each case runs the
//! real core against a real sandbox and counts as handled only when the server accepted what
//! the client sent (or the user was told when it did not).

use crate::adversarial_support::Tally;
use crate::common;

use std::collections::HashMap;
use std::sync::Arc;

use common::*;
use patchbay_core::app::Revocation;
use patchbay_core::providers::{builtin, ClientAuth, ProviderDef};
use patchbay_core::secret::SecretString;
use patchbay_core::vault::{MemoryVault, Vault};
use patchbay_core::{ApiError, Patchbay};
use patchbay_sandbox::{Sandbox, SandboxConfig};

/// A client secret with every character RFC 6749 2.3.1's form encoding changes.
const SPECIAL_SECRET: &str = "a+b%c:d é/?&=";

/// A sandbox where BoomTown is a confidential client with [`SPECIAL_SECRET`].
async fn confidential_sandbox() -> Sandbox {
    sandbox(SandboxConfig {
        client_secrets: HashMap::from([("boomtown".to_string(), SPECIAL_SECRET.to_string())]),
        records: 3,
        ..Default::default()
    })
    .await
}

/// The built-in definitions pointed at `sb` (real world), BoomTown authenticating with
/// `auth` and the user's own client id.
fn defs(sb: &Sandbox, auth: ClientAuth) -> Vec<ProviderDef> {
    builtin()
        .into_iter()
        .map(|mut d| {
            patchbay_core::demo::point_at(&mut d, &sb.url());
            if d.id == "boomtown" {
                d.set_client_id("patchbay-desktop".into());
                d.oauth_mut().expect("BoomTown uses OAuth").client_auth = auth;
            }
            d
        })
        .collect()
}

/// A real-world core with BoomTown connected (its secret saved first, as Settings does).
async fn connected_boomtown(sb: &Sandbox, auth: ClientAuth) -> (Patchbay, Arc<MemoryVault>) {
    let vault = Arc::new(MemoryVault::new());
    let core = Patchbay::new(defs(sb, auth), vault.clone(), fast_config());
    core.set_client_secret("boomtown", Some(SecretString::from(SPECIAL_SECRET)))
        .await
        .expect("the client secret is saved");
    (core, vault)
}

/// The statuses of the revocation requests the sandbox received.
fn revocations(sb: &Sandbox) -> Vec<u16> {
    sb.requests()
        .iter()
        .filter(|r| r.path.ends_with("/oauth/revoke"))
        .map(|r| r.status)
        .collect()
}

/// Connect and disconnect with a secret full of special characters: the revocation is
/// accepted by a server that decodes the Basic parts strictly.
async fn revocation_is_form_encoded(auth: ClientAuth) -> Result<(), String> {
    let sb = confidential_sandbox().await;
    let (core, vault) = connected_boomtown(&sb, auth).await;
    let id = account_of(&connect(&core, "boomtown").await);
    let outcome = core
        .disconnect("boomtown", &id)
        .await
        .map_err(|e| format!("disconnect failed: {e}"))?;
    if vault.get(&tokens_entry("boomtown", &id)).unwrap().is_some() {
        return Err("the tokens outlived the disconnect".into());
    }
    match (outcome, revocations(&sb).as_slice()) {
        (Revocation::Done, [200]) => Ok(()),
        (o, r) => Err(format!("revocation {o:?}, statuses at the server {r:?}")),
    }
}

/// A revocation the server refuses (the secret changed in Settings since): the disconnect
/// still deletes the tokens and says the grant may be live.
async fn refused_revocation_is_reported() -> Result<(), String> {
    let sb = confidential_sandbox().await;
    let (core, vault) = connected_boomtown(&sb, ClientAuth::ClientSecretBasic).await;
    let id = account_of(&connect(&core, "boomtown").await);
    core.set_client_secret("boomtown", Some(SecretString::from("not-the-secret")))
        .await
        .map_err(|e| e.to_string())?;
    let outcome = core
        .disconnect("boomtown", &id)
        .await
        .map_err(|e| format!("disconnect failed: {e}"))?;
    if vault.get(&tokens_entry("boomtown", &id)).unwrap().is_some() {
        return Err("the tokens outlived the disconnect".into());
    }
    match outcome {
        Revocation::Failed(ApiError::Http { status: 401, .. }) => Ok(()),
        o => Err(format!("expected a reported 401, got {o:?}")),
    }
}

/// The server's side: a client that sends the Basic parts raw is refused, so the cases
/// above prove the encoding rather than a lenient server.
async fn strict_basic_refuses_raw_credentials() -> Result<(), String> {
    let sb = confidential_sandbox().await;
    let resp = reqwest::Client::new()
        .post(format!("{}/boomtown/oauth/revoke", sb.url()))
        .basic_auth("patchbay-desktop", Some(SPECIAL_SECRET))
        .form(&[("token", "any")])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match resp.status().as_u16() {
        401 => Ok(()),
        s => Err(format!("raw Basic credentials got {s}")),
    }
}

/// OpenID Connect Core 11: a definition asking an OpenID server for `offline_access` sends
/// `prompt=consent` (else the server drops the scope and no refresh token comes back).
async fn offline_access_asks_for_consent() -> Result<(), String> {
    let sb = confidential_sandbox().await;
    let mut defs = defs(&sb, ClientAuth::ClientSecretPost);
    for d in &mut defs {
        if d.id == "boomtown" {
            d.oauth_mut().expect("OAuth").scopes = vec![
                "openid".into(),
                "offline_access".into(),
                "leads:read".into(),
            ];
        }
    }
    let core = Patchbay::new(defs, Arc::new(MemoryVault::new()), fast_config());
    core.set_client_secret("boomtown", Some(SecretString::from(SPECIAL_SECRET)))
        .await
        .map_err(|e| e.to_string())?;
    let url = core
        .begin_connect("boomtown")
        .await
        .map_err(|e| e.to_string())?;
    let prompts: Vec<String> = url
        .query_pairs()
        .filter(|(k, _)| k == "prompt")
        .map(|(_, v)| v.into_owned())
        .collect();
    match prompts.as_slice() {
        [p] if p == "consent" => Ok(()),
        other => Err(format!("prompt parameters {other:?} in {url}")),
    }
}

/// A 30-second access token (oidc-provider's shortest) is used for several requests without
/// a refresh: the margin is a tenth of its lifetime, not a fixed minute.
async fn short_tokens_are_not_refreshed_before_every_request() -> Result<(), String> {
    let sb = sandbox(SandboxConfig::default()).await;
    sb.set_access_ttl(std::time::Duration::from_secs(30));
    let (core, _vault) = core(&sb);
    let id = connect_account(&core, "whatconverts").await;
    let conn = core
        .connection("whatconverts", &id)
        .ok_or("no connection")?;
    for _ in 0..3 {
        let url = conn
            .api_url("/leads?page_number=1&leads_per_page=1", &Default::default())
            .map_err(|e| e.to_string())?;
        conn.get_json(&url).await.map_err(|e| e.to_string())?;
    }
    match token_requests(&sb, "refresh_token") {
        0 => Ok(()),
        n => Err(format!(
            "{n} refreshes for 3 requests with a 30-second token"
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interop_with_a_strict_authorization_server() {
    let tally = Tally::new("interop", "handled");
    tally.record(
        "revocation with client_secret_basic form-encodes a secret of special characters",
        revocation_is_form_encoded(ClientAuth::ClientSecretBasic).await,
    );
    tally.record(
        "revocation with client_secret_post sends the same secret",
        revocation_is_form_encoded(ClientAuth::ClientSecretPost).await,
    );
    tally.record(
        "a refused revocation is reported, the tokens deleted anyway",
        refused_revocation_is_reported().await,
    );
    tally.record(
        "strict Basic decoding refuses raw credentials",
        strict_basic_refuses_raw_credentials().await,
    );
    tally.record(
        "prompt=consent when an OpenID server is asked for offline_access",
        offline_access_asks_for_consent().await,
    );
    tally.record(
        "a 30-second token is not refreshed before every request",
        short_tokens_are_not_refreshed_before_every_request().await,
    );
    tally.finish();
}
