//! Search, sort and paging over 200000 cached records (issue 8 asks for search under 20 ms).
//! The cache is built once per run in a temp dir with the same code path a sync uses.
//! Run: `cargo bench -p patchbay-cache --bench search`

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use patchbay_cache::{
    Cache, ColumnKind, ColumnSpec, ExportFormat, IdentityFields, PeopleQuery, Query, Sort,
    SyncMode, DEFAULT_ACCOUNT,
};
use serde_json::json;

const ROWS: u32 = 200_000;
const PAGE: u32 = 1_000;

const FIRST: &[&str] = &[
    "Maria", "James", "Olivia", "Liam", "Emma", "Noah", "Ava", "Lucas", "Sophia", "Mason",
    "Isabella", "Ethan", "Mia", "Logan", "Amelia", "Elijah", "Harper", "Aiden", "Evelyn", "Marcus",
    "Chloe", "Daniel", "Zoe", "Samuel", "Lily",
];
const LAST: &[&str] = &[
    "Lopez",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
];
const SOURCES: &[&str] = &[
    "Google Ads",
    "Facebook",
    "Organic",
    "Referral",
    "Email",
    "Bing",
    "LinkedIn",
    "Direct",
];
const CITIES: &[&str] = &[
    "Austin", "Denver", "Boston", "Seattle", "Miami", "Chicago", "Portland", "Phoenix",
];

fn columns() -> Vec<ColumnSpec> {
    let c = |key: &str, pointer: &str, kind| ColumnSpec {
        key: key.into(),
        label: key.into(),
        pointer: pointer.into(),
        kind,
    };
    vec![
        c("name", "/name", ColumnKind::Text),
        c("email", "/email", ColumnKind::Email),
        c("phone", "/phone", ColumnKind::Phone),
        c("source", "/source", ColumnKind::Text),
        c("city", "/city", ColumnKind::Text),
        c("website", "/website", ColumnKind::Url),
        c("revenue", "/revenue", ColumnKind::Money),
        c("visits", "/visits", ColumnKind::Integer),
        c("qualified", "/qualified", ColumnKind::Boolean),
        c("created", "/created", ColumnKind::DateTime),
    ]
}

fn build(path: &std::path::Path) -> Cache {
    let cache = Cache::open(path).unwrap();
    // Each lead is also resolved to a person as it is stored, as in the app.
    let identity: IdentityFields = serde_json::from_value(json!({
        "counts_as": "lead",
        "emails": ["/email"],
        "phones": ["/phone"],
        "full_name": "/name",
        "date": "/created",
        "source": "/source",
    }))
    .unwrap();
    cache
        .set_identity("whatconverts", "leads", Some(&identity))
        .unwrap();
    let cols = columns();
    let started = Instant::now();
    let mut w = cache
        .begin_sync(
            "whatconverts",
            DEFAULT_ACCOUNT,
            "leads",
            &cols,
            SyncMode::Full,
        )
        .unwrap();
    // A small LCG: deterministic data without a rand dependency.
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize % n
    };
    for p in 0..ROWS / PAGE {
        let page: Vec<_> = (0..PAGE)
            .map(|i| {
                let id = p * PAGE + i;
                let (f, l) = (FIRST[next(FIRST.len())], LAST[next(LAST.len())]);
                let record = json!({
                    "id": id,
                    "name": format!("{f} {l}"),
                    "email": format!("{}.{}{}@example{}.com", f.to_lowercase(), l.to_lowercase(), id % 97, id % 13),
                    "phone": format!("({}) {:03}-{:04}", 200 + next(700), next(1000), next(10000)),
                    "source": SOURCES[next(SOURCES.len())],
                    "city": CITIES[next(CITIES.len())],
                    "website": format!("https://site{}.example.com/landing", next(5000)),
                    "revenue": (next(2_000_000) as f64) / 100.0,
                    "visits": next(300),
                    "qualified": next(2) == 1,
                    "created": 1_700_000_000 + next(40_000_000) as i64,
                    "notes": "kept in raw_json only",
                });
                (format!("lead-{id}"), record)
            })
            .collect();
        w.write_page(&page, Some(&format!("page-{}", p + 1)))
            .unwrap();
    }
    let stats = w.finish().unwrap();
    eprintln!("built {} rows in {:.1?}", stats.total, started.elapsed());
    cache
}

fn q(search: &str, sort: Option<(&str, bool)>, offset: u64) -> Query {
    Query {
        search: search.into(),
        filter: Vec::new(),
        sort: sort.map(|(k, d)| Sort {
            key: k.into(),
            descending: d,
        }),
        offset,
        limit: 100,
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let cache = build(&dir.path().join("bench.sqlite3"));
    let cases = [
        ("search 'mar' (prefix, ~1 row in 7)", q("mar", None, 0)),
        ("search 'maria lop'", q("maria lop", None, 0)),
        (
            "search 'garcia' sorted by revenue desc",
            q("garcia", Some(("revenue", true)), 0),
        ),
        (
            "search 'mar' sorted by created asc",
            q("mar", Some(("created", false)), 0),
        ),
        (
            "search 'austin google' page 10",
            q("austin google", None, 1000),
        ),
        ("search 'zzqx' (no match)", q("zzqx", None, 0)),
        ("search 'a' (one letter, worst case)", q("a", None, 0)),
        (
            "search 'a' sorted by name asc",
            q("a", Some(("name", false)), 0),
        ),
        ("browse, no search, first page", q("", None, 0)),
        (
            "browse sorted by revenue desc",
            q("", Some(("revenue", true)), 0),
        ),
        ("browse sorted by name asc", q("", Some(("name", false)), 0)),
        ("browse deep page (offset 150000)", q("", None, 150_000)),
    ];
    let mut group = c.benchmark_group("query_200k");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (name, query) in &cases {
        let page = cache
            .query("whatconverts", DEFAULT_ACCOUNT, "leads", query)
            .unwrap();
        eprintln!("{name}: matched {} of {}", page.matched, page.total);
        group.bench_function(*name, |b| {
            b.iter(|| {
                black_box(
                    cache
                        .query("whatconverts", DEFAULT_ACCOUNT, "leads", query)
                        .unwrap(),
                )
            })
        });
    }
    group.finish();

    // People search, a keystroke at a time as typed into the People screen's box.
    let mut group = c.benchmark_group("people_200k");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for search in ["m", "ma", "mar", "mari", "maria", "maria lop", "zzqx", ""] {
        let query = PeopleQuery {
            search: search.into(),
            offset: 0,
            limit: 100,
            ..Default::default()
        };
        let page = cache.people(&query).unwrap();
        eprintln!(
            "people '{search}': matched {} of {}",
            page.matched, page.total
        );
        group.bench_function(format!("people search '{search}'"), |b| {
            b.iter(|| black_box(cache.people(&query).unwrap()))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("export_200k");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("csv, search 'mar'", |b| {
        b.iter(|| {
            let mut sink = std::io::sink();
            cache
                .export(
                    "whatconverts",
                    DEFAULT_ACCOUNT,
                    "leads",
                    &q("mar", None, 0),
                    ExportFormat::Csv,
                    &mut sink,
                    &mut |_, _| {},
                )
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
