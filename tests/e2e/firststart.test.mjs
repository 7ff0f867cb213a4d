// A marketer's first start in the real window: the welcome opens by itself; "Try the demo"
// leads to a connect and its records; "Use my real accounts" leads to the WhatConverts key
// dialog, worked with the keyboard only (Tab, Escape, Enter) against a loopback sandbox in
// API-key mode. Screenshots of the welcome, the tiles and the key dialog in the light and dark
// themes go to target/e2e/ (and, with UPDATE_SCREENSHOTS=1, to docs/ for the README).
// Talks to 127.0.0.1 only.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT, SHOTS, launch, makeTestBrowserTheDefault, settingsFile } from "./app.mjs";
import { ELEMENT, accounts, clickTestId, invoke, rowCount, waitForRecords } from "./flows.mjs";
import { startSandbox } from "./sandbox.mjs";
import { KEYS, press, waitFor } from "./webdriver.mjs";

const WC_KEY = { api_token: "wc-sandbox-token-1", api_secret: "wc-sandbox-secret-1" };
const LEADS = 120;

let demoSandbox; // the demo world's provider imitations (OAuth everywhere)
let keySandbox; // WhatConverts with its real API key
let env;
let browserDir;

before(async () => {
  demoSandbox = await startSandbox(["--records", "60", "--seed", "5"]);
  keySandbox = await startSandbox(["--records", String(LEADS), "--seed", "6", "--auth", "whatconverts=api-key"]);
  browserDir = mkdtempSync(join(tmpdir(), "patchbay-firststart-browser-"));
  writeFileSync(join(browserDir, "decision"), "allow");
  makeTestBrowserTheDefault();
  env = {
    PATCHBAY_SANDBOX_URL: demoSandbox.url,
    BROWSER: resolve(ROOT, "tests/e2e/browser.mjs"),
    PATCHBAY_TEST_BROWSER_DIR: browserDir,
  };
  // The real WhatConverts, as a user could point it (an override file), at the loopback sandbox.
  const dir = join(process.env.XDG_CONFIG_HOME, "patchbay", "providers");
  mkdirSync(dir, { recursive: true });
  const wc = readFileSync(resolve(ROOT, "crates/patchbay-core/providers/whatconverts.toml"), "utf8");
  const from = 'api_base = "https://app.whatconverts.com/api/v1"';
  assert.ok(wc.includes(from));
  writeFileSync(join(dir, "whatconverts.toml"), wc.replace(from, `api_base = "${keySandbox.url}/whatconverts/api/v1"`));
});

after(async () => {
  await demoSandbox?.stop();
  await keySandbox?.stop();
});

/** A first start: no settings file at all, so the welcome opens by itself. */
function freshStart() {
  rmSync(settingsFile(env), { force: true });
}

const welcomeOpen = (session) =>
  session.execute("const d = document.querySelector('[data-testid=\"welcome\"]'); return !!d && d.open;");

const focusedTestId = (session) =>
  session.execute("const a = document.activeElement; return a ? (a.dataset.testid || a.getAttribute('aria-label') || a.tagName) : null;");

const { TAB, ENTER, ESCAPE } = KEYS;

async function shot(session, name) {
  const path = resolve(SHOTS, `${name}.png`);
  await session.screenshot(path);
  if (process.env.UPDATE_SCREENSHOTS === "1") copyFileSync(path, resolve(ROOT, "docs", `screenshot-${name}.png`));
}

async function isDark(session) {
  return session.execute("return matchMedia('(prefers-color-scheme: dark)').matches;");
}

test("welcome → demo → connect a provider → its records", async () => {
  freshStart();
  const app = await launch({ env, welcome: true });
  try {
    const s = app.session;
    await waitFor("the welcome to open by itself", () => welcomeOpen(s));
    assert.equal(await focusedTestId(s), "welcome-demo", "the first choice has focus");
    assert.equal(await isDark(s), false);
    await shot(s, "welcome-light");
    await clickTestId(s, "welcome-demo", "Try the demo");
    await waitFor("the welcome to close", async () => !(await welcomeOpen(s)));
    await waitFor("the welcome remembered", async () => (await invoke(s, "get_settings")).welcome_seen === true);
    assert.equal((await invoke(s, "get_settings")).demo_mode, true, "the demo world is shown");
    assert.ok(JSON.parse(readFileSync(settingsFile(env), "utf8")).welcome_seen, "kept in the settings file");
    await shot(s, "tiles-light");

    // Connect ClickFunnels in the demo: the test browser approves, the records open.
    await clickTestId(s, "tile-clickfunnels");
    await waitFor("ClickFunnels' records view", async () =>
      (await s.findAll('[data-testid="records-view"][data-provider="clickfunnels"]')).length === 1, { timeoutMs: 60000 });
    await waitFor("records in the table", async () => ((await rowCount(s))?.total ?? 0) > 0, { timeoutMs: 60000 });
  } finally {
    await app.close();
  }
  // The next start goes straight to the tiles.
  const again = await launch({ env, welcome: "as saved" });
  try {
    await waitFor("the tiles", () => again.session.find('[data-testid="tile-whatconverts"]'));
    assert.equal(await welcomeOpen(again.session), false, "no welcome once seen");
    // Help opens it again.
    await clickTestId(again.session, "help", "Help");
    await waitFor("the welcome from Help", () => welcomeOpen(again.session));
  } finally {
    await again.close();
  }
});

