// Every user path of the real world (demo mode off) end to end in the real window, with the
// real definitions overridden (as a user could, in $XDG_CONFIG_HOME/patchbay/providers) to
// point at loopback sandboxes while keeping their real connection methods:
// ClickFunnels' RFC 8414 discovery and RFC 7591 dynamic registration, BoomTown's confidential
// client (client id in Settings, client secret in the keychain), and a sync of a big
// WhatConverts collection that the app is killed in the middle of and resumes after a restart.
// Talks to 127.0.0.1 only.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { APP, ROOT, SHOTS, appGone, launch, makeTestBrowserTheDefault, prepareWelcome } from "./app.mjs";
import {
  accounts,
  backToTiles,
  clickTestId,
  invoke,
  rowCount,
  sandboxCounts,
  setDemoMode,
  submitKeyForm,
  testBrowser,
  tileState,
  waitForRecords,
} from "./flows.mjs";
import { startSandbox } from "./sandbox.mjs";
import { Session, startDriver, waitFor } from "./webdriver.mjs";

const BT_CLIENT_ID = "bt-client-e2e";
const BT_SECRET = "bt-secret-e2e-7f3k9q";
const BT_WRONG_SECRET = "bt-secret-e2e-wrong-2m8x";
const BIG = 20000;
const WC_KEY = { api_token: "wc-sandbox-token-1", api_secret: "wc-sandbox-secret-1" };

let oauthSandbox; // ClickFunnels and BoomTown, OAuth as the real ones do it
let bigSandbox; // WhatConverts with its real API key and BIG slow leads
let browser;
let env;
let counts;

/** An access token for `provider` from the OAuth sandbox, as its registered client. */
async function token(base, provider) {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const redirect = "dev.patchbay:/oauth/callback";
  const opts = { signal: AbortSignal.timeout(10000) };
  const q = new URLSearchParams({
    response_type: "code",
    client_id: BT_CLIENT_ID,
    redirect_uri: redirect,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state: randomBytes(16).toString("base64url"),
  });
  const page = await (await fetch(`${base}/${provider}/oauth/authorize?${q}`, opts)).text();
  const consent = /name="consent" value="([^"]+)"/.exec(page)?.[1];
  if (!consent) throw new Error(`no consent form for ${provider}: ${page.slice(0, 200)}`);
  const res = await fetch(`${base}/${provider}/oauth/authorize`, {
    ...opts,
    method: "POST",
    body: new URLSearchParams({ consent, decision: "allow" }),
    redirect: "manual",
  });
  const code = new URL(res.headers.get("location")).searchParams.get("code");
  const form = { grant_type: "authorization_code", code, redirect_uri: redirect, client_id: BT_CLIENT_ID, code_verifier: verifier };
  if (provider === "boomtown") form.client_secret = BT_SECRET;
  const t = await fetch(`${base}/${provider}/oauth/token`, { ...opts, method: "POST", body: new URLSearchParams(form) });
  if (!t.ok) throw new Error(`token for ${provider}: ${t.status} ${await t.text()}`);
  return (await t.json()).access_token;
}

/** A real definition pointed at a sandbox, its connection method kept (ProviderDef::point_at). */
function pointAt(id, base, edits) {
  let text = readFileSync(resolve(ROOT, `crates/patchbay-core/providers/${id}.toml`), "utf8");
  for (const [from, to] of edits) {
    assert.ok(text.includes(from), `the built-in ${id} definition has ${from}`);
    text = text.replace(from, to);
  }
  return text.replaceAll("{BASE}", base);
}

/** The keychain users (`provider/account/item`) under a service, read over the Secret Service. */
function keychainUsers(service) {
  const gdbus = (...args) => execFileSync("gdbus", ["call", "--session", "--dest", "org.freedesktop.secrets", ...args], { encoding: "utf8" });
  const found = gdbus(
    "--object-path", "/org/freedesktop/secrets",
    "--method", "org.freedesktop.Secret.Service.SearchItems", `{'service': '${service}'}`,
  );
  const items = [...found.matchAll(/'(\/org\/freedesktop\/secrets\/collection\/[^']+)'/g)].map((m) => m[1]);
  return items
    .map((item) => {
      const attrs = gdbus("--object-path", item, "--method", "org.freedesktop.DBus.Properties.Get", "org.freedesktop.Secret.Item", "Attributes");
      return /'username': '([^']*)'/.exec(attrs)?.[1] ?? `?${attrs}`;
    })
    .sort();
}

