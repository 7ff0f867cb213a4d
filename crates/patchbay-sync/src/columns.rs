//! How a provider's resource definition maps onto the cache: its columns and record ids.

use patchbay_cache::{ColumnKind, ColumnSpec};
use patchbay_core::providers::{ColumnType, ResourceDef};
use serde_json::Value;

fn kind(t: ColumnType) -> ColumnKind {
    match t {
        ColumnType::Text => ColumnKind::Text,
        ColumnType::Integer => ColumnKind::Integer,
        ColumnType::Number => ColumnKind::Number,
        ColumnType::Money => ColumnKind::Money,
        ColumnType::Boolean => ColumnKind::Boolean,
        ColumnType::Date => ColumnKind::Date,
        ColumnType::DateTime => ColumnKind::DateTime,
        ColumnType::Email => ColumnKind::Email,
        ColumnType::Phone => ColumnKind::Phone,
        ColumnType::Url => ColumnKind::Url,
    }
}

/// The cache columns of a resource, in the definition's order.
pub fn columns(r: &ResourceDef) -> Vec<ColumnSpec> {
    r.columns
        .iter()
        .map(|c| ColumnSpec {
            key: c.key.clone(),
            label: c.label.clone(),
            pointer: c.pointer.clone(),
            kind: kind(c.kind),
        })
        .collect()
}

/// A record's id for the cache: its id field, or for a record without one, its content.
pub fn record_id(r: &ResourceDef, record: &Value) -> String {
    match record.pointer(&r.id_pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(v) if !v.is_null() => v.to_string(),
        _ => record.to_string(),
    }
}
