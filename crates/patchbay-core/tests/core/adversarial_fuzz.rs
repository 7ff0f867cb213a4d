//! Property-based fuzzing (proptest) of the two parsers that take untrusted text: the deep-link
//! callback parser (any program can open a `dev.patchbay:` URL) and the provider definition
//! loader (a user's override file). Neither may panic, whatever the input; a definition that
//! loads must also be usable (rate limits, URLs) without panicking.

use crate::adversarial_support;
use crate::common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use adversarial_support::Tally;
use patchbay_core::oauth::{authorize_request, PendingTable, CUSTOM_SCHEME_REDIRECT};
use patchbay_core::providers::{builtin, fill_placeholders, parse_definition};
use patchbay_core::session::Connection;
use patchbay_core::vault::MemoryVault;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const CALLBACK_CASES: u32 = 6000;
const COMPLETE_CASES: u32 = 300;
const DEFINITION_CASES: u32 = 3000;

const STATE: &str = "fuzz-known-state-0123456789abcdefABCDEF_-xyz";

/// Values that break naive parsers: bad percent-encoding, invalid UTF-8 once decoded, NULs,
/// separators, very long runs.
fn nasty_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(STATE.to_string()),
        Just("%".to_string()),
        Just("%zz".to_string()),
        Just("%FF%FE%FD".to_string()),
        Just("%C3%28".to_string()),
        Just("%ED%A0%80".to_string()),
        Just("%00".to_string()),
        Just("%25%".to_string()),
        Just("a+b%20c".to_string()),
        Just("&&==".to_string()),
        Just("#frag".to_string()),
        Just("http%3A%2F%2F127.0.0.1%3A1%2Fwhatconverts".to_string()),
        Just("x".repeat(9000)),
        "[a-zA-Z0-9_~.-]{0,64}",
        any::<String>(),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("state".to_string()),
        Just("code".to_string()),
        Just("iss".to_string()),
        Just("error".to_string()),
        Just("error_description".to_string()),
        Just("STATE".to_string()),
        Just("st%61te".to_string()),
        Just(String::new()),
        any::<String>(),
    ]
}

fn prefix() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(CUSTOM_SCHEME_REDIRECT.to_string()),
        1 => Just("dev.patchbay:/oauth/callback/".to_string()),
        1 => Just("DEV.PATCHBAY:/oauth/callback".to_string()),
        1 => Just("dev.patchbay://oauth/callback".to_string()),
        1 => Just("dev.patchbay:/oauth/%63allback".to_string()),
        1 => Just("dev.patchbay:/oauth/../oauth/callback".to_string()),
        1 => Just("dev.patchbay://user:pw@host/oauth/callback".to_string()),
        1 => Just("http://127.0.0.1:1/oauth/callback".to_string()),
        1 => Just(String::new()),
        1 => any::<String>(),
    ]
}

/// A callback-shaped string: prefix, separator, parameters, maybe a fragment.
fn callback_like() -> impl Strategy<Value = String> {
    (
        prefix(),
        prop_oneof![Just("?"), Just(""), Just("??"), Just("#"), Just("?&")],
        proptest::collection::vec(
            (
                key(),
                nasty_value(),
                prop_oneof![Just("&"), Just(";"), Just("&&")],
            ),
            0..6,
        ),
        proptest::option::of(nasty_value()),
    )
        .prop_map(|(p, sep, params, frag)| {
            let mut s = p + sep;
            for (k, v, j) in params {
                s.push_str(&k);
                s.push('=');
                s.push_str(&v);
                s.push_str(j);
            }
            if let Some(f) = frag {
                s.push('#');
                s.push_str(&f);
            }
            s
        })
}

fn any_link() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => callback_like(),
        1 => any::<String>(),
        1 => proptest::collection::vec(any::<u8>(), 0..400)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// Runs `cases` inputs through `check`, counting each input the property body checked: a
