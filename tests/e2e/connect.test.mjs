// The whole connect flow on the real app: click a tile, the system browser (our test script)
// approves on the sandbox's consent page, the dev.patchbay: redirect reaches the running app
// through a second instance, and the records view opens. Then Deny, restart and Disconnect.
// Then every one of the five tiles connects in demo mode and shows all its records
// (WebinarGeek through the loopback redirect, the others through deep links), while a script
// in the window listening for deep-link events hears none.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PROVIDERS, ROOT, SHOTS, launch, makeTestBrowserTheDefault } from "./app.mjs";
import {
  backToTiles,
  displayCells,
  exportView,
  installEventSpy,
  oauthSandboxCounts,
  rowCount,
  sandboxLeads,
  sandboxToken,
  parseCsv,
  csvSafe,
  searchMatches,
  spyHeard,
  tileState as stateOf,
  waitForRecords,
  weeklyChartShown,
  weeklyCounts,
} from "./flows.mjs";
import { startSandbox } from "./sandbox.mjs";
import { waitFor } from "./webdriver.mjs";

let sandbox;
let browserDir;
let env;

before(async () => {
  sandbox = await startSandbox(["--records", "300", "--seed", "7"]);
  browserDir = mkdtempSync(join(tmpdir(), "patchbay-browser-"));
  makeTestBrowserTheDefault();
  env = {
    PATCHBAY_SANDBOX_URL: sandbox.url,
    BROWSER: resolve(ROOT, "tests/e2e/browser.mjs"),
    PATCHBAY_TEST_BROWSER_DIR: browserDir,
  };
});

after(async () => {
  await sandbox?.stop();
});

const decide = (decision) => writeFileSync(join(browserDir, "decision"), decision);
const browserLog = () => {
  try {
    return readFileSync(join(browserDir, "browser.log"), "utf8");
  } catch {
    return "";
  }
};

async function tileState(session, id) {
  const el = await session.find(`[data-testid="tile-${id}"]`);
  return session.cmd("GET", `/element/${el}/attribute/data-state`);
}

const tokenRequests = async (provider) =>
  (await sandbox.requests()).filter((r) => r.path === `/${provider}/oauth/token`);

/** The leads list's columns as the provider file declares them: [{ label, pointer, kind }]. */
function leadColumns() {
  const toml = readFileSync(resolve(ROOT, "crates/patchbay-core/providers/whatconverts.toml"), "utf8");
  // Display settings after the type (currency, badge) do not change what the cache keeps.
  const cols = [...toml.matchAll(/\{ key = "[^"]+", label = "([^"]+)", pointer = "([^"]+)"(?:, type = "([^"]+)")?(?:, [a-z_]+ = [^,}]+)* \}/g)].map(
    ([, label, pointer, kind]) => ({ label, pointer, kind: kind ?? "text" }),
  );
  assert.equal(cols.length, 14, `the leads columns: ${JSON.stringify(cols)}`);
  return cols;
}

// The search term: a folded accented surname ("Ibáñez" is seeded among the first leads), so the
// exact count also checks that search folds diacritics.
const SEARCH = "ibanez";

