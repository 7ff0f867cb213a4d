// The two worlds in the real window: the real world's WhatConverts definition pointed at a
// sandbox of its own that wants WhatConverts' real API keys (an override file, as a user
// could write), the demo world on another sandbox. A key added in the real world stays
// there: switching to demo and back keeps the account, its key and its records, and the demo
// sandbox never sees it. Then several accounts of one provider side by side.
// Writes target/adversarial/world-crossing.txt.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT, SHOTS, launch, makeTestBrowserTheDefault } from "./app.mjs";
import {
  accounts,
  backToTiles,
  clickTestId,
  invoke,
  keyFormError,
  oauthSandboxCounts,
  setDemoMode,
  submitKeyForm,
  testBrowser,
  tileState,
  waitForRecords,
} from "./flows.mjs";
import { startRecorder } from "./recorder.mjs";
import { startSandbox } from "./sandbox.mjs";
import { waitFor } from "./webdriver.mjs";
import { summary } from "./summary.mjs";

// The sandbox's fixed WhatConverts keys (crates/patchbay-sandbox/README.md, "API keys").
const KEY_1 = { api_token: "wc-sandbox-token-1", api_secret: "wc-sandbox-secret-1" };
const KEY_2 = { api_token: "wc-sandbox-token-2", api_secret: "wc-sandbox-secret-2" };
const BAD_KEY = { api_token: "wc-sandbox-token-1", api_secret: "wc-sandbox-secret-1-wrong" };
const basic = (k) => Buffer.from(`${k.api_token}:${k.api_secret}`).toString("base64");
/** Every form in which the real world's WhatConverts credentials could travel. */
const REAL_SECRETS = [KEY_1.api_secret, basic(KEY_1), BAD_KEY.api_secret, basic(BAD_KEY), KEY_2.api_secret, basic(KEY_2)];

let demoSandbox;
let realSandbox;
let demoWire;
let realWire;
let browser;
let env;

before(async () => {
  demoSandbox = await startSandbox(["--records", "30", "--seed", "5"]);
  realSandbox = await startSandbox(["--records", "45", "--seed", "9", "--auth", "whatconverts=api-key"]);
  // Both sandboxes behind recorders that keep every header: the sandbox's own log has none.
  demoWire = await startRecorder(demoSandbox.url);
  realWire = await startRecorder(realSandbox.url);
  const dir = join(process.env.XDG_CONFIG_HOME, "patchbay", "providers");
  mkdirSync(dir, { recursive: true });
  const builtin = readFileSync(resolve(ROOT, "crates/patchbay-core/providers/whatconverts.toml"), "utf8");
  const from = 'api_base = "https://app.whatconverts.com/api/v1"';
  assert.ok(builtin.includes(from), "the built-in WhatConverts definition names its API base");
  // The real definition, its API-key connection kept, pointed at the real world's sandbox.
  writeFileSync(join(dir, "whatconverts.toml"), builtin.replace(from, `api_base = "${realWire.url}/whatconverts/api/v1"`));
  const browserDir = mkdtempSync(join(tmpdir(), "patchbay-worlds-browser-"));
  browser = testBrowser(browserDir);
  browser.decide("allow");
  makeTestBrowserTheDefault();
  env = {
    PATCHBAY_SANDBOX_URL: demoWire.url,
    BROWSER: resolve(ROOT, "tests/e2e/browser.mjs"),
    PATCHBAY_TEST_BROWSER_DIR: browserDir,
  };
});

after(async () => {
  await demoWire?.close();
  await realWire?.close();
  await demoSandbox?.stop();
  await realSandbox?.stop();
});

/** The real sandbox's own count of an account's leads, read with that account's key. */
async function realLeadCount(key) {
  const res = await fetch(`${realSandbox.url}/whatconverts/api/v1/leads?leads_per_page=1`, {
    headers: { authorization: `Basic ${basic(key)}` },
    signal: AbortSignal.timeout(10000),
  });
  assert.equal(res.status, 200);
  return (await res.json()).total_leads;
}

/** An OAuth sandbox's count of WhatConverts leads (the demo world's). */
async function demoLeadCount() {
  return (await oauthSandboxCounts(demoSandbox.url)).whatconverts;
}

/** The first rows of an account's cached leads, straight from the cache (no sync). */
async function cachedLeads(session, accountId) {
  return invoke(session, "query_records", {
    list: { provider: "whatconverts", account: accountId, resource: "leads" },
    query: { search: "", filter: [], sort: null, offset: 0, limit: 20 },
  });
}

