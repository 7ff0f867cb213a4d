//! A resource's identity section (`[resources.identity]`): the type and its check live in
//! `patchbay_model` (the cache reads the same type); the definition loader calls the check.

pub use patchbay_model::identity::{BelongsTo, IdentityFields, RecordRole};

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
