//! EmailOctopus API v2: lists, a list's contacts and campaigns, with the next cursor in the
//! body (`paging.next.starting_after`).

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::Serialize;
use serde_json::{json, Value};

use crate::bearer::require_scope;
use crate::changes::RecordState;
use crate::collections::{Collection, Order, Span};
use crate::data::{Gen, CAMPAIGNS};
use crate::errors::ApiError;
use crate::filters::{Attrs, ContactFilter, Status, CONTACT_FILTER_PARAMS};
use crate::pagination::{decode_cursor, encode_cursor, int_param, Params};
use crate::providers::Provider;
use crate::server::AppState;
use crate::tokens::AccessGrant;

const P: Provider = Provider::EmailOctopus;
pub const MAX_LIMIT: u64 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/emailoctopus/me", get(me))
        .route("/emailoctopus/lists", get(lists))
        .route("/emailoctopus/lists/{list_id}/contacts", get(contacts))
        .route("/emailoctopus/campaigns", get(campaigns))
}

async fn me(State(state): State<AppState>) -> Json<Value> {
    let mut g = Gen::record(state.config.seed, P, "account", 0, 0);
    Json(json!({"id": g.uuid(), "name": "Acme Newsletter", "email": "news@acme.example"}))
}

/// The page of a cursor-paged collection and the `paging` object pointing past it.
fn page<T: Serialize>(
    params: &Params,
    resource: &str,
    path: &str,
    total: u64,
    mut item: impl FnMut(u64) -> T,
) -> Result<Json<CursorPage<T>>, ApiError> {
    let limit = int_param(params, "limit", 10, 1..=MAX_LIMIT)?;
    let start = match params.get("starting_after") {
        Some(c) => decode_cursor(resource, c)?.min(total),
        None => 0,
    };
    let end = start.saturating_add(limit).min(total);
    let data: Vec<T> = (start..end).map(&mut item).collect();
    let next = (end < total).then(|| {
        let cursor = encode_cursor(resource, end);
        Next {
            url: format!("{path}?limit={limit}&starting_after={cursor}"),
            starting_after: cursor,
        }
    });
    Ok(Json(CursorPage {
        data,
        paging: Paging { next },
    }))
}

// Typed pages (and contacts, the big child collection): cheap to serialize in debug builds.
#[derive(Debug, Serialize)]
struct CursorPage<T> {
    data: Vec<T>,
    paging: Paging,
}

#[derive(Debug, Serialize)]
struct Paging {
    next: Option<Next>,
}

#[derive(Debug, Serialize)]
struct Next {
    url: String,
    starting_after: String,
}

