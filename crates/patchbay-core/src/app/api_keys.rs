//! "Test and save" of API keys: checked on the provider's account endpoint before they are
//! kept, with sentences a marketer can act on when they are not.

use std::collections::BTreeMap;

use super::{api_during_connect, CoreState};
use crate::error::{ApiError, ConnectError};
use crate::providers::ConnectionDef;
use crate::secret::{ExposeSecret, SecretString};
use crate::session::{KeyValues, StoredTokens};
use crate::views::ConnectOutcome;
use crate::world::AccountId;

impl CoreState {
    /// "Test and save": checks the key on the provider's account endpoint and keeps it in the
    /// vault only when the provider accepts it. `values` maps each form field's `key` to
    /// what the user pasted (surrounding blanks are ignored).
    pub async fn save_api_key(
        &self,
        provider_id: &str,
        values: BTreeMap<String, SecretString>,
    ) -> Result<ConnectOutcome, ConnectError> {
        let def = self
            .def(provider_id)
            .ok_or_else(|| ConnectError::UnknownProvider(provider_id.into()))?
            .clone();
        let ConnectionDef::ApiKey {
            fields, location, ..
        } = &def.connection
        else {
            return Err(ConnectError::NotApiKey {
                provider_id: provider_id.into(),
            });
        };
        let mut key = KeyValues::default();
        for f in fields {
            let value = values
                .get(&f.key)
                .map(|v| v.expose_secret().trim())
                .unwrap_or_default();
            let incomplete = |message: String| ConnectError::KeyIncomplete {
                provider_id: provider_id.into(),
                message,
            };
            if value.is_empty() {
                return Err(incomplete(format!(
                    "Paste your {name} {label} first. You find it in {name} under {location}.",
                    name = def.display_name,
                    label = f.label
                )));
            }
            if value.chars().any(|c| !c.is_ascii_graphic()) {
                return Err(incomplete(format!(
                    "That {} has characters an {} {} never has. Copy it again from {location}.",
                    f.label, def.display_name, f.label
                )));
            }
            key.0.insert(f.key.clone(), SecretString::from(value));
        }
        let conn = self.new_connection(def.clone(), AccountId::generate());
        match conn.fetch_account_with(Some(&key)).await {
            Ok((account, vars)) => {
                let origin = conn
                    .expected_origin()
                    .await
                    .map_err(api_during_connect(provider_id))?;
                let tokens = StoredTokens::from_key(key, account.clone(), vars, origin);
                let account_id = self.adopt(&def, conn, tokens).await?;
                tracing::info!(provider = %provider_id, "API key accepted and stored");
                self.changed(provider_id);
                Ok(ConnectOutcome::Connected {
                    provider_id: provider_id.into(),
                    account_id: account_id.to_string(),
                    account,
                })
            }
            Err(ApiError::Unauthorized | ApiError::Forbidden { .. }) => {
                tracing::info!(provider = %provider_id, "API key refused by the provider");
                let labels: Vec<&str> = fields.iter().map(|f| f.label.as_str()).collect();
                let them = if labels.len() == 1 { "it" } else { "them" };
                Err(ConnectError::KeyRejected {
                    provider_id: provider_id.into(),
                    message: format!(
                        "{} did not accept that {}. Copy {them} again from {location}.",
                        def.display_name,
                        labels.join(" and ")
                    ),
                })
            }
            Err(error) => Err(api_during_connect(provider_id)(error)),
        }
    }
}
