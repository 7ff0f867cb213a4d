//! Token lifecycle under attack and accident: a revoked refresh family, 100 concurrent calls
//! with an expired token, and the process killed after a refresh and at exact points during
//! one (the sandbox holds the refresh request there until the child is dead).

use crate::adversarial_support;
use crate::common;
use patchbay_core::secret::ExposeSecret;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use adversarial_support::Tally;
use common::*;
use patchbay_core::vault::{KeyringVault, MemoryVault, Vault, VaultKey};
use patchbay_core::views::{AccountState, ReconnectReason};
use patchbay_core::AccountId;
use patchbay_core::ApiError;
use patchbay_sandbox::{HoldPoint, RefreshTokenStatus, SandboxConfig};

const CHILD_ENV: &str = "PATCHBAY_ADV_REFRESH_CHILD";

/// The real keychain, as the app uses it (the test command provides a Secret Service; a
/// plaintext file instead would test something else, so no keychain fails the test).
fn kill_vault() -> Arc<dyn Vault> {
    let probe = VaultKey::new("dev.patchbay.test.probe", "p", "a", "probe");
    let vault = KeyringVault::open()
        .expect("a Secret Service (run the tests under scripts/with-keyring.sh)");
    vault
        .get(&probe)
        .expect("a reachable, unlocked Secret Service (run under scripts/with-keyring.sh)");
    Arc::new(vault)
}

fn key(provider: &str, account: &AccountId) -> VaultKey {
    tokens_entry(provider, account)
}

fn no_limits(d: &mut patchbay_core::providers::ProviderDef) {
    d.rate_limit = patchbay_core::providers::RateLimit {
        requests: 0,
        per_seconds: 1.0,
        concurrency: 100,
        ..Default::default()
    };
}

async fn state(core: &patchbay_core::Patchbay, provider: &str) -> Option<AccountState> {
    account_state(core, provider).await
}