/** The keychain users (`provider/account/item`) under a service, read over the Secret Service. */
function keychainUsers(service) {
  const gdbus = (...args) => execFileSync("gdbus", ["call", "--session", "--dest", "org.freedesktop.secrets", ...args], { encoding: "utf8" });
  const found = gdbus(
    "--object-path", "/org/freedesktop/secrets",
    "--method", "org.freedesktop.Secret.Service.SearchItems", `{'service': '${service}'}`,
  );
  const items = [...found.matchAll(/'(\/org\/freedesktop\/secrets\/collection\/[^']+)'/g)].map((m) => m[1]);
  return items.map((item) => {
    const attrs = gdbus("--object-path", item, "--method", "org.freedesktop.DBus.Properties.Get", "org.freedesktop.Secret.Item", "Attributes");
    return /'username': '([^']*)'/.exec(attrs)?.[1] ?? `?${attrs}`;
  });
}

/** How many of the real world's credentials a text holds. */
const realSecretsIn = (text) => REAL_SECRETS.filter((s) => text.includes(s)).length;

let realAccountId;

test("a real API-key account survives a round trip through demo mode, and the demo sandbox never sees its key", async () => {
  const realCount = await realLeadCount(KEY_1);
  const demoCount = await demoLeadCount();
  assert.notEqual(realCount, demoCount, "the two worlds' sandboxes serve different data");
  const cases = [];
  // What the demo sandbox received during one phase: the recorder's whole requests (headers
  // and bodies) and the sandbox's own log.
  const phase = async (name, run) => {
    const wireStart = demoWire.requests().length;
    const logStart = (await demoSandbox.requests()).length;
    const realStart = realWire.requests().length;
    await run();
    const wire = demoWire.requests().slice(wireStart);
    const log = (await demoSandbox.requests()).slice(logStart);
    const seen = realSecretsIn(JSON.stringify(wire)) + realSecretsIn(JSON.stringify(log));
    // The other way: the demo world's OAuth tokens never reach the real sandbox.
    const bearer = realWire.requests().slice(realStart).filter((r) => /\nauthorization\nBearer /i.test(`\n${r.headers}`)).length;
    cases.push({
      name,
      demoRequests: wire.length,
      seen,
      lost: seen > 0 ? `${seen} real credential(s) reached the demo sandbox` : bearer > 0 ? `${bearer} Bearer token(s) reached the real sandbox` : undefined,
    });
  };

  // Each world switch is followed by a restart: a window that switches without one keeps the
  // tiles' connect method of the world it started in (the test after this one shows it).
  let app = await launch({ env });
  const switchTo = async (demo) => {
    await setDemoMode(app.session, demo);
    await app.close();
    app = await launch({ env });
    await waitFor("the tiles", () => app.session.find('[data-testid="tile-whatconverts"]'));
    assert.equal((await invoke(app.session, "get_settings")).demo_mode, demo);
  };
  try {
    await waitFor("the tiles", () => app.session.find('[data-testid="tile-whatconverts"]'));
    await switchTo(false);
    assert.equal(await tileState(app.session, "whatconverts"), "not_connected");

    await phase("a refused real key", async () => {
      const refusedBefore = (await realSandbox.requests()).filter((r) => r.status === 401).length;
      await clickTestId(app.session, "tile-whatconverts");
      await submitKeyForm(app.session, "whatconverts", BAD_KEY);
      const message = await keyFormError(app.session, "whatconverts");
      console.error(`the form said: ${message}`);
      assert.match(message, /WhatConverts/);
      assert.match(message, /key|token|secret|refus|reject|accept/i);
      const refused = (await realSandbox.requests()).filter((r) => r.status === 401 && r.provider === "whatconverts");
      assert.ok(refused.length > refusedBefore, "the real sandbox refused the key (401)");
      assert.equal(await tileState(app.session, "whatconverts"), "not_connected");
      await app.session.screenshot(resolve(SHOTS, "worlds-bad-key.png"));
    });

    let before;
    await phase("a real key saved and synced", async () => {
      await submitKeyForm(app.session, "whatconverts", KEY_1);
      await waitForRecords(app.session, "whatconverts", realCount);
      const view = await app.session.find('[data-testid="records-view"]');
      realAccountId = await app.session.cmd("GET", `/element/${view}/attribute/data-account`);
      before = await cachedLeads(app.session, realAccountId);
      assert.equal(before.total, realCount);
      assert.ok(before.rows.length > 0);
      assert.ok(realWire.text().includes(basic(KEY_1)), "control: the search finds the key where it was sent");
    });
    const realUsers = keychainUsers("dev.patchbay.debug.real");
    assert.ok(
      realUsers.some((u) => u.startsWith(`whatconverts/${realAccountId}/`)),
      `the real account's key is in the real world's keychain service: ${realUsers.join(", ")}`,
    );

    await phase("demo mode: WhatConverts connected and synced on the demo sandbox", async () => {
      await switchTo(true);
      assert.equal(await tileState(app.session, "whatconverts"), "not_connected", "the demo world has no WhatConverts account yet");
      assert.deepEqual(await accounts(app.session, "whatconverts"), []);
      await clickTestId(app.session, "tile-whatconverts");
      await waitForRecords(app.session, "whatconverts", demoCount).catch((e) => {
        throw new Error(`${e.message}\nbrowser log:\n${browser.log()}`);
      });
      const grants = (await demoSandbox.requests()).filter((r) => r.path === "/whatconverts/oauth/token" && r.status === 200);
      assert.ok(grants.length >= 1, "the demo world connected through the demo sandbox's OAuth");
    });

    await phase("back to the real world: the account is there and syncs without asking", async () => {
      await switchTo(false);
      const listed = await accounts(app.session, "whatconverts");
      assert.deepEqual(
        listed.map((a) => [a.id, a.name, a.state]),
        [[realAccountId, "Harbor Dental Group", "connected"]],
        "the real account is still listed and connected",
      );
      const after = await cachedLeads(app.session, realAccountId);
      assert.equal(after.total, before.total, "the real cache still holds the real leads");
      assert.deepEqual(after.rows, before.rows, "the same leads, value for value");
      const leadsBefore = realWire.requests().filter((r) => r.url.startsWith("/whatconverts/api/v1/leads")).length;
      await clickTestId(app.session, "tile-whatconverts");
      await waitForRecords(app.session, "whatconverts", realCount, { account: realAccountId });
      await waitFor("the sync to finish", async () =>
        /^Synced /.test(await app.session.text(await app.session.find('[data-testid="sync-status"]'))),
      );
      const synced = realWire.requests().filter((r) => r.url.startsWith("/whatconverts/api/v1/leads")).slice(leadsBefore);
      assert.ok(synced.length > 0, "opening the account synced it from the real sandbox");
      assert.ok(synced.every((r) => r.headers.includes(`Basic ${basic(KEY_1)}`)), "with the key from the keychain");
      const formOpen = await app.session.execute(
        "const f = document.querySelector('[data-testid=\"key-form-whatconverts\"]'); return !!f && !f.hidden && f.isConnected;",
      );
      assert.equal(formOpen, false, "the key was not asked for again");
    });
    const usersAfter = keychainUsers("dev.patchbay.debug.real");
    assert.ok(usersAfter.some((u) => u.startsWith(`whatconverts/${realAccountId}/`)), usersAfter.join(", "));
    const demoUsers = keychainUsers("dev.patchbay.debug.demo");
    assert.ok(!demoUsers.some((u) => u.includes(realAccountId)), `the demo service has nothing of the real account: ${demoUsers.join(", ")}`);
  } finally {
    await app.close();
  }
  const { line, details } = summary(
    "world-crossing",
    "kept apart",
    cases,
    `real credentials seen by the demo sandbox ${cases.reduce((n, c) => n + c.seen, 0)} in ${cases.reduce((n, c) => n + c.demoRequests, 0)} requests`,
  );
  assert.equal(details.length, 0, `${line}\n${details.join("\n")}`);
  assert.ok(cases.find((c) => c.name.startsWith("demo mode")).demoRequests > 0, "the demo sandbox was used at all");
});

