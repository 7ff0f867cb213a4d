//! The Tauri surface, checked from the files that define it: the CSP allows no remote origin
//! and no inline or eval'd script; the window's capability grants exactly the commands the
//! front end invokes (and the app registers), and no plugin permission beyond event
//! listening. A new command, permission or CSP source must be added here on purpose.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fewest checks each family performs: a family that performs fewer (a loop over nothing, a
/// directive no longer read) fails.
const CSP_MINIMUM: usize = 47;
const CAPABILITIES_MINIMUM: usize = 74;

/// The checks of one family, counted as they run: each is an assertion (the first failure
/// ends the test, and no line is written, which the summary reports as NOT RUN); the line
/// for scripts/adversarial-summary.sh is written once every check passed.
struct Checks {
    family: &'static str,
    minimum: usize,
    done: usize,
}

impl Checks {
    fn new(family: &'static str, minimum: usize) -> Self {
        Self {
            family,
            minimum,
            done: 0,
        }
    }

    #[track_caller]
    fn that(&mut self, ok: bool, what: impl FnOnce() -> String) {
        assert!(ok, "{}", what());
        self.done += 1;
    }

    #[track_caller]
    fn equal<T: PartialEq + std::fmt::Debug>(&mut self, got: T, want: T, what: &str) {
        assert_eq!(got, want, "{what}");
        self.done += 1;
    }

    fn finish(self) {
        assert!(
            self.done >= self.minimum,
            "{}: {} checks performed, at least {} expected",
            self.family,
            self.done,
            self.minimum
        );
        let line = format!(
            "adversarial {}: tried {}, passed {}, lost 0 | minimum {}",
            self.family, self.done, self.done, self.minimum
        );
        eprintln!("{line}");
        let dir = root().join("target/adversarial");
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = std::fs::write(
                dir.join(format!("{}.txt", self.family)),
                format!("{line}\n"),
            );
        }
    }
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The CSP as (directive, sources), whether the config writes it as a string or a map.
fn csp() -> Vec<(String, Vec<String>)> {
    let conf = json(&root().join("tauri.conf.json"));
    let csp = &conf["app"]["security"]["csp"];
    match csp {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                let sources = match v {
                    serde_json::Value::String(s) => {
                        s.split_whitespace().map(String::from).collect()
                    }
                    serde_json::Value::Array(a) => a
                        .iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect(),
                    other => panic!("CSP directive {k} has an odd value: {other}"),
                };
                (k.clone(), sources)
            })
            .collect(),
        serde_json::Value::String(s) => s
            .split(';')
            .filter(|d| !d.trim().is_empty())
            .map(|d| {
                let mut parts = d.split_whitespace().map(String::from);
                let name = parts.next().unwrap_or_default();
                (name, parts.collect())
            })
            .collect(),
        other => panic!("the window must have a CSP (app.security.csp), found {other}"),
    }
}

#[test]
fn csp_has_no_remote_origin_and_no_unsafe_script() {
    let mut checks = Checks::new("tauri-csp", CSP_MINIMUM);
    let csp = csp();
    let allowed = ["'self'", "'none'", "ipc:", "http://ipc.localhost", "data:"];
    let directives: BTreeSet<&str> = csp.iter().map(|(d, _)| d.as_str()).collect();
    for needed in [
        "default-src",
        "script-src",
        "object-src",
        "base-uri",
        "frame-ancestors",
    ] {
        checks.that(directives.contains(needed), || {
            format!("the CSP sets {needed}")
        });
    }
    for (directive, sources) in &csp {
        checks.that(!sources.is_empty(), || {
            format!("CSP {directive} lists a source")
        });
        for s in sources {
            checks.that(allowed.contains(&s.as_str()), || format!(
                "CSP {directive} allows {s:?}: only 'self', 'none', ipc:, http://ipc.localhost and data: (images) are expected"
            ));
            checks.that(!s.contains("unsafe") && !s.contains('*'), || {
                format!("CSP {directive} allows {s:?}")
            });
            if *s == "data:" {
                checks.equal(directive.as_str(), "img-src", "data: only for images");
            }
            if s.contains("ipc") {
                checks.equal(
                    directive.as_str(),
                    "connect-src",
                    "the IPC origins only for connect-src",
                );
            }
        }
    }
    for d in ["script-src", "default-src"] {
        let (_, s) = csp.iter().find(|(n, _)| n == d).unwrap();
        checks.equal(
            s.as_slice(),
            &["'self'".to_string()][..],
            &format!("{d} is 'self' only"),
        );
    }
    let (_, object) = csp.iter().find(|(n, _)| n == "object-src").unwrap();
    checks.equal(
        object.as_slice(),
        &["'none'".to_string()][..],
        "object-src is 'none'",
    );
    let conf = json(&root().join("tauri.conf.json"));
    checks.that(
        conf["app"]["security"]["dangerousDisableAssetCspModification"].is_null(),
        || "Tauri's CSP hashing/nonces stay on".into(),
    );
    checks.that(
        conf["app"]["withGlobalTauri"].as_bool() != Some(true),
        || "no window.__TAURI__ global".into(),
    );
    checks.finish();
}

