//! UTC timestamps as RFC 3339 text, by the `time` crate.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// 2026-06-30T00:00:00Z: the fixed "now" of the generated data, so it never shifts with the calendar.
pub const DATA_END: i64 = 1_782_777_600;
/// Two years of history before DATA_END.
pub const DATA_SPAN_SECS: i64 = 730 * 86_400;

/// The range RFC 3339 can write (years 0000 to 9999).
const FIRST: i64 = -62_167_219_200;
const LAST: i64 = 253_402_300_799;

/// `2025-03-04T15:22:10Z`. A time outside years 0 to 9999 (a test pushing the simulated clock
/// absurdly far) is written as the nearest one RFC 3339 can hold.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix.clamp(FIRST, LAST))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .expect("a time within years 0 to 9999 has an RFC 3339 form")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(DATA_END), "2026-06-30T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_741_101_730), "2025-03-04T15:22:10Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
    }
}
