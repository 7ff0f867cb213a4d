//! CSV cells that a spreadsheet opens as text, never as a formula (OWASP "CSV Injection"): a
//! cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a single quote `'`
//! in front. A provider's record is untrusted: a lead named `=HYPERLINK("https://evil…")` or
//! `@SUM(1+1)*cmd|' /C calc'!A0` must not run in the marketer's spreadsheet.
//!
//! Every CSV Patchbay writes goes through [`formula_safe`] (the record export here, the People
//! export in `people::queries`); JSON exports keep the values as they are.
//!
//! The rule applies to every cell, numbers included: a negative amount `-12.50` is written
//! `'-12.50`, which a spreadsheet shows as the text -12.50 (the quote is hidden), so it does
//! not add up until converted. Exempting "numbers" would need a test that agrees with every
//! spreadsheet's own number parsing (`-1+1`, `-2+3*cmd|…`, locale separators); the uniform
//! OWASP rule is the one that cannot be talked around. Whoever needs the amounts as numbers
//! exports JSON, which keeps them.

use std::borrow::Cow;

/// The first characters that make a spreadsheet read a cell as a formula (or, for tab and
/// carriage return, hide one behind leading whitespace).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `cell` as a CSV cell a spreadsheet reads as text: prefixed with `'` when it starts with one
/// of `= + - @`, a tab or a carriage return; unchanged (and not copied) otherwise.
pub fn formula_safe(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_START) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_quoted_and_the_rest_is_untouched() {
        for (cell, want) in [
            (
                "=HYPERLINK(\"https://evil.example\")",
                "'=HYPERLINK(\"https://evil.example\")",
            ),
            ("+1+1", "'+1+1"),
            ("-12.50", "'-12.50"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("Maria", "Maria"),
            ("12.50", "12.50"),
            (" =1", " =1"),
            ("a=b", "a=b"),
            ("", ""),
            ("'quoted", "'quoted"),
        ] {
            assert_eq!(formula_safe(cell), want, "{cell:?}");
        }
        assert!(matches!(formula_safe("Maria"), Cow::Borrowed(_)));
    }
}
