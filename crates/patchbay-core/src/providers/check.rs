//! The checks a definition's values pass at load, each returning which key is wrong and a
//! sentence saying why (the loader turns the key into the file's line).

use url::Url;

use crate::url_rules::{self, fill_url, UrlRuleError};

/// The key a definition error points at, and the sentence for it.
pub(crate) type Refusal = (String, String);

/// A definition's URL, parsed once: parsable and allowed by the one URL rule
/// ([`url_rules::https_or_loopback`]). Whether a loopback URL may receive credentials is
/// decided again where it is used, with the world and the provider's issuer.
pub(crate) fn check_url(key: &str, what: &str, v: &str) -> Result<Url, Refusal> {
    let url =
        Url::parse(v).map_err(|e| (key.to_string(), format!("{what} {v:?} is not a URL: {e}")))?;
    allowed(key, what, &url)?;
    Ok(url)
}

/// Like [`check_url`] for a template: placeholders filled with a stand-in label.
pub(crate) fn check_template(key: &str, what: &str, template: &str) -> Result<(), Refusal> {
    let url = fill_url(template, |_| Some("x".into())).map_err(|e| refused(key, what, &e))?;
    allowed(key, what, &url)
}

fn allowed(key: &str, what: &str, url: &Url) -> Result<(), Refusal> {
    url_rules::https_or_loopback(url).map_err(|e| refused(key, what, &e))
}

fn refused(key: &str, what: &str, e: &UrlRuleError) -> Refusal {
    // `DefinitionError::to_user` ends the sentence itself.
    let why = e.to_string();
    (
        key.to_string(),
        format!(
            "{what} is refused ({}): {}",
            e.code(),
            why.trim_end_matches('.')
        ),
    )
}

pub(crate) fn check_pointer(key: &str, p: &str) -> Result<(), Refusal> {
    if p.is_empty() || p.starts_with('/') {
        Ok(())
    } else {
        Err((
            key.into(),
            format!("{key} {p:?} must be a JSON pointer starting with /"),
        ))
    }
}
