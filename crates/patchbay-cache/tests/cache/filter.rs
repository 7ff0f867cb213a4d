//! Filters run in SQLite: the table, the chart, the one-of counts and the export all read the
//! rows the filters leave, checked against the same rule applied to the records in Rust.

use patchbay_cache::{
    Cache, CacheError, ColumnKind, ColumnSpec, Condition, ExportFormat, FilterTest, Query, Sort,
    SyncMode,
};
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::{col, A, P, R};

const SOURCES: [&str; 5] = ["Google", "Facebook", "Bing", "Newsletter", "Direct"];
const WORDS: [&str; 4] = ["alpha", "beta", "gamma", "delta"];
/// 2024-01-01T00:00:00Z; one record every 7 hours from there.
const START: i64 = 1_704_067_200;
const STEP: i64 = 7 * 3600;
const N: u32 = 3000;

struct Lead {
    id: u32,
    name: String,
    source: Option<&'static str>,
    value: Option<f64>,
    created: i64,
}

fn leads() -> Vec<Lead> {
    (1..=N)
        .map(|id| Lead {
            id,
            name: format!("Lead {id} {}", WORDS[(id % 4) as usize]),
            // Every 11th lead has no source; the rest cycle unevenly (Direct most often).
            source: if id % 11 == 0 {
                None
            } else {
                Some(SOURCES[(id % 7).min(4) as usize])
            },
            value: (id % 13 != 0).then(|| f64::from(id % 500) + 0.5),
            created: START + i64::from(id) * STEP,
        })
        .collect()
}

fn spec() -> Vec<ColumnSpec> {
    vec![
        col("name", "Name", "/name", ColumnKind::Text),
        col("source", "Source", "/source", ColumnKind::Text),
        col("value", "Value", "/value", ColumnKind::Money),
        col("created", "Created", "/created", ColumnKind::DateTime),
    ]
}

fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

fn filled() -> (TempDir, Cache, Vec<Lead>) {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::open(&dir.path().join("cache.sqlite3")).unwrap();
    let all = leads();
    let records: Vec<(String, Value)> = all
        .iter()
        .map(|l| {
            (
                format!("L{}", l.id),
                json!({ "name": l.name, "source": l.source, "value": l.value, "created": rfc3339(l.created) }),
            )
        })
        .collect();
    let mut w = cache.begin_sync(P, A, R, &spec(), SyncMode::Full).unwrap();
    for page in records.chunks(500) {
        w.write_page(page, None).unwrap();
    }
    w.finish().unwrap();
    (dir, cache, all)
}

fn cond(column: &str, test: FilterTest) -> Condition {
    Condition {
        column: column.into(),
        test,
    }
}

