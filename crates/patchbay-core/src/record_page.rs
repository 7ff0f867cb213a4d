//! "Open in <Provider>": the address of one record's own page at the provider, built from the
//! resource's `record_page` template (data in the definition) and the record as cached.
//!
//! A template names record fields by JSON pointer, `https://app.example.com/leads/{/lead_id}`,
//! and only in its path. The values come from the provider, so each one must look like an id
//! (RFC 3986 unreserved characters, no `..`) before it is put in, percent-encoded as one path
//! segment by [`fill_url`]; and the address built must keep the template's scheme, host and
//! port, so no value can send the marketer's browser somewhere else.

use std::cell::RefCell;

use url::Url;

use crate::error_code::ErrorCode;
use crate::providers::placeholders;
use crate::url_rules::{fill_url, UrlRuleError};

/// Longest id Patchbay puts in an address: ids are numbers and UUIDs; a megabyte is an attack.
const MAX_VALUE: usize = 200;

/// Why a record's page address could not be built.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum RecordPageError {
    /// The record has no text or whole number at the pointer.
    #[error("the record has no usable value at {pointer}")]
    Missing { pointer: String },
    /// The value could change which page the address names.
    #[error("the record's value at {pointer} is not an id: {value:?}")]
    Unsafe { pointer: String, value: String },
    /// The template itself is unusable, or the address left the template's origin.
    #[error("the record page template is unusable: {0}")]
    Template(String),
}

impl RecordPageError {
    /// The stable code the window receives.
    pub fn code(&self) -> ErrorCode {
        match self {
            RecordPageError::Missing { .. } => ErrorCode::RecordsPageMissingValue,
            RecordPageError::Unsafe { .. } => ErrorCode::RecordsPageUnsafeValue,
            RecordPageError::Template(_) => ErrorCode::RecordsNoProviderPage,
        }
    }
}

/// Checks a template at load: every placeholder a JSON pointer in the path, and the address
/// (placeholders filled with a stand-in) parsable. Whether its scheme and host are allowed is
/// the definition check's call (the same rule as every other URL of the definition).
pub(crate) fn check_template(template: &str) -> Result<Url, String> {
    let names = placeholders(template);
    if names.is_empty() {
        return Err(
            "record_page names no record field, so every record would open one page".into(),
        );
    }
    if let Some(bad) = names.iter().find(|n| !n.starts_with('/')) {
        return Err(format!(
            "record_page placeholder {{{bad}}} must be a JSON pointer starting with /"
        ));
    }
    let stand_in = fill_url(template, |_| Some("x".into())).map_err(|e| e.to_string())?;
    // A placeholder in the host or the query would be filled differently (a label, a form
    // value): record pages take ids in the path only.
    let prefix = &template[..template.find('{').unwrap_or(template.len())];
    let after_scheme = prefix.split_once("://").map_or("", |(_, rest)| rest);
    if !after_scheme.contains('/') || after_scheme.contains(['?', '#']) {
        return Err("record_page placeholders belong in the address's path".into());
    }
    Ok(stand_in)
}

