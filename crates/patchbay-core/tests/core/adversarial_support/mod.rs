//! Tally of one adversarial family, counted from what each case did. A case is handled (the
//! family's verb: rejected with a clear error, survived with everything intact), lost (a
//! token request that should not have been made, a panic, a record lost or doubled, the wrong
//! error), known (a reported weakness), or undelivered (the case could not be put to the code
//! under test at all). The family's line goes to stderr and to
//! `<repo>/target/adversarial/<family>.txt`, which `scripts/adversarial-summary.sh` prints and
//! checks for `, lost 0`.
//!
//! "lost" counts every failure that is not excused: a known or undelivered case fails the run
//! unless `tests/adversarial-allowlist.toml` lists it with its reason; an allow-list entry that
//! no known or undelivered case matches (stale) fails; a family that tried fewer cases than its
//! minimum (`MINIMUMS`) fails.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

/// Every Rust family's minimum case count: a family that tries fewer (cases lost to a bug in
/// the test, a loop cut short, a count that stopped being an outcome) fails.
pub const MINIMUMS: &[(&str, usize)] = &[
    ("forged-links", 31),
    ("fuzz", 9300),
    ("faults", 29),
    ("tokens", 5),
    ("keychain", 5),
    ("worlds", 124),
    ("interop", 6),
    ("embedded-sandbox", 45),
];

/// Families written by the end-to-end suite: the allow-list may name them, and that suite
/// checks its own entries. (`tauri-csp` and `tauri-capabilities`, from
/// src-tauri/security_tests.rs, have no known cases: every check passes or the test fails, so
/// the allow-list may not name them.)
pub const E2E_FAMILIES: &[&str] = &[
    "forged-links-e2e",
    "leaks",
    "deep-link-leak",
    "loopback-strays",
    "world-crossing",
];

/// The allow-list, relative to the repository root.
pub const ALLOWLIST: &str = "tests/adversarial-allowlist.toml";

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Handled,
    Lost(String),
    /// A weakness the suite found and reported, not fixed yet.
    Known(String),
    /// The case never reached the code under test (the OS refused it, a tool was missing,
    /// the kill point was not reached).
    Undelivered(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    pub outcome: Outcome,
}

#[derive(Debug)]
pub struct Tally {
    family: &'static str,
    verb: &'static str,
    minimum: usize,
    cases: Mutex<Vec<Case>>,
}

/// The minimum of a family (panics for a family `MINIMUMS` does not list).
pub fn minimum_of(family: &str) -> usize {
    MINIMUMS
        .iter()
        .find(|(f, _)| *f == family)
        .map(|(_, m)| *m)
        .unwrap_or_else(|| panic!("family {family:?} has no minimum in MINIMUMS"))
}

impl Tally {
    /// `verb` names what a good outcome is for this family ("rejected", "survived").
    pub fn new(family: &'static str, verb: &'static str) -> Self {
        Self {
            family,
            verb,
            minimum: minimum_of(family),
            cases: Mutex::new(Vec::new()),
        }
    }

    pub fn ok(&self, case: impl Into<String>) {
        self.push(case, Outcome::Handled);
    }

    pub fn lost(&self, case: impl Into<String>, why: impl Into<String>) {
        self.push(case, Outcome::Lost(why.into()));
    }

    /// A real weakness this suite found and reported but that is not fixed yet. It fails the
    /// run unless the allow-list names it (family and case) with a reason.
    pub fn known(&self, case: impl Into<String>, why: impl Into<String>) {
        self.push(case, Outcome::Known(why.into()));
    }

    /// A case that could not be put to the code under test: reported apart from handled
    /// ones, and failing unless allow-listed.
    pub fn undelivered(&self, case: impl Into<String>, why: impl Into<String>) {
        self.push(case, Outcome::Undelivered(why.into()));
    }

    pub fn record(&self, case: impl Into<String>, outcome: Result<(), String>) {
        self.push(
            case,
            match outcome {
                Ok(()) => Outcome::Handled,
                Err(e) => Outcome::Lost(e),
            },
        );
    }

    fn push(&self, case: impl Into<String>, outcome: Outcome) {
        self.cases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Case {
                name: case.into(),
                outcome,
            });
    }

    /// How many cases were recorded so far.
    pub fn tried(&self) -> usize {
        self.cases.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Writes the family's line and details, then fails the test unless nothing was lost.
    pub fn finish(&self) {
        let allow = AllowList::load().unwrap_or_else(|e| panic!("{ALLOWLIST}: {e}"));
        let cases = self.cases.lock().unwrap_or_else(|e| e.into_inner());
        let verdict = judge(self.family, self.verb, self.minimum, &cases, &allow);
        write_line(self.family, &verdict.line, &verdict.details);
        assert!(
            verdict.lost == 0,
            "{}\n{}",
            verdict.line,
            verdict.details.join("\n")
        );
    }
}

/// One allowed known or undelivered case.
#[derive(Debug, Clone, PartialEq)]
pub struct AllowEntry {
    pub family: String,
    pub case: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllowList {
    pub entries: Vec<AllowEntry>,
}

impl AllowList {
    /// `<repo>/tests/adversarial-allowlist.toml` (it must exist, even with no entry).
    pub fn load() -> Result<Self, String> {
        let path = repo_root().join(ALLOWLIST);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{e}"))?;
        Self::parse(&text)
    }

