//! The records workbench figure (issue 21): how long a filter change takes to reach the table
//! over RECORDS WhatConverts leads (default 100,000) in the cache: the count and the first page
//! of 100 rows that `query_records` answers, as the window asks after each change. Filters
//! alternate between one source, a 30-day range, both, a number range and "contains", with and
//! without a sort, so no two changes in a row hit the same plan. One JSON line: p50 and p95 in
//! milliseconds against the 50 ms goal, and the weekly chart's p95 under the same filters.

use std::time::Instant;

use patchbay_cache::{Condition, FilterTest, Query, Sort};
use serde_json::json;

use crate::leads_cache::{cached_leads, percentile};
use crate::Error;

const CHANGES: usize = 200;

fn cond(column: &str, test: FilterTest) -> Condition {
    Condition {
        column: column.into(),
        test,
    }
}

pub fn run(records: u64) -> Result<(), Error> {
    let leads = cached_leads(21, records, "filter.sqlite3")?;
    let cache = &leads.cache;

    // The sources the leads hold, most common first, as the one-of filter offers them.
    let sources: Vec<String> = cache
        .value_counts(
            "whatconverts",
            "bench",
            "leads",
            "lead_source",
            &Query::default(),
            50,
        )?
        .into_iter()
        .map(|c| c.value)
        .collect();
    if sources.is_empty() {
        return Err("the leads have no sources".into());
    }
    // 30 days back from the newest lead, so the range holds records whatever today is.
    let newest = cache
        .query(
            "whatconverts",
            "bench",
            "leads",
            &Query {
                sort: Some(Sort {
                    key: "date_created".into(),
                    descending: true,
                }),
                limit: 1,
                ..Query::default()
            },
        )?
        .rows
        .first()
        .and_then(|r| r.cells.get(1).cloned())
        .ok_or("no newest lead")?;
    let day = newest
        .get(..10)
        .ok_or("a date_created without a day")?
        .to_string();
    let month_ago = {
        let d = time::Date::parse(
            &day,
            time::macros::format_description!("[year]-[month]-[day]"),
        )?;
        (d - time::Duration::days(29)).to_string()
    };
    let range = FilterTest::DateRange {
        from: Some(month_ago),
        to: Some(day),
    };

    let mut table = Vec::with_capacity(CHANGES);
    let mut chart = Vec::with_capacity(CHANGES);
    let mut matched_total = 0u64;
    for i in 0..CHANGES {
        let source = FilterTest::OneOf {
            values: vec![sources[i % sources.len()].clone()],
        };
        let filter = match i % 5 {
            0 => vec![cond("lead_source", source)],
            1 => vec![cond("date_created", range.clone())],
            2 => vec![
                cond("lead_source", source),
                cond("date_created", range.clone()),
            ],
            3 => vec![cond(
                "quote_value",
                FilterTest::NumberRange {
                    min: Some(100.0 * (i % 7) as f64),
                    max: None,
                },
            )],
            _ => vec![cond(
                "lead_campaign",
                FilterTest::Contains {
                    value: "spring".into(),
                },
            )],
        };
        let sort = (i % 2 == 1).then(|| Sort {
            key: "date_created".into(),
            descending: true,
        });
        let q = Query {
            filter,
            sort,
            limit: 100,
            ..Query::default()
        };
        let started = Instant::now();
        let page = cache.query("whatconverts", "bench", "leads", &q)?;
        table.push(started.elapsed().as_secs_f64() * 1000.0);
        matched_total += page.matched;
        let started = Instant::now();
        cache.weekly_counts("whatconverts", "bench", "leads", "date_created", &q)?;
        chart.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    table.sort_by(f64::total_cmp);
    chart.sort_by(f64::total_cmp);
    println!(
        "{}",
        json!({"figure": "filter", "what": "filter_change_to_table", "records": leads.records,
               "changes": CHANGES, "mean_matched": matched_total / CHANGES as u64,
               "p50_ms": percentile(&table, 0.5), "p95_ms": percentile(&table, 0.95),
               "goal_p95_ms": 50.0,
               "chart_p50_ms": percentile(&chart, 0.5), "chart_p95_ms": percentile(&chart, 0.95)})
    );
    Ok(())
}
