//! Settings: validation of what the page sends, the background schedule it implies, and
//! how the stored file layers onto the definitions.

use patchbay_app::settings::{SettingsError, StoredSettings, MAX_REFRESH_SECS, MIN_REFRESH_SECS};

fn with_base(url: &str) -> Result<StoredSettings, SettingsError> {
    let defs = patchbay_core::providers::builtin();
    let mut view = StoredSettings::default().view(&defs);
    view.providers[0].base_url = Some(url.into());
    StoredSettings::from_view(&view, &defs)
}

#[test]
fn background_refresh_is_the_default_off_or_an_interval_in_range() {
    let defs = patchbay_core::providers::builtin();
    let mut view = StoredSettings::default().view(&defs);
    let (first, second) = (defs[0].id.clone(), defs[1].id.clone());
    view.providers[0].refresh_secs = Some(0);
    view.providers[1].refresh_secs = Some(600);
    let stored = StoredSettings::from_view(&view, &defs).unwrap();
    let plan = stored.plan_settings();
    assert_eq!(plan.interval(&first), None, "0 turns it off");
    assert_eq!(
        plan.interval(&second),
        Some(std::time::Duration::from_secs(600))
    );
    assert_eq!(
        plan.interval(&defs[2].id),
        Some(plan.default_interval),
        "no choice is the default"
    );
    // The file round-trips the choices for the settings page.
    let again = stored.view(&defs);
    assert_eq!(again.providers[0].refresh_secs, Some(0));
    assert_eq!(again.providers[1].refresh_secs, Some(600));
    assert_eq!(again.providers[2].refresh_secs, None);
    for bad in [1, MIN_REFRESH_SECS - 1, MAX_REFRESH_SECS + 1] {
        view.providers[1].refresh_secs = Some(bad);
        assert!(
            matches!(
                StoredSettings::from_view(&view, &defs),
                Err(SettingsError::BadRefresh { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn a_base_url_is_https_or_a_local_test_server() {
    for ok in ["https://api.example.com/v1", "http://127.0.0.1:8080/api"] {
        assert!(with_base(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://api.example.com/v1",
        "http://localhost:8080/api",
        "https://user:pw@api.example.com",
        "ftp://api.example.com",
        "not a url",
    ] {
        assert!(
            matches!(with_base(bad), Err(SettingsError::BadBaseUrl { .. })),
            "{bad}"
        );
    }
}
