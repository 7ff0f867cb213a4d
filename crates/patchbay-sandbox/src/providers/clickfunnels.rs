//! ClickFunnels 2.0: user, team and workspace lookups, and `after`-cursor lists whose next
//! cursor travels in the `Pagination-Next` header (and as `Link: <...>; rel="next"`).

use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Extension, Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use crate::bearer::require_scope;
use crate::changes::RecordState;
use crate::collections::{Collection, Order, Span};
use crate::data::{Gen, CAMPAIGNS};
use crate::errors::ApiError;
use crate::pagination::{int_param, Params};
use crate::providers::Provider;
use crate::server::AppState;
use crate::tokens::AccessGrant;

const P: Provider = Provider::ClickFunnels;
pub const TEAM_ID: u64 = 301;
pub const WORKSPACE_ID: u64 = 4201;
/// ClickFunnels pages hold 20 records; `limit` up to 100 is a sandbox extension.
pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;

#[derive(Debug, Clone, Copy)]
enum Resource {
    Funnels,
    Contacts,
    Orders,
}

impl Resource {
    fn scope(self) -> &'static str {
        match self {
            Resource::Funnels => "funnels:read",
            Resource::Contacts => "contacts:read",
            Resource::Orders => "orders:read",
        }
    }

    fn collection(self) -> Collection {
        match self {
            Resource::Funnels => Collection::ClickFunnelsFunnels,
            Resource::Contacts => Collection::ClickFunnelsContacts,
            Resource::Orders => Collection::ClickFunnelsOrders,
        }
    }

    /// Ids are consecutive from here, so `after` maps straight to an index.
    fn first_id(self) -> u64 {
        match self {
            Resource::Funnels => 10_001,
            Resource::Contacts => FIRST_CONTACT_ID,
            Resource::Orders => 30_000_001,
        }
    }
}

/// The first contact's id (orders name their contact by it).
pub const FIRST_CONTACT_ID: u64 = 20_000_001;

pub fn routes() -> Router<AppState> {
    let base = "/clickfunnels/api/v2";
    Router::new()
        .route(&format!("{base}/me"), get(me))
        .route(&format!("{base}/teams"), get(teams))
        .route(
            &format!("{base}/teams/{{team_id}}/workspaces"),
            get(team_workspaces),
        )
        .route(
            &format!("{base}/workspaces/{{workspace_id}}"),
            get(workspace_one),
        )
        .route(
            &format!("{base}/workspaces/{{workspace_id}}/funnels"),
            list_route(Resource::Funnels),
        )
        .route(
            &format!("{base}/workspaces/{{workspace_id}}/contacts"),
            list_route(Resource::Contacts),
        )
        .route(
            &format!("{base}/workspaces/{{workspace_id}}/orders"),
            list_route(Resource::Orders),
        )
}

fn list_route(resource: Resource) -> MethodRouter<AppState> {
    get(
        move |s: State<AppState>, g: Extension<AccessGrant>, w: Path<String>, q: Query<Params>| {
            list(s, g, w, q, resource)
        },
    )
}

fn workspace() -> Value {
    json!({"id": WORKSPACE_ID, "public_id": "ws_Q7r8Kp", "team_id": TEAM_ID, "name": "Acme Main", "subdomain": "acme"})
}

fn team() -> Value {
    json!({"id": TEAM_ID, "public_id": "tm_A1b2Cd", "name": "Acme Marketing", "workspaces": [workspace()]})
}

async fn me() -> Json<Value> {
    Json(json!({
        "id": 5501,
        "public_id": "usr_K3x9Lm",
        "email": "owner@acme-marketing.example",
        "first_name": "Dana",
        "last_name": "Reed",
        "teams": [team()],
    }))
}

async fn teams() -> Json<Value> {
    Json(json!([team()]))
}

async fn team_workspaces(Path(team_id): Path<String>) -> Result<Json<Value>, ApiError> {
    if team_id != TEAM_ID.to_string() {
        return Err(ApiError::NotFound(format!("no team {team_id}")));
    }
    Ok(Json(json!([workspace()])))
}

async fn workspace_one(Path(workspace_id): Path<String>) -> Result<Json<Value>, ApiError> {
    check_workspace(&workspace_id)?;
    Ok(Json(workspace()))
}

