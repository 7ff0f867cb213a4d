// Connect latency, memory with 100000 records and search latency, in the real app under Xvfb
// with a private D-Bus session and keychain (bench/run.sh runs it through
// scripts/with-keyring.sh). Prints one JSON line per sample on stdout.
//
//   node app.mjs APP_BINARY SANDBOX_BINARY [CONNECTS] [RECORDS]
//
// 2. Connect latency, CONNECTS rounds in one app: click the WhatConverts tile, the test browser
//    (tests/e2e/browser.mjs) presses Allow on the sandbox's consent page and hands the
//    dev.patchbay: link to the system, which starts a second instance that forwards it. From
//    the link's arrival, the app's own marks: `patchbay::timing` log lines (token, first page
//    fetched, first page stored) and the window's User Timing marks `patchbay:first-rows-shown`
//    (the rows are in the DOM) and `patchbay:first-rows-painted` (the frame that draws them). Each round then disconnects and deletes the records, so
//    the next one fetches again. The sandbox serves its default 250 records per resource.
// 4. Memory: a second app on a sandbox with RECORDS (100000) records: idle with the tiles shown,
//    then after connecting WhatConverts and syncing and showing all its leads (scrolled to the
//    end and back). Peak and current RSS of the app and its WebKit processes.
// 5. Search: keystrokes sent one at a time over those rows; for each, the window's marks from
//    the input event (`patchbay:search-input`) to the answer in the table's DOM
//    (`patchbay:search-shown`) and to the frame that draws it (`patchbay:search-painted`).
// 5b. People search: the same over the People table, everyone those leads are
//    (`patchbay:people-search-shown` / `-painted`).
// 5c. Opening cached records: back to the tiles, then the click on WhatConverts' "Open
//    records" (`patchbay:records-open`) to the frame drawing the first rows
//    (`patchbay:first-rows-painted`), BENCH_OPENS (10) rounds after one warm-up.
//
// Network: 127.0.0.1 only (the sandboxes); every process started here is stopped.
import { readFileSync, readdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep, waitFor } from "../../tests/e2e/webdriver.mjs";
import { memoryOf } from "./proc.mjs";

const [appArg, sandboxBin, connects = "20", records = "100000"] = process.argv.slice(2);
if (!appArg || !sandboxBin) {
  console.error("usage: node app.mjs APP_BINARY SANDBOX_BINARY [CONNECTS] [RECORDS]");
  process.exit(2);
}
const APP = realpathSync(appArg);
// The e2e helpers read which binaries to run from the environment when they load.
process.env.PATCHBAY_APP = APP;
process.env.PATCHBAY_SANDBOX_BIN = realpathSync(sandboxBin);
const { ROOT, launch: launchApp, makeTestBrowserTheDefault } = await import("../../tests/e2e/app.mjs");
const { startSandbox } = await import("../../tests/e2e/sandbox.mjs");
const emit = (o) => console.log(JSON.stringify(o));
// Which parts run (for a quick look at one): connect, records.
const PHASES = (process.env.BENCH_APP_PHASES ?? "connect,records").split(",");
// Steps of the records phase to leave out (of: search, people), for a quick look at one.
const SKIP = (process.env.BENCH_APP_SKIP ?? "").split(",");

const LOG_DIR = join(process.env.XDG_DATA_HOME ?? "", "dev.patchbay.desktop", "logs");
const browserDir = mkdtempSync(join(tmpdir(), "patchbay-bench-browser-"));
writeFileSync(join(browserDir, "decision"), "allow");
makeTestBrowserTheDefault();

/** The app's `patchbay::timing` marks: [{step, provider, epoch_ms}], oldest first. */
function timingMarks() {
  const out = [];
  let files = [];
  try {
    files = readdirSync(LOG_DIR).filter((f) => f.startsWith("patchbay.log")).sort();
  } catch {
    return out;
  }
  for (const f of files) {
    for (const line of readFileSync(join(LOG_DIR, f), "utf8").split("\n")) {
      if (!line.includes("patchbay::timing")) continue;
      const step = /step="?([a-z_]+)"?/.exec(line)?.[1];
      const provider = /provider="?([a-z]*)"?/.exec(line)?.[1] ?? "";
      const epoch = Number(/epoch_ms=([\d.]+)/.exec(line)?.[1]);
      if (step && Number.isFinite(epoch)) out.push({ step, provider, epoch_ms: epoch });
    }
  }
  return out;
}