test("two WhatConverts accounts side by side; disconnecting one keeps the other", async () => {
  assert.ok(realAccountId, "needs the real account of the test before");
  const count2 = await realLeadCount(KEY_2);
  const app = await launch({ env });
  try {
    await waitFor("the tiles", () => app.session.find('[data-testid="tile-whatconverts"]'));
    assert.equal((await invoke(app.session, "get_settings")).demo_mode, false, "the real world is shown after a restart");
    await waitFor("the real account", async () => (await accounts(app.session, "whatconverts")).length === 1);
    await clickTestId(app.session, "add-account-whatconverts", "Add another account");
    await submitKeyForm(app.session, "whatconverts", KEY_2);
    const listed = await waitFor("two accounts", async () => {
      const a = await accounts(app.session, "whatconverts").catch(() => []);
      return a.length === 2 ? a : null;
    }).catch(async (e) => {
      // The new account's records may have opened instead of the tiles.
      await backToTiles(app.session);
      const a = await accounts(app.session, "whatconverts");
      if (a.length === 2) return a;
      throw new Error(`${e.message}: ${JSON.stringify(a)}`);
    });
    await backToTiles(app.session);
    const both = await accounts(app.session, "whatconverts");
    assert.deepEqual(
      both.map((a) => [a.name, a.state]),
      [
        ["Harbor Dental Group", "connected"],
        ["Lakeside Orthodontics", "connected"],
      ],
      JSON.stringify(listed),
    );
    assert.equal(both[0].id, realAccountId);
    const secondId = both[1].id;
    assert.notEqual(secondId, realAccountId);
    await app.session.screenshot(resolve(SHOTS, "worlds-two-accounts.png"));

    // Each account's records are its own.
    await clickTestId(app.session, "open-account-whatconverts-1");
    await waitForRecords(app.session, "whatconverts", count2, { account: secondId });
    const second = await cachedLeads(app.session, secondId);
    const first = await cachedLeads(app.session, realAccountId);
    const ids = (page) => JSON.stringify(page.rows);
    assert.ok(ids(second).includes("5000001") && !ids(second).includes("1000001"), `the second account's leads: ${ids(second).slice(0, 200)}`);
    assert.ok(ids(first).includes("1000001") && !ids(first).includes("5000001"), `the first account's leads: ${ids(first).slice(0, 200)}`);

    // Disconnect the second: the first stays, with its key and records.
    await clickTestId(app.session, "disconnect");
    await clickTestId(app.session, "disconnect-confirm");
    await waitFor("one account left", async () => {
      const a = await accounts(app.session, "whatconverts").catch(() => []);
      return a.length === 1 && a[0].id === realAccountId && a[0].state === "connected";
    });
    assert.equal(await tileState(app.session, "whatconverts"), "connected");
    const users = keychainUsers("dev.patchbay.debug.real");
    assert.ok(!users.some((u) => u.includes(secondId)), `the second account's key is gone: ${users.join(", ")}`);
    assert.ok(users.some((u) => u.startsWith(`whatconverts/${realAccountId}/`)), `the first account's key stays: ${users.join(", ")}`);
    await clickTestId(app.session, "tile-whatconverts");
    await waitForRecords(app.session, "whatconverts", await realLeadCount(KEY_1), { account: realAccountId });
  } finally {
    await app.close();
  }
});