fn check_workspace(id: &str) -> Result<(), ApiError> {
    if id == WORKSPACE_ID.to_string() {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!("no workspace {id}")))
    }
}

async fn list(
    State(state): State<AppState>,
    Extension(grant): Extension<AccessGrant>,
    Path(workspace_id): Path<String>,
    Query(params): Query<Params>,
    resource: Resource,
) -> Result<Response, ApiError> {
    require_scope(&grant, P, resource.scope())?;
    check_workspace(&workspace_id)?;
    let limit = int_param(&params, "limit", DEFAULT_LIMIT, 1..=MAX_LIMIT)?;
    // `after` is a record id: the page holds the records with greater ids (ids ascend with
    // the index, added records included).
    let start = match params.get("after") {
        None => 0,
        Some(raw) => {
            let after: u64 = raw.parse().map_err(|_| {
                ApiError::bad_request(format!("after must be a record id, got `{raw}`"))
            })?;
            (after + 1).saturating_sub(resource.first_id())
        }
    };
    let c = resource.collection();
    let page = state.store.page(
        c,
        0,
        &state.clock,
        None,
        Order::Id,
        Span::From {
            index: start,
            take: limit,
        },
    );
    let seed = state.config.seed;
    let total = state.config.records as u64;
    let items: Vec<Record> = page.records(|i, st| match resource {
        Resource::Funnels => Record::Other(funnel_at(seed, i, st)),
        Resource::Contacts => Record::Contact(Box::new(contact_at(seed, i, st))),
        Resource::Orders => Record::Other(order_at(seed, i, total, st)),
    });
    let mut response = Json(items).into_response();
    if let (true, Some(last)) = (page.more, page.indices.last()) {
        let next = resource.first_id() + last;
        response
            .headers_mut()
            .insert("pagination-next", HeaderValue::from(next));
        // The same cursor as an RFC 8288 link, as ClickFunnels also sends it.
        let segment = match resource {
            Resource::Funnels => "funnels",
            Resource::Contacts => "contacts",
            Resource::Orders => "orders",
        };
        let mut link = format!(
            "<{}/clickfunnels/api/v2/workspaces/{workspace_id}/{segment}?after={next}",
            state.base_url
        );
        if params.contains_key("limit") {
            link.push_str(&format!("&limit={limit}"));
        }
        link.push_str(">; rel=\"next\"");
        if let Ok(v) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(axum::http::header::LINK, v);
        }
    }
    Ok(response)
}

const FUNNEL_KINDS: &[&str] = &[
    "Webinar Funnel",
    "Lead Magnet",
    "Sales Page",
    "Tripwire",
    "Membership",
    "Application Funnel",
];

/// Funnel `index` as the overlay has it: an update flips `archived`.
pub fn funnel_at(seed: u64, index: u64, st: RecordState) -> Value {
    let mut g = Gen::record(seed, P, "funnels", 0, index);
    let name = format!("{} {}", g.pick(FUNNEL_KINDS), index + 1);
    let generated = g.unix_time();
    let path = name.to_ascii_lowercase().replace(' ', "-");
    let public_id = g.public_id("fnl");
    let archived = g.chance(10);
    let generated_update = updated(&mut g, generated);
    let (created, update) = dates(st, generated, generated_update);
    json!({
        "id": Resource::Funnels.first_id() + index,
        "public_id": public_id,
        "workspace_id": WORKSPACE_ID,
        "name": name,
        "archived": archived != st.edit.is_some_and(|e| e.version % 2 == 1),
        "current_path": format!("/{path}"),
        "created_at": crate::dates::rfc3339(created),
        "updated_at": crate::dates::rfc3339(update),
    })
}

/// (created, updated) of a record: generated, or the add time, or the last update's time.
fn dates(st: RecordState, generated: i64, generated_update: i64) -> (i64, i64) {
    let created = st.created.unwrap_or(generated);
    let base_update = if st.created.is_some() {
        created
    } else {
        generated_update
    };
    (created, st.edit.map_or(base_update, |e| e.at))
}

fn updated(g: &mut Gen, created: i64) -> i64 {
    (created + g.below(120 * 86_400) as i64).min(crate::dates::DATA_END - 1)
}

