// Turns bench/run.sh's raw samples (JSON lines) into the table and target/bench/report.json.
//
//   node report.mjs RAW.jsonl REPORT.json
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem, release } from "node:os";
import { execFileSync } from "node:child_process";

const [rawPath, outPath] = process.argv.slice(2);
const samples = readFileSync(rawPath, "utf8")
  .split("\n")
  .filter((l) => l.startsWith("{"))
  .map((l) => JSON.parse(l));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const round = (x, d = 2) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);
const fmt = (x) => (x == null ? "-" : Math.round(x).toLocaleString("en-US"));
/** A difference with its sign: "+12.5 MiB", "−21.5 MiB". */
const signed = (x, unit) => `${x < 0 ? "−" : "+"}${Math.abs(x)} ${unit}`;

function machine() {
  let os = "";
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "";
  } catch {
    // not Linux
  }
  let commit = "";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus()[0]?.model ?? "",
    cores: cpus().length,
    memory_gib: round(totalmem() / 2 ** 30, 1),
    os,
    kernel: release(),
    commit,
    date: new Date().toISOString(),
  };
}

const figures = {};
const rows = []; // [figure, patchbay, reference, ratio, target]

// 1. sync throughput
const styles = { page_number: "WhatConverts leads, page number, 250/page", cursor: "ClickFunnels contacts, cursor, 100/page" };
for (const [style, label] of Object.entries(styles)) {
  const of = (client) => samples.filter((s) => s.figure === "sync" && s.style === style && s.client === client);
  const rate = (client) => median(of(client).map((s) => s.records / s.seconds));
  const core = of("patchbay-core");
  if (core.length === 0) continue;
  const concurrency = core[0].concurrency ?? 1;
  const f = {
    label,
    records: core[0].records,
    rounds: core.length,
    core_concurrency: concurrency,
    records_per_s: {
      patchbay_core: round(rate("patchbay-core"), 0),
      node_axios: round(rate("node-axios"), 0),
      wrk_c1: round(rate("wrk-c1"), 0),
      wrk_c4: round(rate("wrk-c4"), 0),
    },
    client_peak_rss_mib: {
      patchbay_core: round(median(of("patchbay-core").map((s) => s.peak_rss_kib ?? 0)) / 1024, 0),
      node_axios: round(median(of("node-axios").map((s) => s.peak_rss_kib ?? 0)) / 1024, 0),
    },
    wrk_failed_requests: [...of("wrk-c1"), ...of("wrk-c4")].reduce((a, s) => a + s.non2xx + s.errors, 0),
  };
  // The limit at the same page size and the same number of requests in flight as the core.
  // Cursor paging is one page after another whatever the concurrency setting.
  const limitClient = style === "page_number" && concurrency > 1 ? "wrk_c4" : "wrk_c1";
  f.limit_client = limitClient;
  f.ratio_vs_node_axios = round(f.records_per_s.patchbay_core / f.records_per_s.node_axios);
  f.ratio_vs_limit = round(f.records_per_s.patchbay_core / f.records_per_s[limitClient]);
  f.ratio_vs_best_limit = round(
    f.records_per_s.patchbay_core / Math.max(f.records_per_s.wrk_c1 ?? 0, f.records_per_s.wrk_c4 ?? 0),
  );
  // 1b. CPU per 1,000 records: the client's over the sync (every thread), the parse floor's
  // (the same pages split and their columns read, single-threaded, no Value) and the sandbox's
  // cost to serve them.
  const per1000 = (xs) => median(xs.filter((x) => x != null));
  const floor = samples.filter((s) => s.figure === "floor" && s.style === style);
  f.cpu_ms_per_1000 = {
    client: round(per1000(core.map((s) => (s.client_cpu_s == null ? null : (s.client_cpu_s * 1e6) / s.records))), 1),
    parse_floor: round(per1000(floor.map((s) => s.cpu_ms_per_1000)), 1),
    sandbox: round(per1000(core.map((s) => (s.sandbox_cpu_s == null ? null : (s.sandbox_cpu_s * 1e6) / s.records))), 1),
  };
  figures[`sync_${style}`] = f;
  const cpu = f.cpu_ms_per_1000;
  if (cpu.client != null && cpu.parse_floor) {
    f.ratio_client_cpu_vs_floor = round(cpu.client / cpu.parse_floor);
    rows.push([
      `Sync ${style.replace("_", "-")}: client CPU vs parse floor`,
      `${cpu.client} ms/1k rec`,
      `${cpu.parse_floor} ms/1k rec (floor)${cpu.sandbox == null ? "" : `; sandbox ${cpu.sandbox}`}`,
      `${f.ratio_client_cpu_vs_floor}x`,
      "<= 2x",
    ]);
  }
  rows.push([
    `Sync ${style.replace("_", "-")}: vs tutorial client`,
    `${fmt(f.records_per_s.patchbay_core)} rec/s`,
    `${fmt(f.records_per_s.node_axios)} rec/s (axios)`,
    `${f.ratio_vs_node_axios}x`,
    style === "page_number" ? ">= 5x" : "",
  ]);
  rows.push([
    `Sync ${style.replace("_", "-")}: vs the limit`,
    `${fmt(f.records_per_s.patchbay_core)} rec/s`,
    `${fmt(f.records_per_s[limitClient])} rec/s (${limitClient.replace("_", " -")})`,
    `${Math.round(f.ratio_vs_limit * 100)}%`,
    style === "page_number" ? ">= 60%" : ">= 80%",
  ]);
}

