//! What kind of value a column holds: written in a provider definition (`type = "money"`),
//! stored by the cache (it picks the SQLite type and the display format from it) and shown by
//! the window (alignment, sorting).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A column's value type. The serialized names are the definition files' `type` values and
/// what the window receives; renaming one breaks both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    #[default]
    Text,
    Integer,
    Number,
    Money,
    Boolean,
    Date,
    DateTime,
    Email,
    Phone,
    Url,
}

impl ColumnKind {
    /// Kinds whose value is text as shown: sorted by that text, searched as words.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            ColumnKind::Text | ColumnKind::Email | ColumnKind::Phone | ColumnKind::Url
        )
    }

    pub fn is_date(self) -> bool {
        matches!(self, ColumnKind::Date | ColumnKind::DateTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_snake_case_and_the_default_is_text() {
        let all: Vec<ColumnKind> = serde_json::from_str(
            r#"["text","integer","number","money","boolean","date","date_time","email","phone","url"]"#,
        )
        .unwrap();
        assert_eq!(all.len(), 10);
        assert_eq!(all[6], ColumnKind::DateTime);
        assert_eq!(
            serde_json::to_string(&ColumnKind::DateTime).unwrap(),
            r#""date_time""#
        );
        assert!(serde_json::from_str::<ColumnKind>(r#""DateTime""#).is_err());
        assert_eq!(ColumnKind::default(), ColumnKind::Text);
    }

    #[test]
    fn text_and_date_kinds() {
        assert!(ColumnKind::Url.is_text() && ColumnKind::Email.is_text());
        assert!(!ColumnKind::Money.is_text() && !ColumnKind::Date.is_text());
        assert!(ColumnKind::DateTime.is_date() && ColumnKind::Date.is_date());
        assert!(!ColumnKind::Integer.is_date());
    }
}
