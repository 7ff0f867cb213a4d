//! Providers are data: one TOML definition per provider, compiled in, overridable by a file
//! of the same provider id in the user's config directory.
//!
//! A definition holds no secret: a confidential client's secret is read from the vault.
//!
//! Every URL in a definition passes [`url_rules::endpoint_allowed`] as in the demo world:
//! https, or http to the IP literal 127.0.0.1 / [::1] (tests point real definitions at a
//! loopback sandbox), never `localhost`, user info or a fragment. Whether a loopback URL may
//! be used in the real world is decided where it is used, with the provider's issuer.
//! `{name}` placeholders in `api_base` and paths are filled by [`url_rules::fill_url`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::url_rules::{self, fill_url, UrlRuleError, World};

/// One provider as its definition file describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderDef {
    pub id: String,
    pub display_name: String,
    /// What the provider holds, in a marketer's words ("Leads", "Funnels, contacts, orders").
    pub holds: String,
    /// The authorization server's issuer identifier (RFC 8414 / RFC 9207).
    #[serde(default)]
    pub issuer: Option<String>,
    /// Whether the provider returns `iss` on the redirect (RFC 9207); then it must match.
    #[serde(default)]
    pub iss_parameter_supported: bool,
    /// How the app gets access: OAuth (the default) or an API key the user pastes.
    #[serde(default)]
    pub connection: ConnectionDef,
    /// Empty when the endpoints come from RFC 8414 discovery (or the method is `api_key`).
    #[serde(default)]
    pub authorize_url: String,
    #[serde(default)]
    pub token_url: String,
    #[serde(default)]
    pub revoke_url: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Empty for a dynamically registered client (RFC 7591) and for a client id the user
    /// gives in Settings.
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_auth: ClientAuth,
    #[serde(default)]
    pub redirect: RedirectKind,
    /// The API's base URL (may hold `{var}` placeholders filled from the account look-up).
    pub api_base: String,
    /// The API base's path relative to the sandbox in demo mode, e.g. `/whatconverts/api/v1`.
    pub demo_api_path: String,
    #[serde(default)]
    pub rate_limit: RateLimit,
    /// Whether the provider's access tokens run out (top-level `access_token_expires`,
    /// default true). `false` for a provider whose tokens last until revoked and which
    /// issues no refresh token (ClickFunnels): its `expires_in` is informational, so the
    /// client must not treat the token as expired nor try to refresh it. Only meaningful for
    /// OAuth connections; an `api_key` definition may not set it to false.
    #[serde(default = "yes")]
    pub access_token_expires: bool,
    pub account: AccountDef,
    #[serde(default)]
    pub resources: Vec<ResourceDef>,
}

/// How a provider really lets an app in (`[connection]` in a definition file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ConnectionDef {
    /// OAuth 2.0 authorization code + PKCE.
    Oauth {
        /// The issuer whose RFC 8414 metadata names the endpoints; when set, the typed-in
        /// `authorize_url`/`token_url`/`revoke_url` are not needed.
        #[serde(default)]
        discovery: Option<String>,
        #[serde(default)]
        registration: Registration,
    },
    /// An API key (or token and secret) the user copies from the provider's settings.
    ApiKey {
        fields: Vec<KeyFieldDef>,
        send: KeySend,
        /// Where in the provider's web app the key lives (a link for the form).
        #[serde(default)]
        help_url: Option<String>,
        /// One sentence for the form: where to find the key.
        help_text: String,
        /// The menu path alone ("Integrations → API Keys"), for error messages.
        location: String,
    },
}

impl Default for ConnectionDef {
    fn default() -> Self {
        ConnectionDef::Oauth {
            discovery: None,
            registration: Registration::Static,
        }
    }
}

impl ConnectionDef {
    pub fn is_api_key(&self) -> bool {
        matches!(self, ConnectionDef::ApiKey { .. })
    }

    /// Whether the client registers itself (RFC 7591) on first connect.
    pub fn registers_dynamically(&self) -> bool {
        matches!(
            self,
            ConnectionDef::Oauth {
                registration: Registration::Dynamic,
                ..
            }
        )
    }

    pub fn discovery(&self) -> Option<&str> {
        match self {
            ConnectionDef::Oauth { discovery, .. } => discovery.as_deref(),
            ConnectionDef::ApiKey { .. } => None,
        }
    }
}

/// Where an OAuth client id comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// `client_id` in the definition (or the user's Settings).
    #[default]
    Static,
    /// RFC 7591 dynamic registration as a public native client, kept in the vault.
    Dynamic,
}

/// One field of an API-key form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFieldDef {
    pub key: String,
    pub label: String,
    /// Masked in the form (default true).
    #[serde(default = "yes")]
    pub secret: bool,
}