if (figures.sync_page_number) {
  const m = figures.sync_page_number.client_peak_rss_mib;
  rows.push(["Sync page-number: client peak RSS", `${fmt(m.patchbay_core)} MiB`, `${fmt(m.node_axios)} MiB (axios)`, `${round(m.patchbay_core / m.node_axios)}x`, ""]);
}

// 3 and 4. start-up and memory
const starts = (t) => samples.filter((s) => s.figure === "startup" && s.target === t);
if (starts("app").length) {
  const app = starts("app");
  const empty = starts("empty-window");
  const f = {
    launches_each: app.length,
    app_ms_median: median(app.map((s) => s.ms)),
    empty_window_ms_median: median(empty.map((s) => s.ms)),
    app_ms_p95: p95(app.map((s) => s.ms)),
    empty_window_ms_p95: p95(empty.map((s) => s.ms)),
  };
  f.ratio = round(f.app_ms_median / f.empty_window_ms_median);
  // The app page's own marks, ms from its navigation start (script running, events
  // subscribed, tiles in the DOM): where the difference to the empty window goes.
  f.app_page_marks_ms_median = Object.fromEntries(
    ["script-start", "subscribed", "tiles-shown", "tiles-painted"].map((k) => [
      k,
      median(app.map((s) => s.page_marks_ms?.[k]).filter((v) => v != null)),
    ]),
  );
  f.navigation_start_ms_median = {
    app: median(app.map((s) => s.navigation_start_ms)),
    empty_window: median(empty.map((s) => s.navigation_start_ms)),
  };
  figures.startup = f;
  rows.push(["Start-up to tiles (median)", `${fmt(f.app_ms_median)} ms`, `${fmt(f.empty_window_ms_median)} ms (empty window)`, `${f.ratio}x`, "<= 1.3x"]);
  const m = {
    app_peak_rss_mib_median: round(median(app.map((s) => s.peak_rss_kib)) / 1024, 1),
    empty_window_peak_rss_mib_median: round(median(empty.map((s) => s.peak_rss_kib)) / 1024, 1),
    app_processes: app[0].processes,
    empty_window_processes: empty[0].processes,
  };
  m.idle_extra_mib = round(m.app_peak_rss_mib_median - m.empty_window_peak_rss_mib_median, 1);
  m.ratio = round(m.app_peak_rss_mib_median / m.empty_window_peak_rss_mib_median);
  figures.memory_idle = m;
  rows.push(["Memory idle, peak RSS (app+WebKit)", `${fmt(m.app_peak_rss_mib_median)} MiB`, `${fmt(m.empty_window_peak_rss_mib_median)} MiB (empty window)`, signed(m.idle_extra_mib, "MiB"), "+30 MiB (issue 17)"]);
}

