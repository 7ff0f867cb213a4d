//! The user's settings: demo mode and, per provider, their own client id and API base URL.
//! Kept as JSON in the app's config dir. Holds no secret.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use patchbay_core::providers::{ConnectionDef, DefinitionError, ProviderDef};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::secret_storage::{SecretStorage, SecretsKeptIn};

/// How a provider connects in the real world, which decides what Settings asks for: a client
/// of one's own for OAuth, the saved keys for an API key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    #[default]
    Oauth,
    ApiKey,
}

/// A key saved for one account of an API-key provider (the key itself never leaves Rust).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SavedKey {
    pub account_id: String,
    /// What the provider calls the account the key opens.
    pub label: String,
    /// When the key was saved (RFC 3339 UTC); `None` for a key saved before Patchbay kept it.
    pub saved_at: Option<String>,
}

/// One provider's overrides, as the settings page edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProviderSettings {
    pub id: String,
    pub display_name: String,
    /// How it connects in the real world. Read-only.
    #[serde(default)]
    pub kind: ConnectionKind,
    /// An API-key provider's saved keys, one per account, in the real world. Read-only.
    #[serde(default)]
    pub saved_keys: Vec<SavedKey>,
    pub client_id: Option<String>,
    pub base_url: Option<String>,
    /// The real provider wants the user's own client secret (BoomTown); it goes to the
    /// keychain through `set_client_secret`, never into this file or back to the window.
    #[serde(default)]
    pub needs_client_secret: bool,
    #[serde(default)]
    pub client_secret_saved: bool,
    /// How often the provider's lists refresh in the background, in seconds: `None` is the
    /// default (15 minutes), `0` turns background refresh off.
    #[serde(default)]
    pub refresh_secs: Option<u32>,
}

/// The settings page's model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Settings {
    pub demo_mode: bool,
    /// Whether this build has demo mode at all (a build without the embedded sandbox has
    /// only the real world). Read-only: what the page sends back is ignored.
    #[serde(default)]
    pub demo_available: bool,
    pub providers: Vec<ProviderSettings>,
    /// Definition files in the user's override folder that Patchbay rejected (the built-in
    /// definition is used instead). Read-only, like `demo_available`.
    #[serde(default)]
    pub definition_errors: Vec<DefinitionProblem>,
    /// Whether the user has seen the welcome screen (it opens by itself until then).
    /// Read-only here: `set_welcome_seen` changes it, and saving the page keeps it as it is.
    #[serde(default)]
    pub welcome_seen: bool,
    /// Where secrets are kept: the keychain only, or a 0600 file when there is no keychain.
    /// Read at start: a change applies the next time Patchbay starts.
    #[serde(default)]
    pub secret_storage: SecretStorage,
    /// Where the running app keeps secrets now (the choice at start, and whether a keychain
    /// answered). Read-only.
    #[serde(default)]
    pub secrets_kept_in: SecretsKeptIn,
}

/// A rejected definition file, as Settings lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DefinitionProblem {
    /// The file's path.
    pub file: String,
    /// What is wrong and what Patchbay does instead, for people.
    pub message: String,
}

impl From<&DefinitionError> for DefinitionProblem {
    fn from(e: &DefinitionError) -> Self {
        let user = e.to_user();
        Self {
            file: e.file.display().to_string(),
            message: format!("{} {}", user.message, user.advice),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Override {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_secs: Option<u32>,
}

/// What is written to disk.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredSettings {
    #[serde(default)]
    demo_mode: Option<bool>,
    #[serde(default)]
    providers: BTreeMap<String, Override>,
    /// The welcome screen was closed once; a missing field (a first start) means not yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    welcome_seen: bool,
    #[serde(default)]
    secret_storage: SecretStorage,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{provider}: the client id may only hold letters, digits and . _ - : (got {value:?})")]
    BadClientId { provider: String, value: String },
    #[error("{provider}: the base URL must be an https address (got {value:?})")]
    BadBaseUrl { provider: String, value: String },
    #[error("{provider}: background refresh runs at most every {MIN_REFRESH_SECS} seconds and at least once a week (got {secs} seconds); choose Off to stop it")]
    BadRefresh { provider: String, secs: u32 },
    #[error("unknown provider {0:?}")]
    UnknownProvider(String),
    #[error("could not save the settings file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The shortest background refresh interval a settings file may ask for (tests use a few
/// seconds; the settings page offers 5 minutes and up).
pub const MIN_REFRESH_SECS: u32 = 5;
/// The longest: a week.
pub const MAX_REFRESH_SECS: u32 = 7 * 24 * 3600;

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
        // The folder 0700, the file 0600 (written beside it, then renamed over it).
        let write = || -> std::io::Result<()> {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                patchbay_core::private_fs::create_private_dir_all(dir)?;
            }
            patchbay_core::private_fs::write_private_atomically(
                path,
                &serde_json::to_vec_pretty(self).expect("settings serialise"),
            )
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
            if let Some(o) = self.providers.get(def.id.as_str()) {
                if let Some(id) = clean(&o.client_id) {
                    def.set_client_id(id);
                }
                if let Some(url) = clean(&o.base_url) {
                    def.api_base = url;
                }
            }
        }
    }

