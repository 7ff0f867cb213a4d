use patchbay_cache::{CacheError, Query, Sort, WeekCount};
use serde_json::{json, Value};

use crate::*;

fn people() -> Vec<(String, Value)> {
    vec![
        lead(1, "María Lopez", json!(9), json!("2024-03-05")),
        lead(2, "Tom Marsh", json!("$1,000.5"), json!("03/04/2024")),
        lead(3, "anna Smith", json!(100), json!(null)),
        lead(4, "Bob NEAR", json!(null), json!("2024-02-26T23:59:59Z")),
        lead(5, "Zed O'Brien", json!(10), json!("2024-03-11")),
    ]
}

fn sorted(key: &str, descending: bool) -> Query {
    Query {
        sort: Some(Sort {
            key: key.into(),
            descending,
        }),
        ..q("")
    }
}

#[test]
fn search_matches_word_prefixes_without_accents_and_phone_digits() {
    let (_dir, cache) = filled(&people());
    // Typing "mar" finds María (accent folded) and Marsh; not "Smith".
    assert_eq!(
        column(&cache, &q("mar"), "name"),
        ["María Lopez", "Tom Marsh"]
    );
    assert_eq!(column(&cache, &q("maria lo"), "name"), ["María Lopez"]);
    assert_eq!(column(&cache, &q("MARIA"), "name"), ["María Lopez"]);
    assert_eq!(column(&cache, &q("o'brien"), "name"), ["Zed O'Brien"]);
    // Emails, dates and bare phone digits are searchable.
    assert_eq!(column(&cache, &q("tom.marsh@ex"), "name"), ["Tom Marsh"]);
    assert_eq!(column(&cache, &q("2024-03-11"), "name"), ["Zed O'Brien"]);
    assert_eq!(cache.query(P, A, R, &q("5551234567")).unwrap().matched, 5);
    // Money and numbers are not text: searching "100" does not match the amount 100.
    assert_eq!(cache.query(P, A, R, &q("100")).unwrap().matched, 0);
    let page = cache.query(P, A, R, &q("nobody")).unwrap();
    assert_eq!((page.total, page.matched, page.rows.len()), (5, 0, 0));
}

#[test]
fn hostile_search_input_never_errors() {
    let (_dir, cache) = filled(&people());
    let hostile = [
        "\"",
        "\"\"",
        "'",
        "*",
        "**",
        "a*b",
        "AND",
        "OR",
        "NOT",
        "bob AND",
        "NEAR",
        "NEAR(",
        "NEAR(bob tom, 2)",
        "bob OR",
        "(",
        ")",
        "name:bob",
        "^bob",
        "-bob",
        "+",
        "'; DROP TABLE resources; --",
        "\0",
        "\\",
        "{name}:x",
        "bob\"tom",
        "%",
        "_",
        "…",
        "🙂",
        "   ",
        "a\nb",
    ];
    // A 100 KB word followed by 20000 more words (only the first 16 words are searched).
    let long = "x".repeat(100_000) + &" maria".repeat(20_000);
    for h in hostile.iter().copied().chain([long.as_str()]) {
        let page = cache
            .query(P, A, R, &q(h))
            .unwrap_or_else(|e| panic!("{h:?}: {e}"));
        assert!(page.matched <= 5, "{h:?}");
    }
    // Operators are plain words: "Bob NEAR" is a name here.
    assert_eq!(column(&cache, &q("near"), "name"), ["Bob NEAR"]);
    assert_eq!(column(&cache, &q("NEAR(bob"), "name"), ["Bob NEAR"]);
    // Punctuation only matches everything rather than nothing.
    assert_eq!(cache.query(P, A, R, &q("\"*\"")).unwrap().matched, 5);
    assert_eq!(
        cache.stats(P, A, R).unwrap().unwrap().count,
        5,
        "still intact"
    );
}

