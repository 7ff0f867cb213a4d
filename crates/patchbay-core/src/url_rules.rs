//! The one rule for where Patchbay may send credentials, and the one way to build a URL from a
//! template with values a provider sent.
//!
//! Every place that is about to send a token, a key or a client secret asks
//! [`endpoint_allowed`]; every URL with `{placeholders}` (ClickFunnels' API base holds the
//! workspace subdomain from the account look-up) is built by [`fill_url`], never by pasting
//! text: a value like `evil.example#` pasted into `https://{sub}.myclickfunnels.com/api/v2`
//! would move the bearer token to `evil.example`.

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

pub use crate::world::World;

/// Why a URL may not receive credentials (or could not be built).
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum UrlRuleError {
    #[error(
        "{origin} does not use https, so Patchbay will not send your sign-in there. \
         Change the address so it starts with https://."
    )]
    NotHttps { origin: String },
    /// RFC 8252 §8.3: the name `localhost` may resolve elsewhere (hosts file, DNS), an IP
    /// literal may not.
    #[error(
        "{origin} names this computer as \"localhost\", which another program could answer. \
         Use http://127.0.0.1 with the same port instead."
    )]
    LocalhostName { origin: String },
    #[error(
        "{origin} is an address on this computer without https, which Patchbay only uses in \
         demo mode or for a test provider on this computer. Use the provider's https address."
    )]
    LoopbackOutsideDemo { origin: String },
    #[error(
        "The address {origin} has a user name or password written into it. Remove the part \
         up to and including @; Patchbay signs in by itself."
    )]
    Userinfo { origin: String },
    #[error("The address {origin} ends with a # part. Remove the # and everything after it.")]
    Fragment { origin: String },
    #[error(
        "The provider sent {value:?} as the {name} of your account, which is not one part of \
         a web address (letters, digits and inner hyphens, at most 63), so Patchbay did not \
         send your sign-in there. Connect again; if this repeats, tell us."
    )]
    BadHostValue { name: String, value: String },
    #[error(
        "The provider sent {value:?} as the {name} of your account, which would change which \
         page Patchbay asks for. Connect again; if this repeats, tell us."
    )]
    BadPathValue { name: String, value: String },
    #[error(
        "Patchbay does not know the {name} of your account yet. Connect again so it can look \
         it up."
    )]
    MissingValue { name: String },
    #[error(
        "{text:?} is not a web address Patchbay can use ({reason}). Check the address in the \
         app's settings."
    )]
    Unparsable { text: String, reason: String },
}

impl UrlRuleError {
    /// A stable code for the window and for tests; the sentence may change, the code not.
    pub fn code(&self) -> &'static str {
        match self {
            UrlRuleError::NotHttps { .. } => "url.not_https",
            UrlRuleError::LocalhostName { .. } => "url.localhost_name",
            UrlRuleError::LoopbackOutsideDemo { .. } => "url.loopback_outside_demo",
            UrlRuleError::Userinfo { .. } => "url.userinfo",
            UrlRuleError::Fragment { .. } => "url.fragment",
            UrlRuleError::BadHostValue { .. } => "url.bad_host_value",
            UrlRuleError::BadPathValue { .. } => "url.bad_path_value",
            UrlRuleError::MissingValue { .. } => "url.missing_value",
            UrlRuleError::Unparsable { .. } => "url.unparsable",
        }
    }
}

/// Whether `url` is plain http to the loopback IP literal 127.0.0.1 or [::1]. The name
/// `localhost` is not loopback here (RFC 8252 §8.3: it can be made to resolve elsewhere).
pub fn is_loopback_http(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(Host::Ipv4(ip)) => ip == Ipv4Addr::LOCALHOST,
            Some(Host::Ipv6(ip)) => ip == Ipv6Addr::LOCALHOST,
            _ => false,
        }
}

/// Whether `url` may receive credentials (a token, a key, a client secret, a code).
///
/// https always may. Plain http only to the loopback IP literals, and only in the demo world
/// or when the provider's `issuer` itself is such a loopback URL (a real definition pointed
/// at a local sandbox in tests); a real provider's https issuer never lets a loopback
/// endpoint in, so a tampered definition or metadata document cannot downgrade it. Never a
/// URL with user info (it would travel as a second credential) or a fragment (nothing an
/// endpoint needs; a sign of a pasted or spliced URL).
pub fn endpoint_allowed(url: &Url, world: World, issuer: Option<&Url>) -> Result<(), UrlRuleError> {
    let origin = || origin_of(url);
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRuleError::Userinfo { origin: origin() });
    }
    if url.fragment().is_some() {
        return Err(UrlRuleError::Fragment { origin: origin() });
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_http(url) => {
            if world == World::Demo || issuer.is_some_and(is_loopback_http) {
                Ok(())
            } else {
                Err(UrlRuleError::LoopbackOutsideDemo { origin: origin() })
            }
        }
        "http" if is_localhost_name(url) => Err(UrlRuleError::LocalhostName { origin: origin() }),
        _ => Err(UrlRuleError::NotHttps { origin: origin() }),
    }
}

