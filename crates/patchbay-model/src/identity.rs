//! Which fields of a resource's records say who the person is (emails, phones, names) and what
//! they did (a lead with its attribution, a webinar registration, an order and its amount), so
//! the cache can resolve one person across every connected tool. Data in each definition
//! (`[resources.identity]`), checked when the definition loads; the core reads it from the
//! definition file and the cache from what the core passes it, as one type.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A resource's identity section. Pointers are RFC 6901 JSON pointers into one record.
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

/// Which step of a customer's journey a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RecordRole {
    Lead,
    Registration,
    Order,
    Contact,
}

impl RecordRole {
    const ALL: [RecordRole; 4] = [
        RecordRole::Lead,
        RecordRole::Registration,
        RecordRole::Order,
        RecordRole::Contact,
    ];

    /// The name stored in the cache (the same as the definition files').
    pub fn as_str(self) -> &'static str {
        match self {
            RecordRole::Lead => "lead",
            RecordRole::Registration => "registration",
            RecordRole::Order => "order",
            RecordRole::Contact => "contact",
        }
    }

    pub fn parse(s: &str) -> Option<RecordRole> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
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
