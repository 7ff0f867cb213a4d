//! The user's settings: demo mode and, per provider, their own client id and API base URL.
//! Kept as JSON in the app's config dir. Holds no secret.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use patchbay_core::providers::ProviderDef;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One provider's overrides, as the settings page edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProviderSettings {
    pub id: String,
    pub display_name: String,
    pub client_id: Option<String>,
    pub base_url: Option<String>,
    /// The real provider wants the user's own client secret (BoomTown); it goes to the
    /// keychain through `set_client_secret`, never into this file or back to the window.
    #[serde(default)]
    pub needs_client_secret: bool,
    #[serde(default)]
    pub client_secret_saved: bool,
}

/// The settings page's model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Settings {
    pub demo_mode: bool,
    pub providers: Vec<ProviderSettings>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Override {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base_url: Option<String>,
}

/// What is written to disk.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredSettings {
    #[serde(default)]
    demo_mode: Option<bool>,
    #[serde(default)]
    providers: BTreeMap<String, Override>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{provider}: the client id may only hold letters, digits and . _ - : (got {value:?})")]
    BadClientId { provider: String, value: String },
    #[error("{provider}: the base URL must be an https address (got {value:?})")]
    BadBaseUrl { provider: String, value: String },
    #[error("unknown provider {0:?}")]
    UnknownProvider(String),
    #[error("could not save the settings file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl StoredSettings {
    /// Reads the file; a missing or unreadable file means defaults (logged, never fatal).
    pub fn load(path: &Path) -> Self {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!(file = %path.display(), error = %e, "settings file unreadable; using defaults");
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        let write = || -> std::io::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = path.with_extension("json.tmp");
            std::fs::write(
                &tmp,
                serde_json::to_vec_pretty(self).expect("settings serialise"),
            )?;
            std::fs::rename(tmp, path)
        };
        write().map_err(|source| SettingsError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Demo mode is on unless the user turned it off, or configured a client id of their own
    /// and never chose.
    pub fn demo_mode(&self) -> bool {
        self.demo_mode.unwrap_or_else(|| {
            self.providers
                .values()
                .all(|o| clean(&o.client_id).is_none())
        })
    }

    /// Applies the user's client ids and base URLs to the definitions.
    pub fn apply(&self, defs: &mut [ProviderDef]) {
        for def in defs {
            if let Some(o) = self.providers.get(&def.id) {
                if let Some(id) = clean(&o.client_id) {
                    def.client_id = id;
                }
                if let Some(url) = clean(&o.base_url) {
                    def.api_base = url;
                }
            }
        }
    }

    pub fn view(&self, defs: &[ProviderDef]) -> Settings {
        Settings {
            demo_mode: self.demo_mode(),
            providers: defs
                .iter()
                .map(|d| {
                    let o = self.providers.get(&d.id).cloned().unwrap_or_default();
                    ProviderSettings {
                        id: d.id.clone(),
                        display_name: d.display_name.clone(),
                        client_id: clean(&o.client_id),
                        base_url: clean(&o.base_url),
                        needs_client_secret: false,
                        client_secret_saved: false,
                    }
                })
                .collect(),
        }
    }

    /// Validates what the settings page sent and turns it into what is stored.
    pub fn from_view(view: &Settings, defs: &[ProviderDef]) -> Result<Self, SettingsError> {
        let mut providers = BTreeMap::new();
        for p in &view.providers {
            let def = defs
                .iter()
                .find(|d| d.id == p.id)
                .ok_or_else(|| SettingsError::UnknownProvider(p.id.clone()))?;
            let client_id = clean(&p.client_id);
            if let Some(id) = &client_id {
                let ok = id.len() <= 256
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-:".contains(c));
                if !ok {
                    return Err(SettingsError::BadClientId {
                        provider: def.display_name.clone(),
                        value: id.clone(),
                    });
                }
            }
            let base_url = clean(&p.base_url);
            if let Some(u) = &base_url {
                // https, or plain http on 127.0.0.1 (a local test server); the core refuses
                // to send credentials to a loopback API of an https provider anyway.
                let ok = url::Url::parse(u).is_ok_and(|u| {
                    patchbay_core::url_rules::endpoint_allowed(&u, patchbay_core::World::Demo, None)
                        .is_ok()
                });
                if !ok {
                    return Err(SettingsError::BadBaseUrl {
                        provider: def.display_name.clone(),
                        value: u.clone(),
                    });
                }
            }
            if client_id.is_some() || base_url.is_some() {
                providers.insert(
                    p.id.clone(),
                    Override {
                        client_id,
                        base_url,
                    },
                );
            }
        }
        Ok(Self {
            demo_mode: Some(view.demo_mode),
            providers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_base(url: &str) -> Result<StoredSettings, SettingsError> {
        let defs = patchbay_core::providers::builtin();
        let mut view = StoredSettings::default().view(&defs);
        view.providers[0].base_url = Some(url.into());
        StoredSettings::from_view(&view, &defs)
    }

    #[test]
    fn a_base_url_is_https_or_a_local_test_server() {
        for ok in ["https://api.example.com/v1", "http://127.0.0.1:8080/api"] {
            assert!(with_base(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.example.com/v1",
            "http://localhost:8080/api",
            "https://user:pw@api.example.com",
            "ftp://api.example.com",
            "not a url",
        ] {
            assert!(
                matches!(with_base(bad), Err(SettingsError::BadBaseUrl { .. })),
                "{bad}"
            );
        }
    }
}