fn yes() -> bool {
    true
}

/// How the key travels on every request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "scheme", rename_all = "snake_case", deny_unknown_fields)]
pub enum KeySend {
    /// HTTP Basic with two fields as user name and password.
    Basic { username: String, password: String },
    /// `Authorization: Bearer <field>`.
    Bearer { field: String },
    /// `<name>: <field>`.
    Header { name: String, field: String },
}

impl KeySend {
    /// The field keys this scheme reads.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            KeySend::Basic { username, password } => vec![username, password],
            KeySend::Bearer { field } | KeySend::Header { field, .. } => vec![field],
        }
    }
}

/// How the app authenticates to the token endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// A public client: PKCE only.
    #[default]
    None,
    /// A client secret read from the vault, sent in the request body.
    ClientSecretPost,
    /// A client secret read from the vault, sent with HTTP Basic.
    ClientSecretBasic,
}

/// Which redirect URI the provider gets (RFC 8252).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectKind {
    /// `dev.patchbay:/oauth/callback`, delivered by the OS as a deep link.
    #[default]
    CustomScheme,
    /// `http://127.0.0.1:PORT/oauth/callback`, served by a one-shot loopback listener.
    Loopback,
}

/// What a provider allows, from its documentation (top-level `rate_limit` in a definition):
/// a sliding window of `requests` per `per_seconds`, concurrent requests, and optionally a
/// token bucket, a daily quota, the largest page size and the names of the limit headers it
/// sends. Written as one inline table (`rate_limit = { requests = 10, ..., daily = { ... } }`)
/// or as dotted keys (`rate_limit.daily = { ... }`); definitions with only the window and
/// concurrency load as before.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub requests: u32,
    pub per_seconds: f64,
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// A token bucket in front of the window (EmailOctopus).
    #[serde(default)]
    pub bucket: Option<crate::budget::limits::TokenBucketDef>,
    /// Requests per day, and when the day starts again (WhatConverts).
    #[serde(default)]
    pub daily: Option<crate::budget::limits::DailyQuota>,
    /// The largest page the provider serves; informational, for the sync engine.
    #[serde(default)]
    pub max_page_size: Option<u32>,
    /// The headers in which the provider reports what is left.
    #[serde(default)]
    pub headers: crate::budget::limits::LimitHeaders,
}

fn default_concurrency() -> usize {
    4
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            requests: 5,
            per_seconds: 1.0,
            concurrency: 2,
            bucket: None,
            daily: None,
            max_page_size: None,
            headers: Default::default(),
        }
    }
}

impl RateLimit {
    /// The period in which at most `requests` may start.
    pub fn window(&self) -> Duration {
        // `inf` or `1e300` must not panic here nor overflow an Instant later: cap at a day.
        const MAX: Duration = Duration::from_secs(86_400);
        Duration::try_from_secs_f64(self.per_seconds.max(0.0)).map_or(MAX, |d| d.min(MAX))
    }
}

/// The "connected as ACCOUNT" look-up, and variables the resource paths use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountDef {
    /// Path relative to the API base.
    pub path: String,
    /// An absolute URL used instead of `path` when the account look-up lives elsewhere than
    /// the API base (ClickFunnels: the workspace subdomain is only known after it). Demo mode
    /// drops it.
    #[serde(default)]
    pub url: Option<String>,
    /// JSON pointer to the account's display name.
    pub name: String,
    /// Variables for `{name}` placeholders in resource paths and the API base: name → pointer.
    #[serde(default)]
    pub vars: std::collections::BTreeMap<String, String>,
}

/// One list of records a provider holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceDef {
    pub id: String,
    pub label: String,
    /// Path relative to the API base; `{var}` placeholders from the account or the parent.
    pub path: String,
    /// JSON pointer to the array of items in each page ("" for a bare array).
    pub items: String,
    /// JSON pointer to the item's unique id.
    #[serde(default = "default_id_pointer")]
    pub id_pointer: String,
    pub paging: Paging,
    /// For a child resource: iterate the parent's records and fill `var` from each.
    #[serde(default)]
    pub parent: Option<ParentDef>,
    #[serde(default)]
    pub columns: Vec<ColumnDef>,
    /// A list the provider only returns one value of a filter at a time (EmailOctopus
    /// contacts by status): each value is paged on its own.
    #[serde(default)]
    pub split: Option<SplitDef>,
    /// How to fetch only what changed since the last sync; without it every sync is a full pass.
    #[serde(default)]
    pub incremental: Option<IncrementalDef>,
    /// Which fields say who the person is and what they did (People); `None` for resources
    /// that hold no people (funnels, webinars, lists).
    #[serde(default)]
    pub identity: Option<crate::identity_fields::IdentityFields>,
}

