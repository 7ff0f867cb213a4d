//! How a provider's resource definition maps onto the cache: its columns and record ids.

use patchbay_cache::ColumnSpec;
use patchbay_core::providers::ResourceDef;
use serde_json::Value;

/// The cache columns of a resource, in the definition's order.
pub fn columns(r: &ResourceDef) -> Vec<ColumnSpec> {
    r.columns
        .iter()
        .map(|c| ColumnSpec {
            key: c.key.clone(),
            label: c.label.clone(),
            pointer: c.pointer.clone(),
            kind: c.kind,
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
