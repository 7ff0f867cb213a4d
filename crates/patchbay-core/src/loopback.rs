//! The loopback redirect listener: where the browser comes back to after the user approves
//! access, for providers that take an `http://127.0.0.1:PORT/...` redirect URI (RFC 8252 §7.3)
//! instead of our custom scheme.
//!
//! Why it is built the way it is:
//! - It binds `127.0.0.1` on an ephemeral port, never `localhost` (RFC 8252 §8.3: `localhost`
//!   may resolve elsewhere, or to `::1` while we listen on IPv4, and a firewall prompt is
//!   more likely for a name than for the loopback literal).
//! - Anything on this machine can reach the port, and a web page can reach it through the
//!   browser, so a request proves nothing until its `state` names a request we made. The
//!   `state` is checked before anything is consumed: a stray or forged request is refused and
//!   the listener keeps waiting for the real one.
//! - Only `Host: 127.0.0.1:PORT` is served, so a page that rebinds its own DNS name to
//!   127.0.0.1 cannot talk to us (DNS rebinding).
//! - Exactly one accepted request completes the connection; the page it gets says how that
//!   went. Then the listener closes. It also closes when its time is up or the app cancels.
//! - Nothing here logs the URL, the code or the state: they are credentials until redeemed.

use std::future::Future;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures::future::BoxFuture;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

/// The only path a callback may have: the redirect URI's, compared byte for byte (a browser
/// never sends dot segments or a different case for the URI we gave the provider).
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// hyper's own limit is about 400 KiB; a callback's head is well under 4 KiB (the URL holds a
/// code and a state). A bigger head is answered 431 by hyper without reaching us.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// A connection that has not sent its request head by then is closed, so a silent client
/// cannot hold a socket (and our shutdown) for ever.
const HEAD_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// After the listener closes, how long open connections get to finish: enough for the
/// completion page to reach the browser on loopback; idle or half-sent connections are then cut.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

const NOT_WAITING: &str = "This link is not one Patchbay is waiting for.";
const ALREADY_RECEIVED: &str =
    "Patchbay has already received this approval. You can close this tab.";
const COMPLETION_LOST: &str =
    "Patchbay could not finish connecting. Go back to Patchbay and click Connect to try again.";

/// A bound loopback redirect listener, not yet serving. Bind it before building the
/// authorization URL: the port is part of the redirect URI.
#[derive(Debug)]
pub struct LoopbackListener {
    listener: TcpListener,
    port: u16,
}

/// What the browser tab is told once the accepted callback has been handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompletionPage {
    /// The connection is made: "Patchbay is connected to {provider_name}."
    Connected { provider_name: String },
    /// The connection failed; `message` says what to do (shown as text, never as HTML).
    Failed { message: String },
    /// The user declined at the provider, or cancelled in Patchbay meanwhile.
    Cancelled { provider_name: String },
}

/// Why a listener closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopbackEnd {
    /// A callback was accepted and its completion ran to the end.
    Completed,
    /// The time to live passed with no accepted callback.
    Expired,
    /// [`LoopbackHandle::cancel`] was called or the handle dropped, with no accepted callback.
    Cancelled,
}

/// The serving listener. [`cancel`](Self::cancel) or dropping it closes the listener; a
/// completion already under way still runs to its end (the code is being redeemed: stopping
/// midway would waste the user's approval) and its tab still gets its page.
#[derive(Debug)]
pub struct LoopbackHandle {
    port: u16,
    stop: watch::Sender<Option<LoopbackEnd>>,
    finished: watch::Receiver<Option<LoopbackEnd>>,
}

type Accepts = Box<dyn Fn(&str) -> bool + Send + Sync>;
type Complete = Box<dyn FnOnce(String) -> BoxFuture<'static, CompletionPage> + Send>;

/// The one completion there can be: waiting for its callback, running, or no longer possible.
enum Slot {
    Waiting(Complete),
    Running(JoinHandle<()>),
    Closed,
}

struct Shared {
    /// The only `Host` header served: `127.0.0.1:PORT`.
    host: String,
    accepts: Accepts,
    slot: Mutex<Slot>,
    /// Set once, to the first reason to stop accepting.
    stop: watch::Sender<Option<LoopbackEnd>>,
}

