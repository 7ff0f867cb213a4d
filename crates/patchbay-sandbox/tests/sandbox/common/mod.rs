//! Helpers for the integration tests: they play the user's browser and a well-behaved
//! client against a sandbox started on 127.0.0.1:0, over real HTTP.
#![allow(dead_code)]

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use patchbay_sandbox::{Sandbox, SandboxConfig};
use rand::RngCore;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

#[allow(unused_imports)]
pub use patchbay_sandbox::PROVIDERS;

pub const CLIENT_ID: &str = "patchbay-desktop";
pub const REDIRECT: &str = "http://127.0.0.1:53682/oauth/callback";

pub async fn start(config: SandboxConfig) -> Sandbox {
    Sandbox::start("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("sandbox starts")
}

/// A client that never follows redirects (we read Location ourselves) and never uses a proxy.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

/// A fresh PKCE pair, computed here independently of the sandbox's code.
pub fn pkce() -> Pkce {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce {
        verifier,
        challenge,
    }
}

pub fn authorize_url(sb: &Sandbox, p: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{}/{p}/oauth/authorize", sb.url())).unwrap();
    url.query_pairs_mut().extend_pairs(extra);
    url.to_string()
}

/// The standard, correct authorization request parameters.
pub fn standard_params<'a>(pkce: &'a Pkce, state: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
        ("state", state),
    ]
}

/// The hidden `consent` value of a consent page.
pub fn consent_id(html: &str) -> String {
    let marker = "name=\"consent\" value=\"";
    let start = html
        .find(marker)
        .expect("consent page has the consent input")
        + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_string()
}

/// Query parameters of a redirect's Location, checking it goes to `redirect_base`.
pub fn location_params(resp: &reqwest::Response, redirect_base: &str) -> HashMap<String, String> {
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "expected a 303 redirect"
    );
    let location = resp.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    assert_eq!(
        &url[..url::Position::AfterPath],
        redirect_base,
        "{location}"
    );
    url.query_pairs().into_owned().collect()
}

/// GET authorize (expecting the consent page), then POST `decision`; returns the 303.
/// With auto-approve the GET's own 303 is returned for `allow`.
pub async fn consent(
    http: &reqwest::Client,
    sb: &Sandbox,
    p: &str,
    query: &[(&str, &str)],
    decision: &str,
) -> reqwest::Response {
    let page = http.get(authorize_url(sb, p, query)).send().await.unwrap();
    if page.status() == StatusCode::SEE_OTHER && decision == "allow" {
        // An auto-approving sandbox answers the redirect straight away.
        return page;
    }
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    let id = consent_id(&html);
    http.post(format!("{}/{p}/oauth/authorize", sb.url()))
        .form(&[("consent", id.as_str()), ("decision", decision)])
        .send()
        .await
        .unwrap()
}

/// A code for `p` obtained through the consent page, with `state` checked.
pub async fn get_code(http: &reqwest::Client, sb: &Sandbox, p: &str, pkce: &Pkce) -> String {
    let resp = consent(http, sb, p, &standard_params(pkce, "st-123"), "allow").await;
    let params = location_params(&resp, REDIRECT);
    assert_eq!(params["state"], "st-123");
    assert_eq!(params["iss"], sb.issuer(p));
    params["code"].clone()
}

pub async fn token_request(
    http: &reqwest::Client,
    sb: &Sandbox,
    p: &str,
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let resp = http
        .post(format!("{}/{p}/oauth/token", sb.url()))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    if status.is_success() || status.is_client_error() {
        assert_eq!(resp.headers()["cache-control"], "no-store");
    }
    (status, resp.json().await.unwrap())
}

pub async fn redeem(
    http: &reqwest::Client,
    sb: &Sandbox,
    p: &str,
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    token_request(
        http,
        sb,
        p,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", CLIENT_ID),
            ("code_verifier", verifier),
        ],
    )
    .await
}

pub async fn refresh(
    http: &reqwest::Client,
    sb: &Sandbox,
    p: &str,
    refresh_token: &str,
) -> (StatusCode, Value) {
    token_request(
        http,
        sb,
        p,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", CLIENT_ID),
        ],
    )
    .await
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

impl Tokens {
    pub fn from_json(v: &Value) -> Tokens {
        Tokens {
            access: v["access_token"].as_str().unwrap().to_string(),
            refresh: v["refresh_token"].as_str().unwrap().to_string(),
        }
    }
}

/// The whole authorization code flow for `p`.
pub async fn connect(http: &reqwest::Client, sb: &Sandbox, p: &str) -> Tokens {
    let pkce = pkce();
    let code = get_code(http, sb, p, &pkce).await;
    let (status, body) = redeem(http, sb, p, &code, &pkce.verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    Tokens::from_json(&body)
}

/// The "connected as" endpoint of each provider.
pub fn account_path(p: &str) -> &'static str {
    match p {
        "whatconverts" => "/whatconverts/api/v1/accounts",
        "clickfunnels" => "/clickfunnels/api/v2/me",
        "webinargeek" => "/webinargeek/api/v2/account",
        "boomtown" => "/boomtown/v1/users/me",
        "emailoctopus" => "/emailoctopus/me",
        other => panic!("unknown provider {other}"),
    }
}

