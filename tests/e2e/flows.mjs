// Steps the end-to-end tests share: reading the window (tile and account states, the row
// count), driving it (a tile's connect, the API-key form, the demo mode switch), a spy on the
// window's events, and what the sandbox itself holds (its record counts, read over its API).
// Everything talks to 127.0.0.1 only.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "./webdriver.mjs";

export const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export const attr = (session, el, name) => session.cmd("GET", `/element/${el}/attribute/${name}`);

export async function tileState(session, id) {
  return attr(session, await session.find(`[data-testid="tile-${id}"]`), "data-state");
}

/** The tile's accounts as listed: [{ id, state, name }] in order. */
export function accounts(session, id) {
  return session.execute(
    "return [...document.querySelectorAll(`[data-testid^=\"account-${arguments[0]}-\"]`)]" +
      ".map((el) => ({ id: el.dataset.accountId, state: el.dataset.state, name: el.getAttribute('aria-label'), testid: el.dataset.testid }));",
    [id],
  );
}

/** The records view's "N of M records" as numbers, or null while it says something else. */
export async function rowCount(session) {
  const els = await session.findAll('[data-testid="records-view"] [data-testid="row-count"]');
  if (els.length === 0) return null;
  const m = /^([\d,]+) of ([\d,]+) record/.exec(await session.text(els[0]));
  return m ? { matched: Number(m[1].replace(/,/g, "")), total: Number(m[2].replace(/,/g, "")) } : null;
}

/** Waits for the records view of `provider` (and `account` when given) to show `n` of `n`. */
export async function waitForRecords(session, provider, n, { account, timeoutMs = 60000 } = {}) {
  const sel = `[data-testid="records-view"][data-provider="${provider}"]${account ? `[data-account="${account}"]` : ""}`;
  let last = null;
  await waitFor(
    `${provider}'s records view to show ${n} of ${n}`,
    async () => {
      if ((await session.findAll(sel)).length === 0) return false;
      last = await rowCount(session);
      return last && last.matched === n && last.total === n;
    },
    { timeoutMs },
  ).catch((e) => {
    throw new Error(`${e.message} (last seen: ${JSON.stringify(last)})`);
  });
}

export async function clickTestId(session, testid, what = testid) {
  const el = await waitFor(what, async () => {
    const found = await session.findAll(`[data-testid="${testid}"]`);
    return found[0] ?? null;
  });
  await session.scrollIntoView(el);
  await session.click(el);
}

/** Back to the tiles from records or settings (a no-op on the tiles). */
export async function backToTiles(session) {
  const back = await session.findAll('[data-testid="back"]');
  if (back.length > 0) await session.click(back[0]);
  await waitFor("the tiles", async () => (await session.findAll('[data-testid="tiles"] [data-provider]')).length === 5);
}

/** Calls a command through the window's own IPC (what the UI's ipc.ts does). */
export async function invoke(session, cmd, args = {}) {
  const r = await session.cmd("POST", "/execute/async", {
    script:
      "const done = arguments[arguments.length - 1];" +
      "window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then((v) => done({ ok: v ?? null }), (e) => done({ error: e }));",
    args: [cmd, args],
  });
  if ("error" in r) {
    const err = new Error(`${cmd}: ${JSON.stringify(r.error)}`);
    err.command = r.error;
    throw err;
  }
  return r.ok;
}

/** Turns Settings' demo mode switch to `on`, saves, and comes back to the tiles of that world. */
export async function setDemoMode(session, on) {
  await backToTiles(session);
  await clickTestId(session, "settings", "the Settings button");
  const sw = await waitFor("the demo mode switch", () => session.find('[data-testid="demo-switch"]'));
  // The page fills the switch from get_settings: wait for it to say the current world.
  const current = (await invoke(session, "get_settings")).demo_mode;
  await waitFor("the switch to show the saved setting", async () =>
    (await session.execute("return arguments[0].checked;", [{ [ELEMENT]: sw }])) === current,
  );
  if (current !== on) await session.click(sw);
  await clickTestId(session, "save-settings");
  await waitFor("Settings saved", async () =>
    (await session.text(await session.find('[data-testid="settings-status"]'))) === "Settings saved.",
  );
  const now = (await invoke(session, "get_settings")).demo_mode;
  if (now !== on) throw new Error(`demo mode is ${now} after saving ${on}`);
  await backToTiles(session);
  await waitFor(`the demo banner ${on ? "shown" : "hidden"}`, async () => {
    const hidden = await session.execute(
      "return document.querySelector('[data-testid=\"demo-banner\"]').hidden;",
    );
    return hidden === !on;
  });
}

/** Clears the API-key form's fields and types `values` into them, then presses Test and save. */
export async function submitKeyForm(session, provider, values) {
  const form = `[data-testid="key-form-${provider}"]`;
  await waitFor("the API-key form", async () =>
    session.execute("const f = document.querySelector(arguments[0]); return !!f && !f.hidden;", [form]),
  );
  for (const [key, value] of Object.entries(values)) {
    const input = await session.find(`${form} [data-testid="key-field-${key}"]`);
    await session.cmd("POST", `/element/${input}/clear`, {});
    await session.type(input, value);
  }
  await session.click(await session.find(`${form} [data-testid="key-save"]`));
}