test("welcome → real accounts → the WhatConverts key dialog, keyboard only", async () => {
  freshStart();
  const app = await launch({ env, welcome: true });
  try {
    const s = app.session;
    await waitFor("the welcome to open by itself", () => welcomeOpen(s));
    // Tab from "Try the demo" to "Use my real accounts", Enter.
    await press(s, TAB);
    assert.equal(await focusedTestId(s), "welcome-real");
    await press(s, ENTER);
    await waitFor("the welcome to close", async () => !(await welcomeOpen(s)));
    await waitFor("the real world", async () => (await invoke(s, "get_settings")).demo_mode === false);
    await waitFor("WhatConverts to take an API key", async () =>
      (await invoke(s, "list_providers")).find((t) => t.id === "whatconverts")?.auth.kind === "api_key");
    // ...and the window's tile to say so: the keyboard acts on what is shown, not on Rust.
    await waitFor("the WhatConverts tile to say it takes a key", async () =>
      /API key/.test(await s.execute(
        "return document.querySelector('[data-testid=\"tile-item-whatconverts\"] .tile-connects')?.textContent ?? '';")));

    // Focus the tile as Tab would reach it, then Enter: the dialog opens on its first field.
    const tile = await s.find('[data-testid="tile-whatconverts"]');
    await s.execute("arguments[0].focus();", [{ [ELEMENT]: tile }]);
    await press(s, ENTER);
    const dialogOpen = () => s.execute("const d = document.querySelector('[data-testid=\"key-dialog-whatconverts\"]'); return !!d && d.open;");
    await waitFor("the key dialog", dialogOpen);
    assert.equal(await focusedTestId(s), "key-field-api_token");
    await shot(s, "key-dialog-light");
    // Tab round the whole dialog and back: the focus never leaves it.
    for (let i = 0; i < 10; i++) {
      await press(s, TAB);
      const inside = await s.execute("return document.querySelector('[data-testid=\"key-dialog-whatconverts\"]').contains(document.activeElement);");
      assert.ok(inside, `Tab ${i + 1} stays in the dialog (focus on ${await focusedTestId(s)})`);
    }
    // Escape closes it and gives the focus back to the tile.
    await press(s, ESCAPE);
    await waitFor("the dialog to close", async () => !(await dialogOpen()));
    assert.equal(await focusedTestId(s), "tile-whatconverts");

    // Again, this time typing the key and pressing Enter in the last field.
    await press(s, ENTER);
    await waitFor("the key dialog again", dialogOpen);
    await press(s, ...WC_KEY.api_token);
    await press(s, TAB, ...WC_KEY.api_secret.split(""));
    // Shift+Tab back and forth would be the same keys; Enter submits from the field.
    await press(s, ENTER);
    await waitForRecords(s, "whatconverts", LEADS, { timeoutMs: 90000 });
    assert.equal(await dialogOpen(), false, "the dialog closed once WhatConverts accepted the key");
  } finally {
    await app.close();
  }
});

test("the welcome, the tiles and the key dialog in the dark theme", async () => {
  freshStart();
  // WebKitGTK follows the GTK theme for prefers-color-scheme.
  const app = await launch({ env: { ...env, GTK_THEME: "Adwaita:dark" }, welcome: true });
  try {
    const s = app.session;
    await waitFor("the welcome", () => welcomeOpen(s));
    assert.equal(await isDark(s), true, "the window is in the dark theme");
    await shot(s, "welcome-dark");
    await clickTestId(s, "welcome-real", "Use my real accounts");
    await waitFor("the welcome to close", async () => !(await welcomeOpen(s)));
    await waitFor("the real world", async () => (await invoke(s, "get_settings")).demo_mode === false);
    await waitFor("WhatConverts to take an API key", async () =>
      (await invoke(s, "list_providers")).find((t) => t.id === "whatconverts")?.auth.kind === "api_key");
    await shot(s, "tiles-dark");
    // The account the keyboard test connected is there: a key for another account.
    const hasAccount = (await accounts(s, "whatconverts")).length > 0;
    await clickTestId(s, hasAccount ? "add-account-whatconverts" : "tile-whatconverts");
    await waitFor("the key dialog", () =>
      s.execute("const d = document.querySelector('[data-testid=\"key-dialog-whatconverts\"]'); return !!d && d.open;"));
    await shot(s, "key-dialog-dark");
  } finally {
    await app.close();
  }
});