    /// `[[allow]]` tables of `family`, `case` and `reason` (all non-empty); a family no suite
    /// writes, an unknown key or a case listed twice is refused.
    pub fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut entries = Vec::new();
        for (key, value) in &table {
            if key != "allow" {
                return Err(format!("unknown top-level key {key:?} (only [[allow]])"));
            }
            let items = value
                .as_array()
                .ok_or("`allow` must be an array of tables ([[allow]])")?;
            for (i, item) in items.iter().enumerate() {
                let t = item
                    .as_table()
                    .ok_or(format!("allow #{}: not a table", i + 1))?;
                for k in t.keys() {
                    if !["family", "case", "reason"].contains(&k.as_str()) {
                        return Err(format!("allow #{}: unknown key {k:?}", i + 1));
                    }
                }
                let field = |k: &str| {
                    t.get(k)
                        .and_then(|v| v.as_str())
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(str::to_string)
                        .ok_or(format!(
                            "allow #{}: `{k}` must be a non-empty string",
                            i + 1
                        ))
                };
                let entry = AllowEntry {
                    family: field("family")?,
                    case: field("case")?,
                    reason: field("reason")?,
                };
                let known_family = MINIMUMS.iter().any(|(f, _)| *f == entry.family)
                    || E2E_FAMILIES.contains(&entry.family.as_str());
                if !known_family {
                    return Err(format!(
                        "allow #{}: no suite writes a family {:?}",
                        i + 1,
                        entry.family
                    ));
                }
                if entries
                    .iter()
                    .any(|e: &AllowEntry| e.family == entry.family && e.case == entry.case)
                {
                    return Err(format!(
                        "allow #{}: {}/{} listed twice",
                        i + 1,
                        entry.family,
                        entry.case
                    ));
                }
                entries.push(entry);
            }
        }
        Ok(Self { entries })
    }
}

/// A family's result: its summary line, one detail per case that was not handled (and per
/// failure of the family as a whole), and how many failures are not excused.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub line: String,
    pub details: Vec<String>,
    pub lost: usize,
}

/// Counts a family's cases against its minimum and the allow-list.
pub fn judge(
    family: &str,
    verb: &str,
    minimum: usize,
    cases: &[Case],
    allow: &AllowList,
) -> Verdict {
    let mine: Vec<&AllowEntry> = allow
        .entries
        .iter()
        .filter(|e| e.family == family)
        .collect();
    let reason_for = |case: &str| mine.iter().find(|e| e.case == case).map(|e| &e.reason);
    let mut details = Vec::new();
    let (mut handled, mut lost, mut allowed, mut undelivered) = (0, 0, 0, 0);
    let mut used = BTreeSet::new();
    for c in cases {
        let (kind, why) = match &c.outcome {
            Outcome::Handled => {
                handled += 1;
                continue;
            }
            Outcome::Lost(why) => {
                lost += 1;
                details.push(format!("  lost: {}: {why}", c.name));
                continue;
            }
            Outcome::Known(why) => ("known", why),
            Outcome::Undelivered(why) => {
                undelivered += 1;
                ("undelivered", why)
            }
        };
        match reason_for(&c.name) {
            Some(reason) => {
                allowed += 1;
                used.insert(c.name.as_str());
                details.push(format!(
                    "  allowed ({kind}): {}: {why} [allow-list reason: {reason}]",
                    c.name
                ));
            }
            None => {
                lost += 1;
                details.push(format!(
                    "  lost ({kind}, not in {ALLOWLIST}): {}: {why}",
                    c.name
                ));
            }
        }
    }
    let mut notes = Vec::new();
    for e in &mine {
        if !used.contains(e.case.as_str()) {
            lost += 1;
            details.push(format!(
                "  lost (stale allow-list entry: no known or undelivered case {:?}): {}",
                e.case, e.reason
            ));
        }
    }
    if cases.len() < minimum {
        lost += 1;
        details.push(format!(
            "  lost (below the family's minimum): tried {}, at least {minimum} expected",
            cases.len()
        ));
    }
    if allowed > 0 {
        notes.push(format!("allowed {allowed} (see {ALLOWLIST})"));
    }
    if undelivered > 0 {
        notes.push(format!("undelivered {undelivered}"));
    }
    notes.push(format!("minimum {minimum}"));
    let line = format!(
        "adversarial {family}: tried {}, {verb} {handled}, lost {lost} | {}",
        cases.len(),
        notes.join(", ")
    );
    Verdict {
        line,
        details,
        lost,
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .components()
        .collect()
}

/// `<repo>/target/adversarial`, whatever CARGO_TARGET_DIR says.
pub fn summary_dir() -> PathBuf {
    repo_root().join("target/adversarial")
}

/// Writes `line`, then each detail on a line of its own.
pub fn write_line(family: &str, line: &str, details: &[String]) {
    use std::io::Write;
    let mut text = format!("{line}\n");
    for d in details {
        text.push_str(d);
        text.push('\n');
    }
    let _ = write!(std::io::stderr().lock(), "{text}");
    let dir = summary_dir();
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("{family}.txt")), text);
    }
}