/// One query parameter whose values are read one after another (see [`ResourceDef::split`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitDef {
    pub param: String,
    pub values: Vec<String>,
}

/// A resource's incremental sync: what to ask for and how often a full pass still runs (only a
/// full pass sees deletions, and for some kinds older edits).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IncrementalDef {
    #[serde(flatten)]
    pub kind: IncrementalKind,
    /// A full pass runs when the last one is older than this many days.
    #[serde(default = "weekly")]
    pub full_every_days: u32,
}

fn weekly() -> u32 {
    7
}

/// The ways providers let a client ask for changed records only.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum IncrementalKind {
    /// `param=<newest stored value of field, minus overlap_seconds>` returns records changed
    /// since (EmailOctopus `last_updated_at.gte`). The overlap covers clock skew between the
    /// provider's servers; records seen twice are updated, never duplicated.
    UpdatedSince {
        param: String,
        field: String,
        #[serde(default = "five_minutes")]
        overlap_seconds: u32,
    },
    /// Records created in [`start_param`, `end_param`] (WhatConverts): from the newest stored
    /// creation date minus `window_days` to now. Edits to older records are seen by a full
    /// pass only. `max_span_days` is the longest range the provider accepts.
    CreatedWindow {
        start_param: String,
        end_param: String,
        field: String,
        #[serde(default = "thirty")]
        window_days: u32,
        #[serde(default)]
        max_span_days: Option<u32>,
    },
    /// `param=<largest stored id>` returns newer records (ClickFunnels `after`), for lists in
    /// ascending id order. Edits and deletions are seen by a full pass only.
    AfterId { param: String, field: String },
}

fn five_minutes() -> u32 {
    300
}

fn thirty() -> u32 {
    30
}

fn default_id_pointer() -> String {
    "/id".into()
}

/// A child resource's parent (registrations of each webinar).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentDef {
    pub resource: String,
    pub var: String,
    pub pointer: String,
}

/// One column of a resource's table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnDef {
    pub key: String,
    pub label: String,
    pub pointer: String,
    #[serde(rename = "type", default)]
    pub kind: ColumnType,
}

/// A column's value type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ColumnType {
    #[default]
    Text,
    Integer,
    Number,
    Money,
    Boolean,
    Date,
    DateTime,
    Email,
    Phone,
    Url,
}

/// The five pagination styles, one engine (see `paging.rs`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "style", rename_all = "snake_case", deny_unknown_fields)]
pub enum Paging {
    /// `?page=N`; the server picks the size.
    PageNumber {
        page_param: String,
        #[serde(default = "one")]
        first_page: u64,
        #[serde(default)]
        total_pages: Option<String>,
        #[serde(default)]
        total_items: Option<String>,
    },
    /// `?page=N&per_page=M`.
    PagePerPage {
        page_param: String,
        size_param: String,
        page_size: u64,
        #[serde(default = "one")]
        first_page: u64,
        #[serde(default)]
        total_pages: Option<String>,
        #[serde(default)]
        total_items: Option<String>,
    },
    /// `?offset=N&limit=M`.
    OffsetLimit {
        offset_param: String,
        limit_param: String,
        page_size: u64,
        #[serde(default)]
        total_items: Option<String>,
    },
    /// `?after=CURSOR`, the next cursor in a response header.
    CursorHeader {
        cursor_param: String,
        header: String,
        #[serde(default)]
        size_param: Option<String>,
        #[serde(default)]
        page_size: Option<u64>,
    },
    /// The next cursor (or next URL) in the body at a JSON pointer.
    CursorBody {
        cursor_param: String,
        next: String,
        #[serde(default)]
        size_param: Option<String>,
        #[serde(default)]
        page_size: Option<u64>,
        #[serde(default)]
        total_items: Option<String>,
    },
}

fn one() -> u64 {
    1
}

/// Why a definition file was rejected: which file, which line, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct DefinitionError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

impl DefinitionError {
    /// The message for the window (Settings shows rejected definition files).
    pub fn to_user(&self) -> crate::views::UserError {
        let at = self.line.map(|l| format!(", line {l}")).unwrap_or_default();
        crate::views::UserError {
            code: "definitions.invalid".into(),
            message: format!(
                "Patchbay ignored {}{at}: {}. It uses its built-in settings for that app instead.",
                self.file.display(),
                self.message
            ),
        }
    }
}

const BUILTIN: [(&str, &str); 5] = [
    (
        "whatconverts.toml",
        include_str!("../providers/whatconverts.toml"),
    ),
    (
        "clickfunnels.toml",
        include_str!("../providers/clickfunnels.toml"),
    ),
    (
        "webinargeek.toml",
        include_str!("../providers/webinargeek.toml"),
    ),
    ("boomtown.toml", include_str!("../providers/boomtown.toml")),
    (
        "emailoctopus.toml",
        include_str!("../providers/emailoctopus.toml"),
    ),
];

