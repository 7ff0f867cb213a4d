// Start-up and idle memory of the app against an empty Tauri 2 window, launched alternately
// through tauri-driver (WebKitWebDriver) under Xvfb and a private D-Bus session (bench/run.sh).
// Prints one JSON line per launch on stdout.
//
//   node startup.mjs APP_BINARY EMPTY_WINDOW_BINARY [LAUNCHES_EACH]
//
// Start-up: from just before the WebDriver "new session" request (which spawns the binary) to
// the first animation frame after the page shows its content: the provider tiles in the app,
// the static <main id="ready"> in the empty window. WebDriver's own overhead is in both.
// Memory: peak RSS (VmHWM) summed over the binary's process and its WebKit child processes,
// read a second after the content showed.
import { readFileSync, readdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { memoryOf, processes } from "./proc.mjs";
import { Session, sleep, startDriver } from "../../tests/e2e/webdriver.mjs";

const [app, empty, n = "10"] = process.argv.slice(2);
if (!app || !empty) {
  console.error("usage: node startup.mjs APP_BINARY EMPTY_WINDOW_BINARY [LAUNCHES_EACH]");
  process.exit(2);
}
const TILES = '[data-testid="tiles"] [data-provider]';
const targets = [
  { name: "app", bin: realpathSync(app), selector: TILES },
  { name: "empty-window", bin: realpathSync(empty), selector: "#ready" },
];
// BENCH_APP_B=path: a second app build launched in the same alternation (target "app-b"),
// to compare two builds under the same load.
if (process.env.BENCH_APP_B) targets.push({ name: "app-b", bin: realpathSync(process.env.BENCH_APP_B), selector: TILES });

// The app's own start-up marks (`patchbay::timing` lines in its log file, bench/README.md):
// step -> epoch ms, for the launch that started at or after `since`.
const LOG_DIR = join(process.env.XDG_DATA_HOME ?? "", "dev.patchbay.desktop", "logs");
function shellMarks(since) {
  const marks = {};
  let files = [];
  try {
    files = readdirSync(LOG_DIR).filter((f) => f.startsWith("patchbay.log")).sort();
  } catch {
    return marks;
  }
  for (const f of files) {
    for (const line of readFileSync(join(LOG_DIR, f), "utf8").split("\n")) {
      if (!line.includes("patchbay::timing")) continue;
      const step = /step="?([a-z_]+)"?/.exec(line)?.[1];
      const epoch = Number(/epoch_ms=([\d.]+)/.exec(line)?.[1]);
      if (step && epoch >= since) marks[step] = Math.round(epoch - since);
    }
  }
  return marks;
}

// Waits in the page (no WebDriver round trips) until the selector matches, then for the frame
// that paints it; answers the wall-clock time and the page's own navigation start.
const WAIT_SCRIPT = `
const [selector, done] = [arguments[0], arguments[arguments.length - 1]];
const check = () => {
  if (document.querySelector(selector)) {
    requestAnimationFrame(() => requestAnimationFrame(() =>
      done({ painted: Date.now(), navigationStart: performance.timeOrigin })));
  } else {
    requestAnimationFrame(check);
  }
};
check();`;

async function launchOnce(driver, t, round) {
  const t0 = Date.now();
  const session = await Session.create(driver.base, t.bin);
  try {
    const sessionReady = Date.now();
    const r = await session.cmd("POST", "/execute/async", { script: WAIT_SCRIPT, args: [t.selector] });
    // Where the app's page spends its start (ms from its navigation start): its own marks.
    const marks = await session.execute(
      "return Object.fromEntries(performance.getEntriesByType('mark')" +
        ".filter((m) => m.name.startsWith('patchbay:')).map((m) => [m.name.slice(9), Math.round(m.startTime)]));",
    );
    // The page's load event, which WebDriver waits for before it runs the script above.
    const loadEvent = await session.execute(
      "const [n] = performance.getEntriesByType('navigation'); return n ? Math.round(n.loadEventStart) : null;",
    );
    await sleep(1000);
    const mem = memoryOf(t.bin);
    return {
      figure: "startup",
      target: t.name,
      round,
      ms: r.painted - t0,
      session_ms: sessionReady - t0,
      navigation_start_ms: Math.round(r.navigationStart - t0),
      page_marks_ms: marks,
      load_event_ms: loadEvent,
      // ms from the WebDriver request, the shell's steps (none for the empty window)
      shell_marks_ms: shellMarks(t0),
      ...mem,
    };
  } finally {
    await session.delete();
    // Let the processes leave (and the app drop its single-instance D-Bus name) before the
    // next launch: a second instance would forward to this one and quit.
    for (let i = 0; i < 200 && processes().some((p) => p.exe === t.bin); i++) await sleep(100);
    await sleep(300);
  }
}

// BENCH_WELCOME_SEEN=1: launches as on any day after the first (the welcome dialog seen); by
// default every launch is a first one, the welcome open over the tiles, as in earlier runs.
if (process.env.BENCH_WELCOME_SEEN) {
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const dir = join(process.env.XDG_CONFIG_HOME ?? "", "dev.patchbay.desktop");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, "settings.json"), JSON.stringify({ welcome_seen: true }), { mode: 0o600 });
}
const driver = await startDriver();
try {
  // one unmeasured launch of each warms the page cache for both alike
  for (const t of targets) await launchOnce(driver, t, 0);
  for (let round = 1; round <= Number(n); round++) {
    // Strict alternation: an empty-window launch always separates two app launches.
    for (const t of targets) {
      console.log(JSON.stringify(await launchOnce(driver, t, round)));
    }
  }
} finally {
  await driver.stop();
}
