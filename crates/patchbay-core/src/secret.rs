//! Secrets are `secrecy`'s [`SecretString`]: zeroized on drop, `Debug` redacted, no
//! `Display`, no `Serialize`, no equality; the value is reached only through
//! [`ExposeSecret::expose_secret`], at the call that sends or stores it.

pub use secrecy::{ExposeSecret, SecretString};

/// Constant-time string equality (for `state` and similar): the time taken does not tell how
/// many leading bytes matched. Only the lengths are compared in variable time.
pub fn ct_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretString::from("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose_secret(), "hunter2");
    }

    #[test]
    fn ct_eq_compares_whole_strings() {
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "abcd"));
        assert!(!ct_eq("", "a"));
    }
}
