// Adversarial end-to-end run of the real app: forged dev.patchbay: links delivered to the
// running app the way Linux delivers any link (a second instance forwards its argv), and a
// leak hunt over the app's logs, the IPC traffic its webview saw and every file it wrote; stray
// requests to the loopback redirect listener; and a script in the window listening for the
// deep-link plugin's event while links are delivered.
// Each family writes its summary line to target/adversarial/<family>.txt.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { APP, ROOT, appGone, makeTestBrowserTheDefault, prepareWelcome } from "./app.mjs";
import { startSandbox } from "./sandbox.mjs";
import { Session, freePort, sleep, waitFor } from "./webdriver.mjs";
import { startRecordingProxy } from "../adversarial/proxy.mjs";
import { installEventSpy } from "./flows.mjs";
import { summary } from "./summary.mjs";

let sandbox;
let proxy;
let browserDir;
let env;
let app;
let appLog = "";

/** Like webdriver.mjs's startDriver, but keeps what the app writes to stderr (its log). */
async function startDriverCapturing(driverEnv) {
  const port = await freePort();
  const nativePort = await freePort();
  const child = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env: driverEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (d) => {
    appLog += d.toString("utf8");
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const base = `http://127.0.0.1:${port}`;
  await waitFor("tauri-driver to listen", async () => (await fetch(`${base}/status`)).ok, { timeoutMs: 15000 });
  return {
    base,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([new Promise((r) => child.once("exit", r)), sleep(3000)]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      // A WebKit process that outlived the driver would hold these pipes open, and with
      // them this test file.
      child.stdout.destroy();
      child.stderr.destroy();
    },
  };
}

const tokenRequests = async () => (await sandbox.requests()).filter((r) => r.grant_type).length;
const deepLinksSeen = () => appLog.split("deep link arrived").length - 1;
/** Links whose handling is over (the app logs "deep link handled" once all it caused is done). */
const deepLinksHandled = () => appLog.split("deep link handled").length - 1;

/** Every provider's tiles, through the window's own IPC. */
async function listTiles() {
  const tiles = await app.session.cmd("POST", "/execute/async", {
    script:
      "const done = arguments[arguments.length - 1];" +
      "window.__TAURI_INTERNALS__.invoke('list_providers').then((t) => done(t), (e) => done({ error: String(e) }));",
    args: [],
  });
  if (!Array.isArray(tiles)) throw new Error(`list_providers: ${JSON.stringify(tiles)}`);
  return tiles;
}

/** Every provider's state, summed up as its tile's data-state (ui/README.md). */
async function states() {
  const summary = (t) => {
    if (t.waiting_authorize_url !== null) return "waiting_for_approval";
    const kinds = t.accounts.map((a) => a.state.kind);
    if (kinds.length === 0) return "not_connected";
    if (kinds.includes("connected")) return "connected";
    if (kinds.includes("needs_reconnect")) return "needs_reconnect";
    return "unavailable";
  };
  return Object.fromEntries((await listTiles()).map((t) => [t.id, summary(t)]));
}

/** Starts `patchbay URL` as a second instance and waits for it to forward and exit. */
function secondInstance(url) {
  return new Promise((resolveRun) => {
    let child;
    try {
      child = spawn(APP, [url], { env: { ...process.env, ...env }, stdio: "ignore" });
    } catch (e) {
      resolveRun({ spawnError: e.code ?? e.message });
      return;
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolveRun({ timedOut: true });
    }, 20000);
    child.once("error", (e) => {
      clearTimeout(timer);
      resolveRun({ spawnError: e.code ?? e.message });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolveRun({ code });
    });
  });
}

/** Leaves no connection behind: every waiting connect cancelled, every account disconnected. */
async function disconnectAll() {
  await app.session.cmd("POST", "/execute/async", {
    script:
      "const done = arguments[arguments.length - 1];" +
      "const T = window.__TAURI_INTERNALS__;" +
      "T.invoke('list_providers').then((tiles) => Promise.allSettled(tiles.flatMap((t) => [" +
      "  T.invoke('cancel_connect', { providerId: t.id })," +
      "  ...t.accounts.map((a) => T.invoke('disconnect', { providerId: t.id, accountId: a.account_id, keepRecords: false }))," +
      "]))).then(() => done(true), () => done(false));",
    args: [],
  });
}