/// pass is one case handled; the first panic or broken property is one case lost (with the
/// minimal input proptest shrinks it to; the shrinking runs are not counted). Answers how
/// many inputs were checked.
fn run<S: Strategy>(
    tally: &Tally,
    name: &str,
    cases: u32,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), String>,
) -> usize
where
    S::Value: std::fmt::Debug,
{
    let checked = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    });
    let result = runner.run(&strategy, |input| {
        let outcome = match catch_unwind(AssertUnwindSafe(|| check(input))) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(TestCaseError::fail(e)),
            Err(p) => Err(TestCaseError::fail(format!(
                "panicked: {}",
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            ))),
        };
        // Once a case failed, proptest re-runs shrunken inputs: those are not new cases.
        if !failed.load(Ordering::SeqCst) {
            if outcome.is_ok() {
                checked.fetch_add(1, Ordering::SeqCst);
                tally.ok(format!("{name} #{}", checked.load(Ordering::SeqCst)));
            } else {
                failed.store(true, Ordering::SeqCst);
            }
        }
        outcome
    });
    if let Err(e) = result {
        let msg = e.to_string();
        tally.lost(name, msg.chars().take(2000).collect::<String>());
    }
    checked.load(Ordering::SeqCst)
}

fn table_with_pending() -> (PendingTable, patchbay_core::providers::ProviderDef) {
    let mut def = builtin().remove(0);
    patchbay_core::demo::rewrite_for_demo(&mut def, "http://127.0.0.1:9");
    let table = PendingTable::default();
    let (_, mut pending) = authorize_request(&def, CUSTOM_SCHEME_REDIRECT).unwrap();
    pending.state = oauth2::CsrfToken::new(STATE.to_string());
    table.insert(pending);
    (table, def)
}

#[test]
fn fuzz_callbacks_and_definitions_never_panic() {
    let tally = Tally::new("fuzz", "survived");
    // Quiet the default hook: proptest shrinks panicking inputs many times.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));

    // 1. The callback parser alone, many cases. A fresh pending request each time, so the
    //    known state can actually be consumed by a well-formed fuzz case.
    run(
        &tally,
        "callback parser",
        CALLBACK_CASES,
        any_link(),
        |link| {
            let (table, def) = table_with_pending();
            let _ = table.provider_of(&link);
            let issuer = def.issuer().map(|i| i.as_str().to_string());
            let result = table.take(&link, |_| (issuer.clone(), true));
            // Anything accepted must have been the known state on our exact redirect URI.
            if result.is_ok() && !link.starts_with(&format!("{CUSTOM_SCHEME_REDIRECT}?")) {
                return Err(format!("accepted a link off the redirect URI: {link:?}"));
            }
            Ok(())
        },
    );

    // 2. Through the whole core (Patchbay::complete) against a real sandbox: with no pending
    //    request whose state the fuzzer knows, no link may ever cause a token request.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sb = rt.block_on(common::sandbox(Default::default()));
    let core = Arc::new(common::core_with(&sb, Arc::new(MemoryVault::new()), |_| {}));
    // Real pending requests exist (their states are random, unknown to the fuzzer).
    for p in common::PROVIDERS {
        rt.block_on(core.begin_connect(p)).unwrap();
    }
    run(
        &tally,
        "Patchbay::complete",
        COMPLETE_CASES,
        any_link(),
        |link| {
            let outcome = rt.block_on(core.complete(&link));
            if outcome.is_ok() {
                return Err(format!("a fuzzed link completed a connect: {link:?}"));
            }
            let tokens = sb
                .requests()
                .iter()
                .filter(|r| r.grant_type.is_some())
                .count();
            if tokens != 0 {
                return Err(format!("a fuzzed link caused a token request: {link:?}"));
            }
            Ok(())
        },
    );

    // 3. The definition loader: mutations of every built-in file, and arbitrary text.
    let sources: Vec<String> = [
        "whatconverts",
        "clickfunnels",
        "webinargeek",
        "boomtown",
        "emailoctopus",
    ]
    .iter()
    .map(|p| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("providers/{p}.toml")),
        )
        .unwrap()
    })
    .collect();
    let toml_values = prop_oneof![
        Just("\"\"".to_string()),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("nan".to_string()),
        Just("1e300".to_string()),
        Just("-1".to_string()),
        Just("0".to_string()),
        Just("18446744073709551615".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("\"{x}\"".to_string()),
        Just("\"{\"".to_string()),
        Just("\"https://\"".to_string()),
        Just("\"javascript:alert(1)\"".to_string()),
        Just("\"http://10.0.0.1/x\"".to_string()),
        Just("\"/\"".to_string()),
        Just("\"\\u0000\"".to_string()),
        Just("{ requests = 1, per_seconds = inf }".to_string()),
        Just("{ requests = 1, per_seconds = 1e300, concurrency = 0 }".to_string()),
        Just("{ style = \"cursor_body\" }".to_string()),
        "[ -~]{0,40}",
    ];
    let mutation = (
        0..sources.len(),
        proptest::collection::vec((0u8..5, any::<u16>(), toml_values), 1..5),
    );
    let definitions = prop_oneof![
        6 => mutation.prop_map({
            let sources = sources.clone();
            move |(i, ops)| mutate(&sources[i], &ops)
        }),
        1 => any::<String>(),
    ];
    run(
        &tally,
        "definition loader",
        DEFINITION_CASES,
        definitions,
        |text| {
            if let Ok(mut def) = parse_definition(Path::new("fuzz.toml"), &text) {
                // A definition that loads must be usable.
                let _ = patchbay_core::http::RateLimiter::new(&def.rate_limit);
                let _ = fill_placeholders(&def.api_base, |_| Some("1".into()));
                patchbay_core::demo::rewrite_for_demo(&mut def, "http://127.0.0.1:9");
                let _ = authorize_request(&def, CUSTOM_SCHEME_REDIRECT);
                let _ = Connection::new(
                    Arc::new(def),
                    patchbay_core::AccountId::upgraded(),
                    Arc::new(MemoryVault::new()),
                    "fuzz",
                    reqwest::Client::new(),
                    Default::default(),
                );
            }
            Ok(())
        },
    );

    std::panic::set_hook(hook);
    drop(sb);
    tally.finish();
}