const ENDED: Option<AccountState> = Some(AccountState::NeedsReconnect {
    reason: ReconnectReason::Ended,
});

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn token_lifecycle() {
    let tally = Tally::new("tokens", "survived");
    let sb = sandbox(SandboxConfig {
        rate_limits: false,
        ..Default::default()
    })
    .await;

    // 1. Refresh with a revoked family: reconnect asked, one refresh attempt, no loop.
    {
        let vault = Arc::new(MemoryVault::new());
        let core = core_with(&sb, vault.clone(), no_limits);
        let wc = connect_account(&core, "whatconverts").await;
        let stored: serde_json::Value = serde_json::from_str(
            vault
                .get(&key("whatconverts", &wc))
                .unwrap()
                .unwrap()
                .expose_secret(),
        )
        .unwrap();
        let refresh = stored["refresh_token"].as_str().unwrap().to_string();
        let resp = reqwest::Client::new()
            .post(format!("{}/whatconverts/oauth/revoke", sb.url()))
            .form(&[
                ("token", refresh.as_str()),
                ("client_id", "patchbay-desktop"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let before = token_requests(&sb, "refresh_token");
        let mut errors = Vec::new();
        for _ in 0..5 {
            errors.push(core.account("whatconverts", &wc).await);
        }
        let refreshes = token_requests(&sb, "refresh_token") - before;
        let outcome = if !errors
            .iter()
            .all(|e| matches!(e, Err(ApiError::NeedsReconnect)))
        {
            Err(format!("want NeedsReconnect each time: {errors:?}"))
        } else if refreshes > 1 {
            Err(format!("{refreshes} refresh attempts (a loop)"))
        } else if state(&core, "whatconverts").await != ENDED {
            Err("the tile does not ask to reconnect".into())
        } else if vault.get(&key("whatconverts", &wc)).unwrap().is_some() {
            Err("dead tokens kept in the vault".into())
        } else {
            Ok(())
        };
        tally.record("refresh with a revoked family", outcome);
    }

    // 2. 100 concurrent calls with an expired token: one refresh serves them all.
    {
        let vault = Arc::new(MemoryVault::new());
        let core = Arc::new(core_with(&sb, vault.clone(), no_limits));
        let cf = connect_account(&core, "clickfunnels").await;
        sb.expire_access_tokens();
        let before = token_requests(&sb, "refresh_token");
        let calls: Vec<_> = (0..100)
            .map(|_| {
                let core = core.clone();
                let cf = cf.clone();
                tokio::spawn(async move { core.account("clickfunnels", &cf).await })
            })
            .collect();
        let mut failed = 0;
        for c in calls {
            if !matches!(c.await, Ok(Ok(_))) {
                failed += 1;
            }
        }
        let refreshes = token_requests(&sb, "refresh_token") - before;
        tally.record(
            "100 concurrent calls with an expired token",
            if failed == 0 && refreshes == 1 {
                Ok(())
            } else {
                Err(format!(
                    "{failed} calls failed, {refreshes} refreshes (want 0 and 1)"
                ))
            },
        );
    }

    // 3. The process killed after a refresh, and during one at the two points that matter:
    //    the request at the token endpoint before the grant is touched, and the grant rotated
    //    with the response (the new refresh token) still on its way. The sandbox holds the
    //    request there until the child is dead, so the kill point is certain.
    let mut bt_accounts = Vec::new();
    for kill in [Kill::AfterStored, Kill::BeforeGrant, Kill::AfterRotation] {
        let case = format!("killed {}", kill.name());
        let vault = kill_vault();
        let core = core_with(&sb, vault.clone(), no_limits);
        let bt = connect_account(&core, "boomtown").await;
        bt_accounts.push(bt.clone());
        drop(core);
        let original = stored_refresh(vault.as_ref(), &bt);
        match kill_child(&sb, kill).await {
            Ok(()) => {}
            Err(why) => {
                tally.undelivered(&case, why);
                continue;
            }
        }
        let stored = stored_refresh(vault.as_ref(), &bt);
        let status_of = |t: &Option<String>| {
            t.as_deref()
                .map(|t| sb.refresh_token_status("boomtown", t))
                .unwrap_or(RefreshTokenStatus::Unknown)
        };
        let (stored_status, original_status) = (status_of(&stored), status_of(&original));
        // Restart: the stored refresh token must work (the family alive).
        let core = core_with(&sb, kill_vault(), no_limits);
        let refreshed = match core.connection("boomtown", &bt) {
            Some(c) => c.refresh_now().await,
            None => Err(ApiError::NotConnected),
        };
        let account = core.account("boomtown", &bt).await;
        let st = state(&core, "boomtown").await;
        let family_after = status_of(&original);
        let seen = format!(
            "stored {}, stored token {stored_status:?}, original {original_status:?}; after restart: refresh {refreshed:?}, account {}, state {st:?}, original now {family_after:?}",
            if stored == original { "the original" } else { "a new token" },
            if account.is_ok() { "ok".to_string() } else { format!("{account:?}") },
        );
        let alive = refreshed.is_ok()
            && account.is_ok()
            && matches!(st, Some(AccountState::Connected { .. }));
        let outcome = match kill {
            // The rotated token is stored, the old one retired.
            Kill::AfterStored
                if stored != original
                    && stored_status == RefreshTokenStatus::Active
                    && original_status == RefreshTokenStatus::Retired
                    && alive =>
            {
                Ok(())
            }
            // The grant untouched: the old token is stored and still valid.
            Kill::BeforeGrant
                if stored == original && original_status == RefreshTokenStatus::Active && alive =>
            {
                Ok(())
            }
            // The new token died with the process: the stored one is retired, and using it
            // revokes the family (reuse detection). The app must then ask to reconnect, once.
            Kill::AfterRotation
                if stored == original
                    && original_status == RefreshTokenStatus::Retired
                    && matches!(refreshed, Err(ApiError::NeedsReconnect))
                    && family_after == RefreshTokenStatus::Revoked
                    && st == ENDED =>
            {
                tally.known(&case, format!("the family is lost: {seen}"));
                continue;
            }
            _ => Err(seen),
        };
        tally.record(case, outcome);
    }
    let cleanup = kill_vault();
    for bt in &bt_accounts {
        cleanup.delete(&key("boomtown", bt)).ok();
    }
    cleanup
        .delete(&patchbay_core::accounts::AccountIndex::key(
            &fast_config().vault_namespace(),
            "boomtown",
        ))
        .ok();
    tally.finish();
}

/// Where the child is killed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kill {
    /// Once it printed REFRESHED: the rotated token is in the vault.
    AfterStored,
    /// Its refresh request held at the token endpoint before the grant is looked at.
    BeforeGrant,
    /// Its refresh request held after the rotation, the response not sent.
    AfterRotation,
}

impl Kill {
    fn name(self) -> &'static str {
        match self {
            Kill::AfterStored => "after the rotated token was stored",
            Kill::BeforeGrant => {
                "with its refresh request at the token endpoint, before the grant was used"
            }
            Kill::AfterRotation => {
                "after the server rotated the refresh token, before the response arrived"
            }
        }
    }
}

/// The refresh token in the vault for a BoomTown account, if any.
fn stored_refresh(vault: &dyn Vault, account: &AccountId) -> Option<String> {
    let v = vault.get(&key("boomtown", account)).unwrap()?;
    let json: serde_json::Value = serde_json::from_str(v.expose_secret()).unwrap();
    json["refresh_token"].as_str().map(str::to_string)
}

/// How long a kill point may take to be reached before the case counts as undelivered.
const KILL_POINT_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts the child (it loads the BoomTown connection and refreshes), waits for the kill
/// point, kills it (SIGKILL) and reaps it; then releases any held request.
async fn kill_child(sb: &patchbay_sandbox::Sandbox, kill: Kill) -> Result<(), String> {
    let mut hold = match kill {
        Kill::AfterStored => None,
        Kill::BeforeGrant => Some(sb.hold_next_refresh("boomtown", HoldPoint::BeforeGrant)),
        Kill::AfterRotation => Some(sb.hold_next_refresh("boomtown", HoldPoint::AfterRotation)),
    };
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "adversarial_tokens::refresh_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env("PATCHBAY_ADV_SANDBOX", sb.url())
        .env("PATCHBAY_ADV_NS", fast_config().namespace)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reached = match hold.as_mut() {
        None => {
            let mut lines = BufReader::new(stdout).lines();
            let printed = tokio::time::timeout(
                KILL_POINT_TIMEOUT,
                tokio::task::spawn_blocking(move || {
                    lines.any(|l| l.map(|l| l.contains("REFRESHED")).unwrap_or(false))
                }),
            )
            .await;
            match printed {
                Ok(Ok(true)) => Ok(()),
                Ok(_) => Err("the child ended without refreshing".to_string()),
                Err(_) => Err("the child did not refresh in time".to_string()),
            }
        }
        Some(h) => match tokio::time::timeout(KILL_POINT_TIMEOUT, h.held()).await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the sandbox dropped the hold".to_string()),
            Err(_) => {
                Err("the child's refresh request never reached the token endpoint".to_string())
            }
        },
    };
    child.kill().ok(); // SIGKILL
    child.wait().ok();
    if let Some(h) = hold {
        h.release();
    }
    reached
}

/// The child of the kill test: loads the connection from the file vault, refreshes, says so,
/// then waits to be killed. Does nothing when run as a normal test.
#[tokio::test]
async fn refresh_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let url = std::env::var("PATCHBAY_ADV_SANDBOX").unwrap();
    let defs = patchbay_core::providers::builtin()
        .into_iter()
        .map(|mut d| {
            patchbay_core::demo::rewrite_for_demo(&mut d, &url);
            no_limits(&mut d);
            d
        })
        .collect();
    let core = patchbay_core::Patchbay::new(
        defs,
        kill_vault(),
        patchbay_core::CoreConfig {
            namespace: std::env::var("PATCHBAY_ADV_NS").unwrap(),
            ..fast_config()
        },
    );
    let bt = the_account(&core, "boomtown").await;
    let conn = core.connection("boomtown", &bt).unwrap();
    conn.refresh_now().await.unwrap();
    println!("REFRESHED");
    use std::io::Write;
    std::io::stdout().flush().ok();
    tokio::time::sleep(Duration::from_secs(30)).await;
}