/** The whole document, with the values typed into inputs (not in outerHTML). */
const domText = (session) =>
  session.execute(
    "return document.documentElement.outerHTML + '\\n' + [...document.querySelectorAll('input, textarea')].map((i) => i.value).join('\\n');",
  );

/** What the window shows as errors and notices, joined; '' when nothing. */
const shownErrors = (session, provider) =>
  session.execute(
    "return [...document.querySelectorAll(arguments[0] + ' [data-testid=\"error\"], [data-testid=\"notice\"]')]" +
      ".filter((e) => !e.hidden).map((e) => e.textContent.trim()).filter((t) => t).join(' | ');",
    [`[data-testid="tile-item-${provider}"]`],
  );

/** Opens Settings and waits until its fields show the saved settings. */
async function openSettings(session) {
  await backToTiles(session);
  await clickTestId(session, "settings", "the Settings button");
  // Loaded: the fields of an earlier visit are replaced once the settings arrive.
  await waitFor("the BoomTown settings", () => session.find('[data-testid="settings-page"][aria-busy="false"] [data-testid="client-secret-boomtown"]'));
}

async function saveSettings(session) {
  await clickTestId(session, "save-settings");
  await waitFor("Settings saved", async () => (await session.text(await session.find('[data-testid="settings-status"]'))) === "Settings saved.");
}

async function typeInto(session, testid, value) {
  const input = await session.find(`[data-testid="${testid}"]`);
  await session.cmd("POST", `/element/${input}/clear`, {});
  await session.type(input, value);
}

before(async () => {
  oauthSandbox = await startSandbox([
    "--records", "40", "--seed", "11",
    "--client-id", BT_CLIENT_ID,
    "--client-secret", `boomtown=${BT_SECRET}`,
    "--non-expiring", "clickfunnels",
  ]);
  bigSandbox = await startSandbox([
    "--records", String(BIG), "--seed", "12",
    "--auth", "whatconverts=api-key",
    // Every API call takes a while, so the sync of BIG leads is under way long enough to be cut.
    "--faults", "latency=100ms..150ms",
  ]);
  const tokens = {};
  counts = await sandboxCounts(oauthSandbox.url, async (p) => {
    tokens[p] ??= await token(oauthSandbox.url, p);
    return { authorization: `Bearer ${tokens[p]}` };
  });
  const dir = join(process.env.XDG_CONFIG_HOME, "patchbay", "providers");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "clickfunnels.toml"), pointAt("clickfunnels", oauthSandbox.url, [
    ['discovery = "https://accounts.myclickfunnels.com"', 'discovery = "{BASE}/clickfunnels"'],
    ['api_base = "https://{workspace_subdomain}.myclickfunnels.com/api/v2"', 'api_base = "{BASE}/clickfunnels/api/v2"'],
    ['url = "https://accounts.myclickfunnels.com/api/v2/me"\n', ""],
  ]));
  writeFileSync(join(dir, "boomtown.toml"), pointAt("boomtown", oauthSandbox.url, [
    ['issuer = "https://auth.boomtownroi.com"', 'issuer = "{BASE}/boomtown"'],
    ['authorize_url = "https://auth.boomtownroi.com/oauth/authorize"', 'authorize_url = "{BASE}/boomtown/oauth/authorize"'],
    ['token_url = "https://auth.boomtownroi.com/oauth/token"', 'token_url = "{BASE}/boomtown/oauth/token"'],
    ['revoke_url = "https://auth.boomtownroi.com/oauth/revoke"', 'revoke_url = "{BASE}/boomtown/oauth/revoke"'],
    ['api_base = "https://api.boomtownroi.com/v1"', 'api_base = "{BASE}/boomtown/v1"'],
  ]));
  // Pages of 250 (not the API's largest), so the big sync has many pages to be cut between.
  const wc = pointAt("whatconverts", bigSandbox.url, [
    ['api_base = "https://app.whatconverts.com/api/v1"', 'api_base = "{BASE}/whatconverts/api/v1"'],
  ]);
  const paged = wc.replace(/(size_param = "leads_per_page", page_size = )\d+/, "$1250");
  assert.match(paged, /size_param = "leads_per_page", page_size = 250\b/);
  writeFileSync(join(dir, "whatconverts.toml"), paged);
  const browserDir = mkdtempSync(join(tmpdir(), "patchbay-realmode-browser-"));
  browser = testBrowser(browserDir);
  browser.decide("allow");
  makeTestBrowserTheDefault();
  env = {
    // The demo world's sandbox: never used here (demo mode is off), but never the internet.
    PATCHBAY_SANDBOX_URL: oauthSandbox.url,
    BROWSER: resolve(ROOT, "tests/e2e/browser.mjs"),
    PATCHBAY_TEST_BROWSER_DIR: browserDir,
  };
  // Demo mode off, then a restart: a window keeps the connect methods of the world it started in.
  const app = await launch({ env });
  try {
    await waitFor("the tiles", () => app.session.find('[data-testid="tile-clickfunnels"]'));
    await setDemoMode(app.session, false);
  } finally {
    await app.close();
  }
});

