// Background refresh on the real app: WhatConverts is set to refresh every 5 seconds (in the
// settings file, as a user's choice is kept), leads added at the provider reach the table
// without a click, the refresh asks only for what is new (an incremental pass), and the sync
// panel shows what the run changed.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT, SHOTS, launch, makeTestBrowserTheDefault } from "./app.mjs";
import { waitForRecords } from "./flows.mjs";
import { startSandbox } from "./sandbox.mjs";
import { waitFor } from "./webdriver.mjs";

const LEADS = 120;
let sandbox;
let browserDir;
let env;

before(async () => {
  sandbox = await startSandbox(["--records", String(LEADS), "--seed", "11"]);
  browserDir = mkdtempSync(join(tmpdir(), "patchbay-browser-"));
  makeTestBrowserTheDefault();
  env = {
    PATCHBAY_SANDBOX_URL: sandbox.url,
    BROWSER: resolve(ROOT, "tests/e2e/browser.mjs"),
    PATCHBAY_TEST_BROWSER_DIR: browserDir,
  };
  // The settings page offers 5 minutes and up; the file takes any interval from 5 seconds.
  const config = process.env.XDG_CONFIG_HOME;
  if (!config?.startsWith(tmpdir())) throw new Error("run through scripts/e2e.sh (throwaway HOME)");
  const dir = join(config, "dev.patchbay.desktop");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "settings.json"),
    JSON.stringify({ demo_mode: true, providers: { whatconverts: { refresh_secs: 5 } } }),
  );
});

after(async () => {
  await sandbox?.stop();
});

const browserLog = () => {
  try {
    return readFileSync(join(browserDir, "browser.log"), "utf8");
  } catch {
    return "";
  }
};

const leadRequests = async () =>
  (await sandbox.requests()).filter((r) => r.path === "/whatconverts/api/v1/leads");

async function applyChanges(changes) {
  const res = await fetch(`${sandbox.url}/_sandbox/changes`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ provider: "whatconverts", resource: "leads", ...changes }),
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

async function syncRow(session) {
  const rows = await session.findAll('[data-testid="sync-panel"] [data-testid="sync-row-leads"]');
  if (rows.length === 0) return null;
  const field = async (name) => {
    const cells = await session.findAll(`[data-testid="sync-row-leads"] [data-field="${name}"]`);
    return cells.length ? session.text(cells[0]) : "";
  };
  return {
    state: await session.cmd("GET", `/element/${rows[0]}/attribute/data-state`),
    changes: await field("changes"),
    pass: await field("pass"),
    next: await field("next-run"),
  };
}

test("a connected list refreshes by itself; the sync panel shows what the run changed", async () => {
  writeFileSync(join(browserDir, "decision"), "allow");
  const app = await launch({ env });
  try {
    const tile = await waitFor("the WhatConverts tile", () => app.session.find('[data-testid="tile-whatconverts"]'));
    await app.session.click(tile);
    await waitForRecords(app.session, "whatconverts", LEADS).catch((e) => {
      throw new Error(`${e.message}\nbrowser log:\n${browserLog()}`);
    });
    // The panel knows the list is scheduled: a next refresh time, not "Off".
    let row = await waitFor("the leads line of the sync panel to be scheduled", async () => {
      const r = await syncRow(app.session);
      return r && r.state === "scheduled" ? r : null;
    });
    assert.notEqual(row.next, "Off");

    const before = (await leadRequests()).length;
    const applied = await applyChanges({ add: 3, update: 0, delete: 0 });
    assert.equal(applied.added.length, 3, JSON.stringify(applied));

    // No click from here on: the schedule fetches the new leads and the table shows them.
    await waitForRecords(app.session, "whatconverts", LEADS + 3, { timeoutMs: 60000 });
    row = await waitFor("the sync panel to show the run that found the new leads", async () => {
      const r = await syncRow(app.session);
      return r && r.changes.startsWith("3 added") ? r : null;
    });
    assert.match(row.changes, /^3 added · 0 updated · 0 removed$/);
    assert.match(row.pass, /^Incremental pass · \d+ requests?$/);
    await app.session.screenshot(resolve(SHOTS, "background-refresh.png"));

    // Every background request asked only for recent leads (the creation-date window), never
    // for the whole list again.
    const since = (await leadRequests()).slice(before);
    assert.ok(since.length >= 1, "the background refresh reached the provider");
    const full = since.filter((r) => !/(^|&)start_date=/.test(r.query ?? ""));
    assert.deepEqual(full, [], "background refreshes are incremental");
  } finally {
    await app.close();
  }
});
