//! The settings page over a started app: rejected definition files reach Settings, with
//! what is wrong, until they are fixed.

use patchbay_app::settings_page;

use crate::support::start;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_definition_file_is_listed_in_settings_with_what_is_wrong() {
    let bad = ("boomtown.toml", "id = \"boomtown\"\nthis is not toml\n");
    let (_folder, overrides, state) = start(&[bad]).await;

    let settings = settings_page::get(&state).await;
    assert!(!settings.demo_mode);
    assert_eq!(settings.demo_available, cfg!(feature = "demo"));
    let [problem] = settings.definition_errors.as_slice() else {
        panic!("one rejected file: {:?}", settings.definition_errors);
    };
    assert!(problem.file.ends_with("boomtown.toml"), "{}", problem.file);
    assert!(
        problem.message.starts_with("Patchbay ignored ")
            && problem.message.contains("boomtown.toml")
            && problem.message.contains("built-in settings"),
        "a sentence saying which file and what Patchbay does instead: {}",
        problem.message
    );
    // The built-in BoomTown is used instead: all five providers are there.
    assert_eq!(settings.providers.len(), 5);

    // Saving the page keeps reporting it (the rebuilt world loads the folder again), and
    // what the page sends back in the read-only fields changes nothing.
    let mut sent = settings.clone();
    sent.definition_errors.clear();
    let saved = settings_page::save(&state, sent).await.unwrap();
    assert_eq!(saved.definition_errors, settings.definition_errors);

    // Fixed, and saved again: no more problems.
    std::fs::remove_file(overrides.join("boomtown.toml")).unwrap();
    let fixed = settings_page::save(&state, saved).await.unwrap();
    assert_eq!(fixed.definition_errors, []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_override_file_reports_nothing() {
    let valid = include_str!("../../../patchbay-core/providers/boomtown.toml");
    let (_folder, _, state) = start(&[("boomtown.toml", valid)]).await;
    assert_eq!(settings_page::get(&state).await.definition_errors, []);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_welcome_is_remembered_once_seen_and_saving_the_page_keeps_it() {
    let (folder, _, state) = start(&[]).await;
    let file = folder.path().join("settings.json");

    // A first start: the welcome has not been seen.
    let first = settings_page::get(&state).await;
    assert!(!first.welcome_seen);

    let seen = settings_page::set_welcome_seen(&state, true).await.unwrap();
    assert!(seen.welcome_seen);
    let text = std::fs::read_to_string(&file).unwrap();
    let stored: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(stored["welcome_seen"], true, "kept in the file: {text}");
    // Nothing else changed: still the real world.
    assert!(!seen.demo_mode);

    // Saving the page, whatever it sends in the read-only field, keeps the stored choice.
    let mut sent = seen.clone();
    sent.welcome_seen = false;
    let saved = settings_page::save(&state, sent).await.unwrap();
    assert!(
        saved.welcome_seen,
        "saving Settings does not bring the welcome back"
    );

    // Help can bring it back for the next start, too.
    let again = settings_page::set_welcome_seen(&state, false)
        .await
        .unwrap();
    assert!(!again.welcome_seen);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("welcome_seen"),
        "a false value is the default: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_provider_says_how_it_connects_so_settings_asks_only_what_it_needs() {
    use patchbay_app::settings::ConnectionKind;
    let (_folder, _, state) = start(&[]).await;
    let settings = settings_page::get(&state).await;
    let kind = |id: &str| settings.providers.iter().find(|p| p.id == id).unwrap().kind;
    assert_eq!(kind("whatconverts"), ConnectionKind::ApiKey);
    assert_eq!(kind("emailoctopus"), ConnectionKind::ApiKey);
    assert_eq!(kind("webinargeek"), ConnectionKind::ApiKey);
    assert_eq!(kind("clickfunnels"), ConnectionKind::Oauth);
    assert_eq!(kind("boomtown"), ConnectionKind::Oauth);
    // Nothing connected yet: no saved key anywhere.
    assert!(settings.providers.iter().all(|p| p.saved_keys.is_empty()));

    // Forget refuses an account id that cannot be one, before touching the keychain.
    let e = settings_page::forget_saved_key(&state, "whatconverts", "../x")
        .await
        .unwrap_err();
    assert_eq!(e.code, patchbay_core::ErrorCode::AccountUnknown, "{e:?}");
}