// 2. connect latency: the app's own marks, from the deep link's arrival
const connects = samples.filter((s) => s.figure === "connect");
if (connects.length) {
  const med = (k) => round(median(connects.map((s) => s[k])), 1);
  const f = {
    rounds: connects.length,
    arrival_to_token_ms: med("arrival_to_token_ms"),
    arrival_to_first_page_ms: med("arrival_to_first_page_ms"),
    arrival_to_stored_ms: med("arrival_to_stored_ms"),
    arrival_to_first_rows_shown_ms_median: med("arrival_to_first_rows_shown_ms"),
    arrival_to_first_rows_ms_median: med("arrival_to_first_rows_ms"),
    arrival_to_first_rows_ms_p95: round(p95(connects.map((s) => s.arrival_to_first_rows_ms)), 1),
    click_to_arrival_ms_median: med("click_to_arrival_ms"),
  };
  figures.connect = f;
  rows.push([
    `Connect: deep link to first rows (median of ${f.rounds})`,
    `${f.arrival_to_first_rows_ms_median} ms painted (${f.arrival_to_first_rows_shown_ms_median} ms in the DOM)`,
    `token ${f.arrival_to_token_ms} ms, 1st page ${f.arrival_to_first_page_ms} ms, stored ${f.arrival_to_stored_ms} ms`,
    "",
    "< 100 ms (issue 17)",
  ]);
}

// 4. memory with the records shown, against the empty window's idle memory
const mem = (state) => samples.find((s) => s.figure === "memory" && s.state === state);
if (mem("records")) {
  const mib = (kib) => round(kib / 1024, 1);
  const empty = figures.memory_idle?.empty_window_peak_rss_mib_median ?? null;
  const f = {
    records: mem("records").records,
    connect_to_synced_ms: mem("records").connect_to_synced_ms,
    idle_peak_rss_mib: mib(mem("idle")?.peak_rss_kib ?? 0),
    records_peak_rss_mib: mib(mem("records").peak_rss_kib),
    records_rss_mib: mib(mem("records").rss_kib),
    empty_window_peak_rss_mib: empty,
  };
  f.extra_over_empty_window_mib = empty == null ? null : round(f.records_peak_rss_mib - empty, 1);
  figures.memory_records = f;
  rows.push([
    `Memory, ${fmt(f.records)} records shown: peak RSS`,
    `${fmt(f.records_peak_rss_mib)} MiB (now ${fmt(f.records_rss_mib)})`,
    empty == null ? "" : `${fmt(empty)} MiB (empty window)`,
    empty == null ? "" : signed(Math.round(f.extra_over_empty_window_mib), "MiB"),
    "+150 MiB (issue 17)",
  ]);
}

// 5. search: keystroke to the painted answer
const searches = samples.filter((s) => s.figure === "search");
if (searches.length) {
  const ms = searches.map((s) => s.ms);
  const painted = searches.map((s) => s.painted_ms);
  const frame = samples.find((s) => s.figure === "frame")?.interval_ms ?? null;
  const f = {
    keystrokes: ms.length,
    records: searches[0].records,
    median_ms: round(median(ms), 1),
    p95_ms: round(p95(ms), 1),
    max_ms: round(Math.max(...ms), 1),
    painted_median_ms: round(median(painted), 1),
    painted_p95_ms: round(p95(painted), 1),
    idle_frame_interval_ms: round(frame, 1),
  };
  figures.search = f;
  rows.push([
    `Search over ${fmt(f.records)} rows, keystroke to updated table (${f.keystrokes} keys)`,
    `median ${f.median_ms} ms, p95 ${f.p95_ms} ms`,
    "",
    "",
    "p95 < 50 ms",
  ]);
  rows.push([
    "Search, keystroke to the painted frame",
    `median ${f.painted_median_ms} ms, p95 ${f.painted_p95_ms} ms`,
    frame == null ? "" : `${f.idle_frame_interval_ms} ms (Xvfb frame interval, idle)`,
    "",
    "",
  ]);
}