fn one_of(values: &[&str]) -> FilterTest {
    FilterTest::OneOf {
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

/// Every row of the query, read a page at a time as the window does: (name, matched).
fn names(cache: &Cache, q: &Query) -> (Vec<String>, u64) {
    let mut out = Vec::new();
    let mut matched = 0;
    loop {
        let page = cache
            .query(
                P,
                A,
                R,
                &Query {
                    offset: out.len() as u64,
                    limit: 700,
                    ..q.clone()
                },
            )
            .unwrap();
        matched = page.matched.max(matched);
        if page.rows.is_empty() {
            break;
        }
        out.extend(page.rows.into_iter().map(|r| r.cells[0].clone()));
    }
    (out, matched)
}

fn query(search: &str, filter: Vec<Condition>, sort: Option<(&str, bool)>) -> Query {
    Query {
        search: search.into(),
        filter,
        sort: sort.map(|(key, descending)| Sort {
            key: key.into(),
            descending,
        }),
        offset: 0,
        limit: 100,
    }
}

/// Leads in [from, to] (unix seconds) from one of `sources`, by value descending (empty last,
/// then by row order), as the cache must answer.
fn expected(all: &[Lead], sources: &[&str], from: i64, to: i64, word: Option<&str>) -> Vec<String> {
    let mut rows: Vec<&Lead> = all
        .iter()
        .filter(|l| l.source.is_some_and(|s| sources.contains(&s)))
        .filter(|l| (from..=to).contains(&l.created))
        .filter(|l| word.is_none_or(|w| l.name.ends_with(w)))
        .collect();
    // Descending: largest first, NULLs last; ties in reverse row order (idx DESC).
    rows.sort_by(|a, b| {
        b.value
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&a.value.unwrap_or(f64::NEG_INFINITY))
            .then(b.id.cmp(&a.id))
    });
    rows.into_iter().map(|l| l.name.clone()).collect()
}

#[test]
fn one_of_and_a_date_range_combine_with_search_and_sort() {
    let (_dir, cache, all) = filled();
    let from = START + 100 * STEP;
    let to = START + 900 * STEP;
    let filter = vec![
        cond("source", one_of(&["google", "Bing"])),
        cond(
            "created",
            FilterTest::DateRange {
                from: Some(rfc3339(from)),
                to: Some(rfc3339(to)),
            },
        ),
    ];
    // Dense (no search: the sort index is walked) and sparse (a search narrows first).
    let (got, matched) = names(&cache, &query("", filter.clone(), Some(("value", true))));
    let want = expected(&all, &["Google", "Bing"], from, to, None);
    assert!(
        want.len() > 100,
        "the test needs a real page count: {}",
        want.len()
    );
    assert_eq!(matched, want.len() as u64);
    assert_eq!(got, want);

    let (got, matched) = names(&cache, &query("gamma", filter, Some(("value", true))));
    let want = expected(&all, &["Google", "Bing"], from, to, Some("gamma"));
    assert_eq!(matched, want.len() as u64);
    assert_eq!(got, want);
}

#[test]
fn a_bare_day_as_the_end_includes_that_whole_day() {
    let (_dir, cache, all) = filled();
    let q = query(
        "",
        vec![cond(
            "created",
            FilterTest::DateRange {
                from: Some("2024-01-10".into()),
                to: Some("2024-01-10".into()),
            },
        )],
        None,
    );
    let day = 1_704_844_800; // 2024-01-10T00:00:00Z
    let want: Vec<String> = all
        .iter()
        .filter(|l| (day..day + 86_400).contains(&l.created))
        .map(|l| l.name.clone())
        .collect();
    assert_eq!(want.len(), 4);
    assert_eq!(names(&cache, &q).0, want);
}

#[test]
fn text_tests_ignore_case_and_empty_means_no_value() {
    let (_dir, cache, all) = filled();
    let count = |filter: Vec<Condition>| names(&cache, &query("", filter, None)).1;
    let no_source = all.iter().filter(|l| l.source.is_none()).count() as u64;
    assert_eq!(count(vec![cond("source", FilterTest::IsEmpty)]), no_source);
    let google = all.iter().filter(|l| l.source == Some("Google")).count() as u64;
    assert_eq!(
        count(vec![cond(
            "source",
            FilterTest::Equals {
                value: "GOOGLE".into()
            }
        )]),
        google
    );
    let letter = all
        .iter()
        .filter(|l| {
            l.source
                .is_some_and(|s| s.to_lowercase().contains("letter"))
        })
        .count() as u64;
    assert!(letter > 0);
    assert_eq!(
        count(vec![cond(
            "source",
            FilterTest::Contains {
                value: "LETTER".into()
            }
        )]),
        letter
    );
    // `%` is a character, not a wildcard.
    assert_eq!(
        count(vec![cond(
            "name",
            FilterTest::Contains { value: "%".into() }
        )]),
        0
    );
}

#[test]
fn number_ranges_read_the_amount_not_its_text() {
    let (_dir, cache, all) = filled();
    let q = query(
        "",
        vec![cond(
            "value",
            FilterTest::NumberRange {
                min: Some(99.5),
                max: Some(120.0),
            },
        )],
        Some(("value", false)),
    );
    let mut want: Vec<&Lead> = all
        .iter()
        .filter(|l| l.value.is_some_and(|v| (99.5..=120.0).contains(&v)))
        .collect();
    want.sort_by(|a, b| {
        a.value
            .unwrap()
            .total_cmp(&b.value.unwrap())
            .then(a.id.cmp(&b.id))
    });
    let want: Vec<String> = want.into_iter().map(|l| l.name.clone()).collect();
    assert_eq!(names(&cache, &q).0, want);
}

#[test]
fn the_weekly_chart_and_the_export_follow_the_filter() {
    let (_dir, cache, all) = filled();
    let from = START + 200 * STEP;
    let to = START + 700 * STEP;
    let q = query(
        "",
        vec![
            cond("source", one_of(&["Facebook"])),
            cond(
                "created",
                FilterTest::DateRange {
                    from: Some(rfc3339(from)),
                    to: Some(rfc3339(to)),
                },
            ),
        ],
        Some(("value", true)),
    );
    let want = expected(&all, &["Facebook"], from, to, None);
    let weeks = cache.weekly_counts(P, A, R, "created", &q).unwrap();
    assert_eq!(
        weeks.iter().map(|w| w.count).sum::<u64>(),
        want.len() as u64
    );
    assert!(weeks.len() >= 20, "{} weeks", weeks.len());

    let mut out = Vec::new();
    let n = cache
        .export(P, A, R, &q, ExportFormat::Csv, &mut out, &mut |_, _| {})
        .unwrap();
    assert_eq!(n, want.len() as u64);
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let exported: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(exported, want);
}

#[test]
fn one_of_counts_leave_out_the_column_own_condition() {
    let (_dir, cache, all) = filled();
    let from = START + 500 * STEP;
    let date = cond(
        "created",
        FilterTest::DateRange {
            from: Some(rfc3339(from)),
            to: None,
        },
    );
    // Google is chosen: the counts still offer every source, as the date range leaves them.
    let q = query("", vec![date, cond("source", one_of(&["Google"]))], None);
    let counts = cache.value_counts(P, A, R, "source", &q, 50).unwrap();
    let mut want: Vec<(String, u64)> = SOURCES
        .iter()
        .map(|s| {
            let n = all
                .iter()
                .filter(|l| l.created >= from && l.source == Some(*s))
                .count() as u64;
            (s.to_string(), n)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    want.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(a.0.to_lowercase().cmp(&b.0.to_lowercase()))
    });
    let got: Vec<(String, u64)> = counts.into_iter().map(|c| (c.value, c.count)).collect();
    assert_eq!(got, want);
    assert_eq!(
        cache.value_counts(P, A, R, "source", &q, 2).unwrap().len(),
        2
    );
}

#[test]
fn a_filter_that_does_not_fit_is_refused_with_its_own_error() {
    let (_dir, cache, _) = filled();
    let bad = query(
        "",
        vec![cond(
            "name",
            FilterTest::DateRange {
                from: Some("2024-01-01".into()),
                to: None,
            },
        )],
        None,
    );
    for err in [
        cache.query(P, A, R, &bad).unwrap_err(),
        cache.weekly_counts(P, A, R, "created", &bad).unwrap_err(),
        cache
            .export(
                P,
                A,
                R,
                &bad,
                ExportFormat::Csv,
                &mut Vec::new(),
                &mut |_, _| {},
            )
            .unwrap_err(),
    ] {
        assert!(matches!(err, CacheError::InvalidFilter(_)), "{err:?}");
    }
}