/** What a script in the page hears of `deep-link://new-url` (and, as a control, of the tiles). */
const spied = () => app.session.execute("return window.__spy || {};");
const deepLinkEventsHeard = async () => ((await spied())["deep-link://new-url"] ?? []).length;
/** One entry per deep link delivered during a connect: what the window received of it. */
const linkLeaks = [];

before(async () => {
  sandbox = await startSandbox(["--records", "120", "--seed", "3"]);
  proxy = await startRecordingProxy(sandbox.url);
  browserDir = mkdtempSync(join(tmpdir(), "patchbay-adv-browser-"));
  makeTestBrowserTheDefault();
  env = {
    PATCHBAY_SANDBOX_URL: proxy.url,
    BROWSER: resolve(ROOT, "tests/e2e/browser.mjs"),
    PATCHBAY_TEST_BROWSER_DIR: browserDir,
    RUST_LOG: "debug",
  };
  prepareWelcome(true, env);
  const driver = await startDriverCapturing({ ...process.env, ...env });
  let session;
  try {
    session = await Session.create(driver.base, APP);
  } catch (e) {
    await driver.stop();
    throw e;
  }
  app = {
    session,
    async close() {
      await session.delete();
      await driver.stop();
      await appGone();
    },
  };
  // Record everything the Rust side hands the webview: command answers and event payloads
  // all arrive through __TAURI_INTERNALS__'s callback table.
  await waitFor("the window's IPC", () =>
    app.session.execute("return !!(window.__TAURI_INTERNALS__ && window.__TAURI_INTERNALS__.callbacks);"),
  );
  await disconnectAll();
  await app.session.execute(`
    const cbs = window.__TAURI_INTERNALS__.callbacks;
    window.__advCapture = [];
    const wrap = (fn) => (data) => {
      try { window.__advCapture.push(JSON.stringify(data)); } catch (e) { window.__advCapture.push(String(e)); }
      return fn(data);
    };
    for (const [id, fn] of [...cbs]) cbs.set(id, wrap(fn));
    const set = cbs.set.bind(cbs);
    cbs.set = (id, fn) => set(id, wrap(fn));
    return true;`);
  // A script in the page subscribes to the deep-link plugin's event, as a hostile one would.
  await installEventSpy(app.session, ["deep-link://new-url", "providers-changed"]);
});

/** Resolves when `promise` settles or after `ms`, whichever comes first (clean-up never hangs). */
const bounded = (promise, ms) => Promise.race([promise.catch(() => {}), sleep(ms)]);

after(async () => {
  const started = Date.now();
  if (app) await bounded(disconnectAll(), 15000);
  await bounded(app?.close() ?? Promise.resolve(), 15000);
  await bounded(proxy?.close() ?? Promise.resolve(), 5000);
  await bounded(sandbox?.stop() ?? Promise.resolve(), 5000);
  console.error(`adversarial e2e clean-up took ${Date.now() - started} ms`);
});