// 5c. Opening cached records: the click on "Open records" to the first rows painted (issue 17)
const opens = samples.filter((s) => s.figure === "open_records");
if (opens.length) {
  const f = {
    rounds: opens.length,
    records: opens[0].records,
    median_ms: round(median(opens.map((s) => s.ms)), 1),
    p95_ms: round(p95(opens.map((s) => s.ms)), 1),
    shown_median_ms: round(median(opens.map((s) => s.shown_ms)), 1),
  };
  figures.open_records = f;
  rows.push([
    `Open records, ${fmt(f.records)} cached: click to first rows painted (median of ${f.rounds})`,
    `${f.median_ms} ms (p95 ${f.p95_ms} ms; in the DOM at ${f.shown_median_ms} ms)`,
    "",
    "",
    "< 100 ms",
  ]);
}

// 5b. People search: keystroke to the People table answering (issue 15)
const peopleSearches = samples.filter((s) => s.figure === "people_search");
if (peopleSearches.length) {
  const ms = peopleSearches.map((s) => s.ms);
  const painted = peopleSearches.map((s) => s.painted_ms);
  const f = {
    keystrokes: ms.length,
    people: peopleSearches[0].people,
    median_ms: round(median(ms), 1),
    p95_ms: round(p95(ms), 1),
    painted_p95_ms: round(p95(painted), 1),
  };
  figures.people_search = f;
  rows.push([
    `People search over ${fmt(f.people)} people, keystroke to updated table (${f.keystrokes} keys)`,
    `median ${f.median_ms} ms, p95 ${f.p95_ms} ms`,
    `p95 ${f.painted_p95_ms} ms to the painted frame`,
    "",
    "p95 < 50 ms",
  ]);
}

// 5c. Records workbench: a filter change to the table's count and first page (issue 21)
const filterChange = samples.find((s) => s.figure === "filter" && s.what === "filter_change_to_table");
if (filterChange) {
  const f = {
    records: filterChange.records,
    changes: filterChange.changes,
    p50_ms: round(filterChange.p50_ms, 1),
    p95_ms: round(filterChange.p95_ms, 1),
    chart_p95_ms: round(filterChange.chart_p95_ms, 1),
  };
  figures.filter = f;
  rows.push([
    `Filter change to the table over ${fmt(f.records)} leads (${f.changes} changes, in the cache)`,
    `median ${f.p50_ms} ms, p95 ${f.p95_ms} ms`,
    `weekly chart p95 ${f.chart_p95_ms} ms`,
    "",
    "p95 < 50 ms",
  ]);
}

// 6. size
const size = (what) => samples.find((s) => s.figure === "size" && s.what === what);
if (size("binary")) {
  // MB = 10^6 bytes, as in the target ("under 15 MB").
  const mb = (s) => (s ? round(s.bytes / 1e6, 2) : null);
  figures.size = {
    binary_mb: mb(size("binary")),
    deb_mb: mb(size("deb")),
    empty_window_binary_mb: mb(size("empty-window-binary")),
  };
  const e = figures.size.empty_window_binary_mb;
  rows.push(["Size: release binary", `${figures.size.binary_mb} MB`, e ? `${e} MB (empty window)` : "", e ? `${round(figures.size.binary_mb / e)}x` : "", "< 15 MB"]);
  if (figures.size.deb_mb) rows.push(["Size: .deb bundle", `${figures.size.deb_mb} MB`, "", "", ""]);
}

