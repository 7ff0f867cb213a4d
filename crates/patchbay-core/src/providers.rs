//! Providers are data: one TOML definition per provider, compiled in, overridable by a file
//! of the same provider id in the user's config directory.
//!
//! A definition holds no secret: a confidential client's secret is read from the vault.
//!
//! A file is read in two steps: serde reads it as written (`DefinitionFile`, plain strings),
//! then [`parse_definition`] turns it into a [`ProviderDef`] whose types hold the rules (ids
//! are [`Id`]s, endpoints are parsed [`url::Url`]s inside the OAuth connection kind), naming
//! the file, the line and the reason when a value is refused.
//!
//! Every URL in a definition passes [`crate::url_rules::https_or_loopback`]: https, or http to
//! the IP literal 127.0.0.1 / [::1] (tests point real definitions at a loopback sandbox),
//! never `localhost`, user info or a fragment. Whether a loopback URL may be used in the real
//! world is decided where it is used, with the provider's issuer. `{name}` placeholders in
//! `api_base` and paths are filled by [`crate::url_rules::fill_url`].
//!
//! The demo world's changes to a definition (every provider on the sandbox, with OAuth) live
//! with the demo code, in [`crate::demo`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use patchbay_model::Id;
use serde::Deserialize;
use url::Url;

mod check;
mod connection;
mod limits;
mod tile_mark;

use check::{check_pointer, check_template, home_of, Refusal};
use connection::ConnectionFile;
pub use connection::{
    AuthServer, ClientAuth, ConnectionDef, Issuer, KeyFieldDef, KeySend, OAuthDef, RedirectKind,
    Registration, ServerSource,
};
pub use limits::{Limits, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_PAGES, DEFAULT_MAX_RECORDS};
/// The one column type, shared with the cache and the window.
pub use patchbay_model::ColumnKind;
pub use tile_mark::TileMark;

/// One provider: a definition file, parsed and checked ([`parse_definition`]).
#[derive(Debug, Clone)]
pub struct ProviderDef {
    pub id: Id,
    pub display_name: String,
    /// What the provider holds, in a marketer's words ("Leads", "Funnels, contacts, orders").
    pub holds: String,
    /// The monogram and colour of its tile (`[tile]`), or its first letters on grey.
    pub tile: TileMark,
    /// How the app gets access: OAuth (with its endpoints and client) or an API key.
    pub connection: ConnectionDef,
    /// The API's base URL (may hold `{var}` placeholders filled from the account look-up, so
    /// it stays a template; it passed the URL rule with stand-in values at load).
    pub api_base: String,
    pub rate_limit: RateLimit,
    /// How much Patchbay reads from the provider (pages and records of a list, body size).
    pub limits: Limits,
    pub account: AccountDef,
    pub resources: Vec<ResourceDef>,
}