/// The rule without the world, for what is checked before the world is known (definition
/// files, discovery metadata): https always; plain http only to a loopback IP literal and only
/// when `home` (the provider's issuer, or its API base when it has none) is itself plain http
/// on a loopback IP literal, so an https provider's definition or metadata cannot name an
/// endpoint on this machine; never the name `localhost` (RFC 8252 §8.3), user info or a
/// fragment. [`endpoint_allowed`] decides again at use, with the world.
pub fn https_or_loopback(url: &Url, home: Option<&Url>) -> Result<(), UrlRuleError> {
    endpoint_allowed(url, World::Real, home)
}

fn is_localhost_name(url: &Url) -> bool {
    // `foo.localhost` resolves to loopback too on many systems (RFC 6761 §6.3).
    matches!(url.host(), Some(Host::Domain(d)) if d == "localhost" || d.ends_with(".localhost"))
}

/// `scheme://host[:port]`: enough to say which address, without user info, path or query
/// (which may hold values that do not belong in a message).
fn origin_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// Where in a URL template a placeholder sits, which decides how its value is made safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Scheme,
    Authority,
    Path,
    Query,
    Fragment,
}

/// The part of the URL that text appended after `so_far` lands in. `so_far` holds literal
/// template text plus values already made safe (none of which holds `/`, `?` or `#` raw),
/// so the separators seen are the template's own.
fn part_after(so_far: &str) -> Part {
    let Some(i) = so_far.find("://") else {
        return Part::Scheme;
    };
    let rest = &so_far[i + 3..];
    if rest.contains('#') {
        Part::Fragment
    } else if rest.contains('?') {
        Part::Query
    } else if rest.contains('/') {
        Part::Path
    } else {
        Part::Authority
    }
}

/// Exactly one DNS label (RFC 1123): `[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?`.
fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=63).contains(&b.len())
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// `value` percent-encoded as one path segment, by the `url` crate's own path-segment set
/// (which, for http(s), also encodes `\`, a path separator there).
fn encode_path_segment(value: &str) -> String {
    let mut scratch = Url::parse("https://segment.invalid/").expect("a constant URL parses");
    scratch
        .path_segments_mut()
        .expect("an https URL has a path")
        .pop_if_empty()
        .push(value);
    scratch.path()[1..].to_string()
}

/// Values are shown in messages, but a hostile provider could send megabytes.
fn shown(value: &str) -> String {
    const MAX: usize = 80;
    match value.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &value[..i]),
        None => value.to_string(),
    }
}

