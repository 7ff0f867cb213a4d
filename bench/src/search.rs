//! Search in the cache (issue 17 item 5): what `query_records` costs per keystroke over RECORDS
//! WhatConverts leads (default 100,000), without the window. Words from the first rows' cells
//! are typed a letter at a time and deleted a letter at a time, as `node/app.mjs` types them;
//! each keystroke is one query as the window sends it (the count and the first page of 100
//! rows, no sort). One JSON line: p50 and p95 in milliseconds, the same split by how many
//! letters the search held (a one-letter prefix matches most rows), and the weekly chart
//! under the same searches.

use std::time::Instant;

use patchbay_cache::Query;
use serde_json::{json, Value};

use crate::leads_cache::{cached_leads, percentile};
use crate::Error;

const WORDS: usize = 6;

fn summary(mut ms: Vec<f64>) -> Value {
    if ms.is_empty() {
        return Value::Null;
    }
    ms.sort_by(f64::total_cmp);
    json!({"n": ms.len(), "p50_ms": percentile(&ms, 0.5), "p95_ms": percentile(&ms, 0.95),
           "max_ms": ms[ms.len() - 1]})
}

pub fn run(records: u64) -> Result<(), Error> {
    let leads = cached_leads(11, records, "search.sqlite3")?;
    let cache = &leads.cache;

    let first = cache.query(
        "whatconverts",
        "bench",
        "leads",
        &Query {
            limit: 6,
            ..Query::default()
        },
    )?;
    let mut words: Vec<String> = Vec::new();
    for cell in first.rows.iter().flat_map(|r| r.cells.iter()) {
        for w in cell.split(|c: char| !c.is_ascii_alphanumeric()) {
            let ok = (4..=9).contains(&w.len()) && w.chars().all(|c| c.is_ascii_alphabetic());
            if ok && !words.iter().any(|x| x == w) && words.len() < WORDS {
                words.push(w.to_lowercase());
            }
        }
    }
    if words.len() < 3 {
        return Err("too few words to search for in the first rows".into());
    }

    let mut all = Vec::new();
    let mut by_letters: Vec<Vec<f64>> = vec![Vec::new(); 10];
    let mut chart = Vec::new();
    for word in &words {
        // Typed, then deleted: "w", "wo", ..., "word", "wor", ..., "w", "".
        let n = word.len();
        let texts = (1..=n).chain((0..n).rev()).map(|k| &word[..k]);
        for text in texts {
            let q = Query {
                search: text.to_string(),
                limit: 100,
                ..Query::default()
            };
            let started = Instant::now();
            cache.query("whatconverts", "bench", "leads", &q)?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            all.push(ms);
            by_letters[text.len().min(9)].push(ms);
            let started = Instant::now();
            cache.weekly_counts("whatconverts", "bench", "leads", "date_created", &q)?;
            chart.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let letters: Vec<Value> = by_letters.into_iter().map(summary).collect();
    println!(
        "{}",
        json!({"figure": "search_cache", "records": leads.records, "words": words,
               "keystrokes": summary(all), "by_letters": letters, "goal_p95_ms": 50.0,
               "chart": summary(chart)})
    );
    Ok(())
}