test("switching worlds in one window gives each tile the connect method of the world shown", async () => {
  // WhatConverts connects with an API key in the real world and through the browser (OAuth)
  // in demo mode. The window must follow the world it shows without a restart, whichever
  // world it started in.
  browser.decide("ignore");
  const problems = [];
  const startedIn = [];
  let app;
  const tileError = () =>
    app.session.execute(
      "return [...document.querySelectorAll('[data-testid=\"tile-item-whatconverts\"] [data-testid=\"error\"]')].map((e) => e.textContent.trim()).join(' | ');",
    );
  const formShown = () =>
    app.session.execute("const f = document.querySelector('[data-testid=\"key-form-whatconverts\"]'); return !!f && !f.hidden;");
  try {
    for (let round = 0; round < 2; round++) {
      app = await launch({ env });
      await waitFor("the tiles", () => app.session.find('[data-testid="tile-whatconverts"]'));
      const startedInDemo = (await invoke(app.session, "get_settings")).demo_mode;
      startedIn.push(startedInDemo);
      const tiles = await invoke(app.session, "list_providers");
      assert.equal(tiles.find((t) => t.id === "whatconverts").auth.kind, startedInDemo ? "oauth" : "api_key");
      const demo = !startedInDemo;
      const world = demo ? "demo mode" : "the real world";
      await setDemoMode(app.session, demo);
      const auth = (await invoke(app.session, "list_providers")).find((t) => t.id === "whatconverts").auth.kind;
      assert.equal(auth, demo ? "oauth" : "api_key", "Rust's tile names the world's method");
      // A tile with an account starts a connect with Add another account, else by itself.
      const hasAccount = (await accounts(app.session, "whatconverts")).length > 0;
      await clickTestId(app.session, hasAccount ? "add-account-whatconverts" : "tile-whatconverts");
      const outcome = await waitFor(
        "the connect to start",
        async () => {
          if (await formShown()) return "the API-key form";
          if ((await tileState(app.session, "whatconverts")) === "waiting_for_approval") return "a browser connect";
          const error = await tileError();
          return error ? `an error: "${error}"` : null;
        },
        { timeoutMs: 10000 },
      ).catch(() => "nothing");
      const expected = demo ? "a browser connect" : "the API-key form";
      if (outcome !== expected) {
        await app.session.screenshot(resolve(SHOTS, `worlds-switch-to-${demo ? "demo" : "real"}.png`));
        problems.push(`started in ${demo ? "the real world" : "demo mode"}, switched to ${world}: connecting WhatConverts gave ${outcome}, not ${expected}`);
      }
      // Leave nothing waiting or open.
      if (await formShown()) await clickTestId(app.session, "key-cancel");
      if ((await tileState(app.session, "whatconverts")) === "waiting_for_approval") {
        await clickTestId(app.session, "cancel-connect-whatconverts");
        await waitFor("the connect cancelled", async () => (await tileState(app.session, "whatconverts")) !== "waiting_for_approval");
      }
      await app.close();
      app = null;
    }
    assert.deepEqual(startedIn.sort(), [false, true], "one round started in each world");
    assert.deepEqual(problems, []);
  } finally {
    await app?.close();
    browser.decide("allow");
  }
});
