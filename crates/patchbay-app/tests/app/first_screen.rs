//! The first screen's value: what the window draws before any IPC, and the script that hands
//! it to the page.

use patchbay_app::first_screen::{initial_state, initialization_script};
use patchbay_app::{settings_page, tiles};

use crate::support;

fn json(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap()
}

/// The JSON text the script gives to `JSON.parse`, read back as the page would.
fn parsed_by_the_page(script: &str) -> serde_json::Value {
    let start = script.find("JSON.parse(").expect("the script parses JSON") + "JSON.parse(".len();
    let end = script.rfind("))").expect("the call closes");
    let literal: String =
        serde_json::from_str(&script[start..end]).expect("the argument is one string literal");
    serde_json::from_str(&literal).expect("the string is the initial state's JSON")
}

#[tokio::test]
async fn the_first_screen_is_the_settings_and_tiles_the_commands_answer() {
    let (_dir, _, state) =
        support::start_with(&[], r#"{"demo_mode": false, "welcome_seen": true}"#).await;
    let initial = initial_state(&state).await;
    assert_eq!(initial.settings, settings_page::get(&state).await);
    assert_eq!(json(&initial.tiles), json(&tiles::tiles(&state).await));
    assert!(initial.settings.welcome_seen && !initial.settings.demo_mode);
    assert_eq!(initial.tiles.len(), 5, "every built-in provider has a tile");
}

#[tokio::test]
async fn the_script_hands_over_the_value_and_no_text_in_it_runs_as_code() {
    let (_dir, _, state) = support::start(&[]).await;
    let mut initial = initial_state(&state).await;
    let hostile = "Ana\")); alert(1); (\"' </script> \u{2028} \\";
    initial.tiles[0].display_name = hostile.into();
    let script = initialization_script(&initial);
    assert!(
        script.starts_with("Object.defineProperty(window, '__PATCHBAY_INITIAL_STATE__'"),
        "{script}"
    );
    assert!(
        !script.contains("alert(1); (\""),
        "the quote is escaped: {script}"
    );
    assert_eq!(parsed_by_the_page(&script), json(&initial));
}