/// A definition file as written; [`parse_definition`] turns it into a [`ProviderDef`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefinitionFile {
    id: Id,
    display_name: String,
    holds: String,
    #[serde(default)]
    tile: Option<TileMark>,
    connection: ConnectionFile,
    api_base: String,
    #[serde(default)]
    rate_limit: RateLimit,
    #[serde(default)]
    limits: Limits,
    account: AccountDef,
    #[serde(default)]
    resources: Vec<ResourceDef>,
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
    pub id: Id,
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
    /// The address of one record's own page at the provider ("Open in <Provider>"), with
    /// `{/pointer}` placeholders for the record's fields, in the path only; `None` where the
    /// provider documents no such page. See `record_page`.
    #[serde(default)]
    pub record_page: Option<String>,
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
    pub kind: ColumnKind,
    /// For money columns: the ISO 4217 code every value is in (`currency = "USD"`), when the
    /// provider has one currency per account.
    #[serde(default)]
    pub currency: Option<String>,
    /// For money columns: the key of the column holding each record's ISO 4217 code
    /// (ClickFunnels orders carry their own), when values come in several currencies.
    #[serde(default)]
    pub currency_column: Option<String>,
    /// Shown as a small badge (statuses, yes/no): a few distinct values a marketer scans for.
    #[serde(default)]
    pub badge: bool,
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
        // The file is the user's own and the message says what in it is wrong: both help.
        crate::views::UserError::with_message(
            crate::ErrorCode::DefinitionsInvalid,
            format!(
                "Patchbay ignored {}{at}: {}.",
                self.file.display(),
                self.message.trim_end_matches('.')
            ),
        )
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
    let raw: DefinitionFile = toml::from_str(text).map_err(|e| DefinitionError {
        file: file.to_path_buf(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().to_string(),
    })?;
    let at_key = |(key, message): Refusal| DefinitionError {
        file: file.to_path_buf(),
        line: find_key_line(text, &key),
        message,
    };
    // Where the provider lives: its other URLs may be loopback only if this one is.
    let home = home_of(raw.connection.issuer(), &raw.api_base);
    let def = ProviderDef {
        connection: raw.connection.into_def(home.as_ref()).map_err(at_key)?,
        id: raw.id,
        tile: raw
            .tile
            .unwrap_or_else(|| TileMark::fallback(&raw.display_name)),
        display_name: raw.display_name,
        holds: raw.holds,
        api_base: raw.api_base,
        rate_limit: raw.rate_limit,
        limits: raw.limits,
        account: raw.account,
        resources: raw.resources,
    };
    validate(&def, home.as_ref()).map_err(at_key)?;
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

/// What the types cannot say: placeholders that resolve, URLs and pointers that are well
/// formed, resources that refer to each other correctly.
fn validate(def: &ProviderDef, home: Option<&Url>) -> Result<(), Refusal> {
    if let Some(name) = placeholders(&def.api_base)
        .into_iter()
        .find(|n| !def.account.vars.contains_key(n))
    {
        return Err((
            "api_base".into(),
            format!("api_base uses {{{name}}}, which [account] vars does not provide"),
        ));
    }
    check_template("api_base", "api_base", &def.api_base, home)?;
    check_template(
        "path",
        "account path",
        &format!("{}{}", def.api_base, def.account.path),
        home,
    )?;
    def.rate_limit.check()?;
    def.limits.check()?;
    if let Some(u) = &def.account.url {
        check_template("url", "account url", u, home)?;
    }
    check_pointer("name", &def.account.name)?;
    for p in def.account.vars.values() {
        check_pointer("vars", p)?;
    }
    let mut seen = HashSet::new();
    for r in &def.resources {
        if !seen.insert(r.id.clone()) {
            return Err(("id".into(), format!("resource id {:?} is repeated", r.id)));
        }
        check_pointer("items", &r.items)?;
        check_pointer("id_pointer", &r.id_pointer)?;
        for c in &r.columns {
            check_pointer("pointer", &c.pointer)?;
            check_currency(r, c)?;
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
            home,
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
        if let Some(t) = &r.record_page {
            let what = format!("resource {:?} record_page", r.id);
            crate::record_page::check_template(t)
                .map_err(|why| ("record_page".to_string(), format!("{what}: {why}")))?;
            check_template("record_page", &what, t, home)?;
        }
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

/// A currency belongs to a money column, is an ISO 4217 code (three capital letters: the
/// window formats with `Intl`, which rejects anything else), and a currency column is one of
/// the resource's columns.
fn check_currency(r: &ResourceDef, c: &ColumnDef) -> Result<(), Refusal> {
    let has_currency = c.currency.is_some() || c.currency_column.is_some();
    if has_currency && c.kind != ColumnKind::Money {
        return Err((
            "currency".into(),
            format!(
                "column {:?} has a currency but is not of type \"money\"",
                c.key
            ),
        ));
    }
    if c.currency.is_some() && c.currency_column.is_some() {
        return Err((
            "currency".into(),
            format!(
                "column {:?} has both currency and currency_column; keep one",
                c.key
            ),
        ));
    }
    if let Some(code) = &c.currency {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err((
                "currency".into(),
                format!(
                    "column {:?} has currency {code:?}; use an ISO 4217 code such as \"USD\"",
                    c.key
                ),
            ));
        }
    }
    if let Some(other) = &c.currency_column {
        if !r.columns.iter().any(|o| &o.key == other) {
            return Err((
                "currency_column".into(),
                format!("column {:?} takes its currency from {other:?}, which is not a column of resource {:?}", c.key, r.id),
            ));
        }
    }
    Ok(())
}

/// The `split` and `incremental` tables of one resource.
fn validate_incremental(r: &ResourceDef) -> Result<(), Refusal> {
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
                // The io error's text goes to the log; the window gets a sentence.
                tracing::warn!(file = %file.display(), error = %e, "definition file unreadable");
                errors.push(DefinitionError {
                    file,
                    line: None,
                    message: "Patchbay could not read this file (check that it is UTF-8 text you can read)".into(),
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
    pub fn resource(&self, id: &str) -> Option<&ResourceDef> {
        self.resources.iter().find(|r| r.id == id)
    }

    pub fn oauth(&self) -> Option<&OAuthDef> {
        self.connection.oauth()
    }

    pub fn oauth_mut(&mut self) -> Option<&mut OAuthDef> {
        self.connection.oauth_mut()
    }

    /// The OAuth endpoints in use: typed in, or found by discovery. `None` for an API key,
    /// and for a discovered provider before discovery ran.
    pub fn endpoints(&self) -> Option<&AuthServer> {
        self.oauth().and_then(OAuthDef::endpoints)
    }

    /// Typed-in endpoints, to change (tests re-point them at a listener of their own).
    pub fn fixed_endpoints_mut(&mut self) -> Option<&mut AuthServer> {
        self.oauth_mut().and_then(OAuthDef::fixed_mut)
    }

    pub fn authorize_url(&self) -> Option<&Url> {
        self.endpoints().map(|e| &e.authorize_url)
    }

    pub fn token_url(&self) -> Option<&Url> {
        self.endpoints().map(|e| &e.token_url)
    }

    pub fn revoke_url(&self) -> Option<&Url> {
        self.endpoints().and_then(|e| e.revoke_url.as_ref())
    }

    pub fn issuer(&self) -> Option<&Issuer> {
        self.endpoints().and_then(|e| e.issuer.as_ref())
    }

    /// Whether the provider returns `iss` on the redirect (RFC 9207); then it must match.
    pub fn iss_parameter_supported(&self) -> bool {
        self.issuer().is_some_and(|i| i.iss_parameter_supported)
    }

    /// The OAuth client id ("" for an API key, a registered client before registration, or a
    /// client id the user has not given yet).
    pub fn client_id(&self) -> &str {
        self.oauth().map_or("", |o| o.client_id.as_str())
    }

    /// How the token endpoint is authenticated to ([`ClientAuth::None`] for an API key).
    pub fn client_auth(&self) -> ClientAuth {
        self.oauth().map_or(ClientAuth::None, |o| o.client_auth)
    }

    pub fn redirect(&self) -> RedirectKind {
        self.oauth()
            .map_or(RedirectKind::CustomScheme, |o| o.redirect)
    }

    pub fn scopes(&self) -> &[String] {
        self.oauth().map_or(&[], |o| o.scopes.as_slice())
    }

    /// Whether access tokens run out (an API key has none, so nothing of it expires early).
    pub fn access_token_expires(&self) -> bool {
        self.oauth().is_none_or(|o| o.access_token_expires)
    }

    /// The user's own client id from Settings; an API-key provider has none to set.
    pub fn set_client_id(&mut self, client_id: String) {
        if let Some(o) = self.oauth_mut() {
            o.client_id = client_id;
        }
    }

    /// This definition with the endpoints discovery found and the client id to use with
    /// them (registered, or the definition's own).
    pub fn with_discovered(&self, server: AuthServer, client_id: String) -> ProviderDef {
        let mut d = self.clone();
        if let Some(o) = d.oauth_mut() {
            o.client_id = client_id;
            match &mut o.server {
                ServerSource::Discovery { found, .. } => *found = Some(server),
                ServerSource::Fixed(fixed) => *fixed = server,
            }
        }
        d
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
            if let ConnectionDef::Oauth(o) = &d.connection {
                let url = match &o.server {
                    ServerSource::Fixed(s) => &s.authorize_url,
                    ServerSource::Discovery { discovery, .. } => discovery,
                };
                assert_eq!(url.scheme(), "https", "{}", d.id);
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
    fn a_currency_fits_money_columns_only_and_is_an_iso_code() {
        let wc = include_str!("../providers/whatconverts.toml");
        let quote = r#"pointer = "/quote_value", type = "money", currency = "USD" }"#;
        assert!(wc.contains(quote));
        let defs = builtin();
        let wc_def = defs.iter().find(|d| d.id == "whatconverts").unwrap();
        let leads = wc_def.resource("leads").unwrap();
        let quote_col = leads
            .columns
            .iter()
            .find(|c| c.key == "quote_value")
            .unwrap();
        assert_eq!(quote_col.currency.as_deref(), Some("USD"));
        assert!(
            leads
                .columns
                .iter()
                .find(|c| c.key == "lead_status")
                .unwrap()
                .badge
        );
        for (bad, says) in [
            (quote.replace("\"USD\"", "\"usd\""), "ISO 4217"),
            (quote.replace("\"USD\"", "\"DOLLARS\""), "ISO 4217"),
            (
                quote.replace("type = \"money\", ", ""),
                "not of type \"money\"",
            ),
            (
                quote.replace("currency = \"USD\"", "currency_column = \"nope\""),
                "not a column",
            ),
            (
                quote.replace(
                    "currency = \"USD\"",
                    "currency = \"USD\", currency_column = \"city\"",
                ),
                "keep one",
            ),
        ] {
            let text = wc.replace(quote, &bad);
            let e = parse_definition(Path::new("whatconverts.toml"), &text).unwrap_err();
            assert!(e.message.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn only_clickfunnels_tokens_do_not_expire() {
        for d in builtin() {
            assert_eq!(d.access_token_expires(), d.id != "clickfunnels", "{}", d.id);
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
        assert!(e.message.contains("expected a boolean"), "{e}");
        // serde reads `[connection]` as a whole (its `method` decides the shape), so toml
        // names the table's line.
        let table = text
            .lines()
            .position(|l| l == "[connection]")
            .map(|i| i + 1);
        assert_eq!(e.line, table, "{e}");
        // It belongs to the OAuth connection: an API-key definition cannot say it at all.
        let wc = include_str!("../providers/whatconverts.toml");
        let text = format!("access_token_expires = false\n{wc}");
        let e = parse_definition(Path::new("whatconverts.toml"), &text).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(
            e.message.contains("unknown field `access_token_expires`"),
            "{e}"
        );
        let text = wc.replace(
            "method = \"api_key\"",
            "method = \"api_key\"\naccess_token_expires = false",
        );
        let e = parse_definition(Path::new("whatconverts.toml"), &text).unwrap_err();
        assert!(e.message.contains("access_token_expires"), "{e}");
    }

    #[test]
    fn oauth_endpoints_are_typed_in_or_discovered_never_both_nor_neither() {
        let cf = include_str!("../providers/clickfunnels.toml");
        let bt = include_str!("../providers/boomtown.toml");
        let discovery = "discovery = \"https://accounts.myclickfunnels.com\"";
        let both = format!("{discovery}\ntoken_url = \"https://accounts.myclickfunnels.com/t\"");
        let e = edited(cf, discovery, &both).unwrap_err();
        assert!(
            e.message
                .contains("token_url comes from the discovery metadata"),
            "{e}"
        );
        assert_eq!(
            e.line,
            find_key_line(&cf.replace(discovery, &both), "token_url")
        );
        let token = "token_url = \"https://auth.boomtownroi.com/oauth/token\"";
        let e = edited(bt, token, "").unwrap_err();
        assert!(
            e.message
                .contains("token_url is required unless discovery is set"),
            "{e}"
        );
        let e = edited(bt, "client_id = \"\"", "registration = \"dynamic\"").unwrap_err();
        assert!(e.message.contains("needs discovery"), "{e}");
        // The OAuth settings live in [connection]: at the top level they are unknown.
        let e = edited(bt, "holds = ", &format!("{token}\nholds = ")).unwrap_err();
        assert!(e.message.contains("unknown field `token_url`"), "{e}");
        // A typed-in definition's endpoints are parsed once, here.
        let d = parse_definition(Path::new("boomtown.toml"), bt).unwrap();
        assert_eq!(
            d.token_url().map(Url::as_str),
            Some("https://auth.boomtownroi.com/oauth/token")
        );
        assert_eq!(
            d.issuer().map(Issuer::as_str),
            Some("https://auth.boomtownroi.com")
        );
        let d = parse_definition(Path::new("clickfunnels.toml"), cf).unwrap();
        assert_eq!(d.token_url(), None, "found by discovery at connect");
        assert_eq!(
            d.connection.discovery(),
            Some("https://accounts.myclickfunnels.com")
        );
    }

    #[test]
    fn ids_follow_the_one_id_rule() {
        let wc = include_str!("../providers/whatconverts.toml");
        let e = edited(wc, "id = \"whatconverts\"", "id = \"what-converts\"").unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        assert!(
            e.message.contains("\"what-converts\" is not a valid id"),
            "{e}"
        );
        let e = edited(wc, "id = \"leads\"", "id = \"Leads\"").unwrap_err();
        assert!(e.message.contains("\"Leads\" is not a valid id"), "{e}");
    }

    #[test]
    fn demo_fields_are_not_part_of_a_definition() {
        let wc = include_str!("../providers/whatconverts.toml");
        let e = edited(
            wc,
            "holds = \"Leads\"",
            "holds = \"Leads\"\ndemo_api_path = \"/whatconverts/api/v1\"",
        )
        .unwrap_err();
        assert!(e.message.contains("unknown field `demo_api_path`"), "{e}");
    }

    /// A definition with one line replaced (the replaced text must be there).
    fn edited(text: &str, from: &str, to: &str) -> Result<ProviderDef, DefinitionError> {
        assert!(text.contains(from), "{from}");
        parse_definition(Path::new("edited.toml"), &text.replace(from, to))
    }

    #[test]
    fn limits_are_data_with_defaults_and_checked() {
        let defs = builtin();
        let wc = defs.iter().find(|d| d.id == "whatconverts").unwrap();
        assert_eq!(
            wc.limits,
            Limits {
                max_pages: 4000,
                ..Limits::default()
            }
        );
        let bt = defs.iter().find(|d| d.id == "boomtown").unwrap();
        assert_eq!(bt.limits, Limits::default());
        assert_eq!(bt.limits.max_body_bytes, 32 * 1024 * 1024);
        let text = include_str!("../providers/whatconverts.toml");
        for (bad, key) in [
            ("max_pages = 0", "max_pages"),
            ("max_records = 0", "max_records"),
            ("max_body_bytes = 10", "max_body_bytes"),
            ("max_body_bytes = 9999999999999", "max_body_bytes"),
        ] {
            let e = edited(text, "max_pages = 4000", bad).unwrap_err();
            assert!(e.message.contains(key), "{bad}: {e}");
            assert_eq!(
                e.line,
                find_key_line(&text.replace("max_pages = 4000", bad), key)
            );
        }
        let e = edited(text, "max_pages = 4000", "max_bytes = 1").unwrap_err();
        assert!(e.message.contains("unknown field"), "{e}");
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
        // Under an https issuer no endpoint may be on this machine (RFC 8252 §8.3 and a
        // downgrade to whatever listens there); under a loopback issuer it may.
        for (key, from) in [
            ("token_url", "https://auth.boomtownroi.com/oauth/token"),
            (
                "authorize_url",
                "https://auth.boomtownroi.com/oauth/authorize",
            ),
            ("revoke_url", "https://auth.boomtownroi.com/oauth/revoke"),
            ("api_base", "https://api.boomtownroi.com/v1"),
        ] {
            let e = edited(
                bt,
                &format!("{key} = \"{from}\""),
                &format!("{key} = \"http://127.0.0.1:8080/x\""),
            )
            .unwrap_err();
            assert!(
                e.message.contains("url.loopback_outside_demo"),
                "{key}: {e}"
            );
            assert_eq!(e.line, find_key_line(bt, key), "{key}: {e}");
        }
        let local = bt.replace(
            "https://auth.boomtownroi.com",
            "http://127.0.0.1:9/boomtown",
        );
        edited(
            &local,
            "api_base = \"https://api.boomtownroi.com/v1\"",
            "api_base = \"http://[::1]:9/boomtown/v1\"",
        )
        .expect("every URL on loopback under a loopback issuer");
        // An API-key provider's home is its API base.
        let wg = include_str!("../providers/webinargeek.toml");
        let e = edited(
            wg,
            "api_base = \"https://app.webinargeek.com/api/v2\"",
            "api_base = \"http://localhost:9/api/v2\"",
        )
        .unwrap_err();
        assert!(e.message.contains("url.localhost_name"), "{e}");
        edited(
            wg,
            "api_base = \"https://app.webinargeek.com/api/v2\"",
            "api_base = \"http://127.0.0.1:9/webinargeek/api/v2\"",
        )
        .expect("an API-key provider on loopback is its own home");
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
    fn record_page_templates_are_checked_at_load() {
        let text = include_str!("../providers/whatconverts.toml");
        let with = |t: &str| {
            let changed = text.replacen(
                "id_pointer = \"/lead_id\"\n",
                &format!("id_pointer = \"/lead_id\"\nrecord_page = {t:?}\n"),
                1,
            );
            assert_ne!(changed, text);
            parse_definition(Path::new("whatconverts.toml"), &changed)
        };
        let ok = with("https://app.example.com/leads/{/lead_id}").unwrap();
        assert_eq!(
            ok.resource("leads").unwrap().record_page.as_deref(),
            Some("https://app.example.com/leads/{/lead_id}")
        );
        for bad in [
            "http://app.example.com/leads/{/lead_id}",
            "http://127.0.0.1:9/leads/{/lead_id}",
            "https://app.example.com/leads/{lead_id}",
            "https://app.example.com/leads?id={/lead_id}",
            "https://app.example.com/leads",
        ] {
            assert!(with(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_loopback_definition_may_have_a_loopback_record_page() {
        // The one URL rule: plain http on a loopback IP literal only under a provider whose
        // home (here its API base) is itself such an address, as a user's override file
        // pointing WhatConverts at a local sandbox is. An https provider never gets one (above).
        let text = include_str!("../providers/whatconverts.toml");
        let from = "api_base = \"https://app.whatconverts.com/api/v1\"";
        assert!(text.contains(from));
        let local = text.replacen(
            from,
            "api_base = \"http://127.0.0.1:9/whatconverts/api/v1\"",
            1,
        );
        let with = |t: &str| {
            let changed = local.replacen(
                "id_pointer = \"/lead_id\"\n",
                &format!("id_pointer = \"/lead_id\"\nrecord_page = {t:?}\n"),
                1,
            );
            assert_ne!(changed, local);
            parse_definition(Path::new("whatconverts.toml"), &changed)
        };
        for ok in [
            "http://127.0.0.1:9/whatconverts/leads/{/lead_id}",
            "http://127.0.0.1:4321/leads/{/lead_id}",
            "https://app.example.com/leads/{/lead_id}",
        ] {
            let def = with(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(
                def.resource("leads").unwrap().record_page.as_deref(),
                Some(ok)
            );
        }
        for bad in [
            "http://localhost:9/whatconverts/leads/{/lead_id}",
            "http://192.168.1.9/leads/{/lead_id}",
            "http://127.0.0.1:9/leads/{lead_id}",
            "http://u:p@127.0.0.1:9/leads/{/lead_id}",
        ] {
            assert!(with(bad).is_err(), "{bad}");
        }
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

        let contacts = r#"incremental = { kind = "after_id", param = "after", field = "/id" }"#;
        for (to, why) in [
            (
                r#"incremental = { kind = "changed_since", param = "x", field = "/id" }"#,
                "unknown variant",
            ),
            (
                r#"incremental = { kind = "after_id", param = "after", field = "id" }"#,
                "JSON pointer",
            ),
            (
                r#"incremental = { kind = "after_id", param = "after", field = "" }"#,
                "name the record field",
            ),
            (
                r#"incremental = { kind = "after_id", param = "a&b", field = "/id" }"#,
                "not a query parameter name",
            ),
            (
                r#"incremental = { kind = "after_id", param = "after", field = "/id", full_every_days = 0 }"#,
                "at least 1",
            ),
            (
                r#"incremental = { kind = "after_id", param = "after", field = "/id", extra = 1 }"#,
                "unknown field",
            ),
            (
                r#"incremental = { kind = "after_id", param = "after", field = "/id" }
split = { param = "status", values = [] }"#,
                "at least one value",
            ),
        ] {
            let e = parse_definition(Path::new("edited.toml"), &text.replacen(contacts, to, 1))
                .unwrap_err();
            assert!(e.message.contains(why), "{to}: {e}");
        }
    }
}