#[derive(Debug, Serialize)]
pub struct ContactFields {
    #[serde(rename = "FirstName")]
    first_name: &'static str,
    #[serde(rename = "LastName")]
    last_name: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Contact {
    id: String,
    email_address: String,
    fields: ContactFields,
    tags: [&'static str; 1],
    status: &'static str,
    created_at: String,
    last_updated_at: String,
}

async fn lists(
    State(state): State<AppState>,
    Extension(grant): Extension<AccessGrant>,
    Query(params): Query<Params>,
) -> Result<Json<CursorPage<Value>>, ApiError> {
    require_scope(&grant, P, "lists:read")?;
    let total = state.config.records as u64;
    page(&params, "lists", "/lists", total, |i| {
        list(state.config.seed, i, total)
    })
}

async fn contacts(
    State(state): State<AppState>,
    Extension(grant): Extension<AccessGrant>,
    Path(list_id): Path<String>,
    Query(params): Query<Params>,
) -> Result<Json<CursorPage<Contact>>, ApiError> {
    require_scope(&grant, P, "lists:read")?;
    let total = state.config.records as u64;
    let seed = state.config.seed;
    let list_index = list_index(seed, &list_id, total)
        .ok_or_else(|| ApiError::NotFound(format!("no list {list_id}")))?;
    let filter = ContactFilter::parse(&params)?;
    let limit = int_param(&params, "limit", 10, 1..=MAX_LIMIT)?;
    // The cursor names the list too, so one list's cursor cannot page another list. It holds
    // the index of the next record to consider, so it survives adds and deletes.
    let resource = format!("contacts-{list_index}");
    let start = match params.get("starting_after") {
        Some(c) => decode_cursor(&resource, c)?,
        None => 0,
    };
    let key = filter.key();
    let keep = move |a: Attrs| filter.matches(a);
    let c = Collection::EmailOctopusContacts;
    let page = state.store.page(
        c,
        list_index,
        &state.clock,
        Some((&key, &keep)),
        Order::Id,
        Span::From {
            index: start,
            take: limit,
        },
    );
    let data = page.records(|i, st| contact_at(seed, list_index, i, st));
    let next = match (page.more, page.indices.last()) {
        (true, Some(last)) => {
            let cursor = encode_cursor(&resource, last + 1);
            let mut url = url::form_urlencoded::Serializer::new(String::new());
            url.append_pair("limit", &limit.to_string());
            for name in CONTACT_FILTER_PARAMS {
                if let Some(v) = params.get(name) {
                    url.append_pair(name, v);
                }
            }
            url.append_pair("starting_after", &cursor);
            Some(Next {
                url: format!("/lists/{list_id}/contacts?{}", url.finish()),
                starting_after: cursor,
            })
        }
        _ => None,
    };
    Ok(Json(CursorPage {
        data,
        paging: Paging { next },
    }))
}

async fn campaigns(
    State(state): State<AppState>,
    Extension(grant): Extension<AccessGrant>,
    Query(params): Query<Params>,
) -> Result<Json<CursorPage<Value>>, ApiError> {
    require_scope(&grant, P, "campaigns:read")?;
    let total = state.config.records as u64;
    page(&params, "campaigns", "/campaigns", total, |i| {
        campaign(state.config.seed, i, total)
    })
}

/// List ids are UUIDs whose last 12 hex digits carry the list's index, so a list id maps
/// back to its index without a table; the rest is derived from the seed and checked.
fn list_uuid(seed: u64, index: u64) -> String {
    let mut g = Gen::record(seed, P, "list-id", 0, index);
    let a = g.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        ((g.next_u64() >> 48) & 0x3fff) | 0x8000,
        index
    )
}

fn list_index(seed: u64, id: &str, total: u64) -> Option<u64> {
    let index = u64::from_str_radix(id.get(24..)?, 16).ok()?;
    (index < total && list_uuid(seed, index) == id).then_some(index)
}

const LIST_NAMES: &[&str] = &[
    "Newsletter",
    "Customers",
    "Webinar Attendees",
    "Leads",
    "VIP",
    "Product Updates",
];

fn list(seed: u64, index: u64, total: u64) -> Value {
    let mut g = Gen::record(seed, P, "lists", 0, index);
    json!({
        "id": list_uuid(seed, index),
        "name": format!("{} {}", g.pick(LIST_NAMES), index + 1),
        "double_opt_in": g.chance(30),
        "fields": [
            {"tag": "EmailAddress", "type": "text", "label": "Email address", "fallback": null},
            {"tag": "FirstName", "type": "text", "label": "First name", "fallback": null},
            {"tag": "LastName", "type": "text", "label": "Last name", "fallback": null},
        ],
        "tags": ["customer", "lead"],
        "counts": {"pending": g.below(10), "subscribed": total, "unsubscribed": g.below(40)},
        "created_at": g.timestamp(),
    })
}

const CONTACT_TAGS: &[&str] = &["customer", "lead", "webinar", "vip"];

const STATUSES: [&str; 5] = [
    "subscribed",
    "subscribed",
    "subscribed",
    "unsubscribed",
    "pending",
];

/// Contact `index` of list `list_index` as the overlay has it: an update changes its status
/// (a subscriber leaving, a pending one confirming...) and sets `last_updated_at`.
pub fn contact_at(seed: u64, list_index: u64, index: u64, st: RecordState) -> Contact {
    contact_parts(seed, list_index, index, st).0
}

pub fn contact_attrs(seed: u64, list_index: u64, index: u64, st: RecordState) -> Attrs {
    contact_parts(seed, list_index, index, st).1
}

fn contact_parts(seed: u64, list_index: u64, index: u64, st: RecordState) -> (Contact, Attrs) {
    let mut g = Gen::record(seed, P, "contacts", list_index + 1, index);
    let person =
        crate::population::person(seed, P, "contacts", list_index + 1, index, g.person(index));
    let generated = g.unix_time();
    let generated_update =
        (generated + g.below(200 * 86_400) as i64).min(crate::dates::DATA_END - 1);
    let id = g.uuid();
    let tag = g.pick(CONTACT_TAGS);
    let mut status = g.pick(&STATUSES);
    let created = st.created.unwrap_or(generated);
    let mut updated = if st.created.is_some() {
        created
    } else {
        generated_update
    };
    if let Some(edit) = st.edit {
        let mut e = Gen::record(seed, P, "contacts/edits", edit.version, index);
        let others: Vec<&str> = ["subscribed", "unsubscribed", "pending"]
            .into_iter()
            .filter(|s| *s != status)
            .collect();
        status = e.pick(&others);
        updated = edit.at;
    }
    let attrs = Attrs {
        created,
        updated,
        status: Status::parse(status).unwrap_or(Status::None),
    };
    let contact = Contact {
        id,
        email_address: person.email,
        fields: ContactFields {
            first_name: person.first,
            last_name: person.last,
        },
        tags: [tag],
        status,
        created_at: crate::dates::rfc3339(created),
        last_updated_at: crate::dates::rfc3339(updated),
    };
    (contact, attrs)
}

fn campaign(seed: u64, index: u64, total: u64) -> Value {
    let mut g = Gen::record(seed, P, "campaigns", 0, index);
    let created = g.unix_time();
    let sent = g.chance(85);
    let name = format!("{} #{}", g.pick(CAMPAIGNS), index + 1);
    json!({
        "id": g.uuid(),
        "status": if sent { "sent" } else { "draft" },
        "name": name,
        "subject": format!("{name}: news from Acme"),
        "from": {"name": "Acme Marketing", "email_address": "news@acme.example"},
        "to": [list_uuid(seed, g.below(total.max(1)))],
        "created_at": crate::dates::rfc3339(created),
        "sent_at": if sent { Value::String(crate::dates::rfc3339((created + 86_400).min(crate::dates::DATA_END - 1))) } else { Value::Null },
    })
}
