//! The checks a definition's values pass at load, each returning which key is wrong and a
//! sentence saying why (the loader turns the key into the file's line).

use url::Url;

use crate::url_rules::{self, fill_url, UrlRuleError};

/// The key a definition error points at, and the sentence for it.
pub(crate) type Refusal = (String, String);

/// A definition's URL, parsed once: parsable and allowed by the one URL rule
/// ([`url_rules::https_or_loopback`]) under the provider's `home` (see [`home_of`]). Whether
/// a loopback URL may receive credentials is decided again where it is used, with the world.
pub(crate) fn check_url(
    key: &str,
    what: &str,
    v: &str,
    home: Option<&Url>,
) -> Result<Url, Refusal> {
    let url =
        Url::parse(v).map_err(|e| (key.to_string(), format!("{what} {v:?} is not a URL: {e}")))?;
    allowed(key, what, &url, home)?;
    Ok(url)
}

/// Like [`check_url`] for a template: placeholders filled with a stand-in label.
pub(crate) fn check_template(
    key: &str,
    what: &str,
    template: &str,
    home: Option<&Url>,
) -> Result<(), Refusal> {
    allowed(
        key,
        what,
        &stand_in(template).map_err(|e| refused(key, what, &e))?,
        home,
    )
}

/// A template with its placeholders filled with a stand-in label.
fn stand_in(template: &str) -> Result<Url, UrlRuleError> {
    fill_url(template, |_| Some("x".into()))
}

/// Where a provider lives, which decides whether its other URLs may be plain http on
/// loopback: its issuer (or the issuer it discovers its endpoints from), else its API base.
/// The same choice as the check at use (`session::check_endpoint`). `None` when that URL is
/// unusable (its own check then says why).
pub(crate) fn home_of(issuer: Option<&str>, api_base: &str) -> Option<Url> {
    match issuer {
        Some(i) => Url::parse(i).ok(),
        None => stand_in(api_base).ok(),
    }
}

fn allowed(key: &str, what: &str, url: &Url, home: Option<&Url>) -> Result<(), Refusal> {
    url_rules::https_or_loopback(url, home).map_err(|e| refused(key, what, &e))
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
