// Screenshots of the built UI (ui/dist) in headless Chromium with the Tauri
// IPC mocked in the page. Run `npm run build` first. Not part of the tests.
import { chromium } from 'playwright';
import { preview } from 'vite';
import { mkdir } from 'node:fs/promises';

const out = new URL('../screenshots/', import.meta.url);
await mkdir(out, { recursive: true });

// Runs inside the page before the app: a tiny stand-in for Rust.
function fakeTauri() {
  const oauth = { kind: 'oauth' };
  const tiles = [
    { id: 'whatconverts', display_name: 'WhatConverts', holds: 'Leads and calls', auth: oauth, waiting_authorize_url: null, accounts: [
      { account_id: 'wc-acme', name: 'Acme Realty', state: { kind: 'connected', last_synced: '2026-11-23T08:40:00Z' } },
      { account_id: 'wc-lake', name: 'Lakeside Homes', state: { kind: 'connected', last_synced: null } },
    ] },
    { id: 'clickfunnels', display_name: 'ClickFunnels', holds: 'Contacts and orders', auth: oauth, waiting_authorize_url: 'https://example.com/authorize', accounts: [] },
    { id: 'webinargeek', display_name: 'WebinarGeek', holds: 'Webinars and registrations', auth: oauth, waiting_authorize_url: null, accounts: [] },
    { id: 'boomtown', display_name: 'BoomTown', holds: 'Real-estate leads', auth: oauth, waiting_authorize_url: null, accounts: [
      { account_id: 'bt-harbor', name: 'Harbor Homes', state: { kind: 'needs_reconnect', reason: 'address_changed' } },
    ] },
    { id: 'emailoctopus', display_name: 'EmailOctopus', holds: 'Lists and contacts', waiting_authorize_url: null, accounts: [
      { account_id: 'eo-octo', name: 'Octo Ltd', state: { kind: 'unavailable', error: { code: 'keychain', message: 'Patchbay could not read this sign-in from your keychain.' } } },
    ], auth: { kind: 'api_key', fields: [{ key: 'api_key', label: 'API key', secret: true }], help_url: null, help_text: 'Find your API key in EmailOctopus under Integrations & API.' } },
  ];
  const columns = [
    { key: 'date', label: 'Date', kind: 'date' },
    { key: 'name', label: 'Name', kind: 'text' },
    { key: 'email', label: 'Email', kind: 'email' },
    { key: 'source', label: 'Source', kind: 'text' },
    { key: 'value', label: 'Value', kind: 'money' },
  ];
  const sources = ['Google Ads', 'Facebook', 'Organic', 'Newsletter'];
  const cells = (i) => [`2026-11-${String(1 + (i % 22)).padStart(2, '0')}`, `Lead ${i}`, `lead${i}@example.com`, sources[i % 4], `$${(i * 37) % 900}.00`];
  const names = ['Maria Lopez', 'Sam Tran', 'Priya Shah', 'Jon Berg', 'Ana Costa', 'Lee Park', 'Noor Haddad', 'Tom Reyes'];
  const toolSets = [['clickfunnels', 'webinargeek', 'whatconverts'], ['emailoctopus', 'whatconverts'], ['clickfunnels', 'webinargeek'], ['boomtown']];
  const people = Array.from({ length: 60 }, (_, i) => ({
    id: i + 1, name: names[i % 8], email: `${names[i % 8].split(' ')[0].toLowerCase()}${i}@example.com`, phone: i % 3 === 0 ? '+1 555 0100' : null,
    first_seen: `2026-0${1 + (i % 3)}-1${i % 10}T09:00:00Z`, last_seen: `2026-0${4 + (i % 3)}-0${1 + (i % 9)}T09:00:00Z`,
    source: sources[i % 4], medium: 'cpc', campaign: i % 2 ? 'Spring Promo' : null, tools: toolSets[i % 4], records: 3,
    leads: 1, registrations: i % 3 ? 1 : 0, attended: i % 5 ? 1 : 0, orders: i % 4 === 0 ? 1 : 0, revenue: i % 4 === 0 ? 97 : 0,
  }));
  const timeline = [
    { record: { provider: 'clickfunnels', account: 'cf', resource: 'orders', record_id: 'o1' }, index: 0, role: 'order', at: '2026-03-12T15:00:00Z', summary: 'Order · 97.00 USD' },
    { record: { provider: 'webinargeek', account: 'wg', resource: 'registrations', record_id: 'r1' }, index: 0, role: 'registration', at: '2026-03-05T10:00:00Z', summary: 'Registration · Spring webinar · attended' },
    { record: { provider: 'whatconverts', account: 'wc', resource: 'leads', record_id: 'l1' }, index: 0, role: 'lead', at: '2026-03-01T09:30:00Z', summary: 'Lead · google / cpc · Spring Promo' },
  ];
  const handlers = {
    list_providers: () => tiles,
    get_settings: () => ({ demo_mode: true, providers: tiles.map((t) => ({ id: t.id, display_name: t.display_name, client_id: null, base_url: null })) }),
    list_resources: () => [
      { id: 'leads', label: 'Leads', columns, chart_by_week: true },
      { id: 'calls', label: 'Calls', columns: columns.slice(0, 3), chart_by_week: false },
    ],
    sync_resource: () => ({ total: 100000, synced_at: '2026-11-23T09:00:00Z', pass: 'incremental', added: 12, updated: 3, removed: 0, requests: 1 }),
    sync_statuses: ({ providerId, accountId }) => [
      { provider: providerId, account: accountId, resource: 'leads', running: false, next_run: '2026-11-23T09:15:00Z', last_success: '2026-11-23T09:00:00Z', last_run: { pass: 'incremental', added: 12, updated: 3, removed: 0, requests: 1, total: 100000, finished_at: '2026-11-23T09:00:00Z' }, error: null, paused_until: null, budget: { used: 360, limit: 1000, remaining: 640, resets_at: '2026-11-24T00:00:00Z' } },
      { provider: providerId, account: accountId, resource: 'calls', running: false, next_run: null, last_success: null, last_run: null, error: null, paused_until: null, budget: null },
    ],
    query_records: ({ query }) => ({
      total: 100000,
      matched: 100000,
      rows: Array.from({ length: query.limit }, (_, k) => ({ index: query.offset + k, cells: cells(query.offset + k) })),
    }),
    weekly_counts: () => Array.from({ length: 16 }, (_, i) => ({ week_start: `2026-${String(8 + Math.floor(i / 4)).padStart(2, '0')}-${String(1 + (i % 4) * 7).padStart(2, '0')}`, count: 20 + ((i * 53) % 70) })),
    people: ({ query }) => {
      const found = people.filter((p) => query.search === '' || `${p.name} ${p.email}`.toLowerCase().includes(query.search.toLowerCase()));
      return { total: 1840, matched: query.search === '' ? 1840 : found.length, rows: found.slice(query.offset, query.offset + query.limit) };
    },
    person: ({ person }) => ({ person: people.find((p) => p.id === person) ?? people[0], timeline }),
    merge_suggestions: ({ person }) => (person === 1 ? [{ person: { ...people[0], id: 99, email: 'm.lopez@work.example', tools: ['boomtown'], records: 1 }, reason: 'Same name: Maria Lopez' }] : []),
    funnel: () => ({ steps: [
      { step: 'leads', people: 1200, rate: null, revenue: 0 },
      { step: 'registrations', people: 410, rate: 410 / 1200, revenue: 0 },
      { step: 'attended', people: 236, rate: 236 / 410, revenue: 0 },
      { step: 'orders', people: 58, rate: 58 / 236, revenue: 17342 },
    ] }),
    attribution: ({ by }) => ({
      source: [{ value: 'google', people: 620, revenue: 9800 }, { value: 'facebook', people: 410, revenue: 5200 }, { value: 'zillow', people: 170, revenue: 2342 }, { value: '(none)', people: 640, revenue: 0 }],
      medium: [{ value: 'cpc', people: 700, revenue: 11000 }, { value: 'social', people: 400, revenue: 5000 }, { value: 'referral', people: 100, revenue: 1342 }],
      campaign: [{ value: 'Spring Promo', people: 500, revenue: 12000 }, { value: 'Open House', people: 300, revenue: 5342 }],
    })[by],
    record_detail: ({ index }) => ({ fields: columns.map((c, i) => ({ label: c.label, value: cells(index)[i] })), raw_json: JSON.stringify({ id: index }, null, 2) }),
  };
  let nextId = 1;
  globalThis.__TAURI_INTERNALS__ = {
    invoke: async (cmd, args) => {
      if (cmd.startsWith('plugin:event|')) return nextId++;
      const h = handlers[cmd];
      if (!h) throw { code: 'unknown', message: `No ${cmd} here.` };
      return h(args ?? {});
    },
    transformCallback: () => nextId++,
    unregisterCallback: () => {},
  };
  globalThis.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: () => {} };
}

