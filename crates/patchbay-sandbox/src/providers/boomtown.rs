//! BoomTown v1: the signed-in user and limit/offset-paged leads.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use crate::bearer::require_scope;
use crate::changes::RecordState;
use crate::collections::{Collection, Order, Span};
use crate::data::Gen;
use crate::errors::ApiError;
use crate::pagination::{int_param, Params};
use crate::providers::Provider;
use crate::server::AppState;
use crate::tokens::AccessGrant;

const P: Provider = Provider::BoomTown;
pub const MAX_LIMIT: u64 = 100;
const FIRST_LEAD_ID: u64 = 600_001;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/boomtown/v1/users/me", get(me))
        .route("/boomtown/v1/leads", get(leads))
}

async fn me() -> Json<Value> {
    Json(json!({
        "id": 77,
        "first_name": "Sam",
        "last_name": "Carter",
        "email": "sam@carterrealty.example",
        "team_name": "Carter Realty",
    }))
}

async fn leads(
    State(state): State<AppState>,
    Extension(grant): Extension<AccessGrant>,
    Query(params): Query<Params>,
) -> Result<Json<LeadsPage>, ApiError> {
    require_scope(&grant, P, "leads:read")?;
    let limit = int_param(&params, "limit", 25, 1..=MAX_LIMIT)?;
    let offset = int_param(&params, "offset", 0, 0..=u64::MAX)?;
    let c = Collection::BoomTownLeads;
    let page = state.store.page(
        c,
        0,
        &state.clock,
        None,
        Order::Id,
        Span::Offset {
            skip: offset,
            take: limit,
        },
    );
    let total = page.total;
    let seed = state.config.seed;
    let data = page.records(|i, st| lead_at(seed, i, st));
    Ok(Json(LeadsPage {
        data,
        total,
        limit,
        offset,
    }))
}

const LEAD_SOURCES: &[&str] = &[
    "Zillow",
    "Realtor.com",
    "Facebook Ads",
    "Google PPC",
    "Open House",
    "Referral",
    "Website",
];
const STATUSES: &[&str] = &[
    "New",
    "Qualified",
    "Nurture",
    "Watch",
    "Pending",
    "Closed",
    "Archived",
];
const AGENTS: &[&str] = &["Sam Carter", "Alex Rivera", "Jordan Blake", "Taylor Brooks"];

/// Typed, not `json!`: cheap to serialize even in debug builds.
#[derive(Debug, Serialize)]
struct LeadsPage {
    data: Vec<Lead>,
    total: u64,
    limit: u64,
    offset: u64,
}

#[derive(Debug, Serialize)]
pub struct Lead {
    id: u64,
    first_name: &'static str,
    last_name: &'static str,
    email: String,
    /// A lead's second address, when they have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    secondary_email: Option<String>,
    phone: String,
    source: &'static str,
    status: &'static str,
    price_min: u64,
    price_max: u64,
    city: &'static str,
    state: &'static str,
    assigned_agent: &'static str,
    created_at: String,
    updated_at: String,
    last_visit_at: String,
}

/// Lead `index` as the overlay has it. `updated_at` is honest: the generated one follows the
/// last visit; an added lead's is its creation; an update (a new status) sets it to then.
pub fn lead_at(seed: u64, index: u64, st: RecordState) -> Lead {
    let mut g = Gen::record(seed, P, "leads", 0, index);
    let person = crate::population::person(seed, P, "leads", 0, index, g.person(index));
    let price_min = 150_000 + g.below(40) * 10_000;
    let price_max = price_min + (5 + g.below(30)) * 10_000;
    let generated = g.unix_time();
    let generated_visit = (generated + g.below(90 * 86_400) as i64).min(crate::dates::DATA_END - 1);
    let created = st.created.unwrap_or(generated);
    let last_visit = if st.created.is_some() {
        created
    } else {
        generated_visit
    };
    let mut lead = Lead {
        id: FIRST_LEAD_ID + index,
        first_name: person.first,
        last_name: person.last,
        email: person.email,
        secondary_email: person.second_email,
        phone: person.phone,
        source: g.pick(LEAD_SOURCES),
        status: g.pick(STATUSES),
        price_min,
        price_max,
        city: person.city,
        state: person.state,
        assigned_agent: g.pick(AGENTS),
        created_at: crate::dates::rfc3339(created),
        updated_at: crate::dates::rfc3339(last_visit),
        last_visit_at: crate::dates::rfc3339(last_visit),
    };
    if let Some(edit) = st.edit {
        let mut e = Gen::record(seed, P, "leads/edits", edit.version, index);
        let others: Vec<&str> = STATUSES
            .iter()
            .copied()
            .filter(|s| *s != lead.status)
            .collect();
        lead.status = e.pick(&others);
        lead.updated_at = crate::dates::rfc3339(edit.at);
    }
    lead
}