/** The error the API-key form shows, once it shows one. */
export function keyFormError(session, provider) {
  return waitFor(
    "an error in the API-key form",
    async () => {
      const texts = await session.execute(
        "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent.trim()).filter((t) => t);",
        [`[data-testid="key-form-${provider}"] [data-testid="error"]`],
      );
      return texts[0] ?? null;
    },
    { timeoutMs: 30000 },
  );
}

/**
 * Subscribes in the window to `events` the way any script in the page could: through
 * __TAURI_INTERNALS__ and the event plugin's `listen` command. Each payload received is kept
 * in window.__spy[event]. Throws when the subscription is refused.
 */
export async function installEventSpy(session, events) {
  const r = await session.cmd("POST", "/execute/async", {
    script: `
      const done = arguments[arguments.length - 1];
      const T = window.__TAURI_INTERNALS__;
      window.__spy = window.__spy || {};
      Promise.all(arguments[0].map((event) => {
        window.__spy[event] = [];
        const handler = T.transformCallback((e) => {
          let text;
          try { text = JSON.stringify(e.payload); } catch (err) { text = String(err); }
          window.__spy[event].push(text);
        });
        return T.invoke('plugin:event|listen', { event, target: { kind: 'Any' }, handler });
      })).then((ids) => done({ ids }), (e) => done({ error: String(e) }));`,
    args: [events],
  });
  if (r.error) throw new Error(`the window could not subscribe: ${r.error}`);
  return r.ids;
}

/** What the spy heard: { event: [payload text, ...] }. */
export const spyHeard = (session) => session.execute("return window.__spy || {};");

/** The test browser's directory helpers (see browser.mjs). */
export function testBrowser(dir) {
  const read = (name) => {
    try {
      return readFileSync(join(dir, name), "utf8");
    } catch {
      return "";
    }
  };
  return {
    decide: (decision) => writeFileSync(join(dir, "decision"), decision),
    log: () => read("browser.log"),
    opened: () => read("opened.txt").trim().split("\n").filter(Boolean),
  };
}

// ---- the sandbox's own view of its data -------------------------------------------------

/** An access token for `provider` from an OAuth sandbox, as its one public client. */
export async function sandboxToken(base, provider) {
  const verifier = randomBytes(32).toString("base64url");
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const redirect = "dev.patchbay:/oauth/callback";
  const q = new URLSearchParams({
    response_type: "code",
    client_id: "patchbay-desktop",
    redirect_uri: redirect,
    code_challenge: challenge,
    code_challenge_method: "S256",
    state: randomBytes(16).toString("base64url"),
  });
  const opts = { signal: AbortSignal.timeout(10000) };
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
  const token = await fetch(`${base}/${provider}/oauth/token`, {
    ...opts,
    method: "POST",
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirect,
      client_id: "patchbay-desktop",
      code_verifier: verifier,
    }),
  });
  if (!token.ok) throw new Error(`token for ${provider}: ${token.status} ${await token.text()}`);
  return (await token.json()).access_token;
}

/**
 * How many records the sandbox serves in each provider's first list (the one the records view
 * opens on), read over its API: totals where the API gives one, else by paging to the end.
 * `auth(provider)` gives the request headers.
 */
export async function sandboxCounts(base, auth) {
  const get = async (provider, path) => {
    const res = await fetch(`${base}${path}`, { headers: await auth(provider), signal: AbortSignal.timeout(10000) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return { body: await res.json(), headers: res.headers };
  };
  const counts = {};
  counts.whatconverts = (await get("whatconverts", "/whatconverts/api/v1/leads?leads_per_page=1")).body.total_leads;
  counts.webinargeek = (await get("webinargeek", "/webinargeek/api/v2/webinars?per_page=1")).body.pagination.total_count;
  counts.boomtown = (await get("boomtown", "/boomtown/v1/leads?limit=1")).body.total;
  const me = (await get("clickfunnels", "/clickfunnels/api/v2/me")).body;
  const ws = me.teams[0].workspaces[0].id;
  let n = 0;
  let after = null;
  for (let i = 0; i < 1000; i++) {
    const page = await get("clickfunnels", `/clickfunnels/api/v2/workspaces/${ws}/funnels?limit=100${after ? `&after=${after}` : ""}`);
    n += page.body.length;
    after = page.headers.get("pagination-next");
    if (!after) break;
  }
  counts.clickfunnels = n;
  n = 0;
  let cursor = null;
  for (let i = 0; i < 1000; i++) {
    const page = await get("emailoctopus", `/emailoctopus/lists?limit=100${cursor ? `&starting_after=${encodeURIComponent(cursor)}` : ""}`);
    n += page.body.data.length;
    cursor = page.body.paging.next?.starting_after;
    if (!cursor) break;
  }
  counts.emailoctopus = n;
  return counts;
}

/** sandboxCounts for an OAuth sandbox: one token per provider, got as the app's client. */
export async function oauthSandboxCounts(base) {
  const tokens = {};
  return sandboxCounts(base, async (p) => {
    tokens[p] ??= await sandboxToken(base, p);
    return { authorization: `Bearer ${tokens[p]}` };
  });
}
