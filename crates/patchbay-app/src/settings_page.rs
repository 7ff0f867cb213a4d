//! The settings page: read, save and the user's own client secrets. Saving rebuilds the real
//! world over the new definitions and shows the chosen world.

use patchbay_core::providers::ProviderDef;
use patchbay_core::secret::SecretString;

use crate::error::{self, ErrorCode, Result, UserError};
use crate::secret_storage::SecretsKeptIn;
use crate::settings::{ConnectionKind, SavedKey, Settings, StoredSettings};
use crate::state::AppState;

fn real_definitions(state: &AppState) -> Vec<ProviderDef> {
    state
        .real_core()
        .providers()
        .iter()
        .map(|d| (**d).clone())
        .collect()
}

/// The page's model: the stored choices over the real world's definitions, which world is
/// shown, which client secrets are saved, and the definition files that were rejected.
pub async fn get(state: &AppState) -> Settings {
    let real = state.real();
    let core = real.core();
    let mut view = state.settings().view(&real_definitions(state));
    view.demo_mode = state.demo_mode();
    view.secrets_kept_in = SecretsKeptIn::of(state.vault.kind());
    view.definition_errors = real.definition_errors().to_vec();
    for p in &mut view.providers {
        if p.kind == ConnectionKind::ApiKey {
            // Every account in the index holds a key (Forget removes both); an index that
            // cannot be read (a locked keychain) lists none, and the tile says why.
            p.saved_keys = core
                .accounts(&p.id)
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|a| SavedKey {
                    account_id: a.id.to_string(),
                    label: a.name,
                    saved_at: a.connected_at,
                })
                .collect();
        }
        p.needs_client_secret = core.needs_client_secret(&p.id);
        if p.needs_client_secret {
            p.client_secret_saved = core.has_client_secret(&p.id).await;
        }
    }
    view
}

/// Validates and stores what the page sent, then applies it.
pub async fn save(state: &AppState, settings: Settings) -> Result<Settings> {
    let stored = StoredSettings::from_view(&settings, &real_definitions(state))
        .map_err(|e| error::settings(&e))?
        .with_welcome_seen(state.settings().welcome_seen());
    stored
        .save(&state.paths.settings)
        .map_err(|e| error::settings(&e))?;
    state.set_settings(stored);
    state.rebuild().await;
    Ok(get(state).await)
}

/// Keeps the user's own client secret (BoomTown) in the keychain; `None` forgets it.
pub async fn set_client_secret(
    state: &AppState,
    provider_id: &str,
    secret: Option<String>,
) -> Result<Settings> {
    let real = state.real_core();
    if !real.needs_client_secret(provider_id) {
        return Err(UserError::new(
            ErrorCode::SettingsNoClientSecret,
            &error::provider_name(&real, provider_id),
        ));
    }
    real.set_client_secret(provider_id, secret.map(SecretString::from))
        .await
        .map_err(|e| real.api_error_view(provider_id, &e))?;
    Ok(get(state).await)
}

/// Remembers whether the welcome screen was seen (closed by one of its choices), so it opens
/// by itself on the first start only. Nothing else in the settings changes.
pub async fn set_welcome_seen(state: &AppState, seen: bool) -> Result<Settings> {
    let stored = state.settings().with_welcome_seen(seen);
    stored
        .save(&state.paths.settings)
        .map_err(|e| error::settings(&e))?;
    state.set_settings(stored);
    Ok(get(state).await)
}

/// Forgets the key saved for one account of an API-key provider in the real world (whichever
/// world the window shows): the key leaves the keychain and the account its tile. The
/// records already fetched stay on this computer.
pub async fn forget_saved_key(
    state: &AppState,
    provider_id: &str,
    account_id: &str,
) -> Result<Settings> {
    let account = error::account_id(account_id)?;
    let core = state.real_core();
    core.disconnect(provider_id, &account)
        .await
        .map_err(|e| core.api_error_view(provider_id, &e))?;
    Ok(get(state).await)
}
