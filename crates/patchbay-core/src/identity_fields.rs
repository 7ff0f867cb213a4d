//! Which fields of a resource's records say who the person is (emails, phones, names) and what
//! they did (a lead with its attribution, a webinar registration, an order and its amount), so
//! the cache can resolve one person across every connected tool. Data in each definition
//! (`[resources.identity]`), checked when the definition loads.

use serde::{Deserialize, Serialize};

/// A resource's identity section. Pointers are RFC 6901 JSON pointers into one record.
/// Serialises to the shape the cache's `IdentitySpec` reads, field for field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityFields {
    /// Which step of a customer's journey one record of this resource is.
    pub counts_as: RecordRole,
    /// Every field that may hold an email address (a second email too).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<String>,
    /// Where phone numbers without a country code are dialled (ISO 3166 alpha-2); "US" when
    /// not given, as the five tools' users mostly are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// When the record happened (created, registered, ordered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// First-touch attribution (WhatConverts' lead fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// A registration's "did they attend" flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attended: Option<String>,
    /// A record that names its person only by another record's id (a ClickFunnels order's
    /// `contact_id`): it belongs to that record's person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub belongs_to: Option<BelongsTo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordRole {
    Lead,
    Registration,
    Order,
    Contact,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BelongsTo {
    /// A resource of the same definition.
    pub resource: String,
    /// The pointer in this record holding that resource's record id.
    pub pointer: String,
}

impl IdentityFields {
    /// Checks one resource's section against its definition. The error is (key, sentence) as
    /// the definition loader reports it: the key finds the line, the sentence names the
    /// resource and the field.
    pub fn check(&self, resource: &str, resource_ids: &[&str]) -> Result<(), (String, String)> {
        let bad = |key: &str, what: String| {
            Err((
                key.to_string(),
                format!("resource {resource:?}: identity field `{key}` {what}"),
            ))
        };
        let named = [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("full_name", &self.full_name),
            ("date", &self.date),
            ("amount", &self.amount),
            ("currency", &self.currency),
            ("source", &self.source),
            ("medium", &self.medium),
            ("campaign", &self.campaign),
            ("attended", &self.attended),
        ];
        let listed = self
            .emails
            .iter()
            .map(|p| ("emails", p))
            .chain(self.phones.iter().map(|p| ("phones", p)));
        for (key, pointer) in named
            .iter()
            .filter_map(|(k, p)| p.as_ref().map(|p| (*k, p)))
            .chain(listed)
        {
            if !pointer.starts_with('/') {
                return bad(
                    key,
                    format!("has {pointer:?}, which is not a JSON pointer (they start with /)"),
                );
            }
        }
        if self.emails.is_empty() && self.phones.is_empty() && self.belongs_to.is_none() {
            return bad(
                "counts_as",
                "needs `emails`, `phones` or `belongs_to`: without one no record can be matched to a person".into(),
            );
        }
        if self.currency.is_some() && self.amount.is_none() {
            return bad("currency", "is set without `amount`".into());
        }
        if let Some(region) = &self.phone_region {
            if region.len() != 2 || !region.bytes().all(|b| b.is_ascii_uppercase()) {
                return bad(
                    "phone_region",
                    format!("is {region:?}; use a two-letter country code such as \"US\""),
                );
            }
        }
        if let Some(link) = &self.belongs_to {
            if !link.pointer.starts_with('/') {
                return bad(
                    "belongs_to",
                    format!(
                        "has pointer {:?}, which is not a JSON pointer",
                        link.pointer
                    ),
                );
            }
            if link.resource == resource || !resource_ids.contains(&link.resource.as_str()) {
                return bad(
                    "belongs_to",
                    format!(
                        "names resource {:?}, which is not another resource of this file",
                        link.resource
                    ),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(toml_text: &str) -> IdentityFields {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn a_valid_section_passes_and_round_trips() {
        let f = fields(
            r#"counts_as = "lead"
               emails = ["/email", "/second_email"]
               phones = ["/phone"]
               source = "/lead_source""#,
        );
        assert_eq!(f.check("leads", &["leads"]), Ok(()));
        assert_eq!(f.counts_as, RecordRole::Lead);
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["emails"][1], "/second_email");
        assert!(json.get("medium").is_none(), "unset fields are left out");
    }

    #[test]
    fn mistakes_name_the_resource_and_the_field() {
        let cases = [
            (
                r#"counts_as = "lead"
                emails = ["email"]"#,
                "emails",
                "not a JSON pointer",
            ),
            (
                r#"counts_as = "lead""#,
                "counts_as",
                "no record can be matched",
            ),
            (
                r#"counts_as = "order"
                emails = ["/e"]
                currency = "/c""#,
                "currency",
                "without `amount`",
            ),
            (
                r#"counts_as = "lead"
                phones = ["/p"]
                phone_region = "usa""#,
                "phone_region",
                "two-letter",
            ),
            (
                r#"counts_as = "order"
                belongs_to = { resource = "people", pointer = "/contact_id" }"#,
                "belongs_to",
                "not another resource",
            ),
        ];
        for (text, key, says) in cases {
            let (k, message) = fields(text)
                .check("orders", &["orders", "contacts"])
                .unwrap_err();
            assert_eq!(k, key, "{text}");
            assert!(
                message.starts_with("resource \"orders\": identity field"),
                "{message}"
            );
            assert!(message.contains(says), "{message}");
        }
        assert!(
            toml::from_str::<IdentityFields>("counts_as = \"visit\"\nemails = [\"/e\"]").is_err()
        );
        assert!(toml::from_str::<IdentityFields>("counts_as = \"lead\"\nemail = \"/e\"").is_err());
    }
}

#[cfg(test)]
mod builtin_tests {
    use super::RecordRole;

    #[test]
    fn the_built_in_definitions_say_who_is_behind_their_people_records() {
        let defs = crate::providers::builtin();
        let role = |p: &str, r: &str| {
            let def = defs.iter().find(|d| d.id == p).unwrap();
            let res = def.resources.iter().find(|x| x.id == r).unwrap();
            res.identity.as_ref().map(|i| i.counts_as)
        };
        assert_eq!(role("whatconverts", "leads"), Some(RecordRole::Lead));
        assert_eq!(role("boomtown", "leads"), Some(RecordRole::Lead));
        assert_eq!(role("clickfunnels", "contacts"), Some(RecordRole::Contact));
        assert_eq!(role("clickfunnels", "orders"), Some(RecordRole::Order));
        assert_eq!(
            role("webinargeek", "registrations"),
            Some(RecordRole::Registration)
        );
        assert_eq!(role("emailoctopus", "contacts"), Some(RecordRole::Contact));
        assert_eq!(role("clickfunnels", "funnels"), None);
        assert_eq!(role("webinargeek", "webinars"), None);
    }
}
