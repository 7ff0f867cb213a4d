//! Search input -> FTS5 MATCH expression. User text is never spliced into FTS syntax: it is cut
//! into the same word pieces the unicode61 tokenizer would make, and each piece is sent as a
//! double-quoted string, so `AND`, `NEAR`, `*`, `"`, `(`, `:` and `-` are just text.

/// Options for the FTS5 table: diacritics folded ("maria" finds "María"), and prefix indexes
/// for 1-3 characters so typing the first letters of a name stays fast at 200000 rows.
pub(crate) const FTS_OPTIONS: &str =
    "content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'";

/// `None` when the input has no searchable word (empty, or only punctuation): the caller then
/// matches every row instead of running a query that could only find nothing.
pub(crate) fn match_expression(input: &str) -> Option<String> {
    let terms: Vec<&str> = input
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        // More terms than this is not a search a person typed; it would only slow SQLite down.
        .take(16)
        .collect();
    let last = terms.len().checked_sub(1)?;
    let expr = terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            // Pieces are alphanumeric only, so they contain no quote; the doubling is belt and
            // braces in case the split rule ever changes.
            let quoted = format!("\"{}\"", t.replace('"', "\"\""));
            // The last word is still being typed: match it as a prefix ("mar" finds "Maria").
            if i == last {
                quoted + "*"
            } else {
                quoted
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    Some(expr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_term_and_prefixes_the_last() {
        assert_eq!(match_expression("maria lo").unwrap(), r#""maria" "lo"*"#);
        assert_eq!(
            match_expression("  NEAR(a b) AND c*  ").unwrap(),
            r#""NEAR" "a" "b" "AND" "c"*"#
        );
        assert_eq!(match_expression("o'brien").unwrap(), r#""o" "brien"*"#);
        assert_eq!(match_expression(""), None);
        assert_eq!(match_expression(" \"*\" - ^ "), None);
    }
}