#[test]
fn numbers_sort_numerically_dates_chronologically_and_blanks_last() {
    let (_dir, cache) = filled(&people());
    assert_eq!(
        column(&cache, &sorted("amount", false), "amount"),
        ["9.00", "10.00", "100.00", "1,000.50", ""]
    );
    assert_eq!(
        column(&cache, &sorted("amount", true), "amount"),
        ["1,000.50", "100.00", "10.00", "9.00", ""]
    );
    // Mixed date formats sort by the day they mean; the empty one stays last.
    assert_eq!(
        column(&cache, &sorted("created", false), "created"),
        [
            "2024-02-26T23:59:59Z",
            "03/04/2024",
            "2024-03-05",
            "2024-03-11",
            ""
        ]
    );
    assert_eq!(
        column(&cache, &sorted("created", true), "created")[0],
        "2024-03-11"
    );
    assert_eq!(column(&cache, &sorted("created", true), "created")[4], "");
    // Text sorts case-insensitively ("anna" between "Bob" and "María" would be wrong).
    assert_eq!(
        column(&cache, &sorted("name", false), "name"),
        [
            "anna Smith",
            "Bob NEAR",
            "María Lopez",
            "Tom Marsh",
            "Zed O'Brien"
        ]
    );
    // The same with a search (all five match, so the matches are sorted rather than read
    // through the index): case-insensitive order holds there too.
    let query = Query {
        search: "example".into(),
        ..sorted("name", false)
    };
    assert_eq!(
        column(&cache, &query, "name"),
        [
            "anna Smith",
            "Bob NEAR",
            "María Lopez",
            "Tom Marsh",
            "Zed O'Brien"
        ]
    );
    // Sorting and search combine.
    let query = Query {
        search: "mar".into(),
        ..sorted("amount", true)
    };
    assert_eq!(column(&cache, &query, "name"), ["Tom Marsh", "María Lopez"]);
    assert_eq!(
        column(&cache, &sorted("active", true), "active"),
        ["Yes", "Yes", "No", "No", "No"]
    );
}

#[test]
fn paging_returns_slices_of_the_same_order() {
    let records: Vec<_> = (1..=25)
        .map(|i| lead(i, &format!("N{i:02}"), json!(i), json!(null)))
        .collect();
    let (_dir, cache) = filled(&records);
    let mut seen = Vec::new();
    for offset in (0..30).step_by(10) {
        let page = cache
            .query(
                P,
                A,
                R,
                &Query {
                    offset,
                    limit: 10,
                    ..sorted("amount", true)
                },
            )
            .unwrap();
        assert_eq!((page.total, page.matched), (25, 25));
        seen.extend(page.rows.into_iter().map(|r| r.cells[0].clone()));
    }
    let expected: Vec<_> = (1..=25).rev().map(|i| format!("N{i:02}")).collect();
    assert_eq!(seen, expected);
    let err = cache
        .query(
            P,
            A,
            R,
            &Query {
                limit: 1_000_000,
                ..q("")
            },
        )
        .unwrap_err();
    assert!(matches!(err, CacheError::InvalidQuery(_)), "{err}");
    let err = cache.query(P, A, R, &sorted("nope", false)).unwrap_err();
    assert!(
        matches!(err, CacheError::UnknownColumn(ref k) if k == "nope"),
        "{err}"
    );
}

#[test]
fn detail_gives_labelled_fields_and_the_raw_record() {
    let (_dir, cache) = filled(&people());
    let row = &cache.query(P, A, R, &q("marsh")).unwrap().rows[0];
    let d = cache.detail(P, A, R, row.index).unwrap().unwrap();
    assert_eq!(d.record_id, "L2");
    let labels: Vec<_> = d.fields.iter().map(|f| f.label.as_str()).collect();
    assert_eq!(
        labels,
        ["Name", "Email", "Phone", "Amount", "Visits", "Active", "Created"]
    );
    let values: Vec<_> = d.fields.iter().map(|f| f.value.as_str()).collect();
    assert_eq!(
        values,
        [
            "Tom Marsh",
            "tom.marsh@example.com",
            "(555) 123-4567",
            "1,000.50",
            "2",
            "Yes",
            "03/04/2024"
        ]
    );
    let raw: Value = serde_json::from_str(&d.raw_json).unwrap();
    assert_eq!(raw, people()[1].1);
    assert_eq!(cache.detail(P, A, R, 999_999).unwrap(), None);
}

