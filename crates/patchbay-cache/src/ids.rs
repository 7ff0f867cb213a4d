//! Provider, account and resource ids end up naming rows that name tables, so they are checked at the door.

use crate::CacheError;

/// The one id rule ([`patchbay_model::Id`]), checked before an id reaches SQL. Account ids
/// follow it too (the core's are stricter: at most 32 characters).
pub(crate) fn validate(id: &str) -> Result<(), CacheError> {
    patchbay_model::Id::parse(id)
        .map(drop)
        .map_err(|e| CacheError::InvalidId(e.0))
}

/// The ids that name one cached list.
pub(crate) fn validate_list(
    provider: &str,
    account: &str,
    resource: &str,
) -> Result<(), CacheError> {
    validate(provider)?;
    validate(account)?;
    validate(resource)
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

    /// The rule itself is tested in patchbay-model; here, that the cache applies it to each
    /// of a list's three ids and answers with its own error.
    #[test]
    fn every_id_of_a_list_is_checked() {
        assert!(validate_list("whatconverts", "default", "leads").is_ok());
        for (p, a, r) in [
            ("what-converts", "default", "leads"),
            ("whatconverts", "a;drop table x", "leads"),
            ("whatconverts", "default", "Leads"),
        ] {
            let err = validate_list(p, a, r).unwrap_err();
            assert!(
                matches!(err, CacheError::InvalidId(_)),
                "{p}/{a}/{r}: {err}"
            );
        }
    }
}
