// "Open in WhatConverts" end to end in the real window. No WhatConverts page documents a lead's
// own address, so no shipped definition has a `record_page`; here a user's override file points
// the real WhatConverts definition at a loopback sandbox (API keys, as the real one) and gives
// its leads a page on that sandbox's origin (a loopback definition may have a loopback page;
// crates/patchbay-core/src/providers.rs tests the rule). A lead's detail, by keyboard: Tab to
// the button, Enter, and the desktop's default browser receives exactly that lead's page, which
// the sandbox serves. The window itself holds no opener permission.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT, SHOTS, launch, makeTestBrowserTheDefault, settingsFile } from "./app.mjs";
import { clickTestId, invoke, submitKeyForm, testBrowser, waitForRecords } from "./flows.mjs";
import { startSandbox } from "./sandbox.mjs";
import { KEYS, press, waitFor } from "./webdriver.mjs";

// The sandbox's fixed WhatConverts key (crates/patchbay-sandbox/README.md, "API keys").
const KEY = { api_token: "wc-sandbox-token-1", api_secret: "wc-sandbox-secret-1" };
const LEADS = 12;

let sandbox;
let browser;
let browserDir;
let env;

before(async () => {
  sandbox = await startSandbox(["--records", String(LEADS), "--seed", "3", "--auth", "whatconverts=api-key"]);
  const dir = join(process.env.XDG_CONFIG_HOME, "patchbay", "providers");
  mkdirSync(dir, { recursive: true });
  const builtin = readFileSync(resolve(ROOT, "crates/patchbay-core/providers/whatconverts.toml"), "utf8");
  const base = 'api_base = "https://app.whatconverts.com/api/v1"';
  const anchor = 'id_pointer = "/lead_id"\n';
  assert.ok(builtin.includes(base), "the built-in WhatConverts definition names its API base");
  assert.equal(builtin.split(anchor).length, 2, "the leads resource names its id once");
  assert.doesNotMatch(builtin, /^record_page\s*=/m, "the shipped definition has no record page");
  writeFileSync(
    join(dir, "whatconverts.toml"),
    builtin
      .replace(base, `api_base = "${sandbox.url}/whatconverts/api/v1"`)
      .replace(anchor, `${anchor}record_page = "${sandbox.url}/whatconverts/leads/{/lead_id}"\n`),
  );
  // The real world (override files are for the real providers; the demo runs the built-ins).
  const settings = settingsFile();
  mkdirSync(join(settings, ".."), { recursive: true, mode: 0o700 });
  writeFileSync(settings, JSON.stringify({ demo_mode: false }), { mode: 0o600 });
  browserDir = mkdtempSync(join(tmpdir(), "patchbay-recordpage-browser-"));
  browser = testBrowser(browserDir);
  makeTestBrowserTheDefault();
  env = {
    BROWSER: resolve(ROOT, "tests/e2e/browser.mjs"),
    PATCHBAY_TEST_BROWSER_DIR: browserDir,
  };
});

after(async () => {
  await sandbox?.stop();
});

const { TAB, ENTER } = KEYS;

/** The element that has focus: its test id (or tag), text and whether it is hidden. */
const focused = (session) =>
  session.execute("const a = document.activeElement; return [a.dataset.testid ?? a.tagName, a.textContent, a.hidden];");

test("Open in WhatConverts, by keyboard, hands exactly the lead's page to the system browser", async () => {
  const app = await launch({ env });
  try {
    assert.equal((await invoke(app.session, "get_settings")).demo_mode, false, "the real world");
    await clickTestId(app.session, "tile-whatconverts", "the WhatConverts tile");
    await submitKeyForm(app.session, "whatconverts", KEY);
    await waitForRecords(app.session, "whatconverts", LEADS, { timeoutMs: 60000 });

    // The grid's one tab stop (roving tabindex), focused as Tab would reach it; its lead id.
    const leadId = await app.session.execute(
      "const c = document.querySelector('[data-testid=\"records-grid\"] .grid-body [role=\"gridcell\"][tabindex=\"0\"]');" +
        "c.focus(); return c.closest('[role=\"row\"]').querySelector('[role=\"gridcell\"]').textContent.replace(/\\D/g, '');",
    );
    assert.match(leadId, /^\d+$/, "the focused row shows a lead id");
    await press(app.session, ENTER);
    await waitFor("the lead's detail", async () =>
      app.session.execute(
        "const p = document.querySelector('[data-testid=\"detail-panel\"]');" +
          "return !!p && !p.hidden && p.querySelectorAll('.detail-fields dt').length > 0;",
      ),
    );
    // The detail shows that lead (its raw data names the id the address is built from).
    const raw = JSON.parse(
      await app.session.execute("return document.querySelector('[data-testid=\"detail-panel\"] .raw-json').textContent;"),
    );
    assert.equal(String(raw.lead_id), leadId, "the detail is the focused row's lead");
    assert.equal((await focused(app.session))[0], "detail-panel", "the detail takes focus");
    await press(app.session, TAB);
    assert.deepEqual(
      await focused(app.session),
      ["detail-open-in-provider", "Open in WhatConverts", false],
      "Tab from the detail reaches Open in WhatConverts",
    );
    await app.session.screenshot(resolve(SHOTS, "record-page-button.png"));

    const page = `${sandbox.url}/whatconverts/leads/${leadId}`;
    const shown = `showed a page: WhatConverts lead ${leadId}`;
    const times = (text, part) => text.split(part).length - 1;
    await press(app.session, ENTER);
    await waitFor("the browser to show the lead's page", () => times(browser.log(), shown) === 1).catch((e) => {
      throw new Error(`${e.message}\nopened: ${browser.opened().join(", ")}\nbrowser log:\n${browser.log()}`, { cause: e });
    });
    assert.deepEqual(browser.opened(), [page], "exactly that lead's page, on the sandbox's origin");
    const alert = () =>
      app.session.execute(
        "const a = document.querySelector('[data-testid=\"detail-panel\"] [role=\"alert\"]'); return a && !a.hidden ? a.textContent : '';",
      );
    assert.equal(await alert(), "", "no error shown");

    // The window holds no opener permission: only Rust opens, and only a cached record's page.
    const refused = await invoke(app.session, "plugin:opener|open_url", { url: "http://127.0.0.1:9/elsewhere" }).then(
      () => "opened",
      (e) => e.message,
    );
    assert.match(refused, /not allowed/i, "the window may not open URLs itself");

    // The button still works after that refusal: a second Enter opens the same page again.
    await waitFor("the button to be ready again", async () =>
      // Busy is aria-disabled (a disabled button would drop the keyboard's focus in WebKit).
      app.session.execute(
        "const b = document.querySelector('[data-testid=\"detail-open-in-provider\"]'); return !b.disabled && b.getAttribute('aria-disabled') !== 'true';",
      ),
    );
    assert.equal((await focused(app.session))[0], "detail-open-in-provider");
    await press(app.session, ENTER);
    await waitFor("the browser to show the page a second time", () => times(browser.log(), shown) === 2);
    assert.deepEqual(browser.opened(), [page, page], "only the lead's page, twice; nothing else was opened");
    assert.equal(await alert(), "", "no error shown");
  } finally {
    await app.close();
  }
});