test("connect WhatConverts through the browser, then restart and disconnect", async () => {
  // What the sandbox serves, read over its own API before the app connects (its own token
  // grant is counted out of the app's below).
  const leads = await sandboxLeads(sandbox.url, {
    authorization: `Bearer ${await sandboxToken(sandbox.url, "whatconverts")}`,
  });
  assert.equal(leads.length, 300);
  const grantsBefore = (await tokenRequests("whatconverts")).length;
  const columns = leadColumns();
  const expectedCells = leads.map((l) => displayCells(columns, l));
  // The seeded non-ASCII and CSV-awkward text is among what the comparisons below cover.
  const seeded = expectedCells.slice(0, 10).flat().join("\n");
  for (const sample of ["é", "ñ", "ø", "محمد", "דוד", "王芳", "🌻", "𠮷", '"Smile", Spring\nSecond']) {
    assert.ok(seeded.includes(sample), `the first leads carry ${JSON.stringify(sample)}`);
  }
  decide("allow");
  let app = await launch({ env });
  try {
    const tile = await waitFor("the WhatConverts tile", () =>
      app.session.find('[data-testid="tile-whatconverts"]'),
    );
    await app.session.click(tile);
    await waitFor(
      "the records view after approval",
      () => app.session.findAll('[data-testid="records-view"][data-provider="whatconverts"]').then((f) => f.length > 0),
      { timeoutMs: 30000 },
    ).catch((e) => {
      throw new Error(`${e.message}\nbrowser log:\n${browserLog()}`);
    });
    // The sandbox serves 300 leads (--records 300): all of them land in the table.
    await waitForRecords(app.session, "whatconverts", 300, { timeoutMs: 30000 });
    await waitFor("rows in the grid", async () => {
      const found = await app.session.findAll('[data-testid="records-grid"] [role="row"][aria-rowindex]:not(.grid-header-row)');
      return found.length > 1 ? found : null;
    });
    await app.session.screenshot(resolve(SHOTS, "connect-records.png"));

    // The weekly chart: one bar and one table row per week (Monday, UTC) with leads, each with
    // the number of leads created that week, counted here from the sandbox's records.
    const weeks = weeklyCounts(leads, (l) => l.date_created);
    assert.ok(weeks.length > 50, `two years of leads span many weeks: ${weeks.length}`);
    const days = await app.session.execute(
      "return arguments[0].map((w) => { const [y, m, d] = w.split('-').map(Number);" +
        " return new Date(y, m - 1, d).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' }); });",
      [weeks.map((w) => w.week_start)],
    );
    const expectedRows = weeks.map((w, i) => [days[i], String(w.count)]);
    const expectedBars = weeks.map((w, i) => `Week of ${days[i]}: ${w.count} ${w.count === 1 ? "record" : "records"}`);
    let chart = null;
    await waitFor("the weekly chart to show the sandbox's weeks", async () => {
      chart = await weeklyChartShown(app.session);
      // The chart follows the sync: wait for it to hold every week, then compare exactly.
      return chart && JSON.stringify(chart.rows) === JSON.stringify(expectedRows);
    }).catch(() => {});
    assert.deepEqual(chart.rows, expectedRows, "the chart's table: week and count per week");
    assert.deepEqual(chart.bars, expectedBars, "the chart's bars: week and count per week");

    // Export of the whole table, CSV then JSON, read back from the files the app wrote.
    const csvAll = await exportView(app.session, "export", "csv");
    assert.equal(csvAll.rows, 300);
    const parsed = parseCsv(readFileSync(csvAll.path, "utf8"));
    assert.deepEqual(parsed[0], columns.map((c) => c.label), "the CSV header is the columns' labels");
    assert.equal(parsed.length, 301, "a header and one record per lead");
    for (let i = 0; i < 300; i++) {
      assert.deepEqual(parsed[i + 1], expectedCells[i].map(csvSafe), `CSV record ${i + 1} (lead ${leads[i].lead_id})`);
    }
    const jsonAll = await exportView(app.session, "export-json", "json");
    assert.equal(jsonAll.rows, 300);
    assert.deepEqual(JSON.parse(readFileSync(jsonAll.path, "utf8")), leads, "the JSON export is the sandbox's records, in order");

    // Search narrows to exactly the leads whose shown text has a word starting with the term
    // (diacritics folded), counted from the sandbox's records.
    const searchable = columns.map((c) => !["integer", "money", "number", "boolean"].includes(c.kind));
    const matching = leads.filter((l, i) =>
      searchMatches(SEARCH, expectedCells[i].filter((_, j) => searchable[j])),
    );
    assert.ok(matching.length >= 2 && matching.length < 300, `a search that narrows: ${matching.length}`);
    await app.session.type(await app.session.find('[data-testid="search"]'), SEARCH);
    let seen = null;
    await waitFor(`the search to narrow the table to ${matching.length}`, async () => {
      seen = await rowCount(app.session);
      return seen && seen.matched === matching.length && seen.total === 300;
    }).catch((e) => {
      throw new Error(`${e.message} (last seen: ${JSON.stringify(seen)})`);
    });
    await waitFor("every shown row to match the search", async () => {
      const shown = await app.session.execute(
        "return [...document.querySelectorAll('[data-testid=\"records-grid\"] [role=\"row\"]:not(.grid-header-row)')]" +
          ".map((r) => r.textContent);",
      );
      return shown.length > 0 && shown.every((t) => t.includes("Ibáñez"));
    });
    await app.session.screenshot(resolve(SHOTS, "connect-search.png"));
    // Export CSV writes what is shown (the narrowed rows), in the table's order.
    const csvNarrow = await exportView(app.session, "export", "csv");
    assert.equal(csvNarrow.rows, matching.length);
    assert.deepEqual(
      parseCsv(readFileSync(csvNarrow.path, "utf8")),
      [columns.map((c) => c.label), ...matching.map((l) => displayCells(columns, l).map(csvSafe))],
      "the narrowed CSV: the header and the matching leads",
    );
    const grants = (await tokenRequests("whatconverts")).slice(grantsBefore);
    assert.deepEqual(
      grants.map((r) => [r.grant_type, r.status]),
      [["authorization_code", 200]],
      "exactly one code redemption, accepted",
    );
  } finally {
    await app.close();
  }

  // A new process finds the connection in the keychain.
  app = await launch({ env });
  try {
    await waitFor("WhatConverts connected after restart", async () =>
      (await tileState(app.session, "whatconverts")) === "connected",
    );
    await app.session.click(await app.session.find('[data-testid="tile-whatconverts"]'));
    await app.session.click(await waitFor("Disconnect", () => app.session.find('[data-testid="disconnect"]')));
    await app.session.click(
      await waitFor("the confirmation", () => app.session.find('[data-testid="disconnect-confirm"]')),
    );
    await waitFor("the tile back to not connected", async () =>
      (await tileState(app.session, "whatconverts")) === "not_connected",
    );
    const revokes = (await sandbox.requests()).filter((r) => r.path === "/whatconverts/oauth/revoke");
    assert.equal(revokes.length, 1, "disconnect revokes the token once");
  } finally {
    await app.close();
  }
});

