//! The keys people are matched by. A key is only ever made from a value that certainly names
//! one address or number: a value that cannot be read gives no key (a missed match can be
//! merged by hand; a wrong one would silently join two people).

use std::str::FromStr;

use phonenumber::country;
use phonenumber::Mode;

/// Trimmed and lower-cased; `None` unless it looks like one address (`local@domain`).
pub(crate) fn email(raw: &str) -> Option<String> {
    let e = raw.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    let plausible = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !e.chars().any(char::is_whitespace);
    plausible.then_some(e)
}

/// E.164 (`+15125550142`) with Google's libphonenumber rules; numbers without a country code
/// are read as dialled in `region`. `None` for anything that is not a valid number there.
pub(crate) fn phone(raw: &str, region: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let region = country::Id::from_str(region).ok();
    let number = phonenumber::parse(region, raw).ok()?;
    phonenumber::is_valid(&number).then(|| number.format().mode(Mode::E164).to_string())
}

/// What two names must share to be offered as a merge: case, accents' case and spacing aside.
pub(crate) fn name_key(name: &str) -> Option<String> {
    let key = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            email("  Maria.Lopez@Example.COM \n").as_deref(),
            Some("maria.lopez@example.com")
        );
        for bad in [
            "",
            "maria",
            "@example.com",
            "maria@",
            "a b@example.com",
            "a@b@c",
        ] {
            assert_eq!(email(bad), None, "{bad}");
        }
    }

    #[test]
    fn phones_in_any_common_format_become_e164() {
        for raw in [
            "+1 (512) 555-0142",
            "(512) 555-0142",
            "512.555.0142",
            "+15125550142",
            " 1-512-555-0142 ",
        ] {
            assert_eq!(phone(raw, "US").as_deref(), Some("+15125550142"), "{raw}");
        }
        // The region only applies to numbers without a country code.
        assert_eq!(
            phone("+44 20 7946 0958", "US").as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            phone("020 7946 0958", "GB").as_deref(),
            Some("+442079460958")
        );
    }

    #[test]
    fn an_unreadable_phone_gives_no_key_rather_than_a_wrong_one() {
        for raw in ["", "n/a", "123", "555-0142", "+1 (012) 555-0142", "call me"] {
            assert_eq!(phone(raw, "US"), None, "{raw}");
        }
        // An unknown region: only numbers with a country code can be read.
        assert_eq!(phone("(512) 555-0142", "ZZ"), None);
        assert_eq!(phone("+15125550142", "ZZ").as_deref(), Some("+15125550142"));
    }

    #[test]
    fn names_match_whatever_their_case_and_spacing() {
        assert_eq!(name_key("  Maria   LOPEZ ").as_deref(), Some("maria lopez"));
        assert_eq!(name_key("Zoë Ibáñez").as_deref(), Some("zoë ibáñez"));
        assert_eq!(name_key("   "), None);
    }
}
