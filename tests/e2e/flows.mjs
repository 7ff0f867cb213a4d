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
  const sw = await waitFor("the demo mode switch", () => session.find('[data-testid="settings-page"][aria-busy="false"] [data-testid="demo-switch"]'));
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

// ---- what the app should show for a list, computed from the sandbox's records -------------

/** Every WhatConverts lead the sandbox serves, in the API's order (page by page). */
export async function sandboxLeads(base, headers) {
  const leads = [];
  for (let page = 1; page <= 1000; page++) {
    const res = await fetch(`${base}/whatconverts/api/v1/leads?leads_per_page=250&page_number=${page}`, {
      headers,
      signal: AbortSignal.timeout(10000),
    });
    if (!res.ok) throw new Error(`leads page ${page}: ${res.status} ${await res.text()}`);
    const body = await res.json();
    leads.push(...body.leads);
    if (page >= body.total_pages) return leads;
  }
  throw new Error("more than 1000 pages of leads");
}

/** A cell as a CSV export writes it: one that could start a spreadsheet formula (=, +, -, @,
 * tab, CR) after a quote (OWASP's CSV injection rule), phone numbers like "+1 (202) ..." too. */
export const csvSafe = (cell) => (/^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell);

/** RFC 4180: fields split on commas, quoted fields may hold commas, "" and line breaks;
 * records end at CRLF or LF outside quotes. Returns an array of records (arrays of strings). */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endField = () => {
    row.push(field);
    field = "";
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i += 1;
      } else {
        field += c;
        i += 1;
      }
    } else if (c === '"') {
      if (field !== "") throw new Error(`a quote inside an unquoted field at ${i}`);
      quoted = true;
      i += 1;
    } else if (c === ",") {
      endField();
      i += 1;
    } else if (c === "\r" || c === "\n") {
      endField();
      rows.push(row);
      row = [];
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
    } else {
      field += c;
      i += 1;
    }
  }
  if (quoted) throw new Error("the CSV ends inside a quoted field");
  if (field !== "" || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows;
}

/** The cache's money display (patchbay-cache extract.rs `money`): 1234.5 -> "1,234.50". */
export function moneyText(n) {
  const fixed = Math.abs(n).toFixed(2);
  const [int, frac] = fixed.split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${n < 0 && fixed !== "0.00" ? "-" : ""}${grouped}.${frac}`;
}

/**
 * A row's cells as the cache displays (and CSV exports) them, for columns
 * [{ pointer, kind }] (kind as in the provider TOML: text, integer, money, email, phone,
 * date_time). Covers the kinds and value shapes the WhatConverts sandbox sends.
 */
export function displayCells(columns, record) {
  return columns.map(({ pointer, kind }) => {
    const v = pointer.split("/").slice(1).reduce((o, k) => (o == null ? undefined : o[k]), record);
    if (v == null) return "";
    if (kind === "integer") return String(Math.trunc(Number(v)));
    if (kind === "money") return moneyText(Number(v));
    if (typeof v !== "string") throw new Error(`displayCells: no rule for ${JSON.stringify(v)} (${kind})`);
    return v;
  });
}

/** unicode61 with remove_diacritics (patchbay-cache fts.rs): folded, lower-cased words. */
export function ftsWords(text) {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}\p{Co}]+/u)
    .filter(Boolean);
}

/**
 * Whether the app's search for `input` matches a row whose searchable cells are `texts`
 * (fts.rs: every word of the input must be a word of the row, the last one as a prefix;
 * phone cells are also indexed as bare digits).
 */
export function searchMatches(input, texts) {
  const terms = ftsWords(input);
  const words = new Set(texts.flatMap((t) => [...ftsWords(t), t.replace(/\D/g, "")]).filter(Boolean));
  return terms.every((term, i) =>
    i === terms.length - 1 ? [...words].some((w) => w.startsWith(term)) : words.has(term),
  );
}

/** Records per week as the cache counts them (query.rs weekly_counts): weeks start on Monday,
 * UTC, oldest first; only weeks with records. `dateOf(record)` gives the charted date text. */
export function weeklyCounts(records, dateOf) {
  const counts = new Map();
  for (const r of records) {
    const t = Date.parse(dateOf(r));
    if (Number.isNaN(t)) continue;
    const day = new Date(t);
    const monday = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
    const key = new Date(monday).toISOString().slice(0, 10);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([week_start, count]) => ({ week_start, count }));
}

/** The weekly chart as drawn: its bars' titles and its table's rows, as text. */
export const weeklyChartShown = (session) =>
  session.execute(
    "const c = document.querySelector('[data-testid=\"weekly-chart\"]');" +
      "if (!c) return null;" +
      "return { bars: [...c.querySelectorAll('rect.bar')].map((b) => b.textContent.trim())," +
      "  rows: [...c.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())) };",
  );

/** Clicks an export button and waits for "Saved N records to <path>" with that extension. */
export async function exportView(session, testid, ext) {
  await clickTestId(session, testid);
  const text = await waitFor(
    `the ${ext} export to finish`,
    async () => {
      const t = await session.text(await session.find('[data-testid="export-result"]'));
      return new RegExp(`^Saved .+\\.${ext}$`).test(t) ? t : null;
    },
    { timeoutMs: 30000 },
  );
  const m = new RegExp(`^Saved ([\\d,]+) records? to (.+\\.${ext})$`).exec(text);
  if (!m) throw new Error(`unexpected export result: ${text}`);
  return { rows: Number(m[1].replace(/,/g, "")), path: m[2] };
}

/**
 * Clicks `provider`'s tile and waits for its records view: the system browser (browser.mjs,
 * made the default) approves on the consent page and hands the dev.patchbay: link back to the
 * desktop, which delivers it to the app. `browserLog` is shown when it does not arrive.
 */
export async function connectThroughBrowser(session, provider, { browserLog = () => "", timeoutMs = 30000 } = {}) {
  await clickTestId(session, `tile-${provider}`, `the ${provider} tile`);
  await waitFor(
    `${provider}'s records view after approval`,
    async () => (await session.findAll(`[data-testid="records-view"][data-provider="${provider}"]`)).length > 0,
    { timeoutMs },
  ).catch((e) => {
    throw new Error(`${e.message}\nbrowser log:\n${browserLog()}`);
  });
}