test("Deny at the consent page shows cancelled", async () => {
  decide("deny");
  const app = await launch({ env });
  try {
    await app.session.click(
      await waitFor("the BoomTown tile", () => app.session.find('[data-testid="tile-boomtown"]')),
    );
    const notice = await waitFor(
      "a cancelled notice",
      async () => {
        for (const el of await app.session.findAll('[data-testid="notice"]')) {
          const text = await app.session.text(el);
          if (/cancelled/i.test(text)) return text;
        }
        return null;
      },
      { timeoutMs: 30000 },
    ).catch((e) => {
      throw new Error(`${e.message}\nbrowser log:\n${browserLog()}`);
    });
    assert.match(notice, /BoomTown/);
    assert.equal(await tileState(app.session, "boomtown"), "not_connected");
    assert.equal((await tokenRequests("boomtown")).length, 0, "a denied approval sends no token request");
    await app.session.screenshot(resolve(SHOTS, "deny-cancelled.png"));
  } finally {
    await app.close();
  }
});

test("waiting for approval shows Cancel and Copy link; Cancel returns the tile", async () => {
  decide("ignore");
  const app = await launch({ env });
  try {
    await app.session.click(
      await waitFor("the ClickFunnels tile", () => app.session.find('[data-testid="tile-clickfunnels"]')),
    );
    await waitFor("the waiting state", async () => (await tileState(app.session, "clickfunnels")) === "waiting_for_approval");
    const tileText = await app.session.text(await app.session.find('[data-testid="tile-clickfunnels"]'));
    assert.match(tileText, /approve in your browser/i);
    await app.session.screenshot(resolve(SHOTS, "waiting.png"));
    await app.session.click(await app.session.find('[data-testid="cancel-connect-clickfunnels"]'));
    await waitFor("the tile back to not connected", async () => (await tileState(app.session, "clickfunnels")) === "not_connected");
    assert.equal((await tokenRequests("clickfunnels")).length, 0);
  } finally {
    await app.close();
  }
});

test("a bad setting is refused with a sentence, and the app keeps running", async () => {
  const app = await launch({ env });
  try {
    await app.session.click(await waitFor("Settings", () => app.session.find('[data-testid="settings"]')));
    const field = await waitFor("the BoomTown client id field", () => app.session.find('[data-testid="settings-page"][aria-busy="false"] [data-testid="client-id-boomtown"]'));
    await app.session.type(field, "not a client id!");
    await app.session.click(await app.session.find('[data-testid="save-settings"]'));
    const message = await waitFor("an error next to the form", async () => {
      for (const el of await app.session.findAll('[data-testid="settings-page"] [data-testid="error"]')) {
        const text = await app.session.text(el);
        if (text) return { el, text };
      }
      return null;
    }).then(async ({ el, text }) => {
      await app.session.scrollIntoView(el);
      return text;
    });
    assert.match(message, /BoomTown.*client id/i);
    await app.session.screenshot(resolve(SHOTS, "error-settings.png"));
    await app.session.click(await app.session.find('[data-testid="back"]'));
    const tiles = await waitFor("the tiles again", async () => {
      const found = await app.session.findAll('[data-testid="tiles"] [data-provider]');
      return found.length === 5 ? found : null;
    });
    assert.equal(tiles.length, 5);
  } finally {
    await app.close();
  }
});

const handedOver = () => browserLog().split("handed over: exit 0").length - 1;

