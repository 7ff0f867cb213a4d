// People on the real app in demo mode (issue 15): connect WhatConverts, ClickFunnels and
// WebinarGeek through their tiles, refresh the lists that hold people, then open People. A
// person the sandbox's truth says is both a WhatConverts lead and a ClickFunnels contact is
// found by their email, and their page shows records of both tools, exactly the records the
// truth gives them. The funnel's counts equal the funnel computed from the truth.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT, SHOTS, launch, makeTestBrowserTheDefault } from "./app.mjs";
import { attr, backToTiles, clickTestId, sandboxLeads, sandboxToken, waitForRecords } from "./flows.mjs";
import { startSandbox } from "./sandbox.mjs";
import { waitFor } from "./webdriver.mjs";

let sandbox;
let env;

before(async () => {
  sandbox = await startSandbox(["--records", "20", "--seed", "11"]);
  const browserDir = mkdtempSync(join(tmpdir(), "patchbay-browser-"));
  writeFileSync(join(browserDir, "decision"), "allow");
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

/** The lists connected here, in the order their tabs are opened (the first opens by itself). */
const LISTS = [
  ["whatconverts", ["leads"]],
  ["clickfunnels", ["funnels", "contacts", "orders"]],
  ["webinargeek", ["webinars", "registrations"]],
];
const PEOPLE_LISTS = new Set(["whatconverts/leads", "clickfunnels/contacts", "clickfunnels/orders", "webinargeek/registrations"]);

/** The funnel of the truth's records in the connected lists: people with a lead, of those with
 * a registration, of those who attended one, of those with an order. */
function truthFunnel(rows) {
  const has = (pred) => new Set(rows.filter(pred).map((r) => r.person));
  const leads = has((r) => r.resource === "leads");
  const registered = has((r) => r.provider === "webinargeek");
  const attended = has((r) => r.provider === "webinargeek" && r.attended === true);
  const ordered = has((r) => r.resource === "orders");
  const l = [...leads];
  const g = l.filter((p) => registered.has(p));
  const a = g.filter((p) => attended.has(p));
  const o = a.filter((p) => ordered.has(p));
  return { leads: l.length, registrations: g.length, attended: a.length, orders: o.length };
}

test("People joins three tools: a known email finds one person with records of both tools, and the funnel equals the truth", async () => {
  const all = await (await fetch(`${sandbox.url}/_sandbox/truth`, { signal: AbortSignal.timeout(10000) })).json();
  const truth = all.filter((r) => PEOPLE_LISTS.has(`${r.provider}/${r.resource}`));
  const count = (provider, resource) => truth.filter((r) => r.provider === provider && r.resource === resource).length;
  assert.ok(count("webinargeek", "registrations") > 0 && count("clickfunnels", "orders") > 0, "the sandbox serves people");

  // Someone who is both a WhatConverts lead and a ClickFunnels contact, and their lead's email
  // as WhatConverts serves it.
  const contacts = new Set(truth.filter((r) => r.resource === "contacts").map((r) => r.person));
  const lead = truth.find((r) => r.provider === "whatconverts" && contacts.has(r.person));
  assert.ok(lead, "the truth has a person in both tools");
  const token = await sandboxToken(sandbox.url, "whatconverts");
  const leads = await sandboxLeads(sandbox.url, { Authorization: `Bearer ${token}` });
  const email = leads.find((l) => String(l.lead_id) === lead.record_id)?.contact_email_address?.trim();
  assert.ok(email, `lead ${lead.record_id} has an email`);
  const theirs = truth.filter((r) => r.person === lead.person);

  const app = await launch({ env });
  const { session } = app;
  try {
    await waitFor("the tiles", () => session.find('[data-testid="tile-webinargeek"]'));
    for (const [provider, lists] of LISTS) {
      await session.click(await session.find(`[data-testid="tile-${provider}"]`));
      for (const [i, resource] of lists.entries()) {
        if (i > 0) await clickTestId(session, `resource-tab-${resource}`);
        const n = PEOPLE_LISTS.has(`${provider}/${resource}`) ? count(provider, resource) : null;
        if (n !== null) await waitForRecords(session, provider, n);
        else await waitFor(`${provider} ${resource} to show records`, async () => /^[1-9][\d,]* of /.test(await rowText(session)));
      }
      await backToTiles(session);
    }

    // People: the funnel over everything stored equals the truth's.
    await clickTestId(session, "people");
    await waitFor("the People view", () => session.find('[data-testid="people-view"]'));
    const expected = truthFunnel(truth);
    let shown = null;
    await waitFor("the funnel to equal the truth", async () => {
      shown = await funnelShown(session);
      return JSON.stringify(shown) === JSON.stringify(expected);
    }, { timeoutMs: 20000 }).catch((e) => {
      throw new Error(`${e.message}: shown ${JSON.stringify(shown)}, truth ${JSON.stringify(expected)}`);
    });
    assert.ok(expected.leads > 0 && expected.registrations > 0, JSON.stringify(expected));
    await session.screenshot(resolve(SHOTS, "people.png"));

    // Search the email (as another tool might write it: upper case), open the one person.
    const search = await session.find('[data-testid="people-view"] input[type="search"]');
    await session.type(search, email.toUpperCase());
    await waitFor(`one person for ${email}`, async () => /^1 of /.test(await session.text(await session.find('[data-testid="people-count"]'))));
    const rows = await session.findAll('[data-testid="person-row"]');
    assert.equal(rows.length, 1);
    // A table row is wider than the window; its first cell is where a user clicks.
    await session.click(await session.find('[data-testid="person-row"] td'));
    await waitFor("the person's page", () => session.find('[data-testid="person-page"]'));
    const entries = await waitFor("the person's timeline", async () => {
      const found = await session.findAll('[data-testid="timeline-entry"]');
      return found.length === theirs.length ? found : null;
    });
    const places = [];
    for (const el of entries) places.push(`${await attr(session, el, "data-provider")}/${await attr(session, el, "data-resource")}`);
    assert.deepEqual(places.sort(), theirs.map((r) => `${r.provider}/${r.resource}`).sort(), "exactly the truth's records of this person");
    assert.ok(places.some((p) => p.startsWith("whatconverts/")) && places.some((p) => p.startsWith("clickfunnels/")), places.join());
    await session.screenshot(resolve(SHOTS, "person.png"));
  } finally {
    await app.close();
  }
});

async function rowText(session) {
  const els = await session.findAll('[data-testid="records-view"] [data-testid="row-count"]');
  return els.length ? session.text(els[0]) : "";
}

/** The funnel as shown: { leads, registrations, attended, orders } from its steps' data. */
async function funnelShown(session) {
  const steps = await session.findAll('[data-testid="funnel"] [data-testid="funnel-step"]');
  const out = {};
  for (const el of steps) out[await attr(session, el, "data-step")] = Number(await attr(session, el, "data-people"));
  return out;
}
