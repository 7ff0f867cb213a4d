//! Strict parsing of paging parameters and the opaque cursors of cursor-paged APIs.

use std::collections::HashMap;
use std::ops::Range;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::errors::ApiError;

pub type Params = HashMap<String, String>;

/// An integer parameter in `range`, `default` when absent. Out of range or not a number is a
/// 400: a client that sends nonsense should find out here, not in production.
pub fn int_param(
    params: &Params,
    name: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ApiError> {
    let Some(raw) = params.get(name) else {
        return Ok(default);
    };
    match raw.parse::<u64>() {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(ApiError::bad_request(format!(
            "{name} must be an integer in {}..={}, got `{raw}`",
            range.start(),
            range.end()
        ))),
    }
}

/// Indices of page `page` (1-based) of `per_page` items out of `total`.
pub fn page_range(total: u64, page: u64, per_page: u64) -> Range<u64> {
    let start = page.saturating_sub(1).saturating_mul(per_page).min(total);
    start..start.saturating_add(per_page).min(total)
}

pub fn total_pages(total: u64, per_page: u64) -> u64 {
    total.div_ceil(per_page)
}

/// An opaque cursor naming the index of the next record of `resource`. The resource name is
/// inside so a cursor of one collection is refused by another.
pub fn encode_cursor(resource: &str, next_index: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{resource}:{next_index}"))
}

pub fn decode_cursor(resource: &str, cursor: &str) -> Result<u64, ApiError> {
    let bad = || {
        ApiError::bad_request(format!(
            "starting_after `{cursor}` is not a cursor of this list"
        ))
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (name, index) = text.split_once(':').ok_or_else(bad)?;
    if name != resource {
        return Err(bad());
    }
    index.parse().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_everything_once() {
        assert_eq!(page_range(10, 1, 4), 0..4);
        assert_eq!(page_range(10, 3, 4), 8..10);
        assert_eq!(page_range(10, 4, 4), 10..10);
        assert_eq!(page_range(10, u64::MAX, u64::MAX), 10..10);
        assert_eq!(total_pages(10, 4), 3);
        assert_eq!(total_pages(0, 4), 0);
    }

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_list() {
        let c = encode_cursor("lists", 42);
        assert_eq!(decode_cursor("lists", &c).unwrap(), 42);
        assert!(decode_cursor("campaigns", &c).is_err());
        assert!(decode_cursor("lists", "!!").is_err());
    }

    #[test]
    fn int_params_are_strict() {
        let mut p = Params::new();
        assert_eq!(int_param(&p, "limit", 10, 1..=100).unwrap(), 10);
        p.insert("limit".into(), "101".into());
        assert!(int_param(&p, "limit", 10, 1..=100).is_err());
        p.insert("limit".into(), "abc".into());
        assert!(int_param(&p, "limit", 10, 1..=100).is_err());
        p.insert("limit".into(), "100".into());
        assert_eq!(int_param(&p, "limit", 10, 1..=100).unwrap(), 100);
    }
}