test("connect, then forged links through a second instance: refused, no token request, app stays up", async () => {
  writeFileSync(join(browserDir, "decision"), "allow");
  const genuineSeen = deepLinksSeen();
  const genuineHeard = await deepLinkEventsHeard();
  await app.session.click(await waitFor("the WhatConverts tile", () => app.session.find('[data-testid="tile-whatconverts"]')));
  await waitFor("WhatConverts connected", async () => (await states()).whatconverts === "connected", { timeoutMs: 30000 });
  linkLeaks.push({
    name: "the genuine WhatConverts approval",
    delivered: deepLinksSeen() - genuineSeen,
    received: (await deepLinkEventsHeard()) - genuineHeard,
  });
  await waitFor(
    "the 120 leads in the table",
    async () => (await app.session.text(await app.session.find('[data-testid="row-count"]'))).startsWith("120 of 120"),
    { timeoutMs: 30000 },
  );
  const used = readFileSync(join(browserDir, "browser.log"), "utf8");
  assert.match(used, /handed over: exit 0/);
  // The genuine link's state (from the authorize URL the browser opened) and code (the
  // proxy's first record), for the replay case.
  const opened = readFileSync(join(browserDir, "opened.txt"), "utf8").trim().split("\n");
  const wcAuthorize = new URL(opened.at(-1));
  const wcState = wcAuthorize.searchParams.get("state");
  const codes = proxy.secrets();

  // A pending request the forged links can aim at: ClickFunnels waiting for approval.
  writeFileSync(join(browserDir, "decision"), "ignore");
  await app.session.execute(
    "window.__TAURI_INTERNALS__.invoke('connect', { providerId: 'clickfunnels' }); return true;",
  );
  await waitFor("ClickFunnels waiting", async () => (await states()).clickfunnels === "waiting_for_approval");
  const cfAuthorize = await waitFor("the browser to open the ClickFunnels page", () => {
    const lines = readFileSync(join(browserDir, "opened.txt"), "utf8").trim().split("\n");
    return lines.length > opened.length ? new URL(lines.at(-1)) : null;
  });
  const cfState = cfAuthorize.searchParams.get("state");
  assert.notEqual(cfState, wcState);

  const r = "dev.patchbay:/oauth/callback";
  const iss = (p) => encodeURIComponent(`${proxy.url}/${p}`);
  const fakeCode = "A".repeat(43);
  const cases = [
    ["wrong state", `${r}?code=${fakeCode}&state=${"B".repeat(43)}&iss=${iss("clickfunnels")}`],
    ["replayed state (the link already used)", `${r}?code=${codes[0] ?? fakeCode}&state=${wcState}&iss=${iss("whatconverts")}`],
    ["no state", `${r}?code=${fakeCode}&iss=${iss("clickfunnels")}`],
    ["wrong path", `dev.patchbay:/oauth/other?code=${fakeCode}&state=${cfState}&iss=${iss("clickfunnels")}`],
    ["duplicated state", `${r}?code=${fakeCode}&state=${cfState}&state=${cfState}&iss=${iss("clickfunnels")}`],
    ["duplicated code", `${r}?code=${fakeCode}&code=x&state=${cfState}&iss=${iss("clickfunnels")}`],
    ["extra parameters, forged state", `${r}?code=${fakeCode}&state=forged&access_token=x&redirect_uri=https%3A%2F%2Fevil.example`],
    ["error callback with an unknown state", `${r}?error=access_denied&state=unknown&iss=${iss("clickfunnels")}`],
    ["invalid percent-encoding", `${r}?code=%ZZ&state=%G1%&iss=${iss("clickfunnels")}`],
    ["invalid UTF-8", `${r}?code=%C3%28&state=%FF%FE%ED%A0%80&iss=${iss("clickfunnels")}`],
    ["120 KiB URL", `${r}?code=${fakeCode}&state=x&pad=${"A".repeat(120 * 1024)}`],
    ["1 MB URL", `${r}?code=${fakeCode}&state=x&pad=${"A".repeat(1024 * 1024)}`],
    // Last: these carry ClickFunnels' genuine state, so they abort its request (RFC 9207).
    ["wrong iss", `${r}?code=${fakeCode}&state=${cfState}&iss=${encodeURIComponent("https://evil.example/clickfunnels")}`],
  ];
  // The app reads the link raw from argv (a parsed URL would resolve `/oauth/./callback` to
  // `/oauth/callback`), so even with a genuine state this wrong path must be refused before
  // any token request. Needs a fresh pending request.
  const pkceCases = new Set();
  cases.push([
    "wrong path (dot segment) with a genuine state and a forged code",
    async () => {
      await app.session.execute("window.__TAURI_INTERNALS__.invoke('connect', { providerId: 'boomtown' }); return true;");
      const before = readFileSync(join(browserDir, "opened.txt"), "utf8").trim().split("\n").length;
      const bt = await waitFor("the browser to open the BoomTown page", () => {
        const lines = readFileSync(join(browserDir, "opened.txt"), "utf8").trim().split("\n");
        return lines.length >= before && lines.at(-1).includes("/boomtown/") ? new URL(lines.at(-1)) : null;
      });
      return `dev.patchbay:/oauth/./callback?code=${fakeCode}&state=${bt.searchParams.get("state")}&iss=${iss("boomtown")}`;
    },
  ]);
  const results = [];
  for (const [name, link] of cases) {
    const url = typeof link === "function" ? await link() : link;
    const tokensBefore = await tokenRequests();
    const seenBefore = deepLinksSeen();
    const handledBefore = deepLinksHandled();
    const heardBefore = await deepLinkEventsHeard();
    const run = await secondInstance(url);
    const result = { name };
    if (run.spawnError) {
      // Linux refuses an argument over MAX_ARG_STRLEN (128 KiB) before any program runs: not
      // a rejection by the app (tests/adversarial-allowlist.toml says why it is excused).
      result.undelivered = `refused by the OS (${run.spawnError}); never delivered`;
    } else if (run.timedOut) {
      result.lost = "the second instance did not exit (it did not forward the link)";
    } else {
      // Counted once the app says the link's handling is over, not after a pause.
      await waitFor(`the app to handle "${name}"`, async () => deepLinksHandled() > handledBefore).catch(() => {
        result.lost = deepLinksSeen() > seenBefore ? "the app never finished handling the link" : "the running app never saw the link";
      });
      linkLeaks.push({ name, delivered: deepLinksSeen() - seenBefore, received: (await deepLinkEventsHeard()) - heardBefore });
    }
    if (!result.lost && !result.undelivered) {
      const alive = await app.session.execute("return document.readyState;").catch((e) => `dead: ${e.message}`);
      const st = await states().catch((e) => ({ error: e.message }));
      const tokensAfter = await tokenRequests();
      if (alive !== "complete") result.lost = `the window is not answering: ${alive}`;
      else if (tokensAfter !== tokensBefore && pkceCases.has(name)) {
        const exchanges = (await sandbox.requests()).filter((q) => q.grant_type).slice(tokensBefore);
        if (exchanges.every((q) => q.status === 400) && st.boomtown !== "connected") {
          result.note = "accepted as the genuine callback after the plugin's normalisation; the token endpoint refused the forged code (PKCE), nothing connected";
        } else {
          result.lost = `exchange answered ${exchanges.map((q) => q.status)}; BoomTown is ${st.boomtown}`;
        }
      } else if (tokensAfter !== tokensBefore) result.lost = `${tokensAfter - tokensBefore} token request(s)`;
      else if (st.whatconverts !== "connected") result.lost = `WhatConverts is now ${JSON.stringify(st)}`;
    }
    results.push(result);
  }
  // At most quiet notices: no dialog, every notice a short sentence that echoes no link.
  const notices = await app.session.execute(
    "return [...document.querySelectorAll('[data-testid=\"notice\"]')].map((n) => n.textContent.trim());",
  );
  const dialogs = await app.session.execute(
    "return [...document.querySelectorAll('dialog[open], [role=\"alertdialog\"], [role=\"dialog\"]')]" +
      ".filter((d) => !d.hidden && d.getClientRects().length > 0).length;",
  );
  results.push({
    name: "what the user saw",
    lost:
      dialogs > 0
        ? `${dialogs} dialog(s) open`
        : notices.find((n) => n.length > 300 || n.includes("dev.patchbay:") || n.includes(cfState))
          ? `a loud or leaky notice: ${notices.join(" | ")}`
          : undefined,
  });
  const { line, details } = summary("forged-links-e2e", "rejected", results);
  assert.equal(details.length, 0, `${line}\n${details.join("\n")}`);
  assert.ok((await tokenRequests()) >= 1, "the genuine connect redeemed its code");
});