#[test]
fn weekly_counts_bucket_by_monday() {
    let (_dir, cache) = filled(&people());
    let weeks = cache
        .weekly_counts(P, A, R, "created", &patchbay_cache::Query::default())
        .unwrap();
    let w = |s: &str, n| WeekCount {
        week_start: s.into(),
        count: n,
    };
    // 2024-02-26 is a Monday; 03-04 (Mon) and 03-05 share a week; 03-11 is the next Monday.
    assert_eq!(
        weeks,
        [w("2024-02-26", 1), w("2024-03-04", 2), w("2024-03-11", 1)]
    );
    let err = cache
        .weekly_counts(P, A, R, "amount", &patchbay_cache::Query::default())
        .unwrap_err();
    assert!(matches!(err, CacheError::NotADateColumn(_)), "{err}");
    assert!(err.to_string().contains("Amount"), "{err}");
    assert!(matches!(
        cache
            .weekly_counts(P, A, R, "nope", &patchbay_cache::Query::default())
            .unwrap_err(),
        CacheError::UnknownColumn(_)
    ));
}

#[test]
fn dense_and_sparse_searches_give_the_same_order() {
    // 300 rows, 9 in 10 named Maria: a paged, sorted search walks the sort index (dense); the
    // export of the same view sorts the matches (sparse). Both must give the order computed here.
    let records: Vec<_> = (0..300u32)
        .map(|i| {
            let name = if i % 10 == 0 { "Tom" } else { "Maria" };
            let amount = if i % 7 == 0 {
                json!(null)
            } else {
                json!((i * 37) % 101)
            };
            lead(i, name, amount, json!(null))
        })
        .collect();
    let (_dir, cache) = filled(&records);
    for descending in [false, true] {
        let mut expected: Vec<(Option<u64>, u32)> = records
            .iter()
            .filter(|(_, v)| v["name"] == "Maria")
            .map(|(_, v)| (v["amount"].as_u64(), v["visits"].as_u64().unwrap() as u32))
            .collect();
        expected.sort_by(|a, b| match (a.0, b.0) {
            // Ties, blanks included, break by record order, reversed when descending.
            (None, None) if descending => b.1.cmp(&a.1),
            (None, None) => a.1.cmp(&b.1),
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(x), Some(y)) if descending => y.cmp(&x).then(b.1.cmp(&a.1)),
            (Some(x), Some(y)) => x.cmp(&y).then(a.1.cmp(&b.1)),
        });
        let expected: Vec<String> = expected
            .iter()
            .map(|(_, visits)| visits.to_string())
            .collect();

        let mut paged = Vec::new();
        for offset in (0..expected.len() as u64 + 10).step_by(10) {
            let query = Query {
                search: "maria".into(),
                offset,
                limit: 10,
                ..sorted("amount", descending)
            };
            paged.extend(column(&cache, &query, "visits"));
        }
        assert_eq!(paged, expected, "paged, descending={descending}");

        let mut out = Vec::new();
        let query = Query {
            search: "maria".into(),
            ..sorted("amount", descending)
        };
        cache
            .export(
                P,
                A,
                R,
                &query,
                patchbay_cache::ExportFormat::Csv,
                &mut out,
                &mut |_, _| {},
            )
            .unwrap();
        let mut reader = csv::Reader::from_reader(out.as_slice());
        let exported: Vec<String> = reader
            .records()
            .map(|r| r.unwrap()[4].to_string())
            .collect();
        assert_eq!(exported, expected, "export, descending={descending}");
    }
}

#[test]
fn a_search_in_record_order_pages_through_every_match_once() {
    // 250 leads, every third named Maria. Paging a search with no sort and no filter (read
    // from the search index in rowid order) gives the matches in record order, each once,
    // with the count; the last page runs past the end.
    let records: Vec<_> = (0..250u32)
        .map(|i| {
            let name = if i % 3 == 0 { "Maria" } else { "Tom" };
            lead(i, name, json!(i), json!(null))
        })
        .collect();
    let (_dir, cache) = filled(&records);
    let expected: Vec<String> = (0..250u32)
        .filter(|i| i % 3 == 0)
        .map(|i| i.to_string())
        .collect();
    let mut paged = Vec::new();
    for offset in (0..100).step_by(7) {
        let query = Query {
            offset,
            limit: 7,
            ..q("mar")
        };
        let page = cache.query(P, A, R, &query).unwrap();
        assert_eq!((page.total, page.matched), (250, expected.len() as u64));
        paged.extend(column(&cache, &query, "visits"));
    }
    assert_eq!(paged, expected);
    // Sorted by the amount (the same order here), the other plan gives the same rows.
    let by_amount = Query {
        search: "mar".into(),
        limit: 100,
        ..sorted("amount", false)
    };
    assert_eq!(column(&cache, &by_amount, "visits"), expected);
}
