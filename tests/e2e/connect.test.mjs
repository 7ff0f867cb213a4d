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
  installEventSpy,
  oauthSandboxCounts,
  spyHeard,
  tileState as stateOf,
  waitForRecords,
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

test("connect WhatConverts through the browser, then restart and disconnect", async () => {
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
    await waitFor(
      "the 300 leads in the table",
      async () => (await app.session.text(await app.session.find('[data-testid="row-count"]'))).startsWith("300 of 300"),
      { timeoutMs: 30000 },
    );
    const rows = await waitFor("rows in the grid", async () => {
      const found = await app.session.findAll('[data-testid="records-grid"] [role="row"][aria-rowindex]:not(.grid-header-row)');
      return found.length > 1 ? found : null;
    });
    await app.session.screenshot(resolve(SHOTS, "connect-records.png"));
    // Leads get a "records per week" chart whose accessible name sums up the weeks.
    const chartLabel = await waitFor("the weekly chart", () =>
      app.session.execute(
        "const c = document.querySelector('[data-testid=\"weekly-chart\"] [aria-label]');" +
          "return c ? c.getAttribute('aria-label') : null;",
      ),
    );
    assert.match(chartLabel, /week/i);
    // Search for the name in the first row: fewer rows match, and each shown row has it.
    const texts = await app.session.execute(
      "const row = document.querySelector('[data-testid=\"records-grid\"] [role=\"row\"][aria-rowindex=\"2\"]');" +
        "return row ? [...row.querySelectorAll('[role=\"gridcell\"]')].map((c) => c.textContent.trim()) : [];",
    );
    const name = texts.find((t) => /^[A-Z][a-z]+ [A-Z][a-z]+$/.test(t));
    assert.ok(name, `a contact name among the first row's cells: ${texts.join(" | ")} (${rows.length} rows)`);
    await app.session.type(await app.session.find('[data-testid="search"]'), name);
    const narrowed = await waitFor("the search to narrow the table", async () => {
      const m = /^(\d+) of 300/.exec(await app.session.text(await app.session.find('[data-testid="row-count"]')));
      return m && Number(m[1]) < 300 ? Number(m[1]) : null;
    });
    assert.ok(narrowed >= 1, "the record the name came from still matches");
    const first = name.split(" ")[0];
    await waitFor("every shown row to match the search", async () => {
      const shown = await app.session.execute(
        "return [...document.querySelectorAll('[data-testid=\"records-grid\"] [role=\"row\"]:not(.grid-header-row)')]" +
          ".map((r) => r.textContent);",
      );
      return shown.length > 0 && shown.every((t) => t.includes(first));
    });
    await app.session.screenshot(resolve(SHOTS, "connect-search.png"));
    // Export CSV writes what is shown (the narrowed rows) to a file the user can open.
    await app.session.click(await app.session.find('[data-testid="export"]'));
    const saved = await waitFor("the export to finish", async () => {
      const text = await app.session.text(await app.session.find('[data-testid="export-result"]'));
      return /^Saved /.test(text) ? text : null;
    });
    const m = /^Saved (\d+) records? to (.+\.csv)$/.exec(saved);
    assert.ok(m, saved);
    assert.equal(Number(m[1]), narrowed);
    const csv = readFileSync(m[2], "utf8").trim().split("\n");
    assert.equal(csv.length, narrowed + 1, "a header and one line per shown record");
    const grants = await tokenRequests("whatconverts");
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
    const field = await waitFor("the BoomTown client id field", () => app.session.find('[data-testid="client-id-boomtown"]'));
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