/** Sends `head` as is to 127.0.0.1:port and resolves to the answer's status (0: none). */
function rawRequest(port, head) {
  return new Promise((resolveStatus) => {
    const sock = connect(port, "127.0.0.1");
    let answer = "";
    const timer = setTimeout(() => sock.destroy(), 10000);
    sock.on("data", (d) => {
      answer += d.toString("latin1");
    });
    sock.on("error", () => {});
    sock.on("close", () => {
      clearTimeout(timer);
      resolveStatus(Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0));
    });
    sock.write(head);
  });
}

test("stray requests to the loopback listener are refused and consume nothing; the genuine callback then connects", async () => {
  writeFileSync(join(browserDir, "decision"), "ignore");
  const openedBefore = readFileSync(join(browserDir, "opened.txt"), "utf8").trim().split("\n").length;
  await app.session.execute("window.__TAURI_INTERNALS__.invoke('connect', { providerId: 'webinargeek' }); return true;");
  const authorize = await waitFor("the browser to open the WebinarGeek page", () => {
    const lines = readFileSync(join(browserDir, "opened.txt"), "utf8").trim().split("\n");
    return lines.length > openedBefore && lines.at(-1).includes("/webinargeek/") ? new URL(lines.at(-1)) : null;
  });
  await waitFor("WebinarGeek waiting", async () => (await states()).webinargeek === "waiting_for_approval");
  const redirect = new URL(authorize.searchParams.get("redirect_uri"));
  assert.equal(redirect.hostname, "127.0.0.1");
  assert.equal(redirect.pathname, "/oauth/callback");
  const port = Number(redirect.port);
  const state = authorize.searchParams.get("state");
  const code = "A".repeat(43);
  const host = `127.0.0.1:${port}`;
  const get = (target, headers = [`Host: ${host}`], method = "GET") =>
    `${method} ${target} HTTP/1.1\r\n${headers.join("\r\n")}\r\nConnection: close\r\n\r\n`;
  const cb = (query) => `/oauth/callback?${query}`;
  const strays = [
    ["unknown state", get(cb(`code=${code}&state=${"B".repeat(43)}`)), 400],
    ["no state", get(cb(`code=${code}`)), 400],
    ["the genuine state twice", get(cb(`code=${code}&state=${state}&state=${state}`)), 400],
    ["an error with an unknown state", get(cb("error=access_denied&state=forged")), 400],
    ["the genuine state, Host evil.example (DNS rebinding)", get(cb(`code=${code}&state=${state}`), ["Host: evil.example"]), 400],
    ["the genuine state, Host localhost", get(cb(`code=${code}&state=${state}`), [`Host: localhost:${port}`]), 400],
    ["the genuine state, two Host headers", get(cb(`code=${code}&state=${state}`), [`Host: ${host}`, "Host: evil.example"]), 400],
    ["the genuine state, absolute-form target", get(`http://${host}${cb(`code=${code}&state=${state}`)}`), 400],
    ["the genuine state, POST", get(cb(`code=${code}&state=${state}`), [`Host: ${host}`, "Content-Length: 0"], "POST"), 405],
    ["the genuine state, dot segment in the path", get(`/oauth/./callback?code=${code}&state=${state}`), 404],
  ];
  const cases = [];
  let answered400 = 0;
  let consumed = 0;
  for (const [name, head, expected] of strays) {
    const tokensBefore = await tokenRequests();
    const status = await rawRequest(port, head);
    if (status === 400) answered400++;
    const st = (await states()).webinargeek;
    const tokens = (await tokenRequests()) - tokensBefore;
    if (tokens > 0 || st !== "waiting_for_approval") consumed++;
    cases.push({
      name,
      lost:
        status !== expected
          ? `answered ${status}, not ${expected}`
          : tokens > 0
            ? `${tokens} token request(s)`
            : st !== "waiting_for_approval"
              ? `the pending connect is gone: WebinarGeek is ${st}`
              : undefined,
    });
  }
  // The real approval still completes: nothing above used up the listener or the state.
  writeFileSync(join(browserDir, "decision"), "allow");
  const tokensBefore = await tokenRequests();
  const linksBefore = deepLinksSeen();
  // Not spawnSync: the recording proxy the browser talks to runs in this process.
  const run = await new Promise((done) => {
    const child = spawn(process.execPath, [resolve(ROOT, "tests/e2e/browser.mjs"), authorize.href], {
      env: { ...process.env, ...env },
      stdio: "ignore",
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 40000);
    child.once("exit", (status) => {
      clearTimeout(timer);
      done({ status });
    });
  });
  const connected = await waitFor("WebinarGeek connected", async () => (await states()).webinargeek === "connected", {
    timeoutMs: 20000,
  }).catch(() => false);
  const log = readFileSync(join(browserDir, "browser.log"), "utf8");
  cases.push({
    name: "the genuine callback after the strays",
    lost: !connected
      ? `WebinarGeek is ${(await states()).webinargeek} (browser exit ${run.status}; ${log.trim().split("\n").at(-1)})`
      : (await tokenRequests()) - tokensBefore !== 1
        ? `${(await tokenRequests()) - tokensBefore} token requests, not 1`
        : !/loopback answered 200: Connected/.test(log)
          ? "the browser tab was not told it connected"
          : deepLinksSeen() !== linksBefore
            ? "a deep link was used"
            : undefined,
  });
  // Once done, the listener is gone: a late copy of the callback reaches nothing.
  const late = await rawRequest(port, get(cb(`code=${code}&state=${state}`)));
  cases.push({ name: "a callback after the connection", lost: late === 0 ? undefined : `answered ${late}` });
  const otherRefusals = cases.slice(0, strays.length).filter((c, i) => !c.lost && strays[i][2] !== 400).length;
  const { line, details } = summary(
    "loopback-strays",
    "as expected",
    cases,
    `stray requests ${strays.length}: refused 400 ${answered400}, refused 404/405 ${otherRefusals}, consumed ${consumed}; then the genuine callback and a late copy`,
  );
  assert.equal(details.length, 0, `${line}\n${details.join("\n")}`);
  assert.equal(consumed, 0);
});

test("deep links delivered during connects never reach the window's deep-link event", async () => {
  const heard = await spied();
  const cases = linkLeaks.map((l) => ({
    name: l.name,
    delivered: l.delivered,
    lost: l.received > 0 ? `the window received ${l.received} deep-link event(s)` : undefined,
  }));
  const delivered = linkLeaks.reduce((n, l) => n + l.delivered, 0);
  const received = (heard["deep-link://new-url"] ?? []).length;
  // The spy works: it heard the tiles change during those connects.
  cases.push({
    name: "control: the same subscription hears providers-changed",
    lost: (heard["providers-changed"] ?? []).length > 0 ? undefined : "the spy heard nothing at all",
  });
  cases.push({
    name: "links delivered at all",
    lost: delivered >= 2 ? undefined : `only ${delivered} link(s) reached the app`,
  });
  cases.push({ name: "nothing heard since", lost: received > 0 ? `${received} deep-link event(s) in all` : undefined });
  const { line, details } = summary(
    "deep-link-leak",
    "withheld",
    cases,
    `links delivered during connects ${delivered}, received by the window ${received}`,
  );
  assert.equal(details.length, 0, `${line}\n${details.join("\n")}`);
});

/** Every file under `dir`, skipping gnome-keyring's encrypted store and FUSE mounts. */
function filesUnder(dir, out = []) {
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.name === "keyrings" || p.endsWith("/.cache/doc")) continue;
    if (e.isDirectory()) filesUnder(p, out);
    else if (e.isFile() && statSync(p).size < 256 * 1024 * 1024) out.push(p);
  }
  return out;
}

