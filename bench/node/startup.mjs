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
import { readFileSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { Session, sleep, startDriver } from "../../tests/e2e/webdriver.mjs";

const [app, empty, n = "10"] = process.argv.slice(2);
if (!app || !empty) {
  console.error("usage: node startup.mjs APP_BINARY EMPTY_WINDOW_BINARY [LAUNCHES_EACH]");
  process.exit(2);
}
const targets = [
  { name: "app", bin: realpathSync(app), selector: '[data-testid="tiles"] [data-provider]' },
  { name: "empty-window", bin: realpathSync(empty), selector: "#ready" },
];

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

function processes() {
  const out = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      let exe = "";
      try {
        exe = readlinkSync(`/proc/${d}/exe`);
      } catch {
        // a kernel thread or a process of another user
      }
      out.push({ pid: Number(d), ppid, exe });
    } catch {
      // the process left while we looked
    }
  }
  return out;
}

function kib(pid, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

/** The binary's processes and all their descendants (WebKitWebProcess, WebKitNetworkProcess). */
function memoryOf(bin) {
  const all = processes();
  const roots = all.filter((p) => p.exe === bin).map((p) => p.pid);
  const tree = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  let hwm = 0;
  let rss = 0;
  const names = [];
  for (const pid of tree) {
    try {
      hwm += kib(pid, "VmHWM");
      rss += kib(pid, "VmRSS");
      names.push(readFileSync(`/proc/${pid}/comm`, "utf8").trim());
    } catch {
      // gone
    }
  }
  return { peak_rss_kib: hwm, rss_kib: rss, processes: names };
}

async function launchOnce(driver, t, round) {
  const t0 = Date.now();
  const session = await Session.create(driver.base, t.bin);
  try {
    const sessionReady = Date.now();
    const r = await session.cmd("POST", "/execute/async", { script: WAIT_SCRIPT, args: [t.selector] });
    await sleep(1000);
    const mem = memoryOf(t.bin);
    return {
      figure: "startup",
      target: t.name,
      round,
      ms: r.painted - t0,
      session_ms: sessionReady - t0,
      navigation_start_ms: Math.round(r.navigationStart - t0),
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
