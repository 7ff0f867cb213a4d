//! Shared state, the router, and the connection loop.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::State;
use axum::http::Request;
use axum::routing::get;
use axum::{Json, Router};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::config::SandboxConfig;
use crate::consent::ConsentStore;
use crate::faults::FaultInjector;
use crate::ratelimit::RateLimiter;
use crate::requests_log::{LoggedRequest, RequestLog};
use crate::tokens::TokenStore;
use crate::{bearer, oauth, observe, providers::Provider};

/// Everything the handlers share.
#[derive(Debug)]
pub struct Shared {
    pub config: SandboxConfig,
    /// `http://127.0.0.1:PORT`, the prefix of every issuer.
    pub base_url: String,
    pub tokens: TokenStore,
    pub consents: ConsentStore,
    pub log: RequestLog,
    pub faults: FaultInjector,
    pub limiter: RateLimiter,
    pub registrations: crate::registration::Registrations,
    /// Refresh requests held by tests (`Sandbox::hold_next_refresh`).
    pub holds: crate::holds::Holds,
    /// The simulated clock of records, churn and quotas.
    pub clock: crate::clock::SimClock,
    /// Changes over the generated data.
    pub store: crate::collections::Store,
    /// Daily request quotas per credential.
    pub quotas: crate::quota::Quotas,
}

#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Shared>);

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Lets a handler close its own connection without answering (the `drop` fault).
#[derive(Debug, Clone)]
pub struct ConnectionKiller(pub Arc<Notify>);

pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .merge(oauth::routes())
        .merge(crate::registration::routes())
        .merge(crate::admin::routes())
        .merge(crate::providers::whatconverts::pages());
    if state.config.serve_request_log {
        router = router.route("/_sandbox/requests", get(requests).delete(clear_requests));
    }
    for p in Provider::ALL {
        router = router.merge(
            p.api_routes()
                .route_layer(axum::middleware::from_fn_with_state(
                    (state.clone(), p),
                    bearer::require_token,
                )),
        );
    }
    router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        // Outermost: a request for another host is answered before anything sees it.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::host_check::own_host_only,
        ))
        .with_state(state)
}

async fn requests(State(state): State<AppState>) -> Json<Vec<LoggedRequest>> {
    Json(state.log.snapshot())
}

async fn clear_requests(State(state): State<AppState>) {
    state.log.clear();
}

/// Accepts connections until `shutdown` fires (or its sender is dropped); then every open
/// connection is aborted with the JoinSet.
pub async fn serve(listener: TcpListener, router: Router, mut shutdown: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Typically EMFILE: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                while connections.try_join_next().is_some() {}
                let killer = Arc::new(Notify::new());
                let k = ConnectionKiller(killer.clone());
                let service = router.clone().map_request(move |mut req: Request<Incoming>| {
                    req.extensions_mut().insert(k.clone());
                    req
                });
                connections.spawn(async move {
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
                    tokio::select! {
                        result = conn => {
                            if let Err(e) = result {
                                tracing::debug!(error = %e, "connection ended with an error");
                            }
                        }
                        // Dropping the connection future closes the socket mid-request.
                        _ = killer.notified() => tracing::debug!("connection dropped on purpose"),
                    }
                });
            }
        }
    }
    connections.shutdown().await;
}

/// Marks a response that carries or asks for credentials as never to be cached (RFC 6749
/// section 5.1, RFC 7591 section 3.2.1).
pub(crate) fn no_store(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}