const launch = (sandboxUrl) =>
  launchApp({
    env: {
      PATCHBAY_SANDBOX_URL: sandboxUrl,
      BROWSER: join(ROOT, "tests/e2e/browser.mjs"),
      PATCHBAY_TEST_BROWSER_DIR: browserDir,
      RUST_LOG: process.env.RUST_LOG ?? "info",
    },
  });

const tileState = async (session, id) =>
  session.cmd("GET", `/element/${await session.find(`[data-testid="tile-${id}"]`)}/attribute/data-state`);

/** Epoch ms of the `patchbay:<name>` User Timing marks in the window. */
const pageMarks = (session, name) =>
  session.execute(
    "return performance.getEntriesByName(arguments[0]).map((e) => performance.timeOrigin + e.startTime);",
    [`patchbay:${name}`],
  );

async function connectWhatConverts(session) {
  await session.click(await waitFor("the WhatConverts tile", () => session.find('[data-testid="tile-whatconverts"]')));
  await waitFor(
    "the records view after approval",
    async () => (await session.findAll('[data-testid="records-view"][data-provider="whatconverts"]')).length > 0,
    { timeoutMs: 30000, intervalMs: 50 },
  );
}

async function disconnect(session) {
  await session.click(await waitFor("Disconnect", () => session.find('[data-testid="disconnect"]')));
  await session.click(await waitFor("the confirmation", () => session.find('[data-testid="disconnect-confirm"]')));
  await waitFor("the tile back to not connected", async () => (await tileState(session, "whatconverts")) === "not_connected");
}

/** The row count shown above the table as numbers: {matched, total}. */
async function rowCount(session) {
  const text = await session.text(await session.find('[data-testid="row-count"]'));
  const m = /^([\d,.\s]+) of ([\d,.\s]+)/.exec(text);
  return m ? { matched: Number(m[1].replace(/\D/g, "")), total: Number(m[2].replace(/\D/g, "")) } : null;
}

// --- 2. connect latency ---------------------------------------------------------------------
if (PHASES.includes("connect")) {
  const sandbox = await startSandbox(["--seed", "11"]);
  const app = await launch(sandbox.url);
  try {
    await waitFor("the tiles", async () => (await app.session.findAll('[data-testid="tiles"] [data-provider]')).length === 5);
    for (let round = 0; round <= Number(connects); round++) {
      const before = timingMarks().length;
      await app.session.execute("performance.clearMarks();");
      const clicked = Date.now();
      await connectWhatConverts(app.session);
      const painted = (
        await waitFor("the first rows", async () => {
          const m = await pageMarks(app.session, "first-rows-painted");
          return m.length ? m : null;
        }, { timeoutMs: 30000, intervalMs: 50 })
      )[0];
      const marks = await waitFor("the app's timing log lines", () => {
        const m = timingMarks().slice(before);
        const at = (step) => m.find((x) => x.step === step)?.epoch_ms;
        const steps = { arrival: at("deeplink_arrived"), token: at("token"), first_page: at("first_page"), stored: at("first_page_stored") };
        return Object.values(steps).every((v) => v !== undefined) ? steps : null;
      }, { timeoutMs: 10000 });
      const [shown] = await pageMarks(app.session, "first-rows-shown");
      // Where the time goes: every patchbay mark of the round, ms after the link's arrival.
      const pageSteps = await app.session.execute(
        "return Object.fromEntries(performance.getEntriesByType('mark')" +
          ".filter((m) => m.name.startsWith('patchbay:')).map((m) => [m.name.slice(9), performance.timeOrigin + m.startTime]));",
      );
      const steps = Object.fromEntries(Object.entries(pageSteps).map(([k, t]) => [k, Math.round((t - marks.arrival) * 10) / 10]));
      // Round 0 warms up (first WebKit layout of the records view, connection pools).
      if (round > 0) {
        emit({
          figure: "connect",
          round,
          arrival_to_token_ms: marks.token - marks.arrival,
          arrival_to_first_page_ms: marks.first_page - marks.arrival,
          arrival_to_stored_ms: marks.stored - marks.arrival,
          arrival_to_first_rows_shown_ms: shown - marks.arrival,
          arrival_to_first_rows_ms: painted - marks.arrival,
          click_to_arrival_ms: marks.arrival - clicked,
          steps,
        });
      }
      await disconnect(app.session);
    }
  } finally {
    await app.close();
    await sandbox.stop();
  }
}

