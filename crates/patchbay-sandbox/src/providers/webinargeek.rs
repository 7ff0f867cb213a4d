//! WebinarGeek API v2: account, page-numbered webinars and each webinar's subscriptions
//! (WebinarGeek's word for registrations).

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use crate::bearer::require_scope;
use crate::changes::RecordState;
use crate::collections::{page_range_of, Collection, Order};
use crate::data::Gen;
use crate::errors::ApiError;
use crate::pagination::{int_param, page_range, total_pages, Params};
use crate::providers::Provider;
use crate::server::AppState;
use crate::tokens::AccessGrant;

const P: Provider = Provider::WebinarGeek;
pub const MAX_PER_PAGE: u64 = 100;
pub const FIRST_WEBINAR_ID: u64 = 5001;
const FIRST_SUBSCRIPTION_ID: u64 = 9_000_000_001;

pub fn routes() -> Router<AppState> {
    let base = "/webinargeek/api/v2";
    Router::new()
        .route(&format!("{base}/account"), get(account))
        .route(&format!("{base}/webinars"), get(webinars))
        .route(
            &format!("{base}/webinars/{{webinar_id}}/subscriptions"),
            get(subscriptions),
        )
        .route(
            &format!("{base}/webinars/{{webinar_id}}/registrations"),
            get(subscriptions),
        )
}

async fn account() -> Json<Value> {
    Json(
        json!({"id": 880, "name": "Acme Events", "email": "events@acme.example", "company": "Acme Marketing"}),
    )
}

fn pagination(page: u64, per_page: u64, total: u64) -> Value {
    json!({"page": page, "per_page": per_page, "total_pages": total_pages(total, per_page), "total_count": total})
}

async fn webinars(
    State(state): State<AppState>,
    Extension(grant): Extension<AccessGrant>,
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    require_scope(&grant, P, "webinars:read")?;
    let page = int_param(&params, "page", 1, 1..=u64::MAX)?;
    let per_page = int_param(&params, "per_page", 25, 1..=MAX_PER_PAGE)?;
    let c = Collection::WebinarGeekWebinars;
    let found = state.store.page(
        c,
        0,
        &state.clock,
        None,
        Order::Id,
        page_range_of(page, per_page),
    );
    let total = found.total;
    let seed = state.config.seed;
    let items: Vec<Value> = found.records(|i, st| webinar_at(seed, i, st));
    Ok(Json(
        json!({"webinars": items, "pagination": pagination(page, per_page, total)}),
    ))
}

async fn subscriptions(
    State(state): State<AppState>,
    Extension(grant): Extension<AccessGrant>,
    Path(webinar_id): Path<String>,
    Query(params): Query<Params>,
) -> Result<Json<SubscriptionsPage>, ApiError> {
    require_scope(&grant, P, "webinars:read")?;
    let total = state.config.records as u64;
    let webinar_index = webinar_id
        .parse::<u64>()
        .ok()
        .and_then(|id| id.checked_sub(FIRST_WEBINAR_ID))
        .filter(|i| *i < total)
        .ok_or_else(|| ApiError::NotFound(format!("no webinar {webinar_id}")))?;
    let page = int_param(&params, "page", 1, 1..=u64::MAX)?;
    let per_page = int_param(&params, "per_page", 25, 1..=MAX_PER_PAGE)?;
    let subscriptions: Vec<Subscription> = page_range(total, page, per_page)
        .map(|i| subscription(state.config.seed, webinar_index, i, total))
        .collect();
    Ok(Json(SubscriptionsPage {
        subscriptions,
        pagination: pagination(page, per_page, total),
    }))
}

const TOPICS: &[&str] = &[
    "Local SEO in 30 minutes",
    "Email Automation That Converts",
    "Paid Social on a Small Budget",
    "Landing Pages Teardown",
    "Reporting for Agencies",
    "Q&A: Google Ads",
    "Funnel Metrics 101",
];
const TIMEZONES: &[&str] = &[
    "Europe/Amsterdam",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
];

/// Webinar `index` as the overlay has it. WebinarGeek shows no "updated" date; an update
/// changes the registration count (and an added webinar starts at its creation, scheduled).
pub fn webinar_at(seed: u64, index: u64, st: RecordState) -> Value {
    let mut g = Gen::record(seed, P, "webinars", 0, index);
    let starts = st.created.unwrap_or(g.unix_time());
    let title = format!("{} #{}", g.pick(TOPICS), index + 1);
    let duration = 30 + 15 * g.below(5);
    let timezone = g.pick(TIMEZONES);
    let ended = g.chance(85) && st.created.is_none();
    let mut registrations = 20 + g.below(600);
    if let Some(edit) = st.edit {
        let mut e = Gen::record(seed, P, "webinars/edits", edit.version, index);
        registrations += 1 + e.below(50);
    }
    json!({
        "id": FIRST_WEBINAR_ID + index,
        "title": title,
        "starts_at": crate::dates::rfc3339(starts - starts % 900),
        "duration_minutes": duration,
        "timezone": timezone,
        "status": if ended { "ended" } else { "scheduled" },
        "registration_count": registrations,
    })
}

const COMPANIES: &[&str] = &[
    "Brightside Media",
    "Northwind Realty",
    "Bluebird Dental",
    "Summit Fitness",
    "Oakridge Law",
    "",
];
const REG_SOURCES: &[&str] = &["newsletter", "facebook", "linkedin", "website", "partner"];

/// Typed (subscriptions are the big child collection): cheap to serialize in debug builds.
#[derive(Debug, Serialize)]
struct SubscriptionsPage {
    subscriptions: Vec<Subscription>,
    pagination: Value,
}

#[derive(Debug, Serialize)]
pub(crate) struct Subscription {
    id: u64,
    webinar_id: u64,
    email: String,
    firstname: &'static str,
    surname: &'static str,
    phone: String,
    company: &'static str,
    registered_at: String,
    watched: bool,
    minutes_viewed: u64,
    source: &'static str,
}

pub(crate) fn subscription(seed: u64, webinar_index: u64, index: u64, total: u64) -> Subscription {
    let mut g = Gen::record(seed, P, "subscriptions", webinar_index + 1, index);
    let person = crate::population::person(
        seed,
        P,
        "subscriptions",
        webinar_index + 1,
        index,
        g.person(index),
    );
    // A registrant who has a second address sometimes registers with it (their phone still
    // says who they are).
    let email = match &person.second_email {
        Some(second)
            if Gen::record(seed, P, "subscriptions/second", webinar_index + 1, index)
                .chance(50) =>
        {
            second.clone()
        }
        _ => person.email.clone(),
    };
    let watched = g.chance(55);
    Subscription {
        id: FIRST_SUBSCRIPTION_ID + webinar_index * total + index,
        webinar_id: FIRST_WEBINAR_ID + webinar_index,
        email,
        firstname: person.first,
        surname: person.last,
        phone: person.phone_e164,
        company: g.pick(COMPANIES),
        registered_at: g.timestamp(),
        watched,
        minutes_viewed: if watched { 1 + g.below(60) } else { 0 },
        source: g.pick(REG_SOURCES),
    }
}