impl LoopbackListener {
    /// Binds `127.0.0.1:0` (an ephemeral port, IPv4 loopback only).
    pub async fn bind() -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let port = listener.local_addr()?.port();
        Ok(Self { listener, port })
    }

    /// The port the listener is bound to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI to send to the provider: `http://127.0.0.1:PORT/oauth/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Serves until one callback is accepted and completed, `ttl` passes, or the handle is
    /// cancelled or dropped. Must be called within a Tokio runtime.
    ///
    /// `accepts(state)` says whether the callback's `state` names a pending request; it must
    /// not consume anything (it runs for every request that reaches the callback path).
    /// `complete(url)` gets the callback URL exactly as the browser sent it
    /// (`http://127.0.0.1:PORT` followed by the raw path and query) for the strict callback
    /// parser, and runs once at most, in its own task.
    pub fn serve<A, C, Fut>(self, ttl: Duration, accepts: A, complete: C) -> LoopbackHandle
    where
        A: Fn(&str) -> bool + Send + Sync + 'static,
        C: FnOnce(String) -> Fut + Send + 'static,
        Fut: Future<Output = CompletionPage> + Send + 'static,
    {
        let (stop, _) = watch::channel(None);
        let (finished_tx, finished) = watch::channel(None);
        let complete: Complete = Box::new(move |url| Box::pin(complete(url)));
        let shared = Arc::new(Shared {
            host: format!("127.0.0.1:{}", self.port),
            accepts: Box::new(accepts),
            slot: Mutex::new(Slot::Waiting(complete)),
            stop: stop.clone(),
        });
        tokio::spawn(run(self.listener, shared, ttl, finished_tx));
        LoopbackHandle {
            port: self.port,
            stop,
            finished,
        }
    }
}

impl LoopbackHandle {
    /// The port being served (for logs and for matching a handle to its redirect URI).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops accepting and closes the listener (asynchronously: see [`closed`](Self::closed)).
    pub fn cancel(&self) {
        stop_with(&self.stop, LoopbackEnd::Cancelled);
    }

    /// Whether the listener is closed and any accepted completion has finished.
    pub fn is_finished(&self) -> bool {
        self.finished.borrow().is_some() || self.finished.has_changed().is_err()
    }

    /// Resolves once the listener is closed and any accepted completion has finished. Does
    /// not borrow the handle, so it can be awaited in a task while the handle stays with
    /// whoever may cancel.
    pub fn closed(&self) -> impl Future<Output = LoopbackEnd> + Send + 'static {
        let mut finished = self.finished.clone();
        async move {
            match finished.wait_for(Option::is_some).await {
                Ok(end) => end.unwrap_or(LoopbackEnd::Cancelled),
                // The serving task is gone without a word: its runtime shut down.
                Err(_) => LoopbackEnd::Cancelled,
            }
        }
    }
}

impl Drop for LoopbackHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The first reason to stop wins; later ones change nothing.
fn stop_with(stop: &watch::Sender<Option<LoopbackEnd>>, why: LoopbackEnd) {
    stop.send_if_modified(|s| {
        if s.is_none() {
            *s = Some(why);
            true
        } else {
            false
        }
    });
}

async fn stopped(stop: &mut watch::Receiver<Option<LoopbackEnd>>) {
    // An error means every sender is gone, which can only happen once we are shutting down.
    let _ = stop.wait_for(Option::is_some).await;
}

async fn run(
    listener: TcpListener,
    shared: Arc<Shared>,
    ttl: Duration,
    finished: watch::Sender<Option<LoopbackEnd>>,
) {
    let router = Router::new()
        .fallback(handle_request)
        .with_state(shared.clone());
    let mut stop = shared.stop.subscribe();
    let mut connections = JoinSet::new();
    let expiry = tokio::time::sleep(ttl);
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            _ = &mut expiry => {
                stop_with(&shared.stop, LoopbackEnd::Expired);
                break;
            }
            _ = stopped(&mut stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    while connections.try_join_next().is_some() {}
                    serve_connection(&mut connections, stream, router.clone(), shared.stop.subscribe());
                }
                Err(e) => {
                    // Typically EMFILE: back off instead of spinning.
                    tracing::warn!(error = %e, "loopback listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
        }
    }
    // Further connections are refused from here on.
    drop(listener);
    let running = {
        let mut slot = shared.slot.lock().unwrap_or_else(|e| e.into_inner());
        match std::mem::replace(&mut *slot, Slot::Closed) {
            Slot::Running(task) => Some(task),
            // Dropping the completion closure here releases whatever it captured.
            Slot::Waiting(_) | Slot::Closed => None,
        }
    };
    let end = match running {
        Some(task) => {
            // A panicking completion has already answered its tab (see handle_request).
            let _ = task.await;
            LoopbackEnd::Completed
        }
        None => stop.borrow().unwrap_or(LoopbackEnd::Cancelled),
    };
    let drain = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(CLOSE_GRACE, drain).await;
    connections.shutdown().await;
    finished.send_replace(Some(end));
    tracing::debug!(?end, "loopback listener closed");
}

fn serve_connection(
    connections: &mut JoinSet<()>,
    stream: TcpStream,
    router: Router,
    mut stop: watch::Receiver<Option<LoopbackEnd>>,
) {
    connections.spawn(async move {
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(HEAD_READ_TIMEOUT)
            .max_buf_size(MAX_HEAD_BYTES);
        let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router));
        tokio::pin!(conn);
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = stopped(&mut stop) => {
                // Finishes a request in flight (the completion page), closes an idle one.
                conn.as_mut().graceful_shutdown();
            }
        }
        let _ = conn.await;
    });
}