/// Applies line-level mutations: 0 delete a line, 1 duplicate it, 2 replace its value, 3 insert
/// a raw line, 4 truncate the text there.
fn mutate(src: &str, ops: &[(u8, u16, String)]) -> String {
    let mut lines: Vec<String> = src.lines().map(str::to_string).collect();
    for (op, at, value) in ops {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = usize::from(*at) % lines.len();
        match op {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => {
                if let Some((k, _)) = lines[i].split_once('=') {
                    lines[i] = format!("{k}= {value}");
                } else {
                    lines[i] = value.clone();
                }
            }
            3 => lines.insert(i, value.clone()),
            _ => {
                let l = &lines[i];
                let cut = l
                    .char_indices()
                    .map(|(b, _)| b)
                    .nth(usize::from(*at) % (l.chars().count() + 1))
                    .unwrap_or(l.len());
                lines[i] = l[..cut].to_string();
                lines.truncate(i + 1);
            }
        }
    }
    lines.join("\n")
}

/// The fuzzer's first find, pinned: `per_seconds = inf` in a user's file panicked when the
/// connection was built (Duration::from_secs_f64); now it is refused with the key's line.
#[test]
fn infinite_rate_limit_period_is_refused() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("providers/whatconverts.toml"),
    )
    .unwrap();
    for bad in ["inf", "1e300", "nan", "-1.0"] {
        let t = text.replace(
            "rate_limit = { requests = 10, per_seconds = 1.0,",
            &format!("rate_limit = {{ requests = 10, per_seconds = {bad},"),
        );
        assert_ne!(t, text);
        let e = parse_definition(Path::new("w.toml"), &t).unwrap_err();
        assert!(e.message.contains("per_seconds"), "{bad}: {e}");
    }
}
