//! Connecting and disconnecting accounts in the world the window shows. Opening a browser is
//! the shell's: these return the address to open.

use std::collections::BTreeMap;

use patchbay_core::app::Revocation;
use patchbay_core::secret::SecretString;
use patchbay_core::views::AuthMethodView;
use patchbay_core::ConnectOutcome;

use crate::error::{self, ErrorCode, Result, UserError};
use crate::state::AppState;
use crate::views::Notice;

/// Starts a connect (a new account, or a reconnect: the provider's answer tells which) and
/// returns the consent page to open in the system browser (never a webview).
pub async fn begin(state: &AppState, provider_id: &str) -> Result<url::Url> {
    let core = state.active().core();
    core.begin_connect(provider_id)
        .await
        .map_err(|e| core.connect_error_view(&e))
}

/// "Test and save" on an API-key provider's form: the core tries the key on the provider
/// and keeps it in the keychain only when it works. The values are never logged or returned.
pub async fn save_api_key(
    state: &AppState,
    provider_id: &str,
    values: BTreeMap<String, String>,
) -> Result<()> {
    let world = state.active();
    let core = world.core();
    let values = values
        .into_iter()
        .map(|(k, v)| (k, SecretString::from(v)))
        .collect();
    let outcome = core
        .save_api_key(provider_id, values)
        .await
        .map_err(|e| core.connect_error_view(&e))?;
    // As after a browser connect: the first list syncs at once, the window's Refresh joins it.
    if let ConnectOutcome::Connected { account_id, .. } = outcome {
        crate::records::sync_first_list(state, &world, provider_id, &account_id);
    }
    Ok(())
}

/// The page of the provider's web app where its API key lives. Only a web page: a
/// definition file must not make the shell open anything else.
pub fn key_help_url(state: &AppState, provider_id: &str) -> Result<String> {
    let core = state.active().core();
    let no_help = || {
        UserError::new(
            ErrorCode::ConnectNoHelpPage,
            &error::provider_name(&core, provider_id),
        )
    };
    let url = match core.auth_method(provider_id) {
        Ok(AuthMethodView::ApiKey {
            help_url: Some(url),
            ..
        }) => url,
        _ => return Err(no_help()),
    };
    if !(url.starts_with("https://") || url.starts_with("http://127.0.0.1")) {
        return Err(no_help());
    }
    Ok(url)
}

/// Gives up the provider's connect that waits for the browser (nothing waiting is fine).
pub fn cancel(state: &AppState, provider_id: &str) {
    state.active().core().cancel_connect(provider_id);
}

/// Revokes and forgets one account; its cached records go too unless the user keeps them.
/// The provider's other accounts are untouched. A revocation the provider refused or missed
/// does not stop the disconnect; it comes back as an error notice (`api.revoke_failed`) telling
/// the user to remove Patchbay from the provider's connected apps.
pub async fn disconnect(
    state: &AppState,
    provider_id: &str,
    account_id: &str,
    keep_records: bool,
) -> Result<Option<Notice>> {
    let account = error::account_id(account_id)?;
    let world = state.active();
    let core = world.core();
    let revocation = core
        .disconnect(provider_id, &account)
        .await
        .map_err(|e| core.api_error_view(provider_id, &e))?;
    if !keep_records {
        crate::records::forget(&world, provider_id.to_string(), account).await?;
    }
    Ok(revocation_notice(
        &revocation,
        &error::provider_name(&core, provider_id),
        provider_id,
    ))
}

/// What the window is told about a disconnect's revocation: nothing when it was done, an
/// error notice with what to do at the provider when it failed.
pub fn revocation_notice(
    revocation: &Revocation,
    provider_name: &str,
    provider_id: &str,
) -> Option<Notice> {
    match revocation {
        Revocation::Done => None,
        Revocation::Failed(_) => Some(Notice::error(
            UserError::new(ErrorCode::ApiRevokeFailed, provider_name),
            Some(provider_id),
        )),
    }
}
