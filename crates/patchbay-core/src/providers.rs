//! Providers are data: one TOML definition per provider, compiled in.
//!
//! (Initial skeleton; the full schema comes with issue 4.)

use serde::Deserialize;

/// One provider as its definition file describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderDef {
    pub id: String,
    pub display_name: String,
    /// What the provider holds, in a marketer's words ("Leads", "Funnels, contacts, orders").
    pub holds: String,
}

const BUILTIN: [(&str, &str); 5] = [
    ("whatconverts.toml", include_str!("../providers/whatconverts.toml")),
    ("clickfunnels.toml", include_str!("../providers/clickfunnels.toml")),
    ("webinargeek.toml", include_str!("../providers/webinargeek.toml")),
    ("boomtown.toml", include_str!("../providers/boomtown.toml")),
    ("emailoctopus.toml", include_str!("../providers/emailoctopus.toml")),
];

/// The five built-in definitions, in tile order.
pub fn builtin() -> Vec<ProviderDef> {
    BUILTIN
        .iter()
        .map(|(name, text)| {
            toml::from_str(text).unwrap_or_else(|e| panic!("built-in {name} is invalid: {e}"))
        })
        .collect()
}
