//! `/_sandbox` endpoints that change the sandbox's data and clock, for the app's end-to-end
//! tests (which drive the sandbox binary over HTTP, not through the library).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use crate::changes::ChangeSet;
use crate::collections::Collection;
use crate::errors::SandboxError;
use crate::server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_sandbox/changes", post(changes))
        .route("/_sandbox/clock", post(clock))
        .route("/_sandbox/records/{provider}/{resource}", get(records))
        .route("/_sandbox/truth", get(truth))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangesBody {
    provider: String,
    resource: String,
    #[serde(default)]
    add: usize,
    #[serde(default)]
    update: usize,
    #[serde(default)]
    delete: usize,
}

fn error(status: StatusCode, e: &SandboxError) -> Response {
    (
        status,
        Json(json!({"error": e.code(), "error_description": e.to_string()})),
    )
        .into_response()
}

async fn changes(State(state): State<AppState>, Json(body): Json<ChangesBody>) -> Response {
    let c = match Collection::parse(&body.provider, &body.resource) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::NOT_FOUND, &e),
    };
    let set = ChangeSet {
        add: body.add,
        update: body.update,
        delete: body.delete,
    };
    match state.store.apply(c, set, &state.clock) {
        Ok(applied) => Json(applied).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, &e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    advance_secs: u64,
}

async fn clock(State(state): State<AppState>, Json(body): Json<ClockBody>) -> Response {
    state.clock.advance(Duration::from_secs(body.advance_secs));
    let now = state
        .clock
        .now()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| state.clock.now());
    match now.format(&Rfc3339) {
        Ok(now) => Json(json!({ "now": now })).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn records(
    State(state): State<AppState>,
    Path((provider, resource)): Path<(String, String)>,
) -> Response {
    match Collection::parse(&provider, &resource) {
        Ok(c) => Json(state.store.records(c, &state.clock)).into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, &e),
    }
}

/// Who is really behind every record of the people collections (`population::truth`), so
/// end-to-end tests can check People against it.
async fn truth(State(state): State<AppState>) -> Response {
    let rows = crate::population::truth(state.config.seed, state.config.records as u64);
    Json(rows).into_response()
}