test("a script in the window listening for deep-link events hears nothing while a link completes a connect", async () => {
  decide("allow");
  const app = await launch({ env });
  try {
    await waitFor("the tiles", () => app.session.find('[data-testid="tile-emailoctopus"]'));
    assert.equal(await stateOf(app.session, "emailoctopus"), "not_connected");
    // What a hostile script in the page can do: listen through the event plugin. The second
    // event is the control: the window does receive it, so the spy works.
    await installEventSpy(app.session, ["deep-link://new-url", "providers-changed"]);
    const linksBefore = handedOver();
    const grantsBefore = (await tokenRequests("emailoctopus")).length;
    await app.session.click(await app.session.find('[data-testid="tile-emailoctopus"]'));
    // The window opens the new account's records once it is connected.
    await waitFor(
      "EmailOctopus's records",
      () => app.session.findAll('[data-testid="records-view"][data-provider="emailoctopus"]').then((f) => f.length > 0),
      { timeoutMs: 30000 },
    ).catch((e) => {
      throw new Error(`${e.message}\nbrowser log:\n${browserLog()}`);
    });
    assert.equal(handedOver(), linksBefore + 1, "the approval came back as one dev.patchbay: link");
    const grants = (await tokenRequests("emailoctopus")).slice(grantsBefore);
    assert.deepEqual(grants.map((r) => [r.grant_type, r.status]), [["authorization_code", 200]]);
    const heard = await waitFor("the spy to hear the tiles change", async () => {
      const h = await spyHeard(app.session);
      return h["providers-changed"]?.some((p) => p.includes('"emailoctopus"') && p.includes('"connected"')) ? h : null;
    });
    assert.deepEqual(heard["deep-link://new-url"], [], "no deep-link event reached the window");
    // Leave EmailOctopus as the next test expects it: not connected.
    await app.session.click(await waitFor("Disconnect", () => app.session.find('[data-testid="disconnect"]')));
    await app.session.click(await waitFor("the confirmation", () => app.session.find('[data-testid="disconnect-confirm"]')));
    await waitFor("EmailOctopus not connected", async () => (await stateOf(app.session, "emailoctopus")) === "not_connected");
    assert.deepEqual((await spyHeard(app.session))["deep-link://new-url"], []);
  } finally {
    await app.close();
  }
});

test("demo mode: every tile connects and shows all its records; WebinarGeek comes back through the loopback redirect", async () => {
  // What the sandbox serves in each provider's first list, read over its own API.
  const counts = await oauthSandboxCounts(sandbox.url);
  for (const [id] of PROVIDERS) assert.ok(counts[id] > 0, `the sandbox serves ${id} records: ${JSON.stringify(counts)}`);
  decide("allow");
  const app = await launch({ env });
  try {
    await waitFor("the tiles", () => app.session.find('[data-testid="tile-webinargeek"]'));
    for (const [id, name] of PROVIDERS) {
      assert.equal(await stateOf(app.session, id), "not_connected", `${name} starts not connected`);
      const logStart = (await sandbox.requests()).length;
      const linksBefore = handedOver();
      await app.session.click(await app.session.find(`[data-testid="tile-${id}"]`));
      await waitForRecords(app.session, id, counts[id]).catch((e) => {
        throw new Error(`${name}: ${e.message}\nbrowser log:\n${browserLog()}`);
      });
      const log = (await sandbox.requests()).slice(logStart);
      const grants = log.filter((r) => r.path === `/${id}/oauth/token` && r.grant_type === "authorization_code");
      assert.deepEqual(grants.map((r) => r.status), [200], `${name}: one code redeemed`);
      if (id === "webinargeek") {
        const authorize = log.filter((r) => r.path === "/webinargeek/oauth/authorize" && r.method === "GET");
        assert.equal(authorize.length, 1, JSON.stringify(authorize));
        const redirect = new URLSearchParams(authorize[0].query).get("redirect_uri");
        assert.match(redirect, /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/, "the loopback redirect URI");
        assert.equal(handedOver(), linksBefore, "no deep link was handed to the system");
        assert.match(browserLog(), /loopback answered 200: Connected/, "the listener told the browser it connected");
      } else {
        assert.equal(handedOver(), linksBefore + 1, `${name}: the approval came back as a dev.patchbay: link`);
      }
      await app.session.screenshot(resolve(SHOTS, `demo-records-${id}.png`));
      await backToTiles(app.session);
      assert.equal(await stateOf(app.session, id), "connected", `${name}'s tile says connected`);
    }
    for (const [id] of PROVIDERS) assert.equal(await stateOf(app.session, id), "connected", id);
  } finally {
    await app.close();
  }
});
