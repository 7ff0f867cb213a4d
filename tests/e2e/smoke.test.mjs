// Smoke test: the real app binary starts, shows the five provider tiles as buttons whose
// accessible names start with each provider's display name, and a screenshot is saved.
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { PROVIDERS, SHOTS, launch, tiles } from "./app.mjs";

test("the main window shows the five provider tiles", async () => {
  const app = await launch();
  try {
    const found = await tiles(app.session);
    await app.session.screenshot(resolve(SHOTS, "smoke-tiles.png"));
    assert.equal(found.length, PROVIDERS.length, `tiles: ${found.map((t) => t.name).join(" | ")}`);
    for (const [, displayName] of PROVIDERS) {
      const tile = found.find((t) => t.name.startsWith(displayName));
      assert.ok(tile, `no tile whose accessible name starts with "${displayName}"`);
      assert.equal(tile.role, "button", `${displayName}'s tile is a ${tile.role}, not a button`);
    }
  } finally {
    await app.close();
  }
});