/// Builds a URL from a template with `{name}` placeholders, each filled by `lookup`, so that
/// no value can change which host the URL names or the shape of its path:
///
/// - in the host (`https://{workspace_subdomain}.myclickfunnels.com`), a value must be
///   exactly one DNS label (letters, digits, inner hyphens, 1 to 63), and the host must stay
///   a domain name (a number could otherwise turn it into an IP address);
/// - in the path, a value is percent-encoded as one path segment (`/`, `?`, `#`, `%`, `\`
///   included), and must not be empty, `.` or `..` (which would drop or climb a segment);
/// - in the query, a value is form-encoded (`&`, `=`, `+` and `#` included), so it cannot add
///   a parameter;
/// - in the scheme or a fragment, a placeholder is refused.
///
/// A placeholder `lookup` has no value for is [`UrlRuleError::MissingValue`]. Text without a
/// closing `}` is literal. Use this for every URL; whether the result may receive
/// credentials is [`endpoint_allowed`]'s call.
pub fn fill_url(
    template: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Url, UrlRuleError> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut host_placeholder: Option<(String, String)> = None;
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let name = &rest[start + 1..start + len];
        rest = &rest[start + len + 1..];
        let value = lookup(name).ok_or_else(|| UrlRuleError::MissingValue {
            name: name.to_string(),
        })?;
        match part_after(&out) {
            Part::Authority => {
                if !is_dns_label(&value) {
                    return Err(UrlRuleError::BadHostValue {
                        name: name.to_string(),
                        value: shown(&value),
                    });
                }
                out.push_str(&value);
                host_placeholder = Some((name.to_string(), value));
            }
            Part::Path => {
                if matches!(value.as_str(), "" | "." | "..") {
                    return Err(UrlRuleError::BadPathValue {
                        name: name.to_string(),
                        value: shown(&value),
                    });
                }
                out.push_str(&encode_path_segment(&value));
            }
            Part::Query => out.extend(url::form_urlencoded::byte_serialize(value.as_bytes())),
            part @ (Part::Scheme | Part::Fragment) => {
                let where_ = if part == Part::Scheme {
                    "a {placeholder} before :// would choose the scheme"
                } else {
                    "a {placeholder} after # is not sent to the server"
                };
                return Err(UrlRuleError::Unparsable {
                    text: shown(template),
                    reason: where_.to_string(),
                });
            }
        }
    }
    out.push_str(rest);
    let url = Url::parse(&out).map_err(|e| UrlRuleError::Unparsable {
        text: shown(&out),
        reason: e.to_string(),
    })?;
    if let Some((name, value)) = host_placeholder {
        if !matches!(url.host(), Some(Host::Domain(_))) {
            return Err(UrlRuleError::BadHostValue {
                name,
                value: shown(&value),
            });
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CF: &str = "https://{sub}.myclickfunnels.com/api/v2/workspaces/{ws}/funnels";

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn code(r: Result<(), UrlRuleError>) -> &'static str {
        r.map_or_else(|e| e.code(), |()| "ok")
    }

    fn fill(template: &str, sub: &str, ws: &str) -> Result<Url, UrlRuleError> {
        let (sub, ws) = (sub.to_string(), ws.to_string());
        fill_url(template, move |n| match n {
            "sub" => Some(sub.clone()),
            "ws" => Some(ws.clone()),
            _ => None,
        })
    }

    #[test]
    fn https_is_allowed_in_both_worlds() {
        for w in [World::Demo, World::Real] {
            assert_eq!(
                code(endpoint_allowed(&url("https://a.example/t"), w, None)),
                "ok"
            );
        }
    }

    #[test]
    fn loopback_http_only_in_demo_or_under_a_loopback_issuer() {
        let local_issuer = url("http://127.0.0.1:9/clickfunnels");
        let real_issuer = url("https://accounts.myclickfunnels.com");
        for u in ["http://127.0.0.1:9/token", "http://[::1]:9/token"] {
            let u = url(u);
            assert!(is_loopback_http(&u));
            assert_eq!(code(endpoint_allowed(&u, World::Demo, None)), "ok");
            assert_eq!(
                code(endpoint_allowed(&u, World::Real, Some(&local_issuer))),
                "ok"
            );
            assert_eq!(
                code(endpoint_allowed(&u, World::Real, None)),
                "url.loopback_outside_demo"
            );
            assert_eq!(
                code(endpoint_allowed(&u, World::Real, Some(&real_issuer))),
                "url.loopback_outside_demo"
            );
        }
        // An https issuer on 127.0.0.1 is not a loopback *http* issuer.
        let tls_local = url("https://127.0.0.1:9/x");
        assert!(!is_loopback_http(&tls_local));
        assert_eq!(
            code(endpoint_allowed(
                &url("http://127.0.0.1:9/t"),
                World::Real,
                Some(&tls_local)
            )),
            "url.loopback_outside_demo"
        );
    }

    #[test]
    fn before_the_world_is_known_loopback_needs_a_loopback_home() {
        let local_home = url("http://127.0.0.1:9/boomtown");
        let https_home = url("https://auth.boomtownroi.com");
        for u in ["http://127.0.0.1:9/token", "http://[::1]:9/token"] {
            let u = url(u);
            assert_eq!(code(https_or_loopback(&u, Some(&local_home))), "ok");
            assert_eq!(
                code(https_or_loopback(&u, Some(&https_home))),
                "url.loopback_outside_demo"
            );
            assert_eq!(
                code(https_or_loopback(&u, None)),
                "url.loopback_outside_demo"
            );
        }
        for home in [Some(&local_home), Some(&https_home), None] {
            assert_eq!(
                code(https_or_loopback(&url("https://a.example/t"), home)),
                "ok"
            );
            // Never the name, even under a loopback home.
            assert_eq!(
                code(https_or_loopback(&url("http://localhost:9/t"), home)),
                "url.localhost_name"
            );
        }
        // A home named localhost is not a loopback home.
        assert_eq!(
            code(https_or_loopback(
                &url("http://127.0.0.1:9/t"),
                Some(&url("http://localhost:9/x"))
            )),
            "url.loopback_outside_demo"
        );
    }

    #[test]
    fn localhost_names_other_loopback_ips_and_plain_http_are_refused() {
        for (u, want) in [
            ("http://localhost:9/t", "url.localhost_name"),
            ("http://LOCALHOST:9/t", "url.localhost_name"),
            ("http://app.localhost/t", "url.localhost_name"),
            ("http://127.0.0.2/t", "url.not_https"),
            ("http://example.com/t", "url.not_https"),
            ("ftp://example.com/t", "url.not_https"),
            ("file:///etc/passwd", "url.not_https"),
            ("https://user:pw@example.com/t", "url.userinfo"),
            ("https://user@example.com/t", "url.userinfo"),
            ("http://u@127.0.0.1:9/t", "url.userinfo"),
            ("https://example.com/t#", "url.fragment"),
            ("https://example.com/t#x", "url.fragment"),
        ] {
            let u = url(u);
            assert!(!is_loopback_http(&u) || want == "url.userinfo", "{u}");
            assert_eq!(code(endpoint_allowed(&u, World::Demo, None)), want, "{u}");
            assert_eq!(
                code(endpoint_allowed(
                    &u,
                    World::Real,
                    Some(&url("http://127.0.0.1:1/x"))
                )),
                want,
                "{u}"
            );
        }
    }

    #[test]
    fn messages_name_the_address_but_never_the_password() {
        let e = endpoint_allowed(&url("https://me:hunter2@example.com/t"), World::Real, None)
            .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("https://example.com"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        let e = endpoint_allowed(&url("http://example.com:8080/t?key=1"), World::Real, None)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "http://example.com:8080 does not use https, so Patchbay will not send your \
             sign-in there. Change the address so it starts with https://."
        );
    }

    #[test]
    fn world_serializes_snake_case() {
        assert_eq!(serde_json::to_string(&World::Demo).unwrap(), "\"demo\"");
        assert_eq!(
            serde_json::from_str::<World>("\"real\"").unwrap(),
            World::Real
        );
    }

    #[test]
    fn normal_values_fill_exactly() {
        assert_eq!(
            fill(CF, "acme", "4201").unwrap().as_str(),
            "https://acme.myclickfunnels.com/api/v2/workspaces/4201/funnels"
        );
        assert_eq!(
            fill(CF, "Acme-2", "ws_Q7r8").unwrap().as_str(),
            "https://acme-2.myclickfunnels.com/api/v2/workspaces/ws_Q7r8/funnels"
        );
        // A template without placeholders is just parsed.
        assert_eq!(
            fill_url("https://api.example/v1/leads", |_| None)
                .unwrap()
                .as_str(),
            "https://api.example/v1/leads"
        );
        // A punycode label is a label; one that does not decode is refused.
        assert_eq!(
            fill(CF, "xn--bcher-kva", "1").unwrap().host_str(),
            Some("xn--bcher-kva.myclickfunnels.com")
        );
        assert!(fill(CF, "xn--a", "1").is_err());
        // A 63-character label is the longest allowed.
        let long = "a".repeat(63);
        assert_eq!(
            fill(CF, &long, "1").unwrap().host_str().unwrap(),
            format!("{long}.myclickfunnels.com")
        );
    }

    #[test]
    fn host_values_that_are_not_one_label_are_refused() {
        for bad in [
            "evil.example#",
            "a.b",
            "x@evil",
            "",
            &"a".repeat(64),
            "evil.example/",
            "evil:443",
            "a%2eb",
            "a b",
            "-a",
            "a-",
            "a_b",
            "é",
        ] {
            let e = fill(CF, bad, "1").unwrap_err();
            assert_eq!(e.code(), "url.bad_host_value", "{bad:?}");
            assert!(matches!(&e, UrlRuleError::BadHostValue { name, .. } if name == "sub"));
        }
    }

    #[test]
    fn a_host_placeholder_cannot_become_an_ip_address() {
        // WHATWG parsing reads a numeric last label as IPv4: 2130706433 is 127.0.0.1.
        for value in ["2130706433", "0x7f000001", "127"] {
            let e = fill_url("https://{sub}/x", |_| Some(value.into())).unwrap_err();
            assert_eq!(e.code(), "url.bad_host_value", "{value}");
        }
        assert_eq!(
            fill_url("https://{sub}/x", |_| Some("acme".into()))
                .unwrap()
                .as_str(),
            "https://acme/x"
        );
    }

    #[test]
    fn path_values_stay_inside_one_segment() {
        let cases = [
            ("../admin", "/api/v2/workspaces/..%2Fadmin/funnels"),
            ("a/b?c#d", "/api/v2/workspaces/a%2Fb%3Fc%23d/funnels"),
            ("%2e%2e", "/api/v2/workspaces/%252e%252e/funnels"),
            ("a\\b", "/api/v2/workspaces/a%5Cb/funnels"),
            ("a b", "/api/v2/workspaces/a%20b/funnels"),
            ("...", "/api/v2/workspaces/.../funnels"),
        ];
        for (value, path) in cases {
            let u = fill(CF, "acme", value).unwrap();
            assert_eq!(u.path(), path, "{value:?}");
            assert_eq!(u.host_str(), Some("acme.myclickfunnels.com"));
            assert_eq!(u.query(), None, "{value:?}");
            assert_eq!(u.fragment(), None, "{value:?}");
            assert_eq!(u.path_segments().unwrap().count(), 5, "{value:?}");
        }
    }

    #[test]
    fn path_values_that_drop_or_climb_a_segment_are_refused() {
        for bad in ["", ".", ".."] {
            assert_eq!(
                fill(CF, "acme", bad).unwrap_err().code(),
                "url.bad_path_value",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn query_values_cannot_add_parameters() {
        let u = fill_url("https://a.example/x?after={c}&limit=5", |_| {
            Some("1&limit=1000#frag".into())
        })
        .unwrap();
        assert_eq!(u.query(), Some("after=1%26limit%3D1000%23frag&limit=5"));
        let pairs: Vec<_> = u.query_pairs().collect();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[0].1, "1&limit=1000#frag");
        assert_eq!(u.fragment(), None);
    }

    #[test]
    fn unknown_placeholders_and_misplaced_ones_are_errors() {
        let e = fill_url(CF, |n| (n == "sub").then(|| "acme".into())).unwrap_err();
        assert_eq!(e, UrlRuleError::MissingValue { name: "ws".into() });
        assert_eq!(e.code(), "url.missing_value");
        for template in [
            "{s}://a.example/",
            "https://a.example/#{s}",
            "not a url {s}",
        ] {
            assert_eq!(
                fill_url(template, |_| Some("x".into())).unwrap_err().code(),
                "url.unparsable",
                "{template}"
            );
        }
    }

    #[test]
    fn long_hostile_values_are_shortened_in_messages() {
        let value = format!("{}.evil", "x".repeat(10_000));
        let e = fill(CF, &value, "1").unwrap_err();
        assert!(e.to_string().len() < 500, "{}", e.to_string().len());
    }

    /// Decodes %XX (test-only: the production code never decodes).
    fn percent_decode(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    }

    fn value_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-zA-Z0-9.#/@:%?\\\\ -]{0,70}",
            "[a-z0-9-]{1,70}",
            Just("evil.example#".to_string()),
            Just("..".to_string()),
        ]
    }

    proptest! {
        #[test]
        fn filled_host_is_the_templates_domain_or_refused(sub in value_strategy(), ws in value_strategy()) {
            let result = fill(CF, &sub, &ws);
            // Refusals are not over-broad: a plain label and a real segment always fill.
            let fillable = is_dns_label(&sub)
                && !sub.to_ascii_lowercase().starts_with("xn--")
                && !matches!(ws.as_str(), "" | "." | "..");
            prop_assert_eq!(result.is_ok(), fillable, "{:?}", result);
            // An Err is a refusal: the token stays home.
            if let Ok(u) = result {
                let host = u.host_str().unwrap().to_string();
                prop_assert_eq!(&host, &format!("{}.myclickfunnels.com", sub.to_ascii_lowercase()));
                prop_assert!(u.username().is_empty() && u.password().is_none());
                prop_assert_eq!(u.port(), None);
                prop_assert_eq!(u.query(), None);
                prop_assert_eq!(u.fragment(), None);
                let segments: Vec<&str> = u.path_segments().unwrap().collect();
                prop_assert_eq!(segments.len(), 5);
                prop_assert_eq!(percent_decode(segments[3]), ws.as_bytes().to_vec());
            }
        }
    }
}
