//! Provider, account and resource ids end up naming rows that name tables, so they are checked at the door.

use crate::CacheError;

/// Ids are `[a-z0-9_]+` (at most 64 chars); anything else is refused before it reaches SQL.
pub(crate) fn validate(id: &str) -> Result<(), CacheError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(CacheError::InvalidId(id.chars().take(80).collect()))
    }
}

/// Table names come from the numeric row id in `resources`, never from the provider, account or
/// resource strings, so two ids like `a__b`/`c` and `a`/`b__c` can never collide and no quoting can fail.
pub(crate) fn record_table(resource_id: i64) -> String {
    format!("rec_{resource_id}")
}

pub(crate) fn raw_table(resource_id: i64) -> String {
    format!("raw_{resource_id}")
}

pub(crate) fn fts_table(resource_id: i64) -> String {
    format!("fts_{resource_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_ids_and_refuses_the_rest() {
        for ok in ["whatconverts", "leads", "email_octopus", "v2"] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Leads",
            "a-b",
            "a b",
            "a;drop table x",
            "a\"b",
            "ä",
            &"x".repeat(65),
        ] {
            let err = validate(bad).unwrap_err();
            assert!(matches!(err, CacheError::InvalidId(_)), "{bad}: {err}");
        }
    }
}
