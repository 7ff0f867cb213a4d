use std::io::{self, Write};

use patchbay_cache::{CacheError, ExportFormat, Query, Sort, SyncMode};
use serde_json::{json, Value};

use crate::*;

fn export(
    cache: &patchbay_cache::Cache,
    query: &Query,
    format: ExportFormat,
) -> (String, Vec<(u64, u64)>, u64) {
    let mut out = Vec::new();
    let mut calls = Vec::new();
    let n = cache
        .export(P, A, R, query, format, &mut out, &mut |d, t| {
            calls.push((d, t))
        })
        .unwrap();
    (String::from_utf8(out).unwrap(), calls, n)
}

#[test]
fn csv_is_quoted_sorted_and_complete() {
    let tricky = [
        lead(1, "Comma, Inc", json!(2), json!(null)),
        lead(2, "Say \"hi\"", json!(1), json!(null)),
        lead(3, "Two\nlines", json!(3), json!(null)),
    ];
    let (_dir, cache) = filled(&tricky);
    let query = Query {
        sort: Some(Sort {
            key: "amount".into(),
            descending: false,
        }),
        offset: 1,
        limit: 1,
        ..q("")
    };
    let (text, calls, n) = export(&cache, &query, ExportFormat::Csv);
    assert_eq!(
        n, 3,
        "offset and limit do not apply to an export of the view"
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        headers,
        ["Name", "Email", "Phone", "Amount", "Visits", "Active", "Created"]
    );
    let names: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    assert_eq!(names, ["Say \"hi\"", "Comma, Inc", "Two\nlines"]);
    assert_eq!(calls.first(), Some(&(0, 3)));
    assert_eq!(calls.last(), Some(&(3, 3)));
}

#[test]
fn csv_cells_never_start_a_formula_and_json_keeps_the_values() {
    // OWASP CSV injection: = + - @ tab and carriage return starts get a ' in front.
    let hostile = [
        lead(
            1,
            "=HYPERLINK(\"https://evil.example\",\"x\")",
            json!(1),
            json!(null),
        ),
        lead(2, "+1+cmd|' /C calc'!A0", json!(2), json!(null)),
        lead(3, "@SUM(1+1)", json!(3), json!(null)),
        lead(4, "\t=1+1", json!(4), json!(null)),
        lead(5, "\r=1+1", json!(5), json!(null)),
        lead(6, "-2+3", json!(6), json!(null)),
        // A negative amount is quoted too (the rule has no number exemption; see csv_cell).
        lead(7, "Maria", json!(-12.5), json!(null)),
    ];
    let (_dir, cache) = filled(&hostile);
    let by_visits = Query {
        sort: Some(Sort {
            key: "visits".into(),
            descending: false,
        }),
        ..q("")
    };
    let (text, _, n) = export(&cache, &by_visits, ExportFormat::Csv);
    assert_eq!(n, 7);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let names: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(
        names,
        [
            "'=HYPERLINK(\"https://evil.example\",\"x\")",
            "'+1+cmd|' /C calc'!A0",
            "'@SUM(1+1)",
            "'\t=1+1",
            "'\r=1+1",
            "'-2+3",
            "Maria",
        ]
    );
    let amount = &rows[6][3];
    assert!(amount.starts_with("'-12.5"), "{amount:?}");
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} could run as a formula"
            );
        }
    }
    // JSON is the records as they came.
    let (json_text, _, _) = export(&cache, &by_visits, ExportFormat::Json);
    let records: Vec<Value> = serde_json::from_str(&json_text).unwrap();
    assert_eq!(
        records[0]["name"],
        "=HYPERLINK(\"https://evil.example\",\"x\")"
    );
    assert_eq!(records[6]["amount"], json!(-12.5));
}

#[test]
fn json_is_the_raw_records_of_the_search_in_order_with_progress() {
    let records: Vec<_> = (0..1203u32)
        .map(|i| {
            lead(
                i,
                if i % 3 == 0 { "Maria" } else { "Tom" },
                json!(i),
                json!(null),
            )
        })
        .collect();
    let (_dir, cache) = filled(&records);
    let query = Query {
        sort: Some(Sort {
            key: "visits".into(),
            descending: true,
        }),
        ..q("mari")
    };
    let (text, calls, n) = export(&cache, &query, ExportFormat::Json);
    let parsed: Vec<Value> = serde_json::from_str(&text).unwrap();
    let expected: Vec<Value> = records
        .iter()
        .rev()
        .filter(|(_, v)| v["name"] == "Maria")
        .map(|(_, v)| v.clone())
        .collect();
    assert_eq!(n, 401);
    assert_eq!(parsed, expected);
    assert_eq!(calls, [(0, 401), (401, 401)]);
    let (_, calls, n) = export(&cache, &q(""), ExportFormat::Json);
    assert_eq!(n, 1203);
    assert_eq!(calls, [(0, 1203), (500, 1203), (1000, 1203), (1203, 1203)]);
}

#[test]
fn an_empty_view_exports_an_empty_array_and_a_header() {
    let (_dir, cache) = open();
    let w = begin(&cache, SyncMode::Full);
    w.finish().unwrap();
    let (text, _, n) = export(&cache, &q(""), ExportFormat::Json);
    assert_eq!(
        (serde_json::from_str::<Vec<Value>>(&text).unwrap().len(), n),
        (0, 0)
    );
    let (text, _, _) = export(&cache, &q("x"), ExportFormat::Csv);
    assert_eq!(text, "Name,Email,Phone,Amount,Visits,Active,Created\n");
}

struct DiskFull;
impl Write for DiskFull {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::StorageFull,
            "no space left on device",
        ))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failing_destination_is_a_clear_error_and_the_cache_keeps_working() {
    let (_dir, cache) = filled(&[lead(1, "A", json!(1), json!(null))]);
    for format in [ExportFormat::Csv, ExportFormat::Json] {
        let err = cache
            .export(P, A, R, &q(""), format, &mut DiskFull, &mut |_, _| {})
            .unwrap_err();
        assert!(matches!(err, CacheError::ExportWrite(_)), "{err}");
        assert!(err.to_string().contains("space on the disk"), "{err}");
    }
    // The reader used by the failed export was returned without an open snapshot: a new write is visible.
    let mut w = begin(&cache, SyncMode::Incremental);
    w.write_page(&[lead(2, "B", json!(2), json!(null))], None)
        .unwrap();
    w.finish().unwrap();
    for _ in 0..4 {
        assert_eq!(cache.query(P, A, R, &q("")).unwrap().total, 2);
    }
}