    /// The background schedule the user chose: each provider's own interval, or off.
    pub fn plan_settings(&self) -> patchbay_schedule::PlanSettings {
        let mut plan = patchbay_schedule::PlanSettings::default();
        for (id, o) in &self.providers {
            match o.refresh_secs {
                None => {}
                Some(0) => {
                    plan.intervals.insert(id.clone(), None);
                }
                Some(secs) => {
                    let secs = secs.clamp(MIN_REFRESH_SECS, MAX_REFRESH_SECS);
                    plan.intervals.insert(
                        id.clone(),
                        Some(std::time::Duration::from_secs(secs.into())),
                    );
                }
            }
        }
        plan
    }

    /// The page's model over the definitions in use (the window fills in the keychain's and
    /// the worlds' parts: client secrets saved, demo mode shown, definition errors).
    pub fn view(&self, defs: &[ProviderDef]) -> Settings {
        Settings {
            demo_mode: self.demo_mode(),
            demo_available: cfg!(feature = "demo"),
            definition_errors: Vec::new(),
            welcome_seen: self.welcome_seen,
            secret_storage: self.secret_storage,
            secrets_kept_in: SecretsKeptIn::Keychain,
            providers: defs
                .iter()
                .map(|d| {
                    let o = self
                        .providers
                        .get(d.id.as_str())
                        .cloned()
                        .unwrap_or_default();
                    ProviderSettings {
                        id: d.id.to_string(),
                        display_name: d.display_name.clone(),
                        kind: match d.connection {
                            ConnectionDef::Oauth(_) => ConnectionKind::Oauth,
                            ConnectionDef::ApiKey { .. } => ConnectionKind::ApiKey,
                        },
                        saved_keys: Vec::new(),
                        client_id: clean(&o.client_id),
                        base_url: clean(&o.base_url),
                        needs_client_secret: false,
                        client_secret_saved: false,
                        refresh_secs: o.refresh_secs,
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
            if let Some(secs) = p.refresh_secs.filter(|&s| s != 0) {
                if !(MIN_REFRESH_SECS..=MAX_REFRESH_SECS).contains(&secs) {
                    return Err(SettingsError::BadRefresh {
                        provider: def.display_name.clone(),
                        secs,
                    });
                }
            }
            let refresh_secs = p.refresh_secs;
            if client_id.is_some() || base_url.is_some() || refresh_secs.is_some() {
                providers.insert(
                    p.id.clone(),
                    Override {
                        client_id,
                        base_url,
                        refresh_secs,
                    },
                );
            }
        }
        Ok(Self {
            demo_mode: Some(view.demo_mode),
            providers,
            // Read-only on the page: the caller carries the stored value over (`with_welcome_seen`).
            welcome_seen: false,
            secret_storage: view.secret_storage,
        })
    }

    pub fn secret_storage(&self) -> SecretStorage {
        self.secret_storage
    }

    pub fn welcome_seen(&self) -> bool {
        self.welcome_seen
    }

    /// The same settings with the welcome screen marked seen or not.
    pub fn with_welcome_seen(mut self, seen: bool) -> Self {
        self.welcome_seen = seen;
        self
    }
}