/// The five built-in definitions, in tile order.
pub fn builtin() -> Vec<ProviderDef> {
    BUILTIN
        .iter()
        .map(|(name, text)| {
            parse_definition(Path::new(name), text)
                .unwrap_or_else(|e| panic!("built-in definition is invalid: {e}"))
        })
        .collect()
}

/// Parses and checks one definition file's text.
pub fn parse_definition(file: &Path, text: &str) -> Result<ProviderDef, DefinitionError> {
    let def: ProviderDef = toml::from_str(text).map_err(|e| DefinitionError {
        file: file.to_path_buf(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().to_string(),
    })?;
    validate(&def).map_err(|(key, message)| DefinitionError {
        file: file.to_path_buf(),
        line: find_key_line(text, &key),
        message,
    })?;
    Ok(def)
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn find_key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with(key) && l[key.len()..].trim_start().starts_with('=')
        })
        .map(|i| i + 1)
}

fn validate(def: &ProviderDef) -> Result<(), (String, String)> {
    let ident = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    };
    if !ident(&def.id) {
        return Err((
            "id".into(),
            format!("id {:?} must be lowercase letters, digits, - or _", def.id),
        ));
    }
    for (key, value) in [
        ("authorize_url", Some(&def.authorize_url)),
        ("token_url", Some(&def.token_url)),
        ("revoke_url", def.revoke_url.as_ref()),
        ("issuer", def.issuer.as_ref()),
    ] {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            check_url(key, key, v)?;
        }
    }
    if let Some(name) = placeholders(&def.api_base)
        .into_iter()
        .find(|n| !def.account.vars.contains_key(n))
    {
        return Err((
            "api_base".into(),
            format!("api_base uses {{{name}}}, which [account] vars does not provide"),
        ));
    }
    check_template("api_base", "api_base", &def.api_base)?;
    check_template(
        "path",
        "account path",
        &format!("{}{}", def.api_base, def.account.path),
    )?;
    if !def.demo_api_path.starts_with('/') {
        return Err((
            "demo_api_path".into(),
            "demo_api_path must start with /".into(),
        ));
    }
    def.rate_limit.check()?;
    validate_connection(def)?;
    if def.iss_parameter_supported && def.issuer.is_none() {
        return Err((
            "iss_parameter_supported".into(),
            "iss_parameter_supported needs an issuer".into(),
        ));
    }
    if let Some(u) = &def.account.url {
        check_template("url", "account url", u)?;
    }
    if !def.access_token_expires && def.connection.is_api_key() {
        return Err((
            "access_token_expires".into(),
            "access_token_expires = false applies to OAuth connections only (an API key has no access token)".into(),
        ));
    }
    check_pointer("name", &def.account.name)?;
    for p in def.account.vars.values() {
        check_pointer("vars", p)?;
    }
    let mut seen = HashSet::new();
    for r in &def.resources {
        if !ident(&r.id) || !seen.insert(r.id.clone()) {
            return Err((
                "id".into(),
                format!("resource id {:?} is invalid or repeated", r.id),
            ));
        }
        check_pointer("items", &r.items)?;
        check_pointer("id_pointer", &r.id_pointer)?;
        for c in &r.columns {
            check_pointer("pointer", &c.pointer)?;
        }
        let known = |name: &str| {
            def.account.vars.contains_key(name) || r.parent.as_ref().is_some_and(|p| p.var == name)
        };
        if let Some(name) = placeholders(&r.path).into_iter().find(|n| !known(n)) {
            return Err((
                "path".into(),
                format!("resource {:?} uses {{{name}}}, which neither [account] vars nor its parent provide", r.id),
            ));
        }
        check_template(
            "path",
            &format!("resource {:?} path", r.id),
            &format!("{}{}", def.api_base, r.path),
        )?;
        if let Some(p) = &r.parent {
            if !def
                .resources
                .iter()
                .any(|o| o.id == p.resource && o.parent.is_none())
            {
                return Err((
                    "resource".into(),
                    format!(
                        "parent resource {:?} is not a top-level resource",
                        p.resource
                    ),
                ));
            }
            check_pointer("pointer", &p.pointer)?;
        }
        validate_incremental(r)?;
        if let Some(identity) = &r.identity {
            let ids: Vec<&str> = def.resources.iter().map(|o| o.id.as_str()).collect();
            identity.check(&r.id, &ids)?;
        }
        match &r.paging {
            Paging::PagePerPage { page_size, .. } | Paging::OffsetLimit { page_size, .. }
                if *page_size == 0 =>
            {
                return Err(("page_size".into(), "page_size must be at least 1".into()));
            }
            Paging::CursorBody {
                next, total_items, ..
            } => {
                check_pointer("next", next)?;
                if let Some(t) = total_items {
                    check_pointer("total_items", t)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The `split` and `incremental` tables of one resource.
fn validate_incremental(r: &ResourceDef) -> Result<(), (String, String)> {
    let param_ok = |p: &str| !p.is_empty() && !p.contains(['&', '=', '#', ' ']);
    if let Some(split) = &r.split {
        if !param_ok(&split.param) {
            return Err((
                "split".into(),
                format!(
                    "resource {:?}: split param {:?} is not a query parameter name",
                    r.id, split.param
                ),
            ));
        }
        if split.values.is_empty() {
            return Err((
                "split".into(),
                format!("resource {:?}: split needs at least one value", r.id),
            ));
        }
    }
    let Some(inc) = &r.incremental else {
        return Ok(());
    };
    if inc.full_every_days == 0 {
        return Err((
            "incremental".into(),
            format!("resource {:?}: full_every_days must be at least 1", r.id),
        ));
    }
    let (params, field): (Vec<&String>, &String) = match &inc.kind {
        IncrementalKind::UpdatedSince { param, field, .. } => (vec![param], field),
        IncrementalKind::CreatedWindow {
            start_param,
            end_param,
            field,
            window_days,
            max_span_days,
        } => {
            if max_span_days.is_some_and(|m| m <= *window_days) {
                return Err((
                    "incremental".into(),
                    format!(
                        "resource {:?}: max_span_days must be more than window_days",
                        r.id
                    ),
                ));
            }
            (vec![start_param, end_param], field)
        }
        IncrementalKind::AfterId { param, field } => {
            // The largest id is one list's: children of many parents, or a list read in
            // several parts, have no one largest id to continue from.
            if r.parent.is_some() || r.split.is_some() {
                return Err((
                    "incremental".into(),
                    format!(
                        "resource {:?}: after_id cannot be used with a parent or a split",
                        r.id
                    ),
                ));
            }
            if !matches!(
                r.paging,
                Paging::CursorHeader { .. } | Paging::CursorBody { .. }
            ) {
                return Err((
                    "incremental".into(),
                    format!(
                        "resource {:?}: after_id needs a cursor-paged list in ascending id order",
                        r.id
                    ),
                ));
            }
            (vec![param], field)
        }
    };
    if let Some(p) = params.iter().find(|p| !param_ok(p)) {
        return Err((
            "incremental".into(),
            format!("resource {:?}: {p:?} is not a query parameter name", r.id),
        ));
    }
    if field.is_empty() {
        return Err((
            "incremental".into(),
            format!("resource {:?}: incremental field must name the record field (a JSON pointer like /id)", r.id),
        ));
    }
    check_pointer("incremental", field)
}

fn validate_connection(def: &ProviderDef) -> Result<(), (String, String)> {
    match &def.connection {
        ConnectionDef::Oauth {
            discovery,
            registration,
        } => {
            match discovery {
                Some(d) => check_url("discovery", "discovery", d)?,
                None => {
                    for (key, v) in [
                        ("authorize_url", &def.authorize_url),
                        ("token_url", &def.token_url),
                    ] {
                        if v.is_empty() {
                            return Err((
                                key.into(),
                                format!("{key} is required unless [connection] discovery is set"),
                            ));
                        }
                    }
                }
            }
            match registration {
                Registration::Dynamic if discovery.is_none() => Err((
                    "registration".into(),
                    "registration = \"dynamic\" needs discovery (the registration endpoint comes from the metadata)".into(),
                )),
                Registration::Static
                    if def.client_id.is_empty() && def.client_auth == ClientAuth::None =>
                {
                    Err(("client_id".into(), "client_id must not be empty".into()))
                }
                _ => Ok(()),
            }
        }
        ConnectionDef::ApiKey {
            fields,
            send,
            help_url,
            ..
        } => {
            if fields.is_empty() {
                return Err(("fields".into(), "an api_key connection needs fields".into()));
            }
            let mut seen = HashSet::new();
            for f in fields {
                if f.key.is_empty() || !seen.insert(f.key.as_str()) {
                    return Err((
                        "fields".into(),
                        format!("field key {:?} is empty or repeated", f.key),
                    ));
                }
            }
            if let Some(missing) = send.fields().into_iter().find(|k| !seen.contains(k)) {
                return Err((
                    "send".into(),
                    format!("send uses field {missing:?}, which fields does not list"),
                ));
            }
            if let KeySend::Header { name, .. } = send {
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    return Err(("send".into(), format!("{name:?} is not a header name")));
                }
            }
            if let Some(u) = help_url {
                let ok = Url::parse(u).is_ok_and(|u| u.scheme() == "https");
                if !ok {
                    return Err(("help_url".into(), "help_url must be an https URL".into()));
                }
            }
            Ok(())
        }
    }
}

fn check_pointer(key: &str, p: &str) -> Result<(), (String, String)> {
    if p.is_empty() || p.starts_with('/') {
        Ok(())
    } else {
        Err((
            key.into(),
            format!("{key} {p:?} must be a JSON pointer starting with /"),
        ))
    }
}

/// A definition's URL: parsable and allowed by the one URL rule. Checked as in the demo
/// world because a definition may point at a loopback sandbox (tests do); the real world
/// checks again where the URL is used, with the provider's issuer.
fn check_url(key: &str, what: &str, v: &str) -> Result<(), (String, String)> {
    let url =
        Url::parse(v).map_err(|e| (key.to_string(), format!("{what} {v:?} is not a URL: {e}")))?;
    allowed(key, what, &url)
}

/// Like [`check_url`] for a template: placeholders filled with a stand-in label.
fn check_template(key: &str, what: &str, template: &str) -> Result<(), (String, String)> {
    let url = fill_url(template, |_| Some("x".into())).map_err(|e| refused(key, what, &e))?;
    allowed(key, what, &url)
}

fn allowed(key: &str, what: &str, url: &Url) -> Result<(), (String, String)> {
    url_rules::endpoint_allowed(url, World::Demo, None).map_err(|e| refused(key, what, &e))
}

fn refused(key: &str, what: &str, e: &UrlRuleError) -> (String, String) {
    // `DefinitionError::to_user` ends the sentence itself.
    let why = e.to_string();
    (
        key.to_string(),
        format!(
            "{what} is refused ({}): {}",
            e.code(),
            why.trim_end_matches('.')
        ),
    )
}

/// The `{name}` placeholders of a template.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        match rest[start..].find('}') {
            Some(end) => {
                names.push(rest[start + 1..start + end].to_string());
                rest = &rest[start + end + 1..];
            }
            None => break,
        }
    }
    names
}

