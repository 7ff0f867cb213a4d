// Adversarial end-to-end run of the real app: forged dev.patchbay: links delivered to the
// running app the way Linux delivers any link (a second instance forwards its argv), and a
// leak hunt over the app's logs, the IPC traffic its webview saw and every file it wrote.
// Each family writes its summary line to target/adversarial/<family>.txt.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { APP, ROOT, appGone, makeTestBrowserTheDefault } from "./app.mjs";
import { startSandbox } from "./sandbox.mjs";
import { Session, freePort, sleep, waitFor } from "./webdriver.mjs";
import { startRecordingProxy } from "../adversarial/proxy.mjs";

const SUMMARY = resolve(ROOT, "target/adversarial");
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

function summary(family, verb, cases) {
  const lost = cases.filter((c) => c.lost);
  const line = `adversarial ${family}: tried ${cases.length}, ${verb} ${cases.length - lost.length}, lost ${lost.length}`;
  const notes = cases.filter((c) => c.note).map((c) => `  note: ${c.name}: ${c.note}`);
  const details = lost.map((c) => `  lost: ${c.name}: ${c.lost}`);
  mkdirSync(SUMMARY, { recursive: true });
  writeFileSync(join(SUMMARY, `${family}.txt`), [line, ...notes, ...details, ""].join("\n"));
  console.error(line);
  return { line, details };
}

const tokenRequests = async () => (await sandbox.requests()).filter((r) => r.grant_type).length;
const deepLinksSeen = () => appLog.split("deep link arrived").length - 1;

/** Every provider's state, through the window's own IPC. */
async function states() {
  const tiles = await app.session.cmd("POST", "/execute/async", {
    script:
      "const done = arguments[arguments.length - 1];" +
      "window.__TAURI_INTERNALS__.invoke('list_providers').then((t) => done(t), (e) => done({ error: String(e) }));",
    args: [],
  });
  return Object.fromEntries(tiles.map((t) => [t.id, t.state.kind]));
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

/** Leaves no connection behind in the shared keychain (the other e2e files start clean). */
async function disconnectAll() {
  await app.session.cmd("POST", "/execute/async", {
    script:
      "const done = arguments[arguments.length - 1];" +
      "const ids = ['whatconverts', 'clickfunnels', 'webinargeek', 'boomtown', 'emailoctopus'];" +
      "Promise.allSettled(ids.flatMap((id) => [" +
      "  window.__TAURI_INTERNALS__.invoke('cancel_connect', { providerId: id })," +
      "  window.__TAURI_INTERNALS__.invoke('disconnect', { providerId: id, keepRecords: false })," +
      "])).then(() => done(true));",
    args: [],
  });
}

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
  await app.session.click(await waitFor("the WhatConverts tile", () => app.session.find('[data-testid="tile-whatconverts"]')));
  await waitFor("WhatConverts connected", async () => (await states()).whatconverts === "connected", { timeoutMs: 30000 });
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
    const run = await secondInstance(url);
    const result = { name };
    if (run.spawnError) {
      // Linux refuses an argument over MAX_ARG_STRLEN (128 KiB) before any program runs.
      result.note = `refused by the OS (${run.spawnError}); never delivered`;
    } else if (run.timedOut) {
      result.lost = "the second instance did not exit (it did not forward the link)";
    } else {
      await waitFor(`the app to receive "${name}"`, async () => deepLinksSeen() > seenBefore, { timeoutMs: 10000 }).catch(
        () => {
          result.lost = "the running app never saw the link";
        },
      );
      await sleep(300);
    }
    if (!result.lost) {
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
  await sleep(1500); // the file log writer is non-blocking: let it flush
  const home = process.env.HOME;
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