after(async () => {
  await oauthSandbox?.stop();
  await bigSandbox?.stop();
});

/** Launches the app in the real world and waits for its tiles. */
async function launchReal() {
  const app = await launch({ env });
  try {
    await waitFor("the tiles", () => app.session.find('[data-testid="tile-clickfunnels"]'));
    assert.equal((await invoke(app.session, "get_settings")).demo_mode, false, "the real world is shown");
  } catch (e) {
    await app.close();
    throw e;
  }
  return app;
}

// The app's ClickFunnels requests (after the ones before() made to count the sandbox's records).
let cfStart = 0;
const cfLog = async () =>
  (await oauthSandbox.requests()).slice(cfStart).filter((r) => r.provider === "clickfunnels" || r.path.includes("clickfunnels"));

test("ClickFunnels: discovery and dynamic registration on first connect, none on the second", async () => {
  cfStart = (await oauthSandbox.requests()).length;
  const app = await launchReal();
  try {
    const list = await invoke(app.session, "list_providers");
    assert.equal(list.find((t) => t.id === "clickfunnels").auth.kind, "oauth");
    assert.equal(await tileState(app.session, "clickfunnels"), "not_connected");
    await clickTestId(app.session, "tile-clickfunnels");
    await waitForRecords(app.session, "clickfunnels", counts.clickfunnels).catch((e) => {
      throw new Error(`${e.message}\nbrowser log:\n${browser.log()}\nshown: ${JSON.stringify(counts)}`);
    });
    const log = await cfLog();
    const metadata = log.filter((r) => r.method === "GET" && r.path === "/.well-known/oauth-authorization-server/clickfunnels");
    const registrations = log.filter((r) => r.method === "POST" && r.path === "/clickfunnels/oauth/register");
    assert.ok(metadata.length >= 1 && metadata.every((r) => r.status === 200), `the metadata was read: ${JSON.stringify(metadata)}`);
    assert.deepEqual(registrations.map((r) => r.status), [201], "exactly one registration, accepted");
    const grants = log.filter((r) => r.path === "/clickfunnels/oauth/token");
    assert.deepEqual(grants.map((r) => [r.grant_type, r.status]), [["authorization_code", 200]]);
    // The order a client must follow: discover, register, then authorize with the new client.
    const firstMeta = log.indexOf(metadata[0]);
    const reg = log.indexOf(registrations[0]);
    const authorize = log.findIndex((r) => r.path === "/clickfunnels/oauth/authorize");
    assert.ok(firstMeta < reg && reg < authorize, `metadata ${firstMeta} < register ${reg} < authorize ${authorize}`);
    const authQuery = new URLSearchParams(log[authorize].query);
    assert.notEqual(authQuery.get("client_id"), BT_CLIENT_ID, "the registered client id, not the sandbox's static one");

    await backToTiles(app.session);
    const first = await accounts(app.session, "clickfunnels");
    assert.deepEqual(first.map((a) => [a.name, a.state]), [["Acme Marketing", "connected"]]);
    assert.equal(await tileState(app.session, "clickfunnels"), "connected");
    await app.session.screenshot(resolve(SHOTS, "realmode-clickfunnels.png"));

    // Add another account; the same ClickFunnels account approves again.
    const mark = (await cfLog()).length;
    await clickTestId(app.session, "add-account-clickfunnels", "Add another account");
    await waitFor("a second code redemption", async () =>
      (await cfLog()).slice(mark).some((r) => r.path === "/clickfunnels/oauth/token" && r.grant_type === "authorization_code" && r.status === 200),
    ).catch((e) => {
      throw new Error(`${e.message}\nbrowser log:\n${browser.log()}`);
    });
    await backToTiles(app.session).catch(() => {});
    await waitFor("the connect to settle", async () => (await tileState(app.session, "clickfunnels")) === "connected");
    const again = (await cfLog()).slice(mark);
    assert.equal(again.filter((r) => r.path === "/clickfunnels/oauth/register").length, 0, "no second registration");
    assert.equal(
      again.filter((r) => r.path === "/clickfunnels/oauth/authorize" && new URLSearchParams(r.query).get("client_id") === authQuery.get("client_id")).length >= 1,
      true,
      "the second connect authorized with the client registered the first time",
    );
    const second = await waitFor("one ClickFunnels account listed", async () => {
      const a = await accounts(app.session, "clickfunnels");
      return a.length >= 1 ? a : null;
    });
    assert.deepEqual(
      second.map((a) => [a.id, a.name, a.state]),
      [[first[0].id, "Acme Marketing", "connected"]],
      "the same account, connected once",
    );
  } finally {
    await app.close();
  }
});

