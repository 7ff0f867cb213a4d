//! WhatConverts API v1: accounts and page-numbered leads.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use crate::bearer::require_scope;
use crate::changes::RecordState;
use crate::collections::{page_range_of, Collection, Order};
use crate::data::{Gen, AWKWARD_TEXT, CAMPAIGNS, SOURCES};
use crate::errors::ApiError;
use crate::filters::{whatconverts_window, window_key, Attrs, Status};
use crate::pagination::{int_param, total_pages, Params};
use crate::providers::Provider;
use crate::server::AppState;
use crate::tokens::AccessGrant;

const P: Provider = Provider::WhatConverts;
const ACCOUNT_ID: u64 = 40123;
const PROFILE_ID: u64 = 70123;
const PROFILE: &str = "harbordental.com";
/// The second account (reached with the second API key only): its own name, ids and leads.
const ACCOUNT_2: (u64, &str, u64, &str) =
    (40124, "Lakeside Orthodontics", 70124, "lakesideortho.com");
/// Account 2's lead ids start here (account 1's from FIRST_LEAD_ID).
const FIRST_LEAD_ID_2: u64 = 5_000_001;
/// The leads maximum page size: 2,500, as two well-used third-party clients use it (the
/// official docs page could not be read here; its accounts endpoint caps at 250).
pub const MAX_PER_PAGE: u64 = 2500;
const FIRST_LEAD_ID: u64 = 1_000_001;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/whatconverts/api/v1/accounts", get(accounts))
        .route("/whatconverts/api/v1/leads", get(leads))
}

/// What a browser reaches from "Open in WhatConverts" in the demo world (a definition's
/// `record_page`, moved onto the sandbox under `/whatconverts`): a plain page naming the lead.
/// Outside the API and its token, as the provider's own pages sit behind the user's login in
/// the browser, not behind the app's credentials.
pub fn pages() -> Router<AppState> {
    Router::new().route("/whatconverts/leads/{lead_id}", get(lead_page))
}

async fn lead_page(Path(lead_id): Path<String>) -> Response {
    // Only a lead id is echoed into the page (digits, so nothing to escape).
    match lead_id.parse::<u64>() {
        Ok(id) => Html(format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Lead {id} - WhatConverts (sandbox)</title></head>\n<body><h1>WhatConverts lead {id}</h1></body></html>\n"
        ))
        .into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "no such lead page").into_response(),
    }
}

async fn accounts(Extension(grant): Extension<AccessGrant>) -> Json<Value> {
    let (id, name, profile_id, profile) = if grant.account == 1 {
        ACCOUNT_2
    } else {
        (ACCOUNT_ID, "Harbor Dental Group", PROFILE_ID, PROFILE)
    };
    Json(json!({
        "page_number": 1,
        "accounts_per_page": 25,
        "total_pages": 1,
        "total_accounts": 1,
        "accounts": [{
            "account_id": id,
            "account_name": name,
            "date_created": "2024-07-01T09:00:00Z",
            "profiles": [{"profile_id": profile_id, "profile_name": profile}],
        }],
    }))
}

async fn leads(
    State(state): State<AppState>,
    Extension(grant): Extension<AccessGrant>,
    Query(params): Query<Params>,
) -> Result<Json<LeadsPage>, ApiError> {
    require_scope(&grant, P, "leads:read")?;
    let page = int_param(&params, "page_number", 1, 1..=u64::MAX)?;
    let per_page = int_param(&params, "leads_per_page", 25, 1..=MAX_PER_PAGE)?;
    let window = whatconverts_window(&params)?;
    // `order` sorts by date created; without it the sandbox answers ascending lead_id.
    let order = match params.get("order").map(String::as_str) {
        None => Order::Id,
        Some("asc") => Order::CreatedAsc,
        Some("desc") => Order::CreatedDesc,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "order must be asc or desc (by date created), got `{other}`"
            )))
        }
    };
    let seed = state.config.seed;
    let keep = window.map(|w| (window_key(w), move |a: Attrs| w.contains(a.created)));
    let filter = keep
        .as_ref()
        .map(|(key, f)| (key.as_str(), f as &dyn Fn(Attrs) -> bool));
    let c = Collection::WhatConvertsLeads;
    let page_of = state.store.page(
        c,
        0,
        &state.clock,
        filter,
        order,
        page_range_of(page, per_page),
    );
    let total = page_of.total;
    let leads = page_of.records(|i, st| for_account(lead_at(seed, i, st), i, grant.account));
    Ok(Json(LeadsPage {
        page_number: page,
        leads_per_page: per_page,
        total_pages: total_pages(total, per_page),
        total_leads: total,
        leads,
    }))
}

// Typed records (not `json!`): serializing structs straight to bytes keeps a page of 250
// cheap even in debug builds, which the 200000-record tests rely on.
#[derive(Debug, Serialize)]
struct LeadsPage {
    page_number: u64,
    leads_per_page: u64,
    total_pages: u64,
    total_leads: u64,
    leads: Vec<Lead>,
}