const server = await preview({ preview: { host: '127.0.0.1', port: 4173, strictPort: false }, logLevel: 'silent' });
const url = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:4173/';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  for (const scheme of ['light', 'dark']) {
    const page = await browser.newPage({ viewport: { width: 1100, height: 760 }, colorScheme: scheme });
    await page.addInitScript(fakeTauri);
    await page.goto(url);
    await page.getByTestId('tiles').waitFor();
    await page.screenshot({ path: new URL(`main-${scheme}.png`, out).pathname });
    if (scheme === 'light') {
      await page.getByRole('button', { name: 'Open Acme Realty in WhatConverts' }).click();
      await page.getByText(/of 100,000 records/).waitFor();
      await page.locator('.grid-body [role="row"]').nth(3).click();
      await page.getByTestId('detail-panel').getByText('lead3@example.com').waitFor();
      await page.screenshot({ path: new URL('records-light.png', out).pathname, fullPage: true });
      await page.getByTestId('back').click();
    }
    await page.getByTestId('people').click();
    await page.getByText('1,840 of 1,840 people').waitFor();
    await page.getByTestId('person-row').first().focus();
    await page.keyboard.press('ArrowDown');
    await page.screenshot({ path: new URL(`people-${scheme}.png`, out).pathname, fullPage: true });
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await page.getByTestId('timeline-entry').first().waitFor();
    await page.getByRole('checkbox').first().check();
    await page.screenshot({ path: new URL(`person-${scheme}.png`, out).pathname, fullPage: true });
    await page.close();
  }
} finally {
  await browser.close();
  await new Promise((resolve) => server.httpServer.close(resolve));
}
console.log('screenshots written to', out.pathname);