/// Every request lands here: the checks are few and their order matters (Host first, the
/// `state` before anything is consumed), so they read better in one place than as routes.
async fn handle_request(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let host_ok = {
        let mut hosts = headers.get_all(header::HOST).iter();
        matches!((hosts.next(), hosts.next()), (Some(h), None) if h.as_bytes() == shared.host.as_bytes())
    };
    // An absolute-form target (`GET http://...`) is what a proxy gets, never us.
    if !host_ok || uri.authority().is_some() {
        tracing::info!("loopback callback refused: Host is not this listener's 127.0.0.1 address");
        return page(StatusCode::BAD_REQUEST, "Patchbay", NOT_WAITING);
    }
    if uri.path() != CALLBACK_PATH {
        // Browsers ask for /favicon.ico on their own: not worth more than a debug line.
        tracing::debug!("loopback request refused: not the callback path");
        return page(StatusCode::NOT_FOUND, "Patchbay", "Nothing here.");
    }
    if method != Method::GET {
        tracing::info!("loopback callback refused: method is not GET");
        let mut r = page(StatusCode::METHOD_NOT_ALLOWED, "Patchbay", NOT_WAITING);
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
        return r;
    }
    let mut states = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "state")
        .map(|(_, v)| v);
    let state = match (states.next(), states.next()) {
        (Some(s), None) => s,
        (None, _) => {
            tracing::info!("loopback callback refused: no state");
            return page(StatusCode::BAD_REQUEST, "Patchbay", NOT_WAITING);
        }
        (Some(_), Some(_)) => {
            tracing::info!("loopback callback refused: repeated state");
            return page(StatusCode::BAD_REQUEST, "Patchbay", NOT_WAITING);
        }
    };
    if !(shared.accepts)(&state) {
        tracing::info!("loopback callback refused: unknown state");
        return page(StatusCode::BAD_REQUEST, "Patchbay", NOT_WAITING);
    }
    let path_and_query = uri.path_and_query().map_or(CALLBACK_PATH, |pq| pq.as_str());
    let url = format!("http://{}{path_and_query}", shared.host);

    let answer = {
        let mut slot = shared.slot.lock().unwrap_or_else(|e| e.into_inner());
        match std::mem::replace(&mut *slot, Slot::Closed) {
            Slot::Waiting(complete) => {
                let (tx, rx) = oneshot::channel();
                let stop = shared.stop.clone();
                // Its own task: if the browser goes away, hyper drops this handler, but the
                // code is being redeemed and must not be abandoned halfway.
                *slot = Slot::Running(tokio::spawn(async move {
                    let _stop = StopOnDrop(stop);
                    let _ = tx.send(complete(url).await);
                }));
                Ok(rx)
            }
            running @ Slot::Running(_) => {
                *slot = running;
                Err(ALREADY_RECEIVED)
            }
            Slot::Closed => Err(NOT_WAITING),
        }
    };
    match answer {
        Ok(rx) => {
            let done = rx.await.unwrap_or(CompletionPage::Failed {
                message: COMPLETION_LOST.into(),
            });
            let (title, text) = done.title_and_text();
            page(StatusCode::OK, title, &text)
        }
        Err(text) => {
            tracing::info!("loopback callback refused: a callback was already accepted, or the listener is closing");
            page(StatusCode::CONFLICT, "Patchbay", text)
        }
    }
}

/// Closes the listener when the completion ends, even by panicking.
struct StopOnDrop(watch::Sender<Option<LoopbackEnd>>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        stop_with(&self.0, LoopbackEnd::Completed);
    }
}

impl CompletionPage {
    fn title_and_text(&self) -> (&'static str, String) {
        match self {
            CompletionPage::Connected { provider_name } => (
                "Connected",
                format!("Patchbay is connected to {provider_name}. You can close this tab."),
            ),
            CompletionPage::Failed { message } => ("Not connected", message.clone()),
            CompletionPage::Cancelled { provider_name } => (
                "Cancelled",
                format!("Connecting {provider_name} was cancelled. You can close this tab."),
            ),
        }
    }
}

/// A short HTML page with headers that keep it out of caches, frames and referrers: its URL
/// holds the authorization code.
fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\">\n<meta charset=\"utf-8\">\n<title>Patchbay: {t}</title>\n<h1>{t}</h1>\n<p>{p}</p>\n</html>\n",
        t = escape_html(title),
        p = escape_html(text),
    );
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    (status, headers, body).into_response()
}

/// Text into HTML element content. The page has no script, style, URL or unquoted attribute
/// context, so these five characters are the whole job; no crate in our lock file does it.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