test("no token, code or verifier in the logs, the IPC traffic or any file the app wrote", async () => {
  const secrets = proxy.secrets();
  const results = [];
  results.push({
    name: "the proxy saw the secrets to look for",
    lost: secrets.length >= 4 ? undefined : `only ${secrets.length} secrets recorded`,
  });
  const ipc = await app.session.execute("return window.__advCapture || [];");
  results.push({
    name: "the IPC hook saw traffic",
    lost: ipc.length > 0 && ipc.join("").includes("whatconverts") ? undefined : `${ipc.length} messages captured`,
  });
  const page = await app.session.execute(
    "return document.documentElement.outerHTML + JSON.stringify(Object.assign({}, localStorage, sessionStorage));",
  );
  const home = process.env.HOME;
  // The file log writer is non-blocking: wait until the file holds as many "deep link
  // handled" lines as stderr showed (the writer keeps order, so everything before is there).
  const logText = () =>
    filesUnder(home)
      .filter((f) => f.includes("dev.patchbay.desktop/logs"))
      .map((f) => readFileSync(f, "utf8"))
      .join("");
  await waitFor("the log file to hold every line stderr showed", () =>
    logText().split("deep link handled").length === appLog.split("deep link handled").length,
  );
  const places = [
    ["app stderr log", appLog],
    ["webview IPC capture", ipc.join("\n")],
    ["webview DOM and storage", page],
  ];
  for (const f of filesUnder(home)) places.push([`file ${f.slice(home.length)}`, readFileSync(f).toString("latin1")]);
  const logFiles = places.filter(([n]) => n.includes("dev.patchbay.desktop/logs"));
  results.push({
    name: "the app's log file exists",
    lost: logFiles.length > 0 ? undefined : "no file under $XDG_DATA_HOME/dev.patchbay.desktop/logs",
  });
  // The scan itself finds a planted secret (so a clean result means something).
  places.push(["planted canary (must be found)", `log line ${secrets[0]} end`]);
  for (const [name, text] of places) {
    if (name.startsWith("planted")) {
      results.push({ name, lost: secrets.some((s) => text.includes(s)) ? undefined : "the scan missed it" });
      continue;
    }
    const hits = secrets.filter((s) => text.includes(s));
    results.push({
      name,
      lost: hits.length ? `${hits.length} secret(s) found (e.g. …${hits[0].slice(-6)})` : undefined,
    });
  }
  const { line, details } = summary("leaks", "clean", results);
  assert.equal(details.length, 0, `${line}\n${details.join("\n")}`);
});