/// Replaces `{name}` placeholders as plain text; unknown names are left as they are.
///
/// Not for URLs: a value pasted into a URL can move its host (`evil.example#`) or its path
/// (`../admin`). Build URLs with [`url_rules::fill_url`], which encodes each value for the
/// part of the URL it lands in and refuses what cannot be made safe.
pub fn fill_placeholders(template: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                let name = &rest[start + 1..start + end];
                match lookup(name) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[start..=start + end]),
                }
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The built-in definitions with each one replaced by a valid file of the same id found in
/// `dir` (`*.toml`). Invalid files are returned as errors; the built-in one stays in use.
pub fn load_with_overrides(dir: Option<&Path>) -> (Vec<ProviderDef>, Vec<DefinitionError>) {
    let mut defs = builtin();
    let mut errors = Vec::new();
    let Some(dir) = dir else {
        return (defs, errors);
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (defs, errors);
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) => {
                errors.push(DefinitionError {
                    file,
                    line: None,
                    message: e.to_string(),
                });
                continue;
            }
        };
        match parse_definition(&file, &text) {
            Ok(def) => match defs.iter_mut().find(|d| d.id == def.id) {
                Some(slot) => *slot = def,
                None => defs.push(def),
            },
            Err(e) => errors.push(e),
        }
    }
    (defs, errors)
}