let boomtownAccount;

test("BoomTown: client id and secret in Settings, connect, records; a wrong secret fails and stores nothing", async () => {
  const app = await launchReal();
  try {
    await openSettings(app.session);
    await typeInto(app.session, "client-id-boomtown", BT_CLIENT_ID);
    await typeInto(app.session, "client-secret-boomtown", BT_SECRET);
    await saveSettings(app.session);
    const settings = await invoke(app.session, "get_settings");
    const bt = settings.providers.find((p) => p.id === "boomtown");
    assert.equal(bt.client_id, BT_CLIENT_ID);
    assert.equal(bt.needs_client_secret, true);
    assert.equal(bt.client_secret_saved, true, "the secret is saved");
    assert.ok(!JSON.stringify(settings).includes(BT_SECRET), "get_settings never answers the secret");
    const hint = await app.session.execute(
      "const i = document.querySelector('[data-testid=\"client-secret-boomtown\"]'); const d = i && document.getElementById(i.getAttribute('aria-describedby')); return d ? d.textContent : '';",
    );
    assert.match(hint, /Saved in your keychain/, "the page says the secret is saved");
    assert.ok(!(await domText(app.session)).includes(BT_SECRET), "the secret's value is nowhere in the page");
    assert.ok(keychainUsers("dev.patchbay.debug.real").some((u) => u.startsWith("boomtown/")), "the secret is in the keychain");
    await app.session.screenshot(resolve(SHOTS, "realmode-boomtown-settings.png"));

    await backToTiles(app.session);
    const mark = (await oauthSandbox.requests()).length;
    await clickTestId(app.session, "tile-boomtown");
    await waitForRecords(app.session, "boomtown", counts.boomtown).catch(async (e) => {
      throw new Error(`${e.message}\nshown: ${await shownErrors(app.session, "boomtown")}\nbrowser log:\n${browser.log()}`);
    });
    const log = (await oauthSandbox.requests()).slice(mark);
    const grants = log.filter((r) => r.path === "/boomtown/oauth/token");
    assert.deepEqual(grants.map((r) => [r.grant_type, r.status]), [["authorization_code", 200]], "the confidential client's code redemption was accepted");
    const authorize = log.find((r) => r.path === "/boomtown/oauth/authorize");
    assert.equal(new URLSearchParams(authorize.query).get("client_id"), BT_CLIENT_ID, "the client id from Settings");
    assert.ok(!JSON.stringify(log).includes(BT_SECRET), "the sandbox's log never holds the secret (sent in the body)");
    const view = await app.session.find('[data-testid="records-view"]');
    boomtownAccount = await app.session.cmd("GET", `/element/${view}/attribute/data-account`);
    await backToTiles(app.session);
    const listed = await accounts(app.session, "boomtown");
    assert.deepEqual(listed.map((a) => [a.id, a.name, a.state]), [[boomtownAccount, "Carter Realty", "connected"]]);

    // A wrong secret: the sandbox refuses the client; the window says so; nothing is stored.
    await openSettings(app.session);
    await typeInto(app.session, "client-secret-boomtown", BT_WRONG_SECRET);
    await saveSettings(app.session);
    assert.ok(!(await domText(app.session)).includes(BT_WRONG_SECRET), "the new secret's value is not in the page");
    await backToTiles(app.session);
    const keysBefore = keychainUsers("dev.patchbay.debug.real");
    const wrongMark = (await oauthSandbox.requests()).length;
    await clickTestId(app.session, "add-account-boomtown", "Add another account");
    const refused = await waitFor("the sandbox to refuse the wrong secret", async () => {
      const r = (await oauthSandbox.requests()).slice(wrongMark).filter((x) => x.path === "/boomtown/oauth/token");
      return r.length > 0 ? r : null;
    }).catch((e) => {
      throw new Error(`${e.message}\nbrowser log:\n${browser.log()}`);
    });
    assert.deepEqual(refused.map((r) => r.status), [401], "the token request was refused (invalid_client)");
    const message = await waitFor("the window to say the connect failed", () => shownErrors(app.session, "boomtown"), { timeoutMs: 30000 });
    console.error(`wrong secret: the window said: ${message}`);
    await app.session.screenshot(resolve(SHOTS, "realmode-boomtown-wrong-secret.png"));
    assert.match(message, /BoomTown/, "the sentence names the provider");
    assert.match(message, /secret|client/i, "the sentence points at the client secret");
    await waitFor("the connect to stop waiting", async () => (await tileState(app.session, "boomtown")) !== "waiting_for_approval");
    const after = await accounts(app.session, "boomtown");
    assert.deepEqual(after.map((a) => [a.id, a.state]), [[boomtownAccount, "connected"]], "no account was added");
    assert.deepEqual(keychainUsers("dev.patchbay.debug.real"), keysBefore, "nothing new in the keychain");
  } finally {
    await app.close();
  }
});