/**
 * Search latency: words from the first rows' cells typed a key at a time into `box` and
 * deleted a key at a time, each key waited for; then, for each key, the window's marks from
 * the input event (`search-input`) to `<marks>-shown` (the answer in the DOM) and
 * `<marks>-painted` (the frame that draws it).
 */
async function typeAndMeasure(session, { rows, cells: cellCss, box: boxCss, marks, matched, emit: out }) {
  const cells = await session.execute(
    "return [...document.querySelectorAll(arguments[0])].slice(0, 6)" +
      ".flatMap((r) => [...r.querySelectorAll(arguments[1])].map((c) => c.textContent.trim()));",
    [rows, cellCss],
  );
  const words = [...new Set(cells.flatMap((c) => c.split(/[^A-Za-z0-9]+/)).filter((w) => /^[A-Za-z]{4,9}$/.test(w)))].slice(0, 6);
  if (words.length < 3) throw new Error(`too few words to search for in: ${cells.join(" | ")}`);
  const box = await session.find(boxCss);
  await session.execute("performance.clearMarks();");
  let keystrokes = 0;
  const press = async (key) => {
    keystrokes += 1;
    await session.type(box, key);
    await waitFor("the search answer", async () => (await pageMarks(session, `${marks}-painted`)).length >= keystrokes, {
      timeoutMs: 30000,
      intervalMs: 20,
    });
  };
  for (const word of words) {
    for (const ch of word.toLowerCase()) await press(ch);
    const found = await matched();
    for (let i = 0; i < word.length; i++) await press("\uE003"); // Backspace
    emit({ figure: `${marks.replace(/-/g, "_")}_word`, word_length: word.length, matched: found });
  }
  const inputs = await pageMarks(session, "search-input");
  const shown = await pageMarks(session, `${marks}-shown`);
  const painted = await pageMarks(session, `${marks}-painted`);
  inputs.forEach((t, i) => out({ keystroke: i + 1, ms: shown[i] - t, painted_ms: painted[i] - t }));
}

