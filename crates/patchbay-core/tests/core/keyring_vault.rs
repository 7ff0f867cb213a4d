//! The keyring vault against a real Secret Service (gnome-keyring in a private
//! `dbus-run-session`). Fails, saying how to run it, when no Secret Service answers.

use patchbay_core::secret::ExposeSecret;
use patchbay_core::secret::SecretString;
use patchbay_core::vault::{KeyringVault, Vault, VaultKey, CHUNK_CHARS};

/// The real Secret Service, or a failed test that says how to provide one: these tests
/// never pass by skipping (the test command runs them under scripts/with-keyring.sh).
fn vault() -> KeyringVault {
    const HOW: &str = "run inside scripts/with-keyring.sh (a private dbus-run-session with an unlocked gnome-keyring)";
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session bus: {HOW}"
    );
    let v = KeyringVault::open().unwrap_or_else(|e| panic!("no Secret Service ({e}): {HOW}"));
    // A bus address that leads nowhere: the store reports a platform failure.
    let probe = VaultKey::new("dev.patchbay.test.probe", "p", "a", "probe");
    if let Err(e @ patchbay_core::vault::VaultError::Platform { .. }) = v.get(&probe) {
        panic!("Secret Service unreachable ({e}): {HOW}");
    }
    v
}

#[test]
fn keyring_round_trip_with_chunks() {
    let vault = vault();
    let ns = format!("dev.patchbay.test.{}", std::process::id());
    let key = VaultKey::new(&ns, "whatconverts", "default", "tokens");

    vault.delete(&key).unwrap();
    assert!(vault.get(&key).unwrap().is_none());

    // Small value.
    vault
        .set(&key, &SecretString::from("small-secret"))
        .unwrap();
    assert_eq!(
        vault.get(&key).unwrap().unwrap().expose_secret(),
        "small-secret"
    );

    // Larger than Windows' 2560-byte limit: split across entries.
    let big: String = (0..3 * CHUNK_CHARS + 17)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    vault.set(&key, &SecretString::from(big.clone())).unwrap();
    assert_eq!(vault.get(&key).unwrap().unwrap().expose_secret(), big);
    let chunk4 = keyring::Entry::new(&ns, &format!("{}#4", key.user())).unwrap();
    assert!(chunk4.get_password().is_ok(), "stored in 4 chunks");

    // Shrinking removes the extra chunks.
    vault.set(&key, &SecretString::from("short again")).unwrap();
    assert_eq!(
        vault.get(&key).unwrap().unwrap().expose_secret(),
        "short again"
    );
    assert!(matches!(
        chunk4.get_password(),
        Err(keyring::Error::NoEntry)
    ));

    // Namespaces keep builds and providers apart.
    let other = VaultKey::new(
        &format!("{ns}.release"),
        "whatconverts",
        "default",
        "tokens",
    );
    assert!(vault.get(&other).unwrap().is_none());

    vault.delete(&key).unwrap();
    assert!(vault.get(&key).unwrap().is_none());
    vault.delete(&key).unwrap();
}