// ---- restart during a sync -------------------------------------------------------------------

const APP_PATTERN = `^${APP.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}( |$)`;

/** The app's process id: the one process of our binary in this test's private X and D-Bus world. */
function appPid() {
  const r = spawnSync("pgrep", ["-f", APP_PATTERN], { encoding: "utf8" });
  const pids = r.stdout.trim().split("\n").filter(Boolean).map(Number);
  assert.equal(pids.length, 1, `one app process: ${r.stdout}`);
  return pids[0];
}

/** launch() with the driver kept, so the app can be killed and the driver still stopped. */
async function launchKillable() {
  prepareWelcome(true, env);
  const driver = await startDriver({ env: { ...process.env, ...env } });
  let session;
  try {
    session = await Session.create(driver.base, APP);
  } catch (e) {
    await driver.stop();
    throw e;
  }
  return {
    session,
    async kill() {
      process.kill(appPid(), "SIGKILL");
      await appGone();
      await session.delete().catch(() => {});
      await driver.stop();
    },
    async close() {
      await session.delete().catch(() => {});
      await driver.stop();
      await appGone();
    },
  };
}

const leadsRequests = async () => (await bigSandbox.requests()).filter((r) => r.path === "/whatconverts/api/v1/leads");
const progressNow = (session) =>
  session.execute(
    "const p = document.querySelector('[data-testid=\"records-view\"] [data-testid=\"progress\"]'); return p && !p.closest('[hidden]') && !p.hidden ? Number(p.getAttribute('aria-valuenow')) : null;",
  );

