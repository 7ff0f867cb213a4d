// Smoke test: the real app binary starts, shows the five provider tiles as buttons whose
// accessible names start with each provider's display name, and a screenshot is saved. A
// fresh start is demo mode: every tile is not connected and lists no account. The page got
// that first screen from the shell, not by asking for it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { PROVIDERS, SHOTS, launch, tiles } from "./app.mjs";
import { waitFor } from "./webdriver.mjs";

test("the main window shows the five provider tiles", async () => {
  const app = await launch();
  try {
    const found = await tiles(app.session);
    // Without WebKit's compositor the shell makes the window hidden and shows it once the
    // page has loaded (src-tauri/lib.rs, `shown_once_loaded`): it must be shown.
    await waitFor("the window shown (the page visible)", async () =>
      (await app.session.execute("return document.visibilityState;")) === "visible",
    );
    await app.session.screenshot(resolve(SHOTS, "smoke-tiles.png"));
    assert.equal(found.length, PROVIDERS.length, `tiles: ${found.map((t) => t.name).join(" | ")}`);
    for (const [, displayName] of PROVIDERS) {
      const tile = found.find((t) => t.name.startsWith(displayName));
      assert.ok(tile, `no tile whose accessible name starts with "${displayName}"`);
      assert.equal(tile.role, "button", `${displayName}'s tile is a ${tile.role}, not a button`);
    }
    const shown = await app.session.execute(
      "return [...document.querySelectorAll('[data-testid=\"tiles\"] [data-provider]')].map((b) => [b.dataset.provider, b.dataset.state," +
        " document.querySelectorAll(`[data-testid^=\"account-${b.dataset.provider}-\"]`).length]);" ,
    );
    assert.deepEqual(shown, PROVIDERS.map(([id]) => [id, "not_connected", 0]));
    const banner = await app.session.execute("return document.querySelector('[data-testid=\"demo-banner\"]').hidden;");
    assert.equal(banner, false, "a fresh start shows the demo banner");
    // The shell handed the page its first screen (src-tauri/lib.rs, `send_first_screen`)
    // before the page's script ran: the page never had to ask for it.
    const handed = await app.session.execute(
      "const s = window.__PATCHBAY_INITIAL_STATE__;" +
        " return { ids: s ? s.tiles.map((t) => t.id) : null, asked: performance.getEntriesByName('patchbay:first-screen-asked').length };",
    );
    assert.deepEqual(handed, { ids: PROVIDERS.map(([id]) => id), asked: 0 }, "the page has the shell's first screen and did not ask");
  } finally {
    await app.close();
  }
});