#[tokio::test]
async fn connect_and_disconnect_through_the_keychain() {
    use std::sync::Arc;
    let vault = vault();
    let sb = patchbay_sandbox::Sandbox::start(
        "127.0.0.1:0".parse().unwrap(),
        patchbay_sandbox::SandboxConfig {
            auto_approve: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let vault: Arc<dyn Vault> = Arc::new(vault);
    let config = patchbay_core::CoreConfig {
        namespace: format!("dev.patchbay.test.kc.{}", std::process::id()),
        ..Default::default()
    };
    let core = patchbay_core::Patchbay::new(
        patchbay_core::providers::builtin(),
        vault.clone(),
        config.clone(),
    )
    .demo(&sb.url());
    let url = core.begin_connect("boomtown").await.unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client.get(url.as_str()).send().await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let outcome = core.complete(&location).await.unwrap();
    let patchbay_core::ConnectOutcome::Connected { account_id, .. } = outcome else {
        panic!("{outcome:?}")
    };
    let id = patchbay_core::AccountId::parse(&account_id).unwrap();
    // The demo world's keychain service.
    let key = patchbay_core::session::tokens_key(
        &patchbay_core::World::Demo.vault_namespace(&config.namespace),
        "boomtown",
        &id,
    );
    assert!(vault.get(&key).unwrap().is_some());

    // A fresh core (an app restart) reads the connection back from the keychain.
    let again =
        patchbay_core::Patchbay::new(patchbay_core::providers::builtin(), vault.clone(), config)
            .demo(&sb.url());
    assert_eq!(
        again.account("boomtown", &id).await.unwrap(),
        "Carter Realty"
    );
    again.disconnect("boomtown", &id).await.unwrap();
    assert!(vault.get(&key).unwrap().is_none());
}

#[tokio::test]
async fn api_keys_registrations_and_client_secrets_live_in_the_keychain() {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    let vault = vault();
    let mut sb_config = patchbay_sandbox::SandboxConfig {
        auto_approve: true,
        records: 5,
        ..Default::default()
    };
    sb_config.apply_auth_flag("api-key").unwrap();
    let sb = patchbay_sandbox::Sandbox::start("127.0.0.1:0".parse().unwrap(), sb_config)
        .await
        .unwrap();
    let vault: Arc<dyn Vault> = Arc::new(vault);
    let config = patchbay_core::CoreConfig {
        namespace: format!("dev.patchbay.test.kc2.{}", std::process::id()),
        ..Default::default()
    };
    let defs = || {
        patchbay_core::providers::builtin()
            .into_iter()
            .map(|mut d| {
                patchbay_core::demo::point_at(&mut d, &sb.url());
                d
            })
            .collect::<Vec<_>>()
    };
    let core = patchbay_core::Patchbay::new(defs(), vault.clone(), config.clone());
    let values: BTreeMap<String, patchbay_core::secret::SecretString> =
        patchbay_sandbox::SandboxConfig::api_key_for("whatconverts")
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, patchbay_core::secret::SecretString::from(v)))
            .collect();
    let outcome = core.save_api_key("whatconverts", values).await.unwrap();
    let patchbay_core::ConnectOutcome::Connected { account_id, .. } = outcome else {
        panic!("{outcome:?}")
    };
    let wc = patchbay_core::AccountId::parse(&account_id).unwrap();
    let key = patchbay_core::session::tokens_key(&config.vault_namespace(), "whatconverts", &wc);
    assert!(vault.get(&key).unwrap().is_some());
    // The index keeps when the key was saved (Settings shows it beside the key's account).
    let listed = core.accounts("whatconverts").await.unwrap();
    let saved_at = listed[0].connected_at.as_deref().expect("a saved date");
    assert!(
        saved_at.starts_with("20") && saved_at.ends_with('Z'),
        "RFC 3339 UTC: {saved_at}"
    );
    // ClickFunnels' registration is kept in the keychain too.
    let url = core.begin_connect("clickfunnels").await.unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client.get(url.as_str()).send().await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let outcome = core.complete(&location).await.unwrap();
    let patchbay_core::ConnectOutcome::Connected { account_id, .. } = outcome else {
        panic!("{outcome:?}")
    };
    let cf = patchbay_core::AccountId::parse(&account_id).unwrap();
    let reg = VaultKey::new(
        &config.vault_namespace(),
        "clickfunnels",
        "app",
        "oauth_client",
    );
    assert!(vault.get(&reg).unwrap().is_some());
    core.set_client_secret(
        "boomtown",
        Some(patchbay_core::secret::SecretString::from("s")),
    )
    .await
    .unwrap();

    // After a restart the key still syncs; then everything is removed.
    let again = patchbay_core::Patchbay::new(defs(), vault.clone(), config);
    assert!(!again
        .sync("whatconverts", &wc, "leads", |_| {})
        .await
        .unwrap()
        .is_empty());
    assert!(again.has_client_secret("boomtown").await);
    again.disconnect("whatconverts", &wc).await.unwrap();
    again.disconnect("clickfunnels", &cf).await.unwrap();
    again.set_client_secret("boomtown", None).await.unwrap();
    assert!(vault.get(&key).unwrap().is_none());
    assert!(!again.has_client_secret("boomtown").await);
    vault.delete(&reg).unwrap();
}