test("killed during a big sync: after a restart the account is connected, the stored records show, and the sync resumes after its last stored page to the exact count", async () => {
  let app = await launchKillable();
  let shownAtKill;
  let fetchedAtKill;
  try {
    await waitFor("the tiles", () => app.session.find('[data-testid="tile-whatconverts"]'));
    await clickTestId(app.session, "tile-whatconverts");
    await submitKeyForm(app.session, "whatconverts", WC_KEY);
    // Some but not all: the first stored rows are shown while the sync goes on.
    shownAtKill = await waitFor(
      "the records view to show some but not all leads",
      async () => {
        if ((await app.session.findAll('[data-testid="records-view"][data-provider="whatconverts"]')).length === 0) return null;
        const c = await rowCount(app.session);
        return c && c.total > 0 && c.total < BIG ? c.total : null;
      },
      { timeoutMs: 60000 },
    );
    // Let the sync get further (several pages stored), still short of the end.
    fetchedAtKill = await waitFor("the sync to be a few pages in", async () => {
      const n = await progressNow(app.session);
      return n !== null && n >= 2000 ? n : null;
    }, { timeoutMs: 60000 });
    assert.ok(fetchedAtKill < BIG, `killed before the end: ${fetchedAtKill}`);
    await app.session.screenshot(resolve(SHOTS, "realmode-before-kill.png"));
    await app.kill();
    app = null;
    console.error(`killed with ${shownAtKill} shown and ${fetchedAtKill} fetched`);
    const requestsAtKill = (await leadsRequests()).length;

    app = await launchKillable();
    await waitFor("the tiles", () => app.session.find('[data-testid="tile-whatconverts"]'));
    const listed = await waitFor("the WhatConverts account", async () => {
      const a = await accounts(app.session, "whatconverts");
      return a.length > 0 ? a : null;
    });
    assert.deepEqual(listed.map((a) => [a.name, a.state]), [["Harbor Dental Group", "connected"]], "still connected after the kill");
    const accountId = listed[0].id;
    // What the cache holds before anything syncs again.
    const stored = await invoke(app.session, "query_records", {
      list: { provider: "whatconverts", account: accountId, resource: "leads" },
      query: { search: "", filter: [], sort: null, offset: 0, limit: 1 },
    });
    console.error(`after the restart the cache holds ${stored.total}`);
    assert.ok(stored.total >= shownAtKill, `the records stored before the kill are kept: ${stored.total} >= ${shownAtKill}`);
    assert.ok(stored.total < BIG, `the sync had not finished: ${stored.total}`);

    await clickTestId(app.session, "tile-whatconverts");
    const shownAfter = await waitFor("the stored leads to show", async () => {
      if ((await app.session.findAll(`[data-testid="records-view"][data-account="${accountId}"]`)).length === 0) return null;
      const c = await rowCount(app.session);
      return c && c.total >= stored.total ? c.total : null;
    });
    assert.ok(shownAfter >= stored.total);
    // Opening the account syncs it; it resumes where the killed one stopped.
    await waitForRecords(app.session, "whatconverts", BIG, { account: accountId, timeoutMs: 90000 }).catch(async (e) => {
      const alive = spawnSync("pgrep", ["-f", APP_PATTERN], { encoding: "utf8" }).stdout.trim();
      const since = (await leadsRequests()).slice(requestsAtKill);
      throw new Error(`${e.message}\napp process after the restart: ${alive || "gone"}; leads requests since the restart: ${since.length}, last ${since.at(-1)?.query}`);
    });
    await waitFor("the sync to finish", async () =>
      /^Synced /.test(await app.session.text(await app.session.find('[data-testid="sync-status"]'))), { timeoutMs: 60000 });
    // The sync after the restart resumed after the last page stored before the kill: page 1
    // (fetched alone, first, before the kill) is not read again, and fewer pages than the
    // whole list are. Refreshes that only ask for recent leads (start_date) are not part of it.
    const pagesOf = (requests) =>
      requests
        .filter((r) => !new URLSearchParams(r.query).has("start_date"))
        .map((r) => Number(new URLSearchParams(r.query).get("page_number")));
    const resumedPages = pagesOf((await leadsRequests()).slice(requestsAtKill));
    console.error(`pages fetched by the sync after the restart: ${resumedPages.length}, first ${resumedPages.slice(0, 3).join(", ")}`);
    assert.ok(resumedPages.length > 0, "the interrupted sync went on after the restart");
    assert.ok(!resumedPages.includes(1), `page 1 was stored before the kill and not fetched again: ${resumedPages.join(", ")}`);
    assert.ok(resumedPages.length < BIG / 250, `only what was missing: ${resumedPages.length} pages`);
    assert.equal(new Set(resumedPages).size, resumedPages.length, "no page twice");

    // Refresh: only recent leads are asked for (the creation-date window), and the list ends
    // with exactly BIG rows (no duplicates).
    const mark = (await leadsRequests()).length;
    await clickTestId(app.session, "refresh");
    await waitFor("the refresh to finish", async () => {
      const status = await app.session.text(await app.session.find('[data-testid="sync-status"]'));
      return (await leadsRequests()).length > mark && /^Synced /.test(status);
    }, { timeoutMs: 90000 });
    const refresh = (await leadsRequests()).slice(mark);
    assert.deepEqual(pagesOf(refresh), [], "Refresh reads no page of the whole list again");
    await waitForRecords(app.session, "whatconverts", BIG, { account: accountId });
    const final = await invoke(app.session, "query_records", {
      list: { provider: "whatconverts", account: accountId, resource: "leads" },
      query: { search: "", filter: [], sort: null, offset: 0, limit: 1 },
    });
    assert.equal(final.total, BIG, "exactly the sandbox's leads, none twice");
    const status = await app.session.text(await app.session.find('[data-testid="sync-status"]'));
    assert.match(status, /^Synced 20,?000 records/, status);
    await app.session.screenshot(resolve(SHOTS, "realmode-after-restart.png"));
  } finally {
    await app?.close();
  }
});