// 7. incremental refresh against a full sync (issue 14): requests and seconds of each pass
const incremental = samples.filter((s) => s.figure === "incremental");
if (incremental.length) {
  figures.incremental = incremental.map((s) => ({
    provider: s.provider,
    resource: s.resource,
    records: s.records,
    latency_ms: s.latency_ms,
    changes: s.changes,
    full: s.full,
    refresh: s.refresh,
    requests_ratio: round(s.requests_ratio, 4),
    seconds_ratio: round(s.seconds_ratio, 3),
    requests_goal: s.requests_goal,
  }));
  for (const s of incremental) {
    const c = s.changes;
    rows.push([
      `Refresh vs full sync, ${s.provider} ${s.resource} (${fmt(s.records)}; 1% changed)`,
      `${fmt(s.refresh.requests)} req, ${round(s.refresh.seconds, 2)} s`,
      `${fmt(s.full.requests)} req, ${round(s.full.seconds, 2)} s (full)`,
      `${round(s.requests_ratio * 100, 1)}% req, ${round(s.seconds_ratio * 100, 1)}% s`,
      `req <= ${s.requests_goal * 100}%`,
    ]);
    rows.push([
      "  changes the refresh saw (added/edited/removed)",
      `${s.refresh.added}/${s.refresh.updated}/${s.refresh.removed}`,
      `${c.added}/${c.updated}/${c.deleted} made`,
      "",
      "",
    ]);
  }
}

// 8. throughput under each provider's documented limits, against the least time they allow
const limited = samples.filter((s) => s.figure === "limits");
if (limited.length) {
  figures.limits = limited.map((s) => ({
    provider: s.provider,
    resource: s.resource,
    records: s.records,
    requests: s.requests,
    refused_429: s.refused_429,
    seconds: round(s.seconds, 2),
    allowed_seconds: round(s.allowed_seconds, 2),
    fraction: round(s.fraction, 3),
    allowed_seconds_provider_only: round(s.allowed_seconds_provider_only, 2),
    fraction_provider_only: round(s.fraction_provider_only, 3),
    limits: s.limits,
    goal: s.goal,
  }));
  for (const s of limited) {
    rows.push([
      `Under limits, ${s.provider} ${s.resource} (${fmt(s.records)}, ${s.requests} req, ${s.latency_ms} ms)`,
      `${round(s.seconds, 2)} s`,
      `${round(s.allowed_seconds, 2)} s (least allowed)`,
      `${Math.round(s.fraction * 100)}%`,
      `>= ${s.goal * 100}%`,
    ]);
  }
}

const notMeasured = [];
if (!figures.startup) notMeasured.push("start-up", "memory");
if (!figures.connect) notMeasured.push("connect latency");
if (!figures.memory_records) notMeasured.push("memory with the records shown");
if (!figures.search) notMeasured.push("search latency");
if (!figures.incremental) notMeasured.push("incremental refresh");
if (!figures.limits) notMeasured.push("throughput under limits");

const report = { machine: machine(), figures, not_measured: notMeasured, samples };
writeFileSync(outPath, `${JSON.stringify(report, null, 2)}\n`);

const header = ["Figure", "Patchbay", "Reference", "Ratio", "Target"];
const table = [header, ...rows];
const widths = header.map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
const line = (r) => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(" | ")} |`;
const mc = report.machine;
console.log(`\nPatchbay benchmarks, ${mc.date} at ${mc.commit}: ${mc.cpu}, ${mc.cores} cores, ${mc.memory_gib} GiB, ${mc.os}`);
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of rows) console.log(line(r));
if (notMeasured.length) console.log(`\nNot measured: ${notMeasured.join("; ")}.`);
console.log(`Report: ${outPath}`);