/// Whether `value` may stand for one path segment: an id, nothing a browser or server reads as
/// structure (`/`, `?`, `#`, `%`, `\`, `..`, spaces, controls).
fn is_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_VALUE
        && value != "."
        && !value.contains("..")
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The value at `pointer` as text: a string, or a whole number (WhatConverts' `lead_id`).
fn value_at(record: &serde_json::Value, pointer: &str) -> Option<String> {
    match record.pointer(pointer)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn origin(url: &Url) -> (String, Option<String>, Option<u16>) {
    (
        url.scheme().to_string(),
        url.host_str().map(str::to_string),
        url.port_or_known_default(),
    )
}

/// The address of `record`'s page: `template` with each `{/pointer}` replaced by the record's
/// value there, checked to be an id and percent-encoded as one path segment. The result has
/// the template's own scheme, host and port, or it is refused.
pub fn expand(template: &str, record: &serde_json::Value) -> Result<Url, RecordPageError> {
    let stand_in = check_template(template).map_err(RecordPageError::Template)?;
    // `fill_url` stops at the first value it is not given; this says why it was not.
    let refused: RefCell<Option<RecordPageError>> = RefCell::new(None);
    let built = fill_url(template, |pointer| {
        let why = match value_at(record, pointer) {
            Some(value) if is_id(&value) => return Some(value),
            Some(value) => RecordPageError::Unsafe {
                pointer: pointer.to_string(),
                value: value.chars().take(80).collect(),
            },
            None => RecordPageError::Missing {
                pointer: pointer.to_string(),
            },
        };
        refused.borrow_mut().get_or_insert(why);
        None
    });
    if let Some(e) = refused.into_inner() {
        return Err(e);
    }
    let url = built.map_err(|e: UrlRuleError| RecordPageError::Template(e.to_string()))?;
    if origin(&url) != origin(&stand_in) {
        return Err(RecordPageError::Template(format!(
            "the address left {}",
            stand_in.origin().ascii_serialization()
        )));
    }
    Ok(url)
}

/// The template moved onto the sandbox at `sandbox_url` for the demo world: the same path shape
/// under `<sandbox>/<provider>`, where the sandbox serves a plain page per record.
pub fn rebase(template: &str, sandbox_url: &str, provider: &str) -> String {
    let after_scheme = template
        .split_once("://")
        .map_or(template, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    format!("{}/{provider}{path}", sandbox_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const WC: &str = "https://app.example.com/leads/{/lead_id}";

    fn open(template: &str, record: serde_json::Value) -> Result<String, ErrorCode> {
        expand(template, &record)
            .map(|u| u.to_string())
            .map_err(|e| e.code())
    }

    #[test]
    fn a_numeric_or_text_id_fills_the_path() {
        assert_eq!(
            open(WC, json!({"lead_id": 12345})).unwrap(),
            "https://app.example.com/leads/12345"
        );
        assert_eq!(
            open(
                "https://app.example.com/lists/{/list_id}/contacts/{/id}",
                json!({"list_id": "a1b2-c3", "id": "00000000-0000-4000-8000-000000000001"})
            )
            .unwrap(),
            "https://app.example.com/lists/a1b2-c3/contacts/00000000-0000-4000-8000-000000000001"
        );
    }

    #[test]
    fn a_value_that_would_change_the_page_is_refused() {
        for id in [
            "1/../../admin",
            "1/2",
            "..",
            ".",
            "a..b",
            "1?next=https://evil.example",
            "1#frag",
            "%2e%2e",
            "1%2F2",
            "a\\b",
            "a b",
            "@evil.example",
            "1\n2",
            "",
        ] {
            assert_eq!(
                open(WC, json!({ "lead_id": id })),
                Err(ErrorCode::RecordsPageUnsafeValue),
                "{id:?}"
            );
        }
        let long = "9".repeat(MAX_VALUE + 1);
        assert_eq!(
            open(WC, json!({ "lead_id": long })),
            Err(ErrorCode::RecordsPageUnsafeValue)
        );
    }

    #[test]
    fn a_missing_or_structured_value_is_missing() {
        for record in [
            json!({}),
            json!({"lead_id": null}),
            json!({"lead_id": 1.5}),
            json!({"lead_id": true}),
            json!({"lead_id": {"id": 1}}),
            json!({"lead_id": [1]}),
        ] {
            assert_eq!(
                open(WC, record.clone()),
                Err(ErrorCode::RecordsPageMissingValue),
                "{record}"
            );
        }
    }

    #[test]
    fn templates_take_pointers_in_the_path_only() {
        for bad in [
            "https://app.example.com/leads",
            "https://app.example.com/leads/{lead_id}",
            "https://{/sub}.example.com/leads/1",
            "https://app.example.com/leads?id={/lead_id}",
            "https://app.example.com/leads#{/lead_id}",
            "{/scheme}://app.example.com/leads/1",
            "https://app.example.com{/lead_id}",
        ] {
            assert!(check_template(bad).is_err(), "{bad}");
            assert_eq!(
                open(bad, json!({"lead_id": 1, "sub": "a", "scheme": "https"})),
                Err(ErrorCode::RecordsNoProviderPage),
                "{bad}"
            );
        }
        assert!(check_template(WC).is_ok());
    }

    #[test]
    fn the_address_keeps_the_templates_scheme_host_and_port() {
        let demo = "http://127.0.0.1:4010/whatconverts/leads/{/lead_id}";
        let url = expand(demo, &json!({"lead_id": 7})).unwrap();
        assert_eq!(
            (url.scheme(), url.host_str(), url.port()),
            ("http", Some("127.0.0.1"), Some(4010))
        );
        assert_eq!(url.path(), "/whatconverts/leads/7");
    }

    #[test]
    fn the_demo_moves_the_template_onto_the_sandbox() {
        assert_eq!(
            rebase(WC, "http://127.0.0.1:9/", "whatconverts"),
            "http://127.0.0.1:9/whatconverts/leads/{/lead_id}"
        );
        assert_eq!(
            rebase("https://app.example.com", "http://127.0.0.1:9", "x"),
            "http://127.0.0.1:9/x/"
        );
    }
}
