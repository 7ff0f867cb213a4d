//! The IPC contract between the window and the Rust commands, from one source: the Rust
//! declarations.
//!
//! 1. `ui/src/bindings/ipcContract.ts` is generated here from the handler list in lib.rs,
//!    each command's signature in its module and the event constants of events.rs: every
//!    command with its argument keys (camelCase, as Tauri takes them) and argument and answer
//!    types, every event with its payload type. The front end's fake backend and ipc.ts are
//!    checked against that file (ui/src/test/contract.test.ts). The test fails when the
//!    committed file is stale; `UPDATE_BINDINGS=1 cargo test -p patchbay ipc_contract`
//!    rewrites it.
//! 2. Every registered command is invoked once on Tauri's mock runtime with the arguments the
//!    window sends, against the real app state, and its answer is checked; a command added
//!    to the handler list without a case here fails the test. The mock runtime also proves
//!    the generated keys are the ones Tauri requires (leaving one out is refused by name).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};
use tauri::test::MockRuntime;
use tauri::Listener;
use ts_rs::{Config, TS};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

const CONTRACT_FILE: &str = "ui/src/bindings/ipcContract.ts";

// ---------------------------------------------------------------------------------------
// The contract, read from the Rust declarations.

#[derive(Debug)]
struct Arg {
    /// The key the window sends (Tauri renames parameters to camelCase by default).
    key: String,
    rust: String,
}

#[derive(Debug)]
struct Command {
    name: String,
    args: Vec<Arg>,
    /// The `Ok` type of the command's `Result` (or its return type).
    result: String,
}

/// Registered commands in the handler's order: `module::name,` inside `generate_handler![`.
fn handler_list() -> Vec<(String, String)> {
    let lib = read("src-tauri/lib.rs");
    let start = lib
        .find("generate_handler![")
        .expect("lib.rs registers commands with generate_handler!")
        + "generate_handler![".len();
    let body = &lib[start..];
    let body = &body[..body.find(']').expect("generate_handler! closes")];
    body.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|path| {
            let (module, name) = path
                .rsplit_once("::")
                .unwrap_or_else(|| panic!("`{path}`: name handlers as module::command"));
            (module.to_string(), name.to_string())
        })
        .collect()
}

/// The text between an opening bracket at `s[0]` and its partner (exclusive), and the rest.
fn balanced(s: &str, open: char, close: char) -> (&str, &str) {
    assert!(
        s.starts_with(open),
        "expected `{open}` at `{}`",
        &s[..s.len().min(40)]
    );
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                return (&s[1..i], &s[i + 1..]);
            }
        }
    }
    panic!("unbalanced `{open}` in `{}`", &s[..s.len().min(80)]);
}

