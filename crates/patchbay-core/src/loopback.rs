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
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures::future::BoxFuture;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use parking_lot::Mutex;
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
        let mut slot = shared.slot.lock();
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
        let mut slot = shared.slot.lock();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const GOOD: &str = "st-good-7f3a";
    const CAP: Duration = Duration::from_secs(5);

    /// What `complete` saw: every URL it was called with.
    #[derive(Clone, Default)]
    struct Calls(Arc<Mutex<Vec<String>>>);

    impl Calls {
        fn urls(&self) -> Vec<String> {
            self.0.lock().clone()
        }
    }

    /// A listener that accepts only [`GOOD`] and answers `page` once completed.
    async fn serving(ttl: Duration, done: CompletionPage) -> (LoopbackHandle, String, Calls) {
        let listener = LoopbackListener::bind().await.unwrap();
        let uri = listener.redirect_uri();
        let calls = Calls::default();
        let seen = calls.clone();
        let handle = listener.serve(
            ttl,
            |s| s == GOOD,
            move |url| async move {
                seen.0.lock().push(url);
                done
            },
        );
        (handle, uri, calls)
    }

    fn connected() -> CompletionPage {
        CompletionPage::Connected {
            provider_name: "ClickFunnels".into(),
        }
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// Sends `request` as written and returns the whole response (the request should say
    /// `Connection: close`).
    async fn raw(port: u16, request: &[u8]) -> String {
        let mut s = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .unwrap();
        s.write_all(request).await.unwrap();
        let mut out = Vec::new();
        tokio::time::timeout(CAP, s.read_to_end(&mut out))
            .await
            .expect("the listener answered in time")
            .ok();
        String::from_utf8_lossy(&out).into_owned()
    }

    fn get(port: u16, target: &str) -> Vec<u8> {
        format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")
            .into_bytes()
    }

    /// Waits until connecting fails; fails the test only if that takes longer than [`CAP`].
    async fn until_refused(port: u16) {
        tokio::time::timeout(CAP, async {
            while TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                .await
                .is_ok()
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the listener closed within 5 s");
    }

    async fn closed(handle: &LoopbackHandle) -> LoopbackEnd {
        tokio::time::timeout(CAP, handle.closed())
            .await
            .expect("the handle reported closing within 5 s")
    }

    #[tokio::test]
    async fn binds_the_ipv4_loopback_literal_on_an_ephemeral_port() {
        let listener = LoopbackListener::bind().await.unwrap();
        assert_ne!(listener.port(), 0);
        assert_eq!(
            listener.listener.local_addr().unwrap().ip(),
            std::net::IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            listener.redirect_uri(),
            format!("http://127.0.0.1:{}/oauth/callback", listener.port())
        );
    }

    #[tokio::test]
    async fn an_accepted_callback_completes_once_gets_its_page_and_closes_the_listener() {
        let (handle, uri, calls) = serving(Duration::from_secs(60), connected()).await;
        let port = handle.port();
        // Percent-encodings and parameter order must reach `complete` exactly as sent.
        let url = format!("{uri}?code=a%2Fb%7E&state={GOOD}&iss=http%3A%2F%2Fx");
        let resp = client().get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let h = resp.headers();
        assert_eq!(h["content-type"], "text/html; charset=utf-8");
        assert_eq!(h["cache-control"], "no-store");
        assert!(h["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'"));
        assert_eq!(h["referrer-policy"], "no-referrer");
        let body = resp.text().await.unwrap();
        assert!(
            body.contains("Patchbay is connected to ClickFunnels. You can close this tab."),
            "{body}"
        );
        assert_eq!(calls.urls(), vec![url]);

        until_refused(port).await;
        assert_eq!(closed(&handle).await, LoopbackEnd::Completed);
        assert!(handle.is_finished());
        assert_eq!(calls.urls().len(), 1);
    }

    #[tokio::test]
    async fn failed_and_cancelled_pages_are_escaped_text() {
        let (handle, uri, _) = serving(
            Duration::from_secs(60),
            CompletionPage::Failed {
                message: "<script>alert('x')</script> & \"more\"".into(),
            },
        )
        .await;
        let body = client()
            .get(format!("{uri}?code=c&state={GOOD}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!body.contains("<script>"), "{body}");
        assert!(
            body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"),
            "{body}"
        );
        assert_eq!(closed(&handle).await, LoopbackEnd::Completed);

        let (handle, uri, _) = serving(
            Duration::from_secs(60),
            CompletionPage::Cancelled {
                provider_name: "Boom<Town>".into(),
            },
        )
        .await;
        let body = client()
            .get(format!("{uri}?error=access_denied&state={GOOD}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            body.contains("Connecting Boom&lt;Town&gt; was cancelled. You can close this tab."),
            "{body}"
        );
        assert_eq!(closed(&handle).await, LoopbackEnd::Completed);
    }

    #[tokio::test]
    async fn missing_repeated_or_unknown_state_is_refused_and_the_listener_keeps_waiting() {
        let (handle, uri, calls) = serving(Duration::from_secs(60), connected()).await;
        let http = client();
        for query in [
            "code=c".to_string(),
            "code=c&state=".to_string(),
            "code=c&state=forged".to_string(),
            format!("code=c&state={GOOD}&state={GOOD}"),
            format!("code=c&state={GOOD}&state=forged"),
            // The name must be exactly `state`.
            format!("code=c&State={GOOD}"),
        ] {
            let resp = http.get(format!("{uri}?{query}")).send().await.unwrap();
            assert_eq!(resp.status(), 400, "{query}");
            assert_eq!(resp.headers()["cache-control"], "no-store");
            let body = resp.text().await.unwrap();
            assert!(
                body.contains("This link is not one Patchbay is waiting for."),
                "{body}"
            );
        }
        assert!(calls.urls().is_empty());
        assert!(!handle.is_finished());

        let resp = http
            .get(format!("{uri}?code=c&state={GOOD}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(calls.urls().len(), 1);
    }

    #[tokio::test]
    async fn only_get_on_the_exact_callback_path_is_considered() {
        let (handle, uri, calls) = serving(Duration::from_secs(60), connected()).await;
        let port = handle.port();
        let q = format!("?code=c&state={GOOD}");
        for path in [
            "/oauth/callback/",
            "/oauth/./callback",
            "/oauth/x/../callback",
            "//oauth/callback",
            "/oauth/%63allback",
            "/OAUTH/callback",
            "/oauth/callback;x",
            "/favicon.ico",
            "/",
        ] {
            let resp = raw(port, &get(port, &format!("{path}{q}"))).await;
            assert!(resp.starts_with("HTTP/1.1 404 "), "{path}: {resp}");
        }
        for method in ["POST", "HEAD", "PUT", "OPTIONS"] {
            let req = format!(
                "{method} /oauth/callback{q} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let resp = raw(port, req.as_bytes()).await;
            assert!(resp.starts_with("HTTP/1.1 405 "), "{method}: {resp}");
            assert!(
                resp.to_ascii_lowercase().contains("\r\nallow: get\r\n"),
                "{resp}"
            );
        }
        assert!(calls.urls().is_empty());

        let resp = client().get(format!("{uri}{q}")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(calls.urls().len(), 1);
    }

    #[tokio::test]
    async fn a_host_other_than_this_listener_is_refused() {
        let (handle, uri, calls) = serving(Duration::from_secs(60), connected()).await;
        let port = handle.port();
        let target = format!("/oauth/callback?code=c&state={GOOD}");
        for host in [
            format!("Host: evil.example:{port}\r\n"),
            format!("Host: localhost:{port}\r\n"),
            "Host: 127.0.0.1\r\n".to_string(),
            format!("Host: 127.0.0.1:{}\r\n", port.wrapping_add(1)),
            // Two Host headers, one of them ours.
            format!("Host: 127.0.0.1:{port}\r\nHost: evil.example\r\n"),
        ] {
            let req = format!("GET {target} HTTP/1.1\r\n{host}Connection: close\r\n\r\n");
            let resp = raw(port, req.as_bytes()).await;
            assert!(resp.starts_with("HTTP/1.1 400 "), "{host}: {resp}");
        }
        // HTTP/1.0 without any Host, and an absolute-form target.
        let resp = raw(port, format!("GET {target} HTTP/1.0\r\n\r\n").as_bytes()).await;
        assert!(
            resp.starts_with("HTTP/1.0 400 ") || resp.starts_with("HTTP/1.1 400 "),
            "{resp}"
        );
        let req = format!(
            "GET http://evil.example{target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        );
        let resp = raw(port, req.as_bytes()).await;
        assert!(resp.starts_with("HTTP/1.1 400 "), "{resp}");
        assert!(calls.urls().is_empty());

        let resp = client()
            .get(format!("{uri}?code=c&state={GOOD}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }

    #[tokio::test]
    async fn a_request_head_over_16_kib_is_rejected_before_it_reaches_the_callback() {
        let (handle, uri, calls) = serving(Duration::from_secs(60), connected()).await;
        let port = handle.port();
        let big = "a".repeat(20 * 1024);
        let req = format!(
            "GET /oauth/callback?code=c&state={GOOD} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Pad: {big}\r\nConnection: close\r\n\r\n"
        );
        let resp = raw(port, req.as_bytes()).await;
        assert!(
            resp.starts_with("HTTP/1.1 431 "),
            "{}",
            &resp[..resp.len().min(200)]
        );
        assert!(calls.urls().is_empty());

        let resp = client()
            .get(format!("{uri}?code=c&state={GOOD}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(calls.urls().len(), 1);
    }

    #[tokio::test]
    async fn of_two_concurrent_accepted_callbacks_only_the_first_completes() {
        let listener = LoopbackListener::bind().await.unwrap();
        let uri = listener.redirect_uri();
        let count = Arc::new(AtomicUsize::new(0));
        let (entered_tx, entered) = oneshot::channel();
        let (release, released) = oneshot::channel::<()>();
        let n = count.clone();
        let handle = listener.serve(
            Duration::from_secs(60),
            |s| s == GOOD,
            move |_url| async move {
                n.fetch_add(1, Ordering::SeqCst);
                let _ = entered_tx.send(());
                let _ = released.await;
                connected()
            },
        );
        let http = client();
        let first = tokio::spawn(http.get(format!("{uri}?code=one&state={GOOD}")).send());
        tokio::time::timeout(CAP, entered).await.unwrap().unwrap();

        let second = http
            .get(format!("{uri}?code=two&state={GOOD}"))
            .send()
            .await
            .unwrap();
        assert_eq!(second.status(), 409);
        assert!(second.text().await.unwrap().contains("already received"));
        // A forged one meanwhile still learns nothing but "not waiting for this".
        let forged = http
            .get(format!("{uri}?code=x&state=forged"))
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 400);

        release.send(()).unwrap();
        let first = first.await.unwrap().unwrap();
        assert_eq!(first.status(), 200);
        assert_eq!(closed(&handle).await, LoopbackEnd::Completed);
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_completion_runs_to_its_end_when_the_browser_goes_away() {
        let listener = LoopbackListener::bind().await.unwrap();
        let port = listener.port();
        let (entered_tx, entered) = oneshot::channel();
        let (release, released) = oneshot::channel::<()>();
        let finished = Arc::new(AtomicUsize::new(0));
        let f = finished.clone();
        let handle = listener.serve(
            Duration::from_secs(60),
            |s| s == GOOD,
            move |_url| async move {
                let _ = entered_tx.send(());
                let _ = released.await;
                f.fetch_add(1, Ordering::SeqCst);
                connected()
            },
        );
        let mut tab = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .unwrap();
        tab.write_all(&get(port, &format!("/oauth/callback?code=c&state={GOOD}")))
            .await
            .unwrap();
        tokio::time::timeout(CAP, entered).await.unwrap().unwrap();
        drop(tab);
        // Let hyper notice the closed socket and drop the request's handler.
        tokio::task::yield_now().await;
        release.send(()).unwrap();
        assert_eq!(closed(&handle).await, LoopbackEnd::Completed);
        assert_eq!(finished.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_listener_closes_when_its_time_is_up() {
        let (handle, _uri, calls) = serving(Duration::from_millis(200), connected()).await;
        until_refused(handle.port()).await;
        assert_eq!(closed(&handle).await, LoopbackEnd::Expired);
        assert!(calls.urls().is_empty());
    }

    #[tokio::test]
    async fn cancel_closes_the_listener() {
        let (handle, uri, calls) = serving(Duration::from_secs(60), connected()).await;
        // Serving first, so the cancel is what closes it.
        let resp = client()
            .get(format!("{uri}?state=forged"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        handle.cancel();
        until_refused(handle.port()).await;
        assert_eq!(closed(&handle).await, LoopbackEnd::Cancelled);
        assert!(calls.urls().is_empty());
    }

    #[tokio::test]
    async fn dropping_the_handle_closes_the_listener() {
        let (handle, uri, calls) = serving(Duration::from_secs(60), connected()).await;
        let port = handle.port();
        let resp = client()
            .get(format!("{uri}?state=forged"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        let end = handle.closed();
        drop(handle);
        until_refused(port).await;
        assert_eq!(
            tokio::time::timeout(CAP, end).await.unwrap(),
            LoopbackEnd::Cancelled
        );
        assert!(calls.urls().is_empty());
    }

    /// Logs go through `tracing`; with a current-thread runtime every task runs on this
    /// thread, so a thread-local subscriber sees the listener's lines.
    #[tokio::test]
    async fn refusals_are_logged_without_the_code_or_state() {
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        // One global subscriber for the whole test binary: a per-thread one (`set_default`)
        // races with other tests registering the same log call sites at the same time and
        // then misses lines now and then. Every test's lines land here; the checks below are
        // about this test's values only.
        static LOGS: std::sync::OnceLock<Buf> = std::sync::OnceLock::new();
        let buf = LOGS
            .get_or_init(|| {
                let buf = Buf::default();
                let w = buf.clone();
                let subscriber = tracing_subscriber::fmt()
                    .with_max_level(tracing::Level::TRACE)
                    .with_ansi(false)
                    .with_writer(move || w.clone())
                    .finish();
                tracing::subscriber::set_global_default(subscriber)
                    .expect("no other test installs a global subscriber");
                buf
            })
            .clone();

        let (handle, uri, _) = serving(Duration::from_secs(60), connected()).await;
        let http = client();
        let forged = "forged-state-91c2";
        let code = "code-secret-44ab";
        for q in [
            format!("code={code}&state={forged}"),
            format!("code={code}&state={GOOD}&state={GOOD}"),
        ] {
            let resp = http.get(format!("{uri}?{q}")).send().await.unwrap();
            assert_eq!(resp.status(), 400);
        }
        let resp = http
            .get(format!("{uri}?code={code}&state={GOOD}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        closed(&handle).await;

        let logs = String::from_utf8(buf.0.lock().clone()).unwrap();
        assert!(
            logs.contains("loopback callback refused: unknown state"),
            "{logs}"
        );
        assert!(
            logs.contains("loopback callback refused: repeated state"),
            "{logs}"
        );
        for secret in [forged, code, GOOD, "/oauth/callback?"] {
            assert!(
                !logs.contains(secret),
                "{secret} leaked into the logs:\n{logs}"
            );
        }
    }

    #[test]
    fn escape_html_covers_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape_html("Patchbay é"), "Patchbay é");
    }
}