/// The user's override directory: `<config dir>/patchbay/providers`.
pub fn user_override_dir() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("patchbay").join("providers"))
}

impl ProviderDef {
    /// Demo mode: every URL points at the in-process sandbox, and every provider connects
    /// with OAuth as the sandbox's one public client, whatever its real method.
    pub fn rewrite_for_demo(&mut self, sandbox_url: &str) {
        let base = sandbox_url.trim_end_matches('/');
        let id = &self.id;
        self.issuer = Some(format!("{base}/{id}"));
        self.iss_parameter_supported = true;
        self.authorize_url = format!("{base}/{id}/oauth/authorize");
        self.token_url = format!("{base}/{id}/oauth/token");
        self.revoke_url = Some(format!("{base}/{id}/oauth/revoke"));
        self.api_base = format!("{base}{}", self.demo_api_path);
        self.client_auth = ClientAuth::None;
        self.account.url = None;
        self.connection = ConnectionDef::default();
        if self.client_id.is_empty() {
            self.client_id = "patchbay-desktop".into();
        }
    }

    /// Points every URL at a sandbox but keeps the real connection method (API key,
    /// discovery, dynamic registration, client secret): the non-demo configuration, tested.
    pub fn point_at(&mut self, sandbox_url: &str) {
        let base = sandbox_url.trim_end_matches('/');
        let id = self.id.clone();
        if self.issuer.is_some() {
            self.issuer = Some(format!("{base}/{id}"));
        }
        if !self.authorize_url.is_empty() {
            self.authorize_url = format!("{base}/{id}/oauth/authorize");
        }
        if !self.token_url.is_empty() {
            self.token_url = format!("{base}/{id}/oauth/token");
        }
        if self.revoke_url.is_some() {
            self.revoke_url = Some(format!("{base}/{id}/oauth/revoke"));
        }
        if let ConnectionDef::Oauth {
            discovery: Some(d), ..
        } = &mut self.connection
        {
            *d = format!("{base}/{id}");
        }
        self.api_base = format!("{base}{}", self.demo_api_path);
        self.account.url = None;
    }

