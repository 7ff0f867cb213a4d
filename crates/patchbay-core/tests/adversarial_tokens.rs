//! Token lifecycle under attack and accident: a revoked refresh family, 100 concurrent calls
//! with an expired token, and the process killed right after (or during) a refresh.

mod adversarial_support;
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use adversarial_support::Tally;
use common::*;
use patchbay_core::vault::{FileVault, KeyringVault, MemoryVault, Vault, VaultKey};
use patchbay_core::views::{AccountState, ReconnectReason};
use patchbay_core::AccountId;
use patchbay_core::ApiError;
use patchbay_sandbox::SandboxConfig;

const CHILD_ENV: &str = "PATCHBAY_ADV_REFRESH_CHILD";

/// The real keychain when one is reachable (as the app uses), else the opt-in file vault.
fn kill_vault(path: &std::path::Path) -> Arc<dyn Vault> {
    let probe = VaultKey::new("dev.patchbay.test.probe", "p", "a", "probe");
    match KeyringVault::open() {
        Ok(v)
            if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() && v.get(&probe).is_ok() =>
        {
            Arc::new(v)
        }
        _ => Arc::new(FileVault::opt_in(path.to_path_buf())),
    }
}

fn key(provider: &str, account: &AccountId) -> VaultKey {
    tokens_entry(provider, account)
}

fn no_limits(d: &mut patchbay_core::providers::ProviderDef) {
    d.rate_limit = patchbay_core::providers::RateLimit {
        requests: 0,
        per_seconds: 1.0,
        concurrency: 100,
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
                .expose(),
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

    // 3. The process killed right after a refresh, and at moments during one.
    let dir = std::env::temp_dir().join(format!("pb-adv-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut bt_accounts = Vec::new();
    for (i, kill) in ["after-refresh", "0ms", "2ms", "5ms", "10ms", "25ms"]
        .iter()
        .enumerate()
    {
        let path = dir.join(format!("secrets-{i}.json"));
        let vault = kill_vault(&path);
        let case = format!("killed {kill} ({:?} vault)", vault.kind());
        let core = core_with(&sb, vault.clone(), no_limits);
        let bt = connect_account(&core, "boomtown").await;
        bt_accounts.push(bt.clone());
        drop(core);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "refresh_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .env("PATCHBAY_ADV_SANDBOX", sb.url())
            .env("PATCHBAY_ADV_NS", fast_config().namespace)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        if *kill == "after-refresh" {
            let mut lines = BufReader::new(stdout).lines();
            let got = tokio::task::spawn_blocking(move || {
                lines.any(|l| l.map(|l| l.contains("REFRESHED")).unwrap_or(false))
            })
            .await
            .unwrap();
            assert!(got, "the child refreshed");
        } else {
            let ms: u64 = kill.trim_end_matches("ms").parse().unwrap();
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        child.kill().ok(); // SIGKILL
        child.wait().ok();
        // Restart: connected (refresh or not) or asks to reconnect; never a crash.
        let core = core_with(&sb, kill_vault(&path), no_limits);
        let st = state(&core, "boomtown").await;
        let account = core.account("boomtown", &bt).await;
        let outcome = match (&st, &account) {
            (Some(AccountState::Connected { .. }), Ok(_)) => Ok(()),
            (Some(AccountState::Connected { .. }), Err(ApiError::NeedsReconnect)) => Ok(()),
            (
                Some(AccountState::NeedsReconnect {
                    reason: ReconnectReason::Ended,
                }),
                _,
            ) => Ok(()),
            _ => Err(format!("state {st:?}, account {account:?}")),
        };
        tally.record(case, outcome);
    }
    let cleanup = kill_vault(&dir.join("cleanup.json"));
    for bt in &bt_accounts {
        cleanup.delete(&key("boomtown", bt)).ok();
    }
    cleanup
        .delete(&patchbay_core::accounts::AccountIndex::key(
            &fast_config().vault_namespace(),
            "boomtown",
        ))
        .ok();
    std::fs::remove_dir_all(&dir).ok();
    tally.finish();
}

/// The child of the kill test: loads the connection from the file vault, refreshes, says so,
/// then waits to be killed. Does nothing when run as a normal test.
#[tokio::test]
async fn refresh_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let url = std::env::var("PATCHBAY_ADV_SANDBOX").unwrap();
    let defs = patchbay_core::providers::builtin()
        .into_iter()
        .map(|mut d| {
            d.rewrite_for_demo(&url);
            no_limits(&mut d);
            d
        })
        .collect();
    let core = patchbay_core::Patchbay::new(
        defs,
        kill_vault(std::path::Path::new(&path)),
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