/// Command names the front end invokes: `invoke<...>('name'` in ui/src (not tests).
fn ui_commands() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root().join("ui/src")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if p.is_dir() {
                if name != "test" {
                    stack.push(p);
                }
                continue;
            }
            // Of the generated bindings, only the client invokes anything.
            let generated_type = dir.ends_with("bindings") && name != "ipc.ts";
            if !(name.ends_with(".ts") || name.ends_with(".tsx"))
                || name.contains(".test.")
                || name == "platform.ts"
                || generated_type
            {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let mut rest = text.as_str();
            while let Some(i) = rest.find("invoke") {
                rest = &rest[i + "invoke".len()..];
                // invoke<T>('name' or invoke('name'
                let after_generics = if rest.starts_with('<') {
                    let mut depth = 0;
                    let mut end = 0;
                    for (j, c) in rest.char_indices() {
                        match c {
                            '<' => depth += 1,
                            '>' => {
                                depth -= 1;
                                if depth == 0 {
                                    end = j + 1;
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    &rest[end..]
                } else {
                    rest
                };
                let Some(args) = after_generics.strip_prefix('(') else {
                    continue;
                };
                let args = args.trim_start();
                let quote = args.chars().next();
                if let Some(q @ ('\'' | '"')) = quote {
                    if let Some(end) = args[1..].find(q) {
                        out.insert(args[1..1 + end].to_string());
                    }
                }
            }
        }
    }
    out
}

/// Commands the app registers: the IPC table's.
fn registered_commands() -> BTreeSet<String> {
    crate::ipc::COMMAND_NAMES
        .iter()
        .map(|c| c.to_string())
        .collect()
}

#[test]
fn capabilities_grant_exactly_what_the_window_uses() {
    let mut checks = Checks::new("tauri-capabilities", CAPABILITIES_MINIMUM);
    let ui = ui_commands();
    checks.that(ui.len() >= 5, || format!("found the UI's commands: {ui:?}"));
    let registered = registered_commands();
    // One check per command, each way, so the count is what was compared.
    for cmd in &ui {
        checks.that(registered.contains(cmd), || {
            format!("the UI invokes {cmd}, which the app does not register")
        });
    }
    for cmd in &registered {
        checks.that(ui.contains(cmd), || {
            format!("the app registers {cmd}, which the UI never invokes")
        });
    }

    let mut granted = BTreeSet::new();
    let mut plugin_permissions = BTreeSet::new();
    let caps = root().join("capabilities");
    let mut files = 0;
    for e in std::fs::read_dir(&caps).unwrap().flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        files += 1;
        let cap = json(&p);
        let windows: Vec<&str> = cap["windows"]
            .as_array()
            .map(|a| a.iter().filter_map(|w| w.as_str()).collect())
            .unwrap_or_default();
        checks.equal(
            windows.as_slice(),
            &["main"][..],
            &format!("{}: only the main window", p.display()),
        );
        checks.that(cap["remote"].is_null(), || {
            format!("{}: no remote URL may use the IPC", p.display())
        });
        for perm in cap["permissions"].as_array().expect("permissions") {
            let id = perm
                .as_str()
                .map(String::from)
                .or_else(|| perm["identifier"].as_str().map(String::from))
                .expect("a permission identifier");
            if let Some(cmd) = id.strip_prefix("allow-") {
                granted.insert(cmd.replace('-', "_"));
            } else {
                plugin_permissions.insert(id);
            }
        }
    }
    checks.that(files >= 1, || "capabilities/*.json exist".into());
    for cmd in &granted {
        checks.that(ui.contains(cmd), || {
            format!("the capability grants {cmd}, which the UI never invokes")
        });
    }
    for cmd in &ui {
        checks.that(granted.contains(cmd), || {
            format!("the UI invokes {cmd}, which the capability does not grant")
        });
    }
    let expected: BTreeSet<String> = ["core:event:allow-listen", "core:event:allow-unlisten"]
        .into_iter()
        .map(String::from)
        .collect();
    checks.equal(
        &plugin_permissions,
        &expected,
        "no plugin permission beyond listening to events (no opener, shell, fs, deep-link from the window)",
    );

    // build.rs lists the same commands for the ACL manifest: the table's.
    let build = std::fs::read_to_string(root().join("src-tauri/build.rs")).unwrap();
    checks.that(build.contains("include!(\"ipc_table.rs\")"), || {
        "build.rs takes its command list from the IPC table".into()
    });
    checks.finish();
}
