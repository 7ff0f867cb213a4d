//! Connect links: which command lines hold one.

use patchbay_app::callback::from_args;

fn args(list: &[&str]) -> impl Iterator<Item = String> {
    list.iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .into_iter()
}

#[test]
fn a_link_is_the_only_argument_and_is_kept_raw() {
    let raw = "dev.patchbay:/oauth/./callback?code=a&state=b";
    assert_eq!(from_args(args(&["patchbay", raw])).as_deref(), Some(raw));
    assert_eq!(
        from_args(args(&["patchbay", "DEV.PATCHBAY:/oauth/callback"])).as_deref(),
        Some("DEV.PATCHBAY:/oauth/callback")
    );
}

#[test]
fn anything_else_is_not_a_link() {
    assert_eq!(from_args(args(&["patchbay"])), None);
    assert_eq!(from_args(args(&["patchbay", "--help"])), None);
    assert_eq!(
        from_args(args(&["patchbay", "https://evil.example/"])),
        None
    );
    assert_eq!(from_args(args(&["patchbay", "dev.patchbay.evil:/x"])), None);
    assert_eq!(
        from_args(args(&["patchbay", "dev.patchbay:/oauth/callback", "extra"])),
        None
    );
}
