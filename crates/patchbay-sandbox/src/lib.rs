//! patchbay-sandbox: a strict OAuth 2.0 authorization server plus imitations of the five
//! providers' APIs, served on loopback. See README.md for every endpoint and rule.

mod admin;
mod apikey;
mod bearer;
mod changes;
mod clock;
mod collections;
mod config;
mod consent;
mod data;
mod dates;
mod errors;
mod faults;
mod filters;
mod holds;
mod host_check;
mod oauth;
mod observe;
mod pagination;
mod pkce;
pub mod population;
mod providers;
mod quota;
mod ratelimit;
mod registration;
mod requests_log;
mod secret_eq;
mod server;
mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use changes::{AppliedChanges, ChangeSet, Churn};
pub use config::{
    parse_churn, parse_latency, AccessLifetime, AuthMode, SandboxConfig, API_KEY_PROVIDERS,
};
pub use errors::SandboxError;
pub use faults::{FaultSpec, FaultSpecError};
pub use holds::{HoldPoint, RefreshHold};
pub use pkce::s256 as pkce_s256_challenge;
pub use requests_log::LoggedRequest;
/// The `time` crate of [`Sandbox::now`].
pub use time;

use consent::ConsentStore;
use faults::FaultInjector;
use ratelimit::RateLimiter;
use requests_log::RequestLog;
use server::{AppState, Shared};
pub use tokens::RefreshTokenStatus;
use tokens::TokenStore;

/// The provider slugs served, in a stable order.
pub const PROVIDERS: [&str; 5] = [
    "whatconverts",
    "clickfunnels",
    "webinargeek",
    "boomtown",
    "emailoctopus",
];

/// A running sandbox. Stops on `shutdown` or when dropped.
#[derive(Debug)]
pub struct Sandbox {
    url: String,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds `addr` (port 0 for any free port) and serves in the current tokio runtime.
    pub async fn start(addr: SocketAddr, config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let quotas = config
            .quotas
            .iter()
            .map(|(slug, n)| {
                providers::Provider::from_slug(slug)
                    .map(|p| (p, *n))
                    .ok_or_else(|| SandboxError::UnknownProvider(slug.clone()))
            })
            .collect::<Result<_, _>>()?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SandboxError::Bind { addr, source })?;
        let local = listener.local_addr().map_err(SandboxError::LocalAddr)?;
        let url = format!("http://{local}");
        let shared = Shared {
            base_url: url.clone(),
            tokens: TokenStore::new(config.access_ttl, config.code_ttl),
            consents: ConsentStore::new(config.consent_ttl),
            log: RequestLog::default(),
            faults: FaultInjector::new(config.faults.clone(), config.seed),
            limiter: RateLimiter::default(),
            registrations: registration::Registrations::default(),
            holds: holds::Holds::default(),
            clock: clock::SimClock::new(config.frozen_clock),
            quotas: quota::Quotas::new(quotas),
            store: collections::Store::new(config.seed, config.records as u64, config.churn),
            config,
        };
        let state = AppState(Arc::new(shared));
        let router = server::router(state.clone());
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(server::serve(listener, router, stopped));
        tracing::info!(
            %url,
            records = state.config.records,
            seed = state.config.seed,
            latency_ms = state.config.latency.as_millis() as u64,
            churn = ?state.config.churn,
            quotas = ?state.config.quotas,
            "sandbox listening"
        );
        Ok(Sandbox {
            url,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The issuer of a provider: `{url}/{provider}`.
    pub fn issuer(&self, provider: &str) -> String {
        format!("{}/{provider}", self.url)
    }

    /// Stops accepting and closes every connection.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// The requests received so far, oldest first (as `GET /_sandbox/requests`).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.log.snapshot()
    }

    /// Lifetime of access tokens issued from now on.
    pub fn set_access_ttl(&self, ttl: Duration) {
        self.state.tokens.set_access_ttl(ttl);
    }

    /// Every dynamically registered client (RFC 7591) is unknown from now on: its next use
    /// at the authorize, token, revoke or registration-read endpoint fails with
    /// `invalid_client` (`invalid_token` for the read), as when a provider deletes it.
    pub fn revoke_registrations(&self) {
        self.state.registrations.revoke_all();
    }

    /// How many clients registered themselves (RFC 7591) so far, revoked ones included.
    pub fn registration_count(&self) -> usize {
        self.state.registrations.count()
    }

    /// Every access token issued so far is expired from now on, except those of a
    /// non-expiring provider (`SandboxConfig::non_expiring`), which keep working as they would.
    pub fn expire_access_tokens(&self) {
        self.state.tokens.expire_access_tokens();
    }

    /// Faults from now on (replacing `SandboxConfig::faults`): a provider that goes down, or
    /// recovers, while a client is connected.
    pub fn set_faults(&self, spec: FaultSpec) {
        self.state.faults.set_spec(spec);
    }

    /// Holds `provider`'s next refresh-token request at `point` until the answer is released
    /// (see [`HoldPoint`]). Panics on an unknown provider slug.
    pub fn hold_next_refresh(&self, provider: &str, point: HoldPoint) -> RefreshHold {
        let p = providers::Provider::from_slug(provider).expect("a known provider slug");
        self.state.holds.arm(p, point)
    }

    /// Applies a change set at once to one changing collection (`("whatconverts", "leads")`,
    /// `("emailoctopus", "contacts")`: the first list's contacts...), deterministically from
    /// the seed and the number of change sets applied to it so far. Adds get ids above every
    /// existing one and are created now (by [`Sandbox::now`]); updates pick uniformly among
    /// all visible records, change a visible field and set the updated-at field to now;
    /// deletes remove records from lists and totals.
    pub fn apply_changes(
        &self,
        provider: &str,
        resource: &str,
        changes: ChangeSet,
    ) -> Result<AppliedChanges, SandboxError> {
        let c = collections::Collection::parse(provider, resource)?;
        self.state.store.apply(c, changes, &self.state.clock)
    }

    /// The collection's current records (every status), each exactly as the API serialises
    /// it, in the API's order. Empty for a pair that is not a changing collection.
    pub fn records(&self, provider: &str, resource: &str) -> Vec<serde_json::Value> {
        match collections::Collection::parse(provider, resource) {
            Ok(c) => self.state.store.records(c, &self.state.clock),
            Err(_) => Vec::new(),
        }
    }

    /// Every record of the people collections as generated, with the true person behind it
    /// (also served as JSON, without the records, at `/_sandbox/truth`).
    pub fn people_records(&self) -> Vec<population::PeopleRecord> {
        population::people_records(self.state.config.seed, self.state.config.records as u64)
    }

    /// Moves the simulated clock forward (records' dates, churn, daily quotas). Token
    /// lifetimes stay on real time.
    pub fn advance_clock(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    /// The simulated clock's time (UTC).
    pub fn now(&self) -> time::OffsetDateTime {
        self.state.clock.now()
    }

    /// `provider`'s daily quota per credential from now on (`None`: unlimited), counted per
    /// UTC day of the sandbox clock. Panics on an unknown provider slug.
    pub fn set_quota(&self, provider: &str, per_day: Option<u32>) {
        let p = providers::Provider::from_slug(provider).expect("a known provider slug");
        self.state.quotas.set(p, per_day);
    }

    /// What the authorization server thinks of a refresh token (without using it).
    pub fn refresh_token_status(&self, provider: &str, token: &str) -> RefreshTokenStatus {
        match providers::Provider::from_slug(provider) {
            Some(p) => self.state.tokens.refresh_status(p, token),
            None => RefreshTokenStatus::Unknown,
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Dropping the sender also wakes the loop; sending makes the intent explicit.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
