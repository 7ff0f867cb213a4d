//! Timestamps as RFC 3339 text, written by the `time` crate.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds (UTC, whole seconds: the window and export file
/// names show it as is).
pub fn rfc3339_utc(secs: u64) -> String {
    let at = i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        // Past year 9999 is no date a clock gives; the last representable second stands in.
        .unwrap_or_else(|| {
            time::PrimitiveDateTime::MAX
                .assume_utc()
                .replace_nanosecond(0)
                .expect("0 ns is a valid nanosecond")
        });
    at.format(&Rfc3339)
        .expect("a UTC date of years 0..=9999 formats as RFC 3339")
}

/// Now, as [`rfc3339_utc`] writes it.
pub fn now_rfc3339() -> String {
    let now = OffsetDateTime::now_utc();
    rfc3339_utc(u64::try_from(now.unix_timestamp()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::rfc3339_utc;

    #[test]
    fn rfc3339() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_782_820_800), "2026-06-30T12:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(u64::MAX), "9999-12-31T23:59:59Z");
    }
}
