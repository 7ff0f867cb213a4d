//! A resource's identity fields (the `[resources.identity]` section of its definition, which
//! the caller passes in as it is: same field names) and what they read from one record.

use serde_json::Value;

use super::normalize;
use crate::extract;

pub use patchbay_model::identity::{BelongsTo, IdentityFields, RecordRole};

/// Where a record lives, to name its own key and the keys of the records it points at.
pub(crate) struct Place<'a> {
    pub provider: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl Place<'_> {
    /// The key every record carries, so records pointing at it (`belongs_to`) join its person.
    pub(crate) fn record_key(&self, resource: &str, record_id: &str) -> (String, String) {
        (
            "record".to_string(),
            format!("{}/{}/{resource}/{record_id}", self.provider, self.account),
        )
    }
}

/// What one record says about its person.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Facts {
    /// (kind, value), the record's own key first; sorted after it, without repeats.
    pub keys: Vec<(String, String)>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub at: Option<i64>,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub attended: Option<bool>,
}

fn text_at(record: &Value, pointer: &Option<String>) -> Option<String> {
    let v = record.pointer(pointer.as_deref()?)?;
    let t = extract::text(v);
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn texts_at<'r>(record: &'r Value, pointers: &'r [String]) -> impl Iterator<Item = String> + 'r {
    pointers
        .iter()
        .filter_map(|p| record.pointer(p))
        .flat_map(|v| match v {
            // A field may hold several (BoomTown's `emails`).
            Value::Array(items) => items.iter().map(extract::text).collect::<Vec<_>>(),
            other => vec![extract::text(other)],
        })
}

/// What one record says about its person, read through its resource's identity fields.
pub(crate) fn facts(
    spec: &IdentityFields,
    place: &Place<'_>,
    record_id: &str,
    record: &Value,
) -> Facts {
    let region = spec.phone_region.as_deref().unwrap_or("US");
    let emails: Vec<String> = texts_at(record, &spec.emails)
        .filter_map(|e| normalize::email(&e))
        .collect();
    let phones: Vec<String> = texts_at(record, &spec.phones)
        .filter_map(|p| normalize::phone(&p, region))
        .collect();
    let mut keys: Vec<(String, String)> = emails
        .iter()
        .map(|e| ("email".to_string(), e.clone()))
        .chain(phones.iter().map(|p| ("phone".to_string(), p.clone())))
        .collect();
    if let Some(link) = &spec.belongs_to {
        if let Some(target) = record
            .pointer(&link.pointer)
            .map(extract::text)
            .filter(|t| !t.is_empty())
        {
            keys.push(place.record_key(&link.resource, &target));
        }
    }
    keys.sort();
    keys.dedup();
    keys.insert(0, place.record_key(place.resource, record_id));
    let name = text_at(record, &spec.full_name).or_else(|| {
        let parts: Vec<String> = [&spec.first_name, &spec.last_name]
            .into_iter()
            .filter_map(|p| text_at(record, p))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    Facts {
        keys,
        name,
        email: emails.into_iter().next(),
        phone: phones.into_iter().next(),
        at: spec.date.as_deref().and_then(|p| date(record.pointer(p)?)),
        amount: spec
            .amount
            .as_deref()
            .and_then(|p| extract::number(record.pointer(p)?)),
        currency: text_at(record, &spec.currency),
        source: text_at(record, &spec.source),
        medium: text_at(record, &spec.medium),
        campaign: text_at(record, &spec.campaign),
        attended: spec
            .attended
            .as_deref()
            .and_then(|p| extract::boolean(record.pointer(p)?)),
    }
}

/// A date as the records table reads it: the formats providers send, or epoch seconds
/// (WebinarGeek) or milliseconds.
fn date(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => extract::parse_date(s),
        Value::Number(n) => n.as_f64().and_then(extract::epoch_seconds),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_gives_its_own_key_and_normalised_ones() {
        let spec: IdentityFields = serde_json::from_value(json!({
            "counts_as": "order",
            "emails": ["/email", "/others"],
            "phones": ["/phone"],
            "first_name": "/first", "last_name": "/last",
            "amount": "/total", "currency": "/cur", "date": "/at",
            "belongs_to": {"resource": "contacts", "pointer": "/contact_id"}
        }))
        .unwrap();
        let place = Place {
            provider: "cf",
            account: "a1",
            resource: "orders",
        };
        let f = facts(
            &spec,
            &place,
            "9",
            &json!({
                "email": " Ana@Example.com ", "others": ["ana@example.com", "second@example.com"],
                "phone": "(512) 555-0142", "first": "Ana", "last": "Ruiz",
                "total": "$1,997.00", "cur": "USD", "at": "2025-03-04T15:22:10Z",
                "contact_id": 42
            }),
        );
        assert_eq!(
            f.keys,
            vec![
                ("record".into(), "cf/a1/orders/9".into()),
                ("email".into(), "ana@example.com".into()),
                ("email".into(), "second@example.com".into()),
                ("phone".into(), "+15125550142".into()),
                ("record".into(), "cf/a1/contacts/42".into()),
            ]
        );
        assert_eq!(f.name.as_deref(), Some("Ana Ruiz"));
        assert_eq!(f.amount, Some(1997.0));
        assert_eq!(f.at, Some(1_741_101_730));
        assert_eq!(f.currency.as_deref(), Some("USD"));
    }

    #[test]
    fn the_definition_files_spelling_is_read() {
        assert!(serde_json::from_value::<IdentityFields>(json!({"counts_as": "visit"})).is_err());
        assert!(
            serde_json::from_value::<IdentityFields>(json!({"counts_as": "lead", "mail": []}))
                .is_err()
        );
        let s: IdentityFields =
            serde_json::from_value(json!({"counts_as": "registration", "attended": "/w"})).unwrap();
        assert_eq!(s.counts_as, RecordRole::Registration);
    }
}
