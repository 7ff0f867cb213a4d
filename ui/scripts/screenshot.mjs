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
    }
    await page.close();
  }
} finally {
  await browser.close();
  await new Promise((resolve) => server.httpServer.close(resolve));
}
console.log('screenshots written to', out.pathname);
