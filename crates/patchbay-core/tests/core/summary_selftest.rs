//! Tests of the adversarial summary itself (`adversarial_support`): each weakness the summary
//! exists to catch makes a family fail, and an allow-listed case does not.

use crate::adversarial_support as support;

use support::{judge, AllowEntry, AllowList, Case, Outcome, ALLOWLIST};

fn case(name: &str, outcome: Outcome) -> Case {
    Case {
        name: name.into(),
        outcome,
    }
}

fn handled(n: usize) -> Vec<Case> {
    (0..n)
        .map(|i| case(&format!("case {i}"), Outcome::Handled))
        .collect()
}

fn allow(family: &str, case: &str) -> AllowList {
    AllowList {
        entries: vec![AllowEntry {
            family: family.into(),
            case: case.into(),
            reason: "reported upstream".into(),
        }],
    }
}

/// The summary script's check, on the verdict's line.
fn script_passes(line: &str) -> bool {
    line.contains(", lost 0 ") || line.ends_with(", lost 0")
}

#[test]
fn all_handled_at_the_minimum_passes() {
    let v = judge("f", "survived", 3, &handled(3), &AllowList::default());
    assert_eq!(v.lost, 0, "{v:?}");
    assert_eq!(
        v.line,
        "adversarial f: tried 3, survived 3, lost 0 | minimum 3"
    );
    assert!(script_passes(&v.line));
    assert!(v.details.is_empty());
}

#[test]
fn a_known_case_not_allow_listed_fails() {
    let mut cases = handled(3);
    cases.push(case("skips", Outcome::Known("99 of 100 records".into())));
    let v = judge("f", "survived", 3, &cases, &AllowList::default());
    assert_eq!(v.lost, 1, "{v:?}");
    assert!(!script_passes(&v.line), "{}", v.line);
    assert!(v.details[0].contains("not in") && v.details[0].contains("skips"));
    // An entry of another family does not excuse it.
    let v = judge("f", "survived", 3, &cases, &allow("g", "skips"));
    assert_eq!(v.lost, 1, "{v:?}");
}

#[test]
fn an_allow_listed_known_case_passes_and_is_shown_with_its_reason() {
    let mut cases = handled(3);
    cases.push(case("skips", Outcome::Known("99 of 100 records".into())));
    let v = judge("f", "survived", 3, &cases, &allow("f", "skips"));
    assert_eq!(v.lost, 0, "{v:?}");
    assert!(script_passes(&v.line), "{}", v.line);
    assert!(
        v.line.contains(&format!("allowed 1 (see {ALLOWLIST})")),
        "{}",
        v.line
    );
    assert!(v.line.contains("survived 3,"), "{}", v.line);
    assert!(
        v.details[0].contains("reported upstream"),
        "{:?}",
        v.details
    );
}

#[test]
fn an_allow_list_entry_never_excuses_a_lost_case() {
    let mut cases = handled(3);
    cases.push(case("skips", Outcome::Lost("99 of 100 records".into())));
    let v = judge("f", "survived", 3, &cases, &allow("f", "skips"));
    // The lost case, and the entry, which matches no known or undelivered case.
    assert_eq!(v.lost, 2, "{v:?}");
    assert!(!script_passes(&v.line));
}

#[test]
fn a_family_below_its_minimum_fails() {
    let v = judge("f", "survived", 4, &handled(3), &AllowList::default());
    assert_eq!(v.lost, 1, "{v:?}");
    assert!(!script_passes(&v.line), "{}", v.line);
    assert!(v.details[0].contains("minimum"), "{:?}", v.details);
    let v = judge("f", "survived", 1, &[], &AllowList::default());
    assert_eq!(v.lost, 1, "no case at all: {v:?}");
}

#[test]
fn a_stale_allow_list_entry_fails() {
    let v = judge("f", "survived", 3, &handled(3), &allow("f", "fixed since"));
    assert_eq!(v.lost, 1, "{v:?}");
    assert!(!script_passes(&v.line), "{}", v.line);
    assert!(v.details[0].contains("stale"), "{:?}", v.details);
    // A case that now passes makes its entry stale too.
    let v = judge("f", "survived", 3, &handled(3), &allow("f", "case 0"));
    assert_eq!(v.lost, 1, "{v:?}");
}

#[test]
fn an_undelivered_case_is_reported_apart_and_fails_unless_allow_listed() {
    let mut cases = handled(3);
    cases.push(case("1 MB link", Outcome::Undelivered("E2BIG".into())));
    let v = judge("f", "rejected", 3, &cases, &AllowList::default());
    assert_eq!(v.lost, 1, "{v:?}");
    assert!(
        v.line.contains("rejected 3,"),
        "not counted as rejected: {}",
        v.line
    );
    assert!(v.line.contains("undelivered 1"), "{}", v.line);
    assert!(!script_passes(&v.line));
    let v = judge("f", "rejected", 3, &cases, &allow("f", "1 MB link"));
    assert_eq!(v.lost, 0, "{v:?}");
    assert!(v.line.contains("undelivered 1") && v.line.contains("allowed 1"));
    assert!(script_passes(&v.line), "{}", v.line);
}

#[test]
fn lost_counts_every_failure_that_is_not_excused() {
    let cases = vec![
        case("a", Outcome::Handled),
        case("b", Outcome::Lost("x".into())),
        case("c", Outcome::Known("y".into())),
        case("d", Outcome::Undelivered("z".into())),
        case("e", Outcome::Known("allowed".into())),
    ];
    let v = judge("f", "survived", 10, &cases, &allow("f", "e"));
    // b, c, d, and the minimum.
    assert_eq!(v.lost, 4, "{v:?}");
    assert!(v.line.contains("tried 5, survived 1, lost 4"), "{}", v.line);
}

#[test]
fn the_allow_list_file_is_strict() {
    let ok = AllowList::parse("[[allow]]\nfamily = \"faults\"\ncase = \"x\"\nreason = \"why\"\n")
        .unwrap();
    assert_eq!(ok.entries.len(), 1);
    assert_eq!(AllowList::parse("").unwrap().entries.len(), 0);
    for bad in [
        // no reason
        "[[allow]]\nfamily = \"faults\"\ncase = \"x\"\n",
        // empty reason
        "[[allow]]\nfamily = \"faults\"\ncase = \"x\"\nreason = \" \"\n",
        // a family nobody writes (a typo would never be checked for staleness)
        "[[allow]]\nfamily = \"fault\"\ncase = \"x\"\nreason = \"why\"\n",
        // an unknown key
        "[[allow]]\nfamily = \"faults\"\ncase = \"x\"\nreason = \"why\"\nuntil = \"never\"\n",
        // twice
        "[[allow]]\nfamily = \"faults\"\ncase = \"x\"\nreason = \"a\"\n[[allow]]\nfamily = \"faults\"\ncase = \"x\"\nreason = \"b\"\n",
        // not [[allow]]
        "[known]\nx = 1\n",
    ] {
        assert!(AllowList::parse(bad).is_err(), "accepted: {bad}");
    }
}

#[test]
fn the_repository_allow_list_loads() {
    let list = AllowList::load().unwrap();
    for e in &list.entries {
        assert!(e.reason.len() >= 20, "a reason that explains: {e:?}");
    }
}
