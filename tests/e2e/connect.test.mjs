// The whole connect flow on the real app: click a tile, the system browser (our test script)
// approves on the sandbox's consent page, the dev.patchbay: redirect reaches the running app
// through a second instance, and the records view opens. Then Deny, restart and Disconnect.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT, SHOTS, launch } from "./app.mjs";
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

/** Our browser script becomes what the desktop opens for http and https URLs (in the
 * throwaway HOME that scripts/with-keyring.sh made), as a user's browser would be. */
function makeTestBrowserTheDefault() {
  const home = process.env.XDG_DATA_HOME;
  assert.ok(home?.startsWith(tmpdir()), "run the e2e tests through scripts/e2e.sh (throwaway HOME)");
  const apps = join(home, "applications");
  mkdirSync(apps, { recursive: true });
  writeFileSync(
    join(apps, "patchbay-test-browser.desktop"),
    [
      "[Desktop Entry]",
      "Type=Application",
      "Name=Patchbay test browser",
      `Exec=${resolve(ROOT, "tests/e2e/browser.mjs")} %u`,
      "MimeType=x-scheme-handler/http;x-scheme-handler/https;",
      "NoDisplay=true",
      "",
    ].join("\n"),
  );
  for (const scheme of ["http", "https"]) {
    execFileSync("xdg-mime", ["default", "patchbay-test-browser.desktop", `x-scheme-handler/${scheme}`]);
  }
}

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
    await app.session.screenshot(resolve(SHOTS, "connect-records.png"));
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