pub async fn api_get(
    http: &reqwest::Client,
    sb: &Sandbox,
    path_and_query: &str,
    token: &str,
) -> reqwest::Response {
    http.get(format!("{}{path_and_query}", sb.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Asserts a 401 with `WWW-Authenticate: Bearer ... error="invalid_token"`.
pub fn assert_invalid_token(resp: &reqwest::Response) {
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let challenge = resp.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

/// Every paged collection, as (provider, name).
pub const RESOURCES: [(&str, &str); 10] = [
    ("whatconverts", "leads"),
    ("clickfunnels", "funnels"),
    ("clickfunnels", "contacts"),
    ("clickfunnels", "orders"),
    ("webinargeek", "webinars"),
    ("webinargeek", "subscriptions"),
    ("boomtown", "leads"),
    ("emailoctopus", "lists"),
    ("emailoctopus", "contacts"),
    ("emailoctopus", "campaigns"),
];

/// The largest page each collection allows.
pub fn max_page_size(provider: &str) -> u64 {
    match provider {
        "whatconverts" => 2500,
        _ => 100,
    }
}

async fn get_json(
    http: &reqwest::Client,
    sb: &Sandbox,
    path: &str,
    token: &str,
) -> (reqwest::header::HeaderMap, Value) {
    let (headers, bytes) = get_bytes(http, sb, path, token).await;
    (headers, serde_json::from_slice(&bytes).unwrap())
}

async fn get_bytes(
    http: &reqwest::Client,
    sb: &Sandbox,
    path: &str,
    token: &str,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let resp = api_get(http, sb, path, token).await;
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    let headers = resp.headers().clone();
    (headers, resp.bytes().await.unwrap().to_vec())
}

/// A record's id, number or string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(untagged)]
pub enum Id {
    Number(u64),
    Text(String),
}

/// Only the id of a record: paging 200000 records must not build 200000 JSON trees.
#[derive(Debug, serde::Deserialize)]
struct IdOnly {
    #[serde(alias = "lead_id")]
    id: Id,
}

#[derive(Debug, serde::Deserialize)]
struct TotalPages {
    total_pages: u64,
}

#[derive(Debug, serde::Deserialize)]
struct CursorNext {
    starting_after: String,
}

#[derive(Debug, serde::Deserialize)]
struct Paging {
    next: Option<CursorNext>,
}

/// The parts of any provider's list page that paging needs.
#[derive(Debug, serde::Deserialize)]
struct PageShape {
    #[serde(
        alias = "leads",
        alias = "webinars",
        alias = "subscriptions",
        alias = "data"
    )]
    items: Vec<IdOnly>,
    total_pages: Option<u64>,
    pagination: Option<TotalPages>,
    total: Option<u64>,
    paging: Option<Paging>,
}

/// The parent id a child collection hangs off, found the way a client would.
pub async fn parent_id(
    http: &reqwest::Client,
    sb: &Sandbox,
    provider: &str,
    token: &str,
) -> String {
    match provider {
        "clickfunnels" => {
            let (_, me) = get_json(http, sb, "/clickfunnels/api/v2/me", token).await;
            me["teams"][0]["workspaces"][0]["id"].to_string()
        }
        "webinargeek" => {
            let (_, page) =
                get_json(http, sb, "/webinargeek/api/v2/webinars?per_page=1", token).await;
            page["webinars"][0]["id"].to_string()
        }
        "emailoctopus" => {
            let (_, page) = get_json(http, sb, "/emailoctopus/lists?limit=1", token).await;
            page["data"][0]["id"].as_str().unwrap().to_string()
        }
        _ => String::new(),
    }
}

/// EmailOctopus contact statuses: its list endpoint answers one status at a time (subscribed
/// when none is asked for), so reading every contact takes one pass per status.
pub const EO_STATUSES: [&str; 3] = ["subscribed", "unsubscribed", "pending"];

/// Pages through a whole collection as a client following each provider's documented
/// mechanism would, returning the records' ids (in order) and the number of page requests.
/// With `keep`, the full records are returned too. EmailOctopus contacts are read once per
/// status, in `EO_STATUSES` order.
pub async fn page_all(
    http: &reqwest::Client,
    sb: &Sandbox,
    token: &str,
    provider: &str,
    resource: &str,
    size: u64,
    keep: bool,
) -> (Vec<Id>, Vec<Value>, usize) {
    if (provider, resource) != ("emailoctopus", "contacts") {
        return page_all_filtered(http, sb, token, provider, resource, size, keep, "").await;
    }
    let (mut ids, mut records, mut requests) = (Vec::new(), Vec::new(), 0);
    for status in EO_STATUSES {
        let filter = format!("&status={status}");
        let (i, r, n) =
            page_all_filtered(http, sb, token, provider, resource, size, keep, &filter).await;
        ids.extend(i);
        records.extend(r);
        requests += n;
    }
    (ids, records, requests)
}

/// The page requests `page_all` makes for a collection of `total` records with pages of
/// `size` (EmailOctopus contacts: one pass per status, counted from the sandbox's records).
pub fn expected_requests(
    sb: &Sandbox,
    provider: &str,
    resource: &str,
    total: u64,
    size: u64,
) -> u64 {
    if (provider, resource) != ("emailoctopus", "contacts") {
        return total.div_ceil(size);
    }
    let records = sb.records(provider, resource);
    assert_eq!(records.len() as u64, total);
    EO_STATUSES
        .iter()
        .map(|s| {
            let n = records.iter().filter(|r| r["status"] == *s).count() as u64;
            // A status with no contacts still takes one request to find out.
            n.div_ceil(size).max(1)
        })
        .sum()
}

/// `page_all` with `filter` (`&name=value...`) added to every request.
#[allow(clippy::too_many_arguments)]
pub async fn page_all_filtered(
    http: &reqwest::Client,
    sb: &Sandbox,
    token: &str,
    provider: &str,
    resource: &str,
    size: u64,
    keep: bool,
    filter: &str,
) -> (Vec<Id>, Vec<Value>, usize) {
    let mut ids = Vec::new();
    let mut records = Vec::new();
    let mut requests = 0usize;
    let parent = parent_id(http, sb, provider, token).await;
    // A bound on the loop so a paging bug fails the test instead of hanging it.
    let max_requests = 10_000_000 / size as usize + 10;
    let base = match (provider, resource) {
        ("whatconverts", "leads") => "/whatconverts/api/v1/leads".to_string(),
        ("clickfunnels", _) => format!("/clickfunnels/api/v2/workspaces/{parent}/{resource}"),
        ("webinargeek", "webinars") => "/webinargeek/api/v2/webinars".to_string(),
        ("webinargeek", "subscriptions") => {
            format!("/webinargeek/api/v2/webinars/{parent}/subscriptions")
        }
        ("boomtown", "leads") => "/boomtown/v1/leads".to_string(),
        ("emailoctopus", "contacts") => format!("/emailoctopus/lists/{parent}/contacts"),
        ("emailoctopus", _) => format!("/emailoctopus/{resource}"),
        other => panic!("unknown resource {other:?}"),
    };
    // The next request's query, in each provider's own terms.
    let mut query = match provider {
        "whatconverts" => format!("page_number=1&leads_per_page={size}"),
        "webinargeek" => format!("page=1&per_page={size}"),
        "boomtown" => format!("limit={size}&offset=0"),
        _ => format!("limit={size}"),
    };
    let mut page = 1u64;
    loop {
        let (headers, bytes) = get_bytes(http, sb, &format!("{base}?{query}{filter}"), token).await;
        requests += 1;
        let shape: PageShape = if provider == "clickfunnels" {
            PageShape {
                items: serde_json::from_slice(&bytes).unwrap(),
                total_pages: None,
                pagination: None,
                total: None,
                paging: None,
            }
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        if keep {
            let v: Value = serde_json::from_slice(&bytes).unwrap();
            let list = if provider == "clickfunnels" {
                &v
            } else {
                ["leads", "webinars", "subscriptions", "data"]
                    .iter()
                    .map(|k| &v[*k])
                    .find(|x| x.is_array())
                    .unwrap()
            };
            records.extend(list.as_array().unwrap().iter().cloned());
        }
        ids.extend(shape.items.into_iter().map(|r| r.id));
        if requests > max_requests {
            break;
        }
        page += 1;
        query = match provider {
            "whatconverts" if page <= shape.total_pages.unwrap() => {
                format!("page_number={page}&leads_per_page={size}")
            }
            "webinargeek" if page <= shape.pagination.unwrap().total_pages => {
                format!("page={page}&per_page={size}")
            }
            "boomtown" if (page - 1) * size < shape.total.unwrap() => {
                format!("limit={size}&offset={}", (page - 1) * size)
            }
            "clickfunnels" => match headers.get("pagination-next") {
                Some(next) => format!("limit={size}&after={}", next.to_str().unwrap()),
                None => break,
            },
            "emailoctopus" => match shape.paging.unwrap().next {
                Some(next) => format!("limit={size}&starting_after={}", next.starting_after),
                None => break,
            },
            _ => break,
        };
    }
    (ids, records, requests)
}

/// Asserts every id appears exactly once and returns how many there were.
pub fn assert_each_once(ids: &[Id]) -> usize {
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    for id in ids {
        assert!(seen.insert(id), "duplicate record {id:?}");
    }
    seen.len()
}