/// Splits at commas outside any `<>`, `()`, `[]` or `{}`.
fn split_top_level(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '<' | '(' | '[' | '{' => depth += 1,
            '>' | ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

fn camel_case(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Parameters Tauri fills in itself; the window never sends them.
fn injected(ty: &str) -> bool {
    let base = ty.trim_start_matches("tauri::").trim_start_matches('&');
    [
        "State<",
        "AppHandle",
        "Window",
        "WebviewWindow",
        "Webview",
        "ipc::Request",
        "Request<",
    ]
    .iter()
    .any(|p| base.starts_with(p))
}

/// One command's signature, read from its module's source.
fn command(module: &str, name: &str) -> Command {
    let file = format!("src-tauri/{}.rs", module.replace("::", "/"));
    let src = read(&file);
    let needle = format!("fn {name}");
    let fn_at = src
        .match_indices(&needle)
        .map(|(i, _)| i)
        .find(|&i| {
            let after = &src[i + needle.len()..];
            after.starts_with('(') || after.starts_with('<')
        })
        .unwrap_or_else(|| panic!("{file} has no `fn {name}`"));
    // The attributes between the previous item and this fn.
    let before = &src[..fn_at];
    let item_start = before.rfind("\n}").map_or(0, |i| i + 2);
    let attrs = &before[item_start..];
    let attr = attrs
        .find("#[tauri::command")
        .map(|i| &attrs[i..attrs[i..].find(']').map_or(attrs.len(), |j| i + j)])
        .unwrap_or_else(|| panic!("{file}: `{name}` is registered but not #[tauri::command]"));
    let rename_keys: fn(&str) -> String = if attr.contains("rename_all = \"snake_case\"") {
        str::to_string
    } else if attr.contains("rename_all") {
        panic!("{file}: `{name}` uses a rename_all this contract does not know")
    } else {
        camel_case
    };
    let mut rest = &src[fn_at + 3 + name.len()..];
    if rest.starts_with('<') {
        rest = balanced(rest, '<', '>').1;
    }
    let (params, rest) = balanced(rest, '(', ')');
    let args = split_top_level(params)
        .into_iter()
        .filter_map(|p| {
            let (ident, ty) = p
                .split_once(':')
                .unwrap_or_else(|| panic!("{file}: `{name}` has a parameter `{p}` without a type"));
            let ty = ty.trim().replace(' ', "");
            (!injected(&ty)).then(|| Arg {
                key: rename_keys(ident.trim().trim_start_matches("mut ")),
                rust: ty,
            })
        })
        .collect();
    let ret = rest.trim_start();
    let ret = ret
        .strip_prefix("->")
        .map_or("()", |r| &r[..r.find(['{', '\n']).unwrap_or(r.len())])
        .trim()
        .replace(' ', "");
    let result = match ret.split_once('<') {
        Some((outer, inner)) if outer.ends_with("Result") => {
            let inner = &inner[..inner.len() - 1];
            split_top_level(inner).remove(0)
        }
        _ => ret,
    };
    Command {
        name: name.to_string(),
        args,
        result,
    }
}

/// The TypeScript of a Rust type as ts-rs writes it; named types must have a binding.
fn ts_type(rust: &str, imports: &mut BTreeSet<String>) -> String {
    let rust = rust.replace(' ', "");
    let (head, generics) = match rust.split_once('<') {
        Some((h, g)) => (h.rsplit("::").next().unwrap().to_string(), {
            assert!(g.ends_with('>'), "type `{rust}`");
            split_top_level(&g[..g.len() - 1])
        }),
        None => (rust.rsplit("::").next().unwrap().to_string(), Vec::new()),
    };
    let g: Vec<String> = generics.iter().map(|t| ts_type(t, imports)).collect();
    match head.as_str() {
        "()" => "null".into(),
        "String" | "&str" | "str" => "string".into(),
        "bool" => "boolean".into(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" | "f32"
        | "f64" => "number".into(),
        "Option" => format!("{} | null", g[0]),
        "Vec" => format!("Array<{}>", g[0]),
        "BTreeMap" | "HashMap" => format!("Record<{}, {}>", g[0], g[1]),
        named if named.chars().next().is_some_and(char::is_uppercase) && generics.is_empty() => {
            let binding = root().join(format!("ui/src/bindings/{named}.ts"));
            assert!(
                binding.exists(),
                "`{named}` crosses the IPC but has no generated binding (add it to bindings.rs)"
            );
            imports.insert(named.to_string());
            named.to_string()
        }
        other => panic!("the IPC contract does not know how to write `{other}` in TypeScript"),
    }
}

struct Event {
    name: &'static str,
    /// The payload's Rust type, as written here (ts_type turns it into TypeScript).
    rust: &'static str,
    /// ts-rs's inline TypeScript of the payload, for checking what is really emitted.
    inline: String,
}

/// Every event the app emits and its payload type. Each name is a constant of events.rs
/// (checked below against that file and every `emit(` in the shell), and each payload is
/// checked against what the mock runtime really emits where a case can make it emit.
fn events() -> Vec<Event> {
    let cfg = Config::new().with_large_int("number");
    macro_rules! event {
        ($name:expr, $t:ty) => {
            Event {
                name: $name,
                rust: stringify!($t),
                inline: <$t as TS>::inline(&cfg),
            }
        };
    }
    use crate::events::{self, Notice};
    use crate::views::{ExportProgress, ProviderTile, SyncProgress};
    use patchbay_sync::SyncStatus;
    vec![
        event!(events::PROVIDERS_CHANGED, Vec<ProviderTile>),
        event!(events::SYNC_PROGRESS, SyncProgress),
        event!(events::SYNC_STATUS, SyncStatus),
        event!(events::NOTICE, Notice),
        event!(events::EXPORT_PROGRESS, ExportProgress),
    ]
}

fn contract_commands() -> Vec<Command> {
    handler_list()
        .iter()
        .map(|(module, name)| command(module, name))
        .collect()
}

/// The generated TypeScript.
fn render(commands: &[Command], events: &[Event]) -> String {
    let mut imports = BTreeSet::new();
    let mut types = String::new();
    let mut keys = String::new();
    for c in commands {
        let args = if c.args.is_empty() {
            "Record<string, never>".to_string()
        } else {
            let fields: Vec<String> = c
                .args
                .iter()
                .map(|a| format!("{}: {}", a.key, ts_type(&a.rust, &mut imports)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        };
        let result = ts_type(&c.result, &mut imports);
        types.push_str(&format!(
            "  {}: {{ args: {args}, result: {result} }},\n",
            c.name
        ));
        let names: Vec<String> = c.args.iter().map(|a| format!("\"{}\"", a.key)).collect();
        keys.push_str(&format!("  {}: [{}],\n", c.name, names.join(", ")));
    }
    let mut event_types = String::new();
    let mut event_names = Vec::new();
    for e in events {
        event_types.push_str(&format!(
            "  \"{}\": {},\n",
            e.name,
            ts_type(e.rust, &mut imports)
        ));
        event_names.push(format!("\"{}\"", e.name));
    }
    let imports: String = imports
        .iter()
        .map(|t| format!("import type {{ {t} }} from \"./{t}\";\n"))
        .collect();
    format!(
        "// This file was generated from the Rust commands (the handler list in src-tauri/lib.rs and\n\
         // each command's signature) and events (src-tauri/events.rs) by\n\
         // src-tauri/ipc_contract_tests.rs. Do not edit this file manually: run\n\
         // `UPDATE_BINDINGS=1 cargo test -p patchbay ipc_contract` to rewrite it.\n\
         {imports}\n\
         /** Every command the app registers: its arguments (the keys the window sends) and its answer. */\n\
         export type Commands = {{\n{types}}};\n\n\
         /** Each command's argument keys, in the order of the Rust parameters. */\n\
         export const COMMAND_ARGS = {{\n{keys}}} as const satisfies {{ [K in keyof Commands]: ReadonlyArray<keyof Commands[K][\"args\"]> }};\n\n\
         /** Every event the app emits and its payload. */\n\
         export type Events = {{\n{event_types}}};\n\n\
         export const EVENT_NAMES = [{}] as const satisfies ReadonlyArray<keyof Events>;\n",
        event_names.join(", ")
    )
}

#[test]
fn ipc_contract_file_matches_the_rust_declarations() {
    let commands = contract_commands();
    assert!(commands.len() >= 10, "found the commands: {commands:?}");
    let text = render(&commands, &events());
    let path = root().join(CONTRACT_FILE);
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{CONTRACT_FILE} is stale (a command, argument, answer or event changed in Rust); \
         run `UPDATE_BINDINGS=1 cargo test -p patchbay ipc_contract`, commit it, and make the \
         front end (ipc.ts, the fake backend) follow"
    );
}

#[test]
fn the_contract_reader_sees_what_the_source_says() {
    let by_name: BTreeMap<String, Command> = contract_commands()
        .into_iter()
        .map(|c| (c.name.clone(), c))
        .collect();
    let keys = |n: &str| -> Vec<&str> { by_name[n].args.iter().map(|a| a.key.as_str()).collect() };
    // Injected parameters (State, AppHandle) are not arguments; snake_case becomes camelCase.
    assert_eq!(keys("list_providers"), Vec::<&str>::new());
    assert_eq!(
        keys("sync_resource"),
        ["providerId", "accountId", "resourceId"]
    );
    assert_eq!(
        keys("disconnect"),
        ["providerId", "accountId", "keepRecords"]
    );
    assert_eq!(by_name["set_client_secret"].args[1].rust, "Option<String>");
    assert_eq!(by_name["list_providers"].result, "Vec<ProviderTile>");
    assert_eq!(by_name["connect"].result, "()");
    let mut imports = BTreeSet::new();
    assert_eq!(
        ts_type(
            "Option<std::collections::BTreeMap<String,String>>",
            &mut imports
        ),
        "Record<string, string> | null"
    );
    assert_eq!(ts_type("Vec<WeekCount>", &mut imports), "Array<WeekCount>");
    assert_eq!(imports.into_iter().collect::<Vec<_>>(), ["WeekCount"]);
    assert_eq!(camel_case("keep_records"), "keepRecords");
}

#[test]
fn every_event_is_a_constant_of_events_rs_and_every_emit_uses_one() {
    let declared: BTreeSet<String> = events().iter().map(|e| e.name.to_string()).collect();
    let src = read("src-tauri/events.rs");
    let constants: BTreeSet<String> = src
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter(|l| l.contains(": &str"))
        .filter_map(|l| l.split('"').nth(1).map(String::from))
        .collect();
    assert_eq!(
        declared, constants,
        "the contract's events are exactly events.rs's constants (give a new event its payload type in events() here)"
    );
    // No event goes out under a literal name, so the constants are all there is.
    let mut emits = 0;
    for e in std::fs::read_dir(root().join("src-tauri"))
        .unwrap()
        .flatten()
    {
        let p = e.path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".rs") || name.ends_with("_tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        for (i, _) in text.match_indices("emit(") {
            let call = &text[i + "emit(".len()..];
            let call = &call[..call.find(')').unwrap_or(call.len())];
            let first = split_top_level(call);
            let event = first
                .iter()
                .find(|a| !a.starts_with('&'))
                .unwrap_or_else(|| panic!("{name}: emit({call})"));
            assert!(
                event.starts_with("events::") || (event == "NOTICE" && name == "events.rs"),
                "{name}: emit({call}) must name an events.rs constant"
            );
            emits += 1;
        }
    }
    assert!(emits >= 4, "found the emit sites ({emits})");
}

// ---------------------------------------------------------------------------------------
// Every command, once, on the mock runtime.

/// Top-level field names of a ts-rs object type (the first `{ ... }` in `inline`).
fn ts_fields(inline: &str) -> BTreeSet<String> {
    // Drop doc comments, which ts-rs writes inline.
    let mut text = String::new();
    let mut rest = inline;
    while let Some(i) = rest.find("/*") {
        text.push_str(&rest[..i]);
        rest = &rest[i + rest[i..].find("*/").expect("comment ends") + 2..];
    }
    text.push_str(rest);
    let start = text
        .find('{')
        .unwrap_or_else(|| panic!("not an object: {inline}"));
    let (body, _) = balanced(&text[start..], '{', '}');
    split_top_level(body)
        .iter()
        .filter_map(|f| f.split_once(':').map(|(k, _)| k.trim().to_string()))
        .collect()
}

fn json_keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

struct Harness {
    app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
    /// Each command's argument keys and their Rust types.
    contract: BTreeMap<String, Vec<(String, String)>>,
    exercised: BTreeSet<String>,
}

impl Harness {
    fn start() -> Self {
        let mut context = tauri::test::mock_context(tauri::test::noop_assets());
        // Its own config and data folders (inside the throwaway HOME), apart from other tests'.
        context.config_mut().identifier = "dev.patchbay.ipc-contract-test".into();
        let mut app = crate::app_builder(tauri::test::mock_builder())
            .build(context)
            .expect("the app builds on the mock runtime");
        // The setup hook runs when the event loop first turns.
        #[allow(deprecated)]
        app.run_iteration(|_, _| {});
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("mock window");
        let contract = contract_commands()
            .into_iter()
            .map(|c| {
                (
                    c.name,
                    c.args.into_iter().map(|a| (a.key, a.rust)).collect(),
                )
            })
            .collect();
        Self {
            app,
            webview,
            contract,
            exercised: BTreeSet::new(),
        }
    }

    fn raw(&self, cmd: &str, args: &Value) -> Result<Value, Value> {
        tauri::test::get_ipc_response(
            &self.webview,
            tauri::webview::InvokeRequest {
                cmd: cmd.into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: tauri::ipc::InvokeBody::Json(args.clone()),
                headers: Default::default(),
                invoke_key: tauri::test::INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().expect("a JSON answer"))
    }

    /// Invokes `cmd` with exactly the contract's keys (as ipc.ts sends them), and checks that
    /// Tauri refuses the call, by name, when any required key is left out.
    fn invoke(&mut self, cmd: &str, args: Value) -> Result<Value, Value> {
        let keys: BTreeSet<&String> = args.as_object().unwrap().keys().collect();
        let contract = self
            .contract
            .get(cmd)
            .unwrap_or_else(|| panic!("`{cmd}` is not a registered command"))
            .clone();
        let expected: BTreeSet<&String> = contract.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, expected, "{cmd}: the case sends the contract's keys");
        if self.exercised.insert(cmd.to_string()) {
            for (key, rust) in &contract {
                if rust.starts_with("Option<") {
                    continue; // leaving it out means None
                }
                let mut partial = args.clone();
                partial.as_object_mut().unwrap().remove(key);
                let refused = self.raw(cmd, &partial);
                let message = refused.as_ref().err().and_then(Value::as_str).unwrap_or("");
                assert!(
                    message.contains(&format!("missing required key {key}")),
                    "{cmd} without `{key}` is refused by Tauri for that key: {refused:?}"
                );
            }
        }
        self.raw(cmd, &args)
    }

    /// The stable code of a CommandError answer.
    fn error_code(&mut self, cmd: &str, args: Value) -> String {
        let answer = self.invoke(cmd, args);
        let error = answer.expect_err(&format!("{cmd} fails"));
        let message = error["message"].as_str().unwrap_or("");
        assert!(
            !message.trim().is_empty() && !message.contains("panicked"),
            "{cmd}: a CommandError with a sentence for people: {error}"
        );
        let advice = error["advice"].as_str().unwrap_or("");
        assert!(
            !advice.trim().is_empty(),
            "{cmd}: a CommandError says what to do: {error}"
        );
        error["code"]
            .as_str()
            .unwrap_or_else(|| panic!("{cmd}: a CommandError, not {error}"))
            .to_string()
    }

    fn ok(&mut self, cmd: &str, args: Value) -> Value {
        self.invoke(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} answers: {e}"))
    }

    /// The next payload of `event` after `trigger` runs.
    fn emitted(&self, event: &str, trigger: impl FnOnce()) -> Value {
        let (tx, rx) = mpsc::channel();
        let id = self.app.listen_any(event, move |e| {
            let _ = tx.send(e.payload().to_string());
        });
        trigger();
        let payload = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no `{event}` event"));
        self.app.unlisten(id);
        serde_json::from_str(&payload).unwrap()
    }
}

#[test]
fn every_command_answers_the_window_on_the_mock_runtime() {
    assert!(
        std::env::var_os("PATCHBAY_KEYRING_INNER").is_some(),
        "run under scripts/with-keyring.sh: this test writes settings and keychain entries, \
         which belong in its throwaway HOME and private keychain"
    );
    let mut h = Harness::start();
    let unknown = json!({ "providerId": "whatconverts", "accountId": "Not An Account!", "resourceId": "leads" });
    let query = json!({ "search": "", "sort": null, "offset": 0, "limit": 50 });
    let with = |base: &Value, key: &str, value: Value| {
        let mut v = base.clone();
        v[key] = value;
        v
    };

    // The five tiles, in order, none connected (a fresh start is demo mode).
    let tiles = h.ok("list_providers", json!({}));
    let ids: Vec<&str> = tiles
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "whatconverts",
            "clickfunnels",
            "webinargeek",
            "boomtown",
            "emailoctopus"
        ]
    );
    let tile_fields = ts_fields(&crate::views::ProviderTile::inline(&Config::new()));
    for t in tiles.as_array().unwrap() {
        assert_eq!(
            json_keys(t),
            tile_fields,
            "a tile has ProviderTile's fields"
        );
    }
    assert!(
        tiles
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["auth"]["kind"] == "oauth"
                && t["accounts"] == json!([])
                && t["waiting_authorize_url"].is_null()),
        "demo mode connects every provider with OAuth on the sandbox; nothing connected yet"
    );

    // A provider's lists with their columns; an unknown provider is refused.
    let resources = h.ok("list_resources", json!({ "providerId": "whatconverts" }));
    let resources = resources.as_array().unwrap();
    assert!(!resources.is_empty());
    assert!(resources.iter().any(|r| r["id"] == "leads"));
    assert!(resources
        .iter()
        .all(|r| !r["columns"].as_array().unwrap().is_empty()));
    assert_eq!(
        h.invoke("list_resources", json!({ "providerId": "nope" }))
            .unwrap_err()["code"],
        "provider.unknown"
    );

    // Settings: the five providers; saving them back answers the same; a bad base URL is
    // refused and changes nothing.
    let settings = h.ok("get_settings", json!({}));
    assert_eq!(settings["demo_mode"], true);
    let providers = settings["providers"].as_array().unwrap();
    assert_eq!(providers.len(), 5);
    let saved = h.ok("save_settings", json!({ "settings": settings }));
    assert_eq!(saved, settings, "save_settings round trip");
    let mut bad = settings.clone();
    bad["providers"][0]["base_url"] = json!("not a web address");
    assert_eq!(
        h.error_code("save_settings", json!({ "settings": bad })),
        "settings.invalid"
    );
    assert_eq!(h.ok("get_settings", json!({})), settings);

    // A client secret: refused for a provider without one; kept and forgotten for one that
    // has one (in the private keychain).
    let without_secret = providers
        .iter()
        .find(|p| p["needs_client_secret"] == false)
        .unwrap()["id"]
        .clone();
    assert_eq!(
        h.error_code(
            "set_client_secret",
            json!({ "providerId": without_secret, "secret": "s3cret" })
        ),
        "settings.no_client_secret"
    );
    let with_secret = providers
        .iter()
        .find(|p| p["needs_client_secret"] == true)
        .expect("a provider takes a client secret")["id"]
        .clone();
    let secret_saved = |s: &Value| {
        s["providers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == with_secret)
            .unwrap()["client_secret_saved"]
            .clone()
    };
    let after = h.ok(
        "set_client_secret",
        json!({ "providerId": with_secret, "secret": "s3cret-value" }),
    );
    assert_eq!(secret_saved(&after), true);
    assert!(!after.to_string().contains("s3cret-value"), "never echoed");
    let after = h.ok(
        "set_client_secret",
        json!({ "providerId": with_secret, "secret": null }),
    );
    assert_eq!(secret_saved(&after), false);

    // Demo mode has no API keys: every provider connects with OAuth on the sandbox.
    assert_eq!(
        h.error_code(
            "save_api_key",
            json!({ "providerId": "emailoctopus", "values": { "api_key": "k" } })
        ),
        "connect.not_api_key"
    );

    // The real world (demo mode off): EmailOctopus asks for its API key.
    let mut real = settings.clone();
    real["demo_mode"] = json!(false);
    let saved = h.ok("save_settings", json!({ "settings": real }));
    assert_eq!(saved["demo_mode"], false);
    assert_eq!(h.ok("get_settings", json!({})), saved);
    let tiles = h.ok("list_providers", json!({}));
    let emailoctopus = &tiles[4];
    assert_eq!(emailoctopus["id"], "emailoctopus");
    assert_eq!(emailoctopus["auth"]["kind"], "api_key");
    assert_eq!(emailoctopus["auth"]["fields"][0]["key"], "api_key");

    // Connecting: an API-key provider is refused before any browser opens, and so is an
    // unknown provider. (An OAuth provider's connect opens the system browser, which a test
    // must not do: it is not invoked here.)
    assert_eq!(
        h.error_code("connect", json!({ "providerId": "emailoctopus" })),
        "connect.uses_api_key"
    );
    assert_eq!(
        h.error_code("connect", json!({ "providerId": "nope" })),
        "provider.unknown"
    );
    // "Test and save" with nothing pasted is refused before the provider is asked.
    assert_eq!(
        h.error_code(
            "save_api_key",
            json!({ "providerId": "emailoctopus", "values": { "api_key": "  " } })
        ),
        "connect.key_incomplete"
    );
    assert_eq!(
        h.error_code(
            "save_api_key",
            json!({ "providerId": "emailoctopus", "values": {} })
        ),
        "connect.key_incomplete"
    );
    assert_eq!(
        h.ok("cancel_connect", json!({ "providerId": "clickfunnels" })),
        Value::Null
    );
    // Only an API-key provider has a help page (EmailOctopus's would open the browser).
    assert_eq!(
        h.error_code("open_key_help", json!({ "providerId": "clickfunnels" })),
        "connect.no_help_page"
    );

    // The records commands and disconnect refuse an account id that cannot be one.
    let disconnect = json!({ "providerId": "whatconverts", "accountId": "Not An Account!", "keepRecords": false });
    assert_eq!(h.error_code("disconnect", disconnect), "account.unknown");
    assert_eq!(
        h.error_code("sync_resource", unknown.clone()),
        "account.unknown"
    );
    let q = with(&unknown, "query", query.clone());
    assert_eq!(h.error_code("query_records", q.clone()), "account.unknown");
    assert_eq!(
        h.error_code("record_detail", with(&unknown, "index", json!(0))),
        "account.unknown"
    );
    assert_eq!(
        h.error_code("weekly_counts", unknown.clone()),
        "account.unknown"
    );
    assert_eq!(h.error_code("export_csv", q.clone()), "account.unknown");
    assert_eq!(h.error_code("export_json", q), "account.unknown");

    // A well-formed id of no connected account: nothing to sync, nothing cached.
    let absent = with(&unknown, "accountId", json!("a0123456789"));
    assert_eq!(
        h.error_code("sync_resource", absent.clone()),
        "api.not_connected"
    );
    let page = h.ok("query_records", with(&absent, "query", query));
    assert_eq!(page, json!({ "total": 0, "matched": 0, "rows": [] }));
    // Its sync panel: a line per list of the provider, never synced, not scheduled, with the
    // refused sync above as its last error.
    let account = |provider: &str, id: &str| json!({ "providerId": provider, "accountId": id });
    let statuses = h.ok("sync_statuses", account("whatconverts", "a0123456789"));
    assert_eq!(
        statuses,
        json!([{
            "provider": "whatconverts", "account": "a0123456789", "resource": "leads",
            "running": false, "next_run": null, "last_success": null, "last_run": null,
            "error": {
                "code": "api.not_connected",
                "message": "WhatConverts is not connected.",
                "advice": "Click Connect first.",
            },
            "paused_until": null, "budget": statuses[0]["budget"].clone(),
        }])
    );
    // WhatConverts meters requests by the day: nothing used yet by this account.
    let budget = &statuses[0]["budget"];
    assert_eq!(budget["used"], json!(0), "{budget}");
    assert_eq!(budget["remaining"], budget["limit"], "{budget}");
    assert!(budget["limit"].as_u64().is_some_and(|l| l > 0), "{budget}");
    assert_eq!(
        h.error_code("sync_statuses", account("whatconverts", "Not An Account!")),
        "account.unknown"
    );
    assert_eq!(
        h.error_code("sync_statuses", account("nope", "a0123456789")),
        "provider.unknown"
    );

    assert_eq!(
        h.exercised,
        h.contract.keys().cloned().collect::<BTreeSet<_>>(),
        "every registered command is exercised here once (a new command needs its case)"
    );

    // Events, as the window receives them: the tiles after a connection change, and a
    // notice for a refused link. (sync-progress and export-progress need a connected
    // account; their payload types are in the contract.)
    let handle = h.app.handle().clone();
    let changed = h.emitted(crate::events::PROVIDERS_CHANGED, || {
        crate::send_tiles_on_change(&handle)()
    });
    assert_eq!(
        changed,
        h.ok("list_providers", json!({})),
        "providers-changed carries list_providers' tiles"
    );
    let notice = h.emitted(crate::events::NOTICE, || {
        crate::deep_link::handle(
            &handle,
            vec![format!("dev.patchbay:/oauth/callback?{}", "x".repeat(9000))],
        )
    });
    assert_eq!(notice["level"], "info");
    for e in events() {
        let payload = match e.name {
            crate::events::PROVIDERS_CHANGED => &changed[0],
            crate::events::NOTICE => &notice,
            _ => continue,
        };
        assert_eq!(
            json_keys(payload),
            ts_fields(&e.inline),
            "{} payload",
            e.name
        );
    }
}

#[test]
fn ts_fields_reads_top_level_fields_only() {
    let fields = ts_fields("{ a: string, /** doc, with: a colon */ b: { c: number, d: string } | null, e: Array<{ f: number }>, }");
    assert_eq!(fields.into_iter().collect::<Vec<_>>(), ["a", "b", "e"],);
}