/** Permission bits of a path (what `stat -c %a` prints, as a number). */
const modeOf = (p) => statSync(p).mode & 0o777;

test("the cache, the settings and the logs are private: files 0600, folders 0700 (stat)", () => {
  // The app has connected and synced by now, so its cache, settings and log exist; they hold
  // customers' names, emails and phones, and must not be readable by other local users
  // whatever the umask (issue 18).
  const home = process.env.HOME;
  const ours = filesUnder(home).filter((f) => f.includes("/dev.patchbay.desktop/"));
  const app = ours.length > 0 ? ours[0].slice(0, ours[0].indexOf("/dev.patchbay.desktop/") + "/dev.patchbay.desktop".length) : null;
  const caches = ours.filter((f) => /\/records\.sqlite3(-wal|-shm)?$/.test(f));
  const logs = ours.filter((f) => f.includes("/dev.patchbay.desktop/logs/"));
  const settings = ours.filter((f) => /\/settings\.json$/.test(f));
  const results = [
    { name: "the app's data folder exists", lost: app ? undefined : `nothing under ${home} in dev.patchbay.desktop` },
    { name: "the cache file exists", lost: caches.some((f) => f.endsWith("records.sqlite3")) ? undefined : "no records.sqlite3" },
    { name: "a log file exists", lost: logs.length > 0 ? undefined : "no file in dev.patchbay.desktop/logs" },
  ];
  const folders = new Set([app, ...caches.map((f) => f.slice(0, f.lastIndexOf("/"))), ...logs.map((f) => f.slice(0, f.lastIndexOf("/")))]);
  for (const dir of folders) {
    if (!dir) continue;
    const mode = modeOf(dir);
    results.push({ name: `folder ${dir.slice(home.length)} is 0700`, lost: mode === 0o700 ? undefined : `mode ${mode.toString(8)}` });
  }
  for (const file of [...caches, ...logs, ...settings]) {
    const mode = modeOf(file);
    results.push({ name: `file ${file.slice(home.length)} is 0600`, lost: mode === 0o600 ? undefined : `mode ${mode.toString(8)}` });
  }
  const { line, details } = summary("private-files", "private", results);
  assert.equal(details.length, 0, `${line}\n${details.join("\n")}`);
});