#[derive(Debug, Serialize)]
pub struct Lead {
    lead_id: u64,
    account_id: u64,
    profile_id: u64,
    profile: &'static str,
    lead_type: &'static str,
    lead_status: &'static str,
    date_created: String,
    /// WhatConverts leads carry `last_updated`; the API has no filter on it.
    last_updated: String,
    #[serde(skip)]
    created_unix: i64,
    #[serde(skip)]
    updated_unix: i64,
    quotable: &'static str,
    quote_value: f64,
    sales_value: f64,
    lead_source: &'static str,
    lead_medium: &'static str,
    lead_campaign: &'static str,
    lead_keyword: &'static str,
    landing_url: String,
    contact_name: String,
    contact_email_address: String,
    contact_phone_number: String,
    city: &'static str,
    state: &'static str,
    country: &'static str,
}

const LEAD_TYPES: &[&str] = &[
    "Phone Call",
    "Web Form",
    "Chat",
    "Transaction",
    "Appointment",
];
const KEYWORDS: &[&str] = &[
    "dentist near me",
    "teeth whitening",
    "emergency dentist",
    "invisalign cost",
    "dental implants",
    "",
];
const LANDING: &[&str] = &["/", "/offers", "/contact", "/services/implants", "/book"];

/// Lead `index` as the overlay has it now: an added lead is created at its add time; an
/// updated one has a new quote and `last_updated` at the update.
pub fn lead_at(seed: u64, index: u64, state: RecordState) -> Lead {
    let mut g = Gen::record(seed, P, "leads", 0, index);
    let person = crate::population::person(seed, P, "leads", 0, index, g.person(index));
    let (source, medium) = SOURCES[g.below(SOURCES.len() as u64) as usize];
    let quotable = g.pick(&["Yes", "No", "Not Set"]);
    let quote = if quotable == "Yes" {
        g.money(150, 6000)
    } else {
        0.0
    };
    let sales = if quotable == "Yes" && g.chance(60) {
        (quote * (g.below(100) as f64 / 100.0) * 100.0).round() / 100.0
    } else {
        0.0
    };
    let contact_name = match Gen::international_name(seed, P, "leads", index) {
        Some(name) => name.to_string(),
        None => format!("{} {}", person.first, person.last),
    };
    let lead_type = g.pick(LEAD_TYPES);
    let lead_status = if g.chance(80) { "Unique" } else { "Repeat" };
    // Drawn here, where the generated data always drew it, so other fields stay the same.
    let generated = g.unix_time();
    let mut lead = Lead {
        lead_id: FIRST_LEAD_ID + index,
        account_id: ACCOUNT_ID,
        profile_id: PROFILE_ID,
        profile: PROFILE,
        lead_type,
        lead_status,
        date_created: String::new(),
        last_updated: String::new(),
        created_unix: 0,
        updated_unix: 0,
        quotable,
        quote_value: quote,
        sales_value: sales,
        lead_source: source,
        lead_medium: medium,
        lead_campaign: g.pick(CAMPAIGNS),
        lead_keyword: g.pick(KEYWORDS),
        landing_url: format!("https://{PROFILE}{}", g.pick(LANDING)),
        contact_name,
        contact_email_address: person.email,
        contact_phone_number: person.phone,
        city: person.city,
        state: person.state,
        country: "US",
    };
    // One early lead, and every 50th after, has a campaign name that needs CSV quoting. Set
    // after the draws so the other fields stay what they were.
    if index % 50 == 1 {
        lead.lead_campaign = AWKWARD_TEXT;
    }
    let created = state.created.unwrap_or(generated);
    let mut updated = created;
    if let Some(edit) = state.edit {
        // A re-quoted lead: the visible change a marketer would make.
        let mut e = Gen::record(seed, P, "leads/edits", edit.version, index);
        lead.quotable = "Yes";
        lead.quote_value = e.money(150, 6000);
        lead.sales_value = 0.0;
        updated = edit.at;
    }
    lead.created_unix = created;
    lead.updated_unix = updated;
    lead.date_created = crate::dates::rfc3339(created);
    lead.last_updated = crate::dates::rfc3339(updated);
    lead
}

/// What the `start_date` / `end_date` filter looks at.
pub fn lead_attrs(seed: u64, index: u64, state: RecordState) -> Attrs {
    let l = lead_at(seed, index, state);
    Attrs {
        created: l.created_unix,
        updated: l.updated_unix,
        status: Status::None,
    }
}

/// The lead as account `account` (0 or 1) sees it.
pub fn for_account(mut l: Lead, index: u64, account: u64) -> Lead {
    if account == 1 {
        l.lead_id = FIRST_LEAD_ID_2 + index;
        l.account_id = ACCOUNT_2.0;
        l.profile_id = ACCOUNT_2.2;
        l.profile = ACCOUNT_2.3;
    }
    l
}

pub fn lead_id(index: u64) -> u64 {
    FIRST_LEAD_ID + index
}