    pub fn resource(&self, id: &str) -> Option<&ResourceDef> {
        self.resources.iter().find(|r| r.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse() {
        let defs = builtin();
        assert_eq!(defs.len(), 5);
        for d in &defs {
            assert!(!d.resources.is_empty(), "{} has resources", d.id);
            if let ConnectionDef::Oauth { discovery, .. } = &d.connection {
                assert!(
                    d.authorize_url.starts_with("https://")
                        || discovery
                            .as_deref()
                            .is_some_and(|u| u.starts_with("https://"))
                );
            }
        }
        let method = |id: &str| defs.iter().find(|d| d.id == id).unwrap().connection.clone();
        assert!(method("whatconverts").is_api_key());
        assert!(method("emailoctopus").is_api_key());
        assert!(method("webinargeek").is_api_key());
        assert!(method("clickfunnels").registers_dynamically());
        assert!(!method("boomtown").is_api_key());
    }

    #[test]
    fn invalid_file_names_file_and_line() {
        let text = "id = \"x\"\ndisplay_name = \"X\"\nholds = 3\n";
        let e = parse_definition(Path::new("/tmp/x.toml"), text).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.to_string().starts_with("/tmp/x.toml:3:"), "{e}");
    }

    #[test]
    fn overrides_keep_builtins_on_error() {
        let dir = std::env::temp_dir().join(format!("pb-defs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("bad.toml"), "id = \"whatconverts\"\nnope = [\n").unwrap();
        let (defs, errors) = load_with_overrides(Some(&dir));
        assert_eq!(defs.len(), 5);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].file.ends_with("bad.toml"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn unknown_placeholder_is_rejected_with_its_line() {
        let text = include_str!("../providers/webinargeek.toml").replace(
            "/webinars/{webinar_id}/subscriptions",
            "/webinars/{webinar}/subscriptions",
        );
        let e = parse_definition(Path::new("webinargeek.toml"), &text).unwrap_err();
        assert!(e.message.contains("{webinar}"), "{e}");
        assert!(e.line.is_some());
    }

    #[test]
    fn only_clickfunnels_tokens_do_not_expire() {
        for d in builtin() {
            assert_eq!(d.access_token_expires, d.id != "clickfunnels", "{}", d.id);
        }
    }

    #[test]
    fn access_token_expires_must_be_a_boolean_and_is_oauth_only() {
        let cf = include_str!("../providers/clickfunnels.toml");
        let text = cf.replace(
            "access_token_expires = false",
            "access_token_expires = \"no\"",
        );
        assert_ne!(text, cf);
        let e = parse_definition(Path::new("clickfunnels.toml"), &text).unwrap_err();
        assert_eq!(e.line, find_key_line(&text, "access_token_expires"));
        let wc = include_str!("../providers/whatconverts.toml");
        let text = format!("access_token_expires = false\n{wc}");
        let e = parse_definition(Path::new("whatconverts.toml"), &text).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("OAuth connections only"), "{e}");
        // Written out as true it is the default.
        let text = format!("access_token_expires = true\n{wc}");
        assert!(parse_definition(Path::new("whatconverts.toml"), &text).is_ok());
    }

    /// A definition with one line replaced (the replaced text must be there).
    fn edited(text: &str, from: &str, to: &str) -> Result<ProviderDef, DefinitionError> {
        assert!(text.contains(from), "{from}");
        parse_definition(Path::new("edited.toml"), &text.replace(from, to))
    }

    #[test]
    fn definition_urls_follow_the_url_rule() {
        let cf = include_str!("../providers/clickfunnels.toml");
        let bt = include_str!("../providers/boomtown.toml");
        let discovery = "discovery = \"https://accounts.myclickfunnels.com\"";
        // A loopback sandbox by IP literal is fine at load time (tests point real
        // definitions at one) ...
        for ok in [
            "http://127.0.0.1:9/clickfunnels",
            "http://[::1]:9/clickfunnels",
        ] {
            edited(cf, discovery, &format!("discovery = \"{ok}\"")).unwrap();
        }
        // ... the name localhost, plain http elsewhere, user info and fragments are not.
        for (bad, code) in [
            ("http://localhost:9/clickfunnels", "url.localhost_name"),
            ("http://accounts.myclickfunnels.com", "url.not_https"),
            ("https://me:pw@accounts.myclickfunnels.com", "url.userinfo"),
            ("https://accounts.myclickfunnels.com#x", "url.fragment"),
        ] {
            let e = edited(cf, discovery, &format!("discovery = \"{bad}\"")).unwrap_err();
            assert!(e.message.contains(code), "{bad}: {e}");
            assert_eq!(e.line, find_key_line(cf, "discovery"), "{bad}: {e}");
            assert!(!e.message.contains("pw@"), "{e}");
        }
        let e = edited(
            bt,
            "token_url = \"https://auth.boomtownroi.com/oauth/token\"",
            "token_url = \"http://localhost:8080/oauth/token\"",
        )
        .unwrap_err();
        assert!(e.message.contains("url.localhost_name"), "{e}");
        assert_eq!(e.line, find_key_line(bt, "token_url"));
        // The API base and account URL had no https check before the one rule.
        let e = edited(
            bt,
            "api_base = \"https://api.boomtownroi.com/v1\"",
            "api_base = \"http://api.boomtownroi.com/v1\"",
        )
        .unwrap_err();
        assert!(e.message.contains("url.not_https"), "{e}");
        let e = edited(
            cf,
            "url = \"https://accounts.myclickfunnels.com/api/v2/me\"",
            "url = \"http://localhost/api/v2/me\"",
        )
        .unwrap_err();
        assert!(e.message.contains("url.localhost_name"), "{e}");
        let e = edited(
            cf,
            "path = \"/workspaces/{workspace_id}/funnels\"",
            "path = \"/workspaces/{workspace_id}/funnels#top\"",
        )
        .unwrap_err();
        assert!(e.message.contains("url.fragment"), "{e}");
        // The message reads as one sentence in the window.
        let user = e.to_user().message;
        assert!(!user.contains(".."), "{user}");
    }

    #[test]
    fn placeholders_fill() {
        let s = fill_placeholders("/w/{ws}/f/{x}", |n| (n == "ws").then(|| "7".into()));
        assert_eq!(s, "/w/7/f/{x}");
    }

    #[test]
    fn incremental_definitions_are_typed_and_checked_at_load() {
        let text = include_str!("../providers/clickfunnels.toml");
        let def = parse_definition(Path::new("clickfunnels.toml"), text).unwrap();
        let inc = def
            .resource("contacts")
            .unwrap()
            .incremental
            .clone()
            .unwrap();
        assert_eq!(
            inc.kind,
            IncrementalKind::AfterId {
                param: "after".into(),
                field: "/id".into()
            }
        );
        assert_eq!(inc.full_every_days, 7, "weekly unless the file says");
        let eo = parse_definition(
            Path::new("emailoctopus.toml"),
            include_str!("../providers/emailoctopus.toml"),
        )
        .unwrap();
        let split = eo.resource("contacts").unwrap().split.clone().unwrap();
        assert_eq!(split.values, ["subscribed", "unsubscribed", "pending"]);

        let bad = |from: &str, to: &str| {
            let e = parse_definition(Path::new("edited.toml"), &text.replacen(from, to, 1))
                .unwrap_err();
            e.message
        };
        let contacts = r#"incremental = { kind = "after_id", param = "after", field = "/id" }"#;
        assert!(bad(
            contacts,
            r#"incremental = { kind = "changed_since", param = "x", field = "/id" }"#
        )
        .contains("unknown variant"),);
        assert!(bad(
            contacts,
            r#"incremental = { kind = "after_id", param = "after", field = "id" }"#
        )
        .contains("JSON pointer"));
        assert!(bad(
            contacts,
            r#"incremental = { kind = "after_id", param = "after", field = "" }"#
        )
        .contains("name the record field"));
        assert!(bad(
            contacts,
            r#"incremental = { kind = "after_id", param = "a&b", field = "/id" }"#
        )
        .contains("not a query parameter name"));
        assert!(bad(
            contacts,
            r#"incremental = { kind = "after_id", param = "after", field = "/id", full_every_days = 0 }"#
        )
        .contains("at least 1"));
        assert!(bad(
            contacts,
            r#"incremental = { kind = "after_id", param = "after", field = "/id", extra = 1 }"#
        )
        .contains("unknown field"));
        assert!(bad(
            contacts,
            r#"incremental = { kind = "after_id", param = "after", field = "/id" }
split = { param = "status", values = [] }"#
        )
        .contains("at least one value"));
    }
}
