//! Comparing secrets (client secrets, API keys, registration access tokens, PKCE challenges)
//! in constant time, as a real server must: `==` stops at the first differing byte, which
//! tells a prober timing the answers how much of a guess was right.

use subtle::ConstantTimeEq;

/// Whether `given` equals `expected`, in a time that does not depend on where they differ
/// (only on their lengths, which are not secret).
pub fn secret_eq(given: &str, expected: &str) -> bool {
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::secret_eq;

    #[test]
    fn equal_only_when_every_byte_and_the_length_match() {
        assert!(secret_eq("s3cret", "s3cret"));
        assert!(!secret_eq("s3cret", "s3creT"));
        assert!(!secret_eq("s3cre", "s3cret"));
        assert!(!secret_eq("", "s3cret"));
        assert!(secret_eq("", ""));
    }
}