// --- 4 and 5. memory and search over RECORDS records -----------------------------------------
if (PHASES.includes("records")) {
  const sandbox = await startSandbox(["--seed", "11", "--records", records, "--no-rate-limits"]);
  let app = await launch(sandbox.url);
  let { session } = app;
  try {
    await waitFor("the tiles", async () => (await session.findAll('[data-testid="tiles"] [data-provider]')).length === 5);
    await sleep(1000);
    emit({ figure: "memory", state: "idle", ...memoryOf(APP) });

    const started = Date.now();
    await connectWhatConverts(session);
    await waitFor(
      `all ${records} leads synced and shown`,
      async () => {
        const status = await session.text(await session.find('[data-testid="sync-status"]'));
        const count = await rowCount(session);
        return /^Synced/.test(status) && count?.total === Number(records) && count.matched === Number(records);
      },
      { timeoutMs: 600000, intervalMs: 500 },
    );
    const syncedMs = Date.now() - started;
    // Show the rows: the end of the table and back to the top.
    for (const top of ["scroller.scrollHeight", "0"]) {
      await session.execute(`const scroller = document.querySelector('.grid-scroll'); scroller.scrollTop = ${top};`);
      await waitFor("rows drawn", async () => {
        const rows = await session.findAll('[data-testid="records-grid"] [role="row"][aria-rowindex]:not(.grid-header-row)');
        return rows.length > 1;
      });
      await session.settle();
    }
    await sleep(1000);
    emit({ figure: "memory", state: "records", records: Number(records), connect_to_synced_ms: syncedMs, ...memoryOf(APP) });

    // Words from the first rows' cells, typed a key at a time and deleted a key at a time.
    if (!SKIP.includes("search")) await typeAndMeasure(session, {
      rows: '[data-testid="records-grid"] [role="row"]:not(.grid-header-row)',
      cells: '[role="gridcell"]',
      box: '[data-testid="search"]',
      marks: "search",
      matched: async () => (await rowCount(session))?.matched,
      emit: (s) => emit({ figure: "search", records: Number(records), ...s }),
    });

    // 5b. People search over everyone those leads are (resolved as they were stored).
    if (!SKIP.includes("people")) {
      await session.click(await session.find('[data-testid="people"]'));
      await waitFor("the People table", async () => (await session.findAll('[data-testid="person-row"]')).length > 0, { timeoutMs: 60000 });
      const peopleCount = async () => {
        const m = /^([\d,]+) of ([\d,]+) /.exec(await session.text(await session.find('[data-testid="people-count"]')));
        return m ? { matched: Number(m[1].replace(/,/g, "")), total: Number(m[2].replace(/,/g, "")) } : null;
      };
      const people = (await peopleCount())?.total;
      await typeAndMeasure(session, {
        rows: '[data-testid="person-row"]',
        cells: "td",
        box: '[data-testid="people-search"]',
        marks: "people-search",
        matched: async () => (await peopleCount())?.matched,
        emit: (s) => emit({ figure: "people_search", people, ...s }),
      });
    }

    // The display's own pace under Xvfb: an idle page's frame interval, for reading the
    // painted figures (the same wait is in every one of them).
    const frame = await session.cmd("POST", "/execute/async", {
      args: [],
      script:
        "const done = arguments[arguments.length - 1]; const t = [];" +
        "const step = (now) => { t.push(now); if (t.length < 31) requestAnimationFrame(step); else done((t[30] - t[0]) / 30); };" +
        "requestAnimationFrame(step);",
    });
    emit({ figure: "frame", interval_ms: frame });

    // 5c. Opening cached records: the app started again over the RECORDS leads stored above
    // (records cached by an earlier run); from the click on the tile's "Open records" (the
    // window's `patchbay:records-open` mark, set by the click's handler) to the frame that
    // draws the first rows (`first-rows-painted`); back to the tiles between rounds. One
    // warm-up round.
    await app.close();
    app = await launch(sandbox.url);
    session = app.session;
    await waitFor("the tiles", async () => (await session.findAll('[data-testid="tiles"] [data-provider]')).length === 5);
    for (let round = 0; round <= Number(process.env.BENCH_OPENS ?? 10); round++) {
      if (round > 0) {
        await session.click(await session.find('[data-testid="back"]'));
        await waitFor("the tiles", async () => (await session.findAll('[data-testid="tiles"] [data-provider]')).length === 5);
      }
      await session.settle();
      await session.execute("performance.clearMarks();");
      await session.click(await session.find('[data-testid="tile-whatconverts"]'));
      const [painted] = await waitFor("the first rows", async () => {
        const m = await pageMarks(session, "first-rows-painted");
        return m.length ? m : null;
      }, { timeoutMs: 30000, intervalMs: 20 });
      const [open] = await pageMarks(session, "records-open");
      const [shown] = await pageMarks(session, "first-rows-shown");
      // Where the time goes: every patchbay mark of the round, ms after the click.
      const marks = await session.execute(
        "return Object.fromEntries(performance.getEntriesByType('mark')" +
          ".filter((m) => m.name.startsWith('patchbay:')).map((m) => [m.name.slice(9), performance.timeOrigin + m.startTime]));",
      );
      const steps = Object.fromEntries(Object.entries(marks).map(([k, t]) => [k, Math.round(t - open)]));
      if (round > 0) {
        emit({ figure: "open_records", records: Number(records), round, ms: painted - open, shown_ms: shown - open, steps });
      }
    }
  } finally {
    await app.close();
    await sandbox.stop();
  }
}
