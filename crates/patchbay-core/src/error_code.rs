//! Every error the window can be shown, as one enum: a stable dotted code to branch on (the
//! window compares codes, never sentences), and in [`ErrorCode::words`] the one table of what
//! each means for a marketer and what they can do about it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Declares the enum, its wire strings and the list of every variant from one list, so a new
/// code cannot be added without its string or be missed by the tests that walk [`ErrorCode::ALL`].
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:tt,)*) => {
        /// What went wrong, as the window branches on it. Serialized as a namespaced dotted
        /// string (`connect.wrong_redirect`) that stays stable across versions.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        #[ts(export)]
        pub enum ErrorCode {
            $($(#[$doc])* #[serde(rename = $code)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The dotted string the window receives.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    // A browser approval (the callback link) that Patchbay refused before sending anything.
    ConnectMalformedCallback = "connect.malformed_callback",
    ConnectWrongRedirect = "connect.wrong_redirect",
    ConnectRepeatedParameter = "connect.repeated_parameter",
    ConnectMissingState = "connect.missing_state",
    ConnectUnknownState = "connect.unknown_state",
    ConnectExpired = "connect.expired",
    ConnectIssuerMismatch = "connect.issuer_mismatch",
    ConnectMissingCode = "connect.missing_code",
    // The provider's OAuth answer (RFC 6749 §4.1.2.1 and §5.2), by what the marketer can do.
    /// `access_denied`: the marketer pressed Deny.
    ConnectDeclined = "connect.declined",
    /// `server_error`, `temporarily_unavailable`: try again later.
    ConnectProviderUnavailable = "connect.provider_unavailable",
    /// Any other error at the consent page.
    ConnectProviderError = "connect.provider_error",
    /// `invalid_grant` at the token endpoint: the approval was used or ran out.
    ConnectApprovalExpired = "connect.approval_expired",
    /// `invalid_client` for a client whose id and secret the marketer typed (BoomTown).
    ConnectClientRefused = "connect.client_refused",
    /// Any other refusal at the token endpoint.
    ConnectGrantRefused = "connect.grant_refused",
    ConnectNetwork = "connect.network",
    ConnectConfig = "connect.config",
    ConnectListener = "connect.listener",
    ConnectKeyRejected = "connect.key_rejected",
    ConnectKeyIncomplete = "connect.key_incomplete",
    ConnectNotApiKey = "connect.not_api_key",
    ConnectDiscovery = "connect.discovery",
    ConnectRegistration = "connect.registration",
    ConnectClientRejected = "connect.client_rejected",
    ConnectUsesApiKey = "connect.uses_api_key",
    ConnectNeedsClientCredentials = "connect.needs_client_credentials",
    ConnectNoHelpPage = "connect.no_help_page",
    // What the window asked for does not exist.
    /// One condition, whoever finds it (the connect flow, the API client, the shell).
    ProviderUnknown = "provider.unknown",
    ResourceUnknown = "resource.unknown",
    AccountUnknown = "account.unknown",
    // The provider's API.
    ApiNotConnected = "api.not_connected",
    ApiNeedsReconnect = "api.needs_reconnect",
    ApiUnauthorized = "api.unauthorized",
    ApiForbidden = "api.forbidden",
    ApiRateLimited = "api.rate_limited",
    ApiRetriesExhausted = "api.retries_exhausted",
    ApiHttp = "api.http",
    ApiNetwork = "api.network",
    ApiDecode = "api.decode",
    ApiTokenEndpoint = "api.token_endpoint",
    ApiIncomplete = "api.incomplete",
    ApiOriginChanged = "api.origin_changed",
    ApiRefusedUrl = "api.refused_url",
    ApiQuotaExhausted = "api.quota_exhausted",
    /// A list or a response past the provider's `[limits]`: more pages or records than one
    /// list may have, or a body past its cap. Nothing past the limit was read.
    ApiTooLarge = "api.too_large",
    /// Disconnect removed the local credentials but the provider refused or missed the
    /// revocation (RFC 7009): the grant may still be live there.
    ApiRevokeFailed = "api.revoke_failed",
    // The keychain.
    VaultNoKeychain = "vault.no_keychain",
    VaultLocked = "vault.locked",
    VaultCorrupt = "vault.corrupt",
    VaultPlatform = "vault.platform",
    VaultFile = "vault.file",
    /// The keychain refused the tokens a refresh rotated: they are used from memory and
    /// written again on the next use (a warning on the account, not an error).
    VaultNotSaved = "vault.not_saved",
    // A provider definition file the user added.
    DefinitionsInvalid = "definitions.invalid",
    // Settings.
    SettingsInvalid = "settings.invalid",
    SettingsNotSaved = "settings.not_saved",
    SettingsNoClientSecret = "settings.no_client_secret",
    // The local record cache.
    CacheOpen = "cache.open",
    CacheTooNew = "cache.too_new",
    CacheForeign = "cache.foreign",
    CacheDamaged = "cache.damaged",
    CacheDiskFull = "cache.disk_full",
    CacheNotCached = "cache.not_cached",
    CacheSyncRunning = "cache.sync_running",
    CacheSyncSuperseded = "cache.sync_superseded",
    /// Anything else the cache reports (SQLite's own errors, a broken query): logged in full,
    /// never shown.
    CacheFailed = "cache.failed",
    // Reading and exporting records.
    RecordsQueryTooLong = "records.query_too_long",
    RecordsNotFound = "records.not_found",
    /// A filter that does not fit its column (a date range on text, an end before the start).
    RecordsFilterInvalid = "records.filter_invalid",
    /// "Open in <Provider>" for a list whose definition has no page per record.
    RecordsNoProviderPage = "records.no_provider_page",
    /// The record lacks the id its provider page needs.
    RecordsPageMissingValue = "records.page_missing_value",
    /// The record's id holds characters that would change which page opens.
    RecordsPageUnsafeValue = "records.page_unsafe_value",
    // Saved views of a list.
    ViewsNotFound = "views.not_found",
    ViewsNameTaken = "views.name_taken",
    ViewsNameInvalid = "views.name_invalid",
    // People (one person across the tools).
    PeopleUnknownPerson = "people.unknown_person",
    PeopleUnknownDecision = "people.unknown_decision",
    PeopleSamePerson = "people.same_person",
    PeopleNothingToSplit = "people.nothing_to_split",
    ExportNoFolder = "export.no_folder",
    ExportWriteFailed = "export.write_failed",
    // Updates (patchbay_app::updates). A refused update changes nothing.
    UpdateNotConfigured = "update.not_configured",
    UpdateNetwork = "update.network",
    UpdateBadManifest = "update.bad_manifest",
    /// The manifest offers a package without a signature: never installed.
    UpdateUnsigned = "update.unsigned",
    /// The package does not match its signature, or was signed with another key.
    UpdateBadSignature = "update.bad_signature",
    UpdateSaveFailed = "update.save_failed",
    /// The verified package could not be installed (the password prompt was dismissed, the
    /// package manager failed): the copy that runs is unchanged.
    UpdateInstallFailed = "update.install_failed",
    /// Install was asked for, but the manifest offers nothing newer (any more).
    UpdateNoneAvailable = "update.none_available",
    // The app itself.
    AppBrowserUnavailable = "app.browser_unavailable",
    /// A bug (a panicked task): the details are in the log.
    AppInternal = "app.internal",
}

/// What a code means for a marketer: what happened, and what they can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub sentence: String,
    pub advice: &'static str,
}

impl ErrorCode {
    /// The table: one sentence and one piece of advice per code. `name` is the provider's
    /// display name ("The app" when unknown); sentences that concern a provider name it once,
    /// so no caller needs to prefix it.
    pub fn words(self, name: &str) -> Words {
        use ErrorCode::*;
        let (sentence, advice) = match self {
            ConnectMalformedCallback
            | ConnectWrongRedirect
            | ConnectRepeatedParameter
            | ConnectMissingState
            | ConnectUnknownState => (
                "Patchbay ignored an approval link it did not ask for.".to_string(),
                "If you were connecting an app, click Connect to try again.",
            ),
            ConnectMissingCode => (
                format!("{name} sent an approval without its code, so Patchbay ignored it."),
                "Click Connect to try again.",
            ),
            ConnectExpired => (
                format!("The approval for {name} took too long."),
                "Click Connect to try again.",
            ),
            ConnectIssuerMismatch => (
                format!("That approval did not come from {name}, so Patchbay ignored it."),
                "Click Connect to try again.",
            ),
            ConnectDeclined => (
                format!("You declined access in the browser, so {name} is not connected."),
                "To connect it, click Connect and allow access.",
            ),
            ConnectProviderUnavailable => (
                format!("{name} could not approve the connection right now."),
                "Try again in a few minutes.",
            ),
            ConnectProviderError => (
                format!("{name} could not approve the connection."),
                "Click Connect to try again; if it keeps happening, check the client id in Settings.",
            ),
            ConnectApprovalExpired => (
                format!("{name} said the approval expired."),
                "Click Connect to try again.",
            ),
            ConnectClientRefused => (
                format!("{name} did not accept Patchbay's client id or client secret."),
                "Check them in Settings, then click Connect.",
            ),
            ConnectGrantRefused => (
                format!("{name} refused the connection."),
                "Click Connect to try again.",
            ),
            ConnectNetwork => (
                format!("Patchbay could not reach {name}."),
                "Check your internet connection and click Connect to try again.",
            ),
            ConnectConfig => (
                format!("The settings for {name} are broken."),
                "Reinstall Patchbay or remove your custom definition.",
            ),
            ConnectListener => (
                format!("Patchbay could not wait for {name}'s answer on this computer."),
                "Click Connect to try again.",
            ),
            ConnectKeyRejected => (
                format!("{name} did not accept that key."),
                "Copy the key again from the provider's web app and paste it.",
            ),
            ConnectKeyIncomplete => (
                format!("The key form for {name} is incomplete."),
                "Fill in every field with the key exactly as the provider shows it.",
            ),
            ConnectNotApiKey => (
                format!("{name} connects in your browser, not with a key."),
                "Click Connect.",
            ),
            ConnectDiscovery => (
                format!("Patchbay could not read {name}'s sign-in settings."),
                "Check your internet connection and click Connect to try again.",
            ),
            ConnectRegistration => (
                format!("{name} did not let Patchbay register itself."),
                "Try again in a few minutes.",
            ),
            ConnectClientRejected => (
                format!("{name} no longer recognised Patchbay, so Patchbay registered again."),
                "Click Connect to try again.",
            ),
            ConnectUsesApiKey => (
                format!("{name} connects with an API key."),
                "Click its tile and paste the key.",
            ),
            ConnectNeedsClientCredentials => (
                format!("{name} needs your own client id and client secret in Settings."),
                "Add them in Settings, then click Connect.",
            ),
            ConnectNoHelpPage => (
                format!("There is no help page for {name}."),
                "Look for the API key in the provider's own settings pages.",
            ),
            ProviderUnknown => (
                "Patchbay doesn't know that app.".to_string(),
                "Go back to your tools and pick it again.",
            ),
            ResourceUnknown => (
                format!("{name} has no such list."),
                "Go back to your tools and open the list again.",
            ),
            AccountUnknown => (
                "Patchbay doesn't know that account.".to_string(),
                "Go back to your tools and pick it again.",
            ),
            ApiNotConnected => (format!("{name} is not connected."), "Click Connect first."),
            ApiNeedsReconnect | ApiUnauthorized => (
                format!("{name} ended the connection."),
                "Click Connect to connect again.",
            ),
            ApiForbidden => (
                format!("{name} did not allow Patchbay to read this."),
                "Reconnect and approve every permission.",
            ),
            ApiRateLimited => (
                format!("{name} asked Patchbay to slow down."),
                "Wait a minute and try again.",
            ),
            ApiRetriesExhausted | ApiHttp | ApiTokenEndpoint => (
                format!("{name} is having trouble right now."),
                "Try again in a few minutes.",
            ),
            ApiNetwork => (
                format!("Patchbay could not reach {name}."),
                "Check your internet connection.",
            ),
            ApiDecode => (
                format!("{name} sent something Patchbay did not understand."),
                "Try again later; if it keeps happening, update Patchbay.",
            ),
            ApiIncomplete => (
                format!("{name}'s list changed while Patchbay was reading it."),
                "Press Refresh to read it again.",
            ),
            ApiOriginChanged => (
                format!("{name}'s address changed since you connected, so Patchbay sent nothing."),
                "Reconnect to approve the new address.",
            ),
            ApiRefusedUrl => (
                format!("{name}'s address is not a secure (https) one, so Patchbay sent nothing."),
                "Fix the address in Settings or remove your custom definition.",
            ),
            ApiQuotaExhausted => (
                format!("{name}'s requests for today are used."),
                "Nothing to do: Patchbay goes on by itself after the reset, and what it saved stays available.",
            ),
            ApiTooLarge => (
                format!("{name} sent more than Patchbay reads at once, so it stopped reading this list."),
                "Try again later; if it keeps happening, filter the list in the provider's web app or ask your Patchbay administrator to raise the limit.",
            ),
            ApiRevokeFailed => (
                format!("Patchbay could not withdraw its access at {name}, so it may still be allowed there."),
                "Remove Patchbay from the connected apps in that account's settings; Patchbay already deleted its own copy of the connection.",
            ),
            VaultNoKeychain => (
                "Patchbay found no keychain to keep your connection safe.".to_string(),
                "Unlock or install your system keyring, or choose file storage in Settings.",
            ),
            VaultLocked => (
                "Your keychain is locked.".to_string(),
                "Unlock it and try again.",
            ),
            VaultCorrupt | VaultPlatform | VaultFile => (
                "Patchbay could not use your keychain.".to_string(),
                "Try again, or reconnect the app.",
            ),
            VaultNotSaved => (
                format!("Patchbay could not save {name}'s renewed connection in your keychain."),
                "Keep Patchbay open and unlock your keychain: Patchbay saves it again by itself; if you quit first, you will have to reconnect.",
            ),
            DefinitionsInvalid => (
                "Patchbay ignored a provider definition file with a mistake in it.".to_string(),
                "Fix the file, or remove it: until then Patchbay uses its built-in settings for that app.",
            ),
            SettingsInvalid => (
                "Some settings are not valid, so nothing was saved.".to_string(),
                "Correct the highlighted setting and save again.",
            ),
            SettingsNotSaved => (
                "Patchbay could not save your settings.".to_string(),
                "Check that your disk is not full, then try again.",
            ),
            SettingsNoClientSecret => (
                format!("{name} does not use a client secret."),
                "Leave its client secret empty.",
            ),
            CacheOpen => (
                "Patchbay couldn't open its local cache.".to_string(),
                "Check that Patchbay's data folder exists and that you can write to it, then restart Patchbay.",
            ),
            CacheTooNew => (
                "The local cache was written by a newer version of Patchbay.".to_string(),
                "Update Patchbay, or delete the cache file and press Refresh.",
            ),
            CacheForeign | CacheDamaged => (
                "The local cache file is damaged or is not a Patchbay cache.".to_string(),
                "Delete the cache file and press Refresh to fetch your records again.",
            ),
            CacheDiskFull => (
                "The disk is full, so the local cache cannot save records.".to_string(),
                "Free some space and press Refresh.",
            ),
            CacheNotCached => (
                "Nothing is saved for this list yet.".to_string(),
                "Press Refresh to fetch the records.",
            ),
            CacheSyncRunning => (
                "This list is already being refreshed.".to_string(),
                "Wait for that refresh to finish.",
            ),
            CacheSyncSuperseded => (
                "This refresh was stopped because the saved records were deleted or another refresh started.".to_string(),
                "Press Refresh again.",
            ),
            CacheFailed => (
                "Something went wrong in Patchbay's local cache.".to_string(),
                "Try again; if it keeps happening, restart Patchbay.",
            ),
            RecordsQueryTooLong => ("That search is too long.".to_string(), "Try fewer words."),
            RecordsNotFound => (
                "That record is no longer here.".to_string(),
                "Press Refresh to update the list.",
            ),
            ViewsNotFound => (
                "That saved view is no longer here.".to_string(),
                "Choose another view, or save this one again.",
            ),
            ViewsNameTaken => (
                "This list already has a view with that name.".to_string(),
                "Choose another name.",
            ),
            ViewsNameInvalid => (
                "A view needs a name.".to_string(),
                "Type a name of up to 100 characters.",
            ),
            RecordsFilterInvalid => (
                "One of the filters can't be used on its column.".to_string(),
                "Check its dates or numbers (the start before the end), or remove it.",
            ),
            RecordsNoProviderPage => (
                format!("Patchbay doesn't know a web page in {name} for this record."),
                "Everything Patchbay has of it is in the details shown here.",
            ),
            RecordsPageMissingValue => (
                format!("This record lacks the id its page in {name} needs."),
                "Press Refresh to fetch it again, or find it in the provider's own search.",
            ),
            RecordsPageUnsafeValue => (
                format!("{name} sent an id for this record that Patchbay won't put in a web address."),
                "Find the record in the provider's own search; its details are shown here.",
            ),
            PeopleUnknownPerson => (
                "That person is no longer here: a merge or a refresh changed who is who.".to_string(),
                "Go back to People and open the person again.",
            ),
            PeopleUnknownDecision => (
                "That merge or split was already undone.".to_string(),
                "Go back to People to see who is who now.",
            ),
            PeopleSamePerson => (
                "These are already the same person.".to_string(),
                "Pick another person to merge with.",
            ),
            PeopleNothingToSplit => (
                "No record was chosen to split off.".to_string(),
                "Tick the records that belong to someone else, then press Split.",
            ),
            ExportNoFolder => (
                "Patchbay could not find your Downloads folder.".to_string(),
                "Create a Downloads folder in your home folder, then export again.",
            ),
            ExportWriteFailed => (
                "Patchbay could not write the export file.".to_string(),
                "Check that there is space on the disk and that you can write to your Downloads folder.",
            ),
            UpdateNotConfigured => (
                "This build of Patchbay does not update itself.".to_string(),
                "Download the newest version from Patchbay's release page.",
            ),
            UpdateNetwork => (
                "Patchbay could not reach its update server.".to_string(),
                "Check your internet connection and press Check for updates again.",
            ),
            UpdateBadManifest => (
                "Patchbay's update server sent an answer Patchbay could not read.".to_string(),
                "Nothing was changed. Try again later.",
            ),
            UpdateUnsigned => (
                "The update is not signed, so Patchbay refused it.".to_string(),
                "Nothing was changed. Download Patchbay from its release page instead.",
            ),
            UpdateBadSignature => (
                "The update does not carry Patchbay's signature, so Patchbay refused it.".to_string(),
                "Nothing was changed. Download Patchbay from its release page instead.",
            ),
            UpdateSaveFailed => (
                "Patchbay could not save the update.".to_string(),
                "Check that there is space on the disk and that you can write to your Downloads folder.",
            ),
            UpdateInstallFailed => (
                "Patchbay could not install the update.".to_string(),
                "Nothing was changed. Press Download and install again and enter your password when asked, or download Patchbay from its release page.",
            ),
            UpdateNoneAvailable => (
                "This is already the newest Patchbay.".to_string(),
                "Nothing needs installing.",
            ),
            AppBrowserUnavailable => (
                "Patchbay could not open your browser.".to_string(),
                "Open your browser yourself and try again.",
            ),
            AppInternal => (
                "Something went wrong inside Patchbay.".to_string(),
                "Please try again; if it keeps happening, restart Patchbay.",
            ),
        };
        Words { sentence, advice }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tests and logs compare a code with its wire string: that string is the contract.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<ErrorCode> for &str {
    fn eq(&self, other: &ErrorCode) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_has_a_unique_dotted_name_a_sentence_and_advice() {
        // `ALL` comes from the same list as the enum, so this walks every variant.
        let mut seen = HashSet::new();
        for &code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} is used twice");
            let (space, name) = s
                .split_once('.')
                .unwrap_or_else(|| panic!("{s}: no namespace"));
            for part in [space, name] {
                assert!(
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{s}: not a dotted snake_case code"
                );
            }
            // The wire string is what serde writes and reads.
            assert_eq!(serde_json::to_value(code).unwrap(), s);
            assert_eq!(
                serde_json::from_value::<ErrorCode>(serde_json::json!(s)).unwrap(),
                code
            );
            let words = code.words("Acme");
            for (what, text) in [
                ("sentence", words.sentence.as_str()),
                ("advice", words.advice),
            ] {
                assert!(
                    text.len() > 10 && text.ends_with('.') && text.starts_with(char::is_uppercase),
                    "{s}: the {what} is not a sentence: {text:?}"
                );
            }
            assert!(
                words.sentence.matches("Acme").count() <= 1,
                "{s}: names the provider twice: {}",
                words.sentence
            );
        }
    }

    #[test]
    fn the_typescript_type_is_a_union_of_the_dotted_strings() {
        let ts = ErrorCode::export_to_string(&ts_rs::Config::new()).unwrap();
        for &code in ErrorCode::ALL {
            assert!(
                ts.contains(&format!("\"{code}\"")),
                "{code} missing in {ts}"
            );
        }
    }
}
