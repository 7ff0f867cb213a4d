//! The notice the window shows: an error's code and advice travel with it.

use patchbay_app::views::Notice;

#[test]
fn an_error_notice_carries_code_and_advice_and_names_the_provider_once() {
    let e = patchbay_core::ConnectError::Grant {
        provider_id: "boomtown".into(),
        error: patchbay_core::oauth::OAuthError::new("invalid_client", None, None),
    };
    let n = serde_json::to_value(Notice::error(e.to_user("BoomTown"), Some("boomtown"))).unwrap();
    assert_eq!(n["level"], "error");
    assert_eq!(n["code"], "connect.client_refused");
    assert_eq!(
        n["message"],
        "BoomTown did not accept Patchbay's client id or client secret."
    );
    assert_eq!(n["advice"], "Check them in Settings, then click Connect.");
    assert_eq!(n["provider"], "boomtown");
    let info = serde_json::to_value(Notice::info(
        "Connecting BoomTown was cancelled.",
        Some("boomtown"),
    ))
    .unwrap();
    assert_eq!(info["level"], "info");
    assert_eq!(info["code"], serde_json::Value::Null);
    assert_eq!(info["advice"], serde_json::Value::Null);
}

#[test]
fn a_failed_revocation_tells_the_user_what_to_do_at_the_provider() {
    use patchbay_app::connections::revocation_notice;
    use patchbay_core::app::Revocation;
    assert!(revocation_notice(&Revocation::Done, "BoomTown", "boomtown").is_none());
    let failed = Revocation::Failed(patchbay_core::ApiError::Http {
        status: 401,
        detail: "revocation refused".into(),
    });
    let n =
        serde_json::to_value(revocation_notice(&failed, "BoomTown", "boomtown").unwrap()).unwrap();
    assert_eq!(n["level"], "error");
    assert_eq!(n["code"], "api.revoke_failed");
    assert_eq!(
        n["message"],
        "Patchbay could not withdraw its access at BoomTown, so it may still be allowed there."
    );
    assert!(
        n["advice"].as_str().unwrap().contains("connected apps"),
        "{n}"
    );
    assert_eq!(n["provider"], "boomtown");
}