const TAGS: &[&str] = &[
    "lead",
    "customer",
    "webinar",
    "vip",
    "newsletter",
    "abandoned-cart",
];

/// A list item. Contacts, the big collection, are typed so that serializing them is cheap
/// even in debug builds (the 200000-record tests page through them).
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Record {
    Contact(Box<Contact>),
    Other(Value),
}

#[derive(Debug, Serialize)]
pub struct Tag {
    name: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Contact {
    id: u64,
    public_id: String,
    workspace_id: u64,
    uuid: String,
    email_address: String,
    first_name: &'static str,
    last_name: &'static str,
    phone_number: String,
    time_zone: &'static str,
    unsubscribed_at: Option<String>,
    tags: [Tag; 1],
    created_at: String,
    updated_at: String,
}

/// Contact `index` as the overlay has it: an update gives a new last name and tag.
pub fn contact_at(seed: u64, index: u64, st: RecordState) -> Contact {
    let mut g = Gen::record(seed, P, "contacts", 0, index);
    let person = crate::population::person(seed, P, "contacts", 0, index, g.person(index));
    let generated = g.unix_time();
    let unsubscribed = g
        .chance(8)
        .then(|| crate::dates::rfc3339(updated(&mut g, generated)));
    let mut c = contact_fields(&mut g, index, person);
    let (created, update) = dates(st, generated, updated(&mut g, generated));
    c.unsubscribed_at = unsubscribed;
    c.created_at = crate::dates::rfc3339(created);
    c.updated_at = crate::dates::rfc3339(update);
    if let Some(edit) = st.edit {
        let mut e = Gen::record(seed, P, "contacts/edits", edit.version, index);
        c.last_name = e.pick(crate::data::LAST_NAMES);
        c.tags = [Tag { name: e.pick(TAGS) }];
    }
    c
}

fn contact_fields(g: &mut Gen, index: u64, person: crate::data::Person) -> Contact {
    Contact {
        id: Resource::Contacts.first_id() + index,
        public_id: g.public_id("ctc"),
        workspace_id: WORKSPACE_ID,
        uuid: g.uuid(),
        email_address: person.email,
        first_name: person.first,
        last_name: person.last,
        phone_number: person.phone_e164,
        time_zone: person.time_zone,
        unsubscribed_at: None,
        tags: [Tag { name: g.pick(TAGS) }],
        created_at: String::new(),
        updated_at: String::new(),
    }
}

const CHANNELS: &[&str] = &[
    "Facebook",
    "Google",
    "Email",
    "Instagram",
    "YouTube",
    "Direct",
];
const PRICES: &[&str] = &[
    "7.00", "27.00", "47.00", "97.00", "199.00", "497.00", "997.00", "1997.00",
];

/// Order `index` as the overlay has it: an update changes its billing status.
pub fn order_at(seed: u64, index: u64, total: u64, st: RecordState) -> Value {
    let mut g = Gen::record(seed, P, "orders", 0, index);
    let generated = g.unix_time();
    let public_id = g.public_id("ord");
    let contact_id = Resource::Contacts.first_id() + g.below(total.max(1));
    let total_amount = g.pick(PRICES);
    let order_type = if g.chance(25) {
        "subscription"
    } else {
        "one-time"
    };
    let mut billing_status = g.pick(&["paid", "paid", "paid", "refunded", "pending"]);
    let channel = g.pick(CHANNELS);
    let campaign = g.pick(CAMPAIGNS);
    let (created, update) = dates(st, generated, updated(&mut g, generated));
    if let Some(edit) = st.edit {
        let mut e = Gen::record(seed, P, "orders/edits", edit.version, index);
        let others: Vec<&str> = ["paid", "refunded", "pending"]
            .into_iter()
            .filter(|s| *s != billing_status)
            .collect();
        billing_status = e.pick(&others);
    }
    json!({
        "id": Resource::Orders.first_id() + index,
        "public_id": public_id,
        "workspace_id": WORKSPACE_ID,
        "contact_id": contact_id,
        "order_number": 100_001 + index,
        "currency": "USD",
        "total_amount": total_amount,
        "order_type": order_type,
        "billing_status": billing_status,
        "origination_channel_name": channel,
        "campaign": campaign,
        "created_at": crate::dates::rfc3339(created),
        "updated_at": crate::dates::rfc3339(update),
    })
}
