import { afterEach, describe, expect, test } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import { connectedAccount, syncStatus, type FakeBackend } from '../test/fakeBackend';
import { mountApp, type Mounted } from '../test/mount';
import { FOLLOW_PAUSE_MS } from './resourcePanel';

let m: Mounted | undefined;
afterEach(() => {
  m?.unmount();
  m = undefined;
});

async function openWhatConverts(tune?: (b: FakeBackend) => void): Promise<Mounted> {
  m = await mountApp(tune);
  await page.getByRole('button', { name: /^WhatConverts/ }).click();
  await expect.element(page.getByTestId('records-view')).toBeVisible();
  return m;
}

/** WhatConverts with 250 records stored, its records' queries held until `answer()`. */
async function openStoredWithFirstPageHeld(): Promise<{ mounted: Mounted; answer: () => void }> {
  let answer = (): void => undefined;
  const firstPage = new Promise<void>((resolve) => {
    answer = resolve;
  });
  const mounted = await openWhatConverts((b) => {
    b.providers = b.providers.map((t) => (t.id === 'whatconverts' ? { ...t, accounts: [connectedAccount('wc-acme', 'Acme Realty', null, 250)] } : t));
    b.on('query_records', async ({ query }) => {
      await firstPage;
      return b.query(query);
    });
  });
  return { mounted, answer };
}

function rows(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('[data-testid="records-grid"] .grid-body [role="row"]')];
}

describe('records view', () => {
  test('what an earlier sync stored shows at once, while the new sync still runs', async () => {
    let release = (): void => undefined;
    const mounted = await openWhatConverts((b) => {
      release = b.holdSync();
    });
    await expect.element(page.getByRole('progressbar')).toBeVisible();
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    await expect.poll(() => rows().length).toBeGreaterThan(0);
    expect(mounted.backend.callsOf('query_records').length).toBeGreaterThan(0);
    release();
    await expect.element(page.getByRole('progressbar')).not.toBeInTheDocument();
  });

  test('with records stored, their first page is asked for alone; the refresh and the views follow it', async () => {
    const { mounted, answer } = await openStoredWithFirstPageHeld();
    await expect.poll(() => mounted.backend.callsOf('query_records').length).toBe(1);
    // The only call after the lists is the first page's query: the sync panel's statuses
    // wait for the painted rows too.
    const afterLists = mounted.backend.calls.slice(mounted.backend.calls.findIndex((c) => c.cmd === 'list_resources') + 1);
    expect(afterLists.map((c) => c.cmd).filter((cmd) => !cmd.startsWith('plugin:'))).toEqual(['query_records']);
    expect(mounted.backend.callsOf('sync_resource')).toEqual([]);
    expect(mounted.backend.callsOf('list_views')).toEqual([]);
    expect(mounted.backend.callsOf('sync_statuses')).toEqual([]);
    answer();
    await expect.poll(() => rows().length).toBeGreaterThan(0);
    await expect.poll(() => mounted.backend.callsOf('sync_resource').length).toBe(1);
    expect(mounted.backend.callsOf('list_views').length).toBe(1);
    await expect.poll(() => mounted.backend.callsOf('sync_statuses').length).toBe(1);
  });

  test('a run that ends while the first rows load still reaches the sync panel', async () => {
    const { mounted, answer } = await openStoredWithFirstPageHeld();
    await expect.poll(() => mounted.backend.callsOf('query_records').length).toBe(1);
    const last = syncStatus().last_run;
    if (!last) throw new Error('syncStatus() has a last run');
    await mounted.backend.emit('sync-status', syncStatus({ last_run: { ...last, added: 3, finished_at: '2026-11-23T09:15:00Z' } }));
    answer();
    await expect.poll(() => mounted.backend.callsOf('sync_statuses').length).toBe(1);
    await expect.element(page.getByTestId('sync-panel')).toHaveTextContent('3 added · 0 updated · 0 removed');
  });

  test('syncs on open, the progress bar follows sync-progress events, then rows show', async () => {
    let release = (): void => undefined;
    const mounted = await openWhatConverts((b) => {
      release = b.holdSync();
    });
    await expect.poll(() => mounted.backend.callsOf('sync_resource').map((c) => c.args)).toEqual([{ list: { provider: 'whatconverts', account: 'wc-acme', resource: 'leads' } }]);
    const bar = page.getByRole('progressbar');
    await expect.element(bar).toBeVisible();

    await mounted.backend.emit('sync-progress', { provider_id: 'whatconverts', account_id: 'wc-acme', resource_id: 'leads', fetched: 100, total: 250, done: false });
    await expect.element(bar).toHaveAttribute('aria-valuenow', '100');
    await expect.element(bar).toHaveAttribute('aria-valuemax', '250');
    await expect.element(page.getByText('Fetched 100 of 250 records')).toBeVisible();

    // Events for another resource, provider or account are not ours.
    await mounted.backend.emit('sync-progress', { provider_id: 'whatconverts', account_id: 'wc-acme', resource_id: 'calls', fetched: 7, total: 9, done: false });
    await mounted.backend.emit('sync-progress', { provider_id: 'boomtown', account_id: 'bt-harbor', resource_id: 'leads', fetched: 8, total: 9, done: false });
    await mounted.backend.emit('sync-progress', { provider_id: 'whatconverts', account_id: 'wc-lake', resource_id: 'leads', fetched: 9, total: 9, done: false });
    expect(bar.element().getAttribute('aria-valuenow')).toBe('100');
    expect(bar.element().getAttribute('aria-valuemax')).toBe('250');
    await mounted.backend.emit('sync-progress', { provider_id: 'whatconverts', account_id: 'wc-acme', resource_id: 'leads', fetched: 200, total: 250, done: false });
    await expect.element(bar).toHaveAttribute('aria-valuenow', '200');
    await expect.element(page.getByText('Fetched 200 of 250 records')).toBeVisible();

    release();
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    expect(bar.query()).toBeNull();
    await expect.poll(() => rows()[0]?.textContent ?? '').toContain('Lead 0');
    // Only the visible window (+ overscan) is asked for.
    const q = mounted.backend.lastQuery();
    expect(q).toMatchObject({ search: '', sort: null, offset: 0 });
    expect(q?.limit).toBeLessThanOrEqual(100);
  });

  test('a first sync shows its first stored rows before it ends', async () => {
    let release = (): void => undefined;
    const mounted = await openWhatConverts((b) => {
      b.rowCount = 0;
      release = b.holdSync();
    });
    await expect.poll(() => mounted.backend.callsOf('sync_resource')).toHaveLength(1);
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('0 of 0 records');
    // The first page is in the cache; the sync goes on.
    mounted.backend.rowCount = 250;
    await mounted.backend.emit('sync-progress', { provider_id: 'whatconverts', account_id: 'wc-acme', resource_id: 'leads', fetched: 250, total: 1000, done: false });
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    await expect.poll(() => rows()[0]?.textContent ?? '').toContain('Lead 0');
    expect(page.getByRole('progressbar').query()).not.toBeNull();
    await expect.poll(() => performance.getEntriesByName('patchbay:first-rows-painted').length).toBeGreaterThan(0);
    release();
  });

  test('a first sync that ends while its first rows load reloads and charts only after the frame that draws them', async () => {
    performance.clearMarks();
    let release = (): void => undefined;
    let answerRows = (): void => undefined;
    const rowsHeld = new Promise<void>((resolve) => {
      answerRows = resolve;
    });
    let hold = false;
    const mounted = await openWhatConverts((b) => {
      b.rowCount = 0;
      release = b.holdSync();
      b.on('query_records', async ({ query }) => {
        if (hold) await rowsHeld;
        return b.query(query);
      });
    });
    await expect.poll(() => mounted.backend.callsOf('sync_resource')).toHaveLength(1);
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('0 of 0 records');
    // The first page is stored; its rows' query is held while the sync ends.
    mounted.backend.rowCount = 250;
    hold = true;
    const queries = mounted.backend.callsOf('query_records').length;
    await mounted.backend.emit('sync-progress', { provider_id: 'whatconverts', account_id: 'wc-acme', resource_id: 'leads', fetched: 250, total: 250, done: false });
    await expect.poll(() => mounted.backend.callsOf('query_records').length).toBe(queries + 1);
    const charts = mounted.backend.callsOf('weekly_counts').length;
    release();
    await expect.element(page.getByRole('progressbar')).not.toBeInTheDocument();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(mounted.backend.callsOf('query_records').length).toBe(queries + 1);
    expect(mounted.backend.callsOf('weekly_counts').length).toBe(charts);
    hold = false;
    answerRows();
    await expect.poll(() => performance.getEntriesByName('patchbay:first-rows-painted').length).toBe(1);
    await expect.poll(() => mounted.backend.callsOf('query_records').length).toBe(queries + 2);
    await expect.poll(() => mounted.backend.callsOf('weekly_counts').length).toBe(charts + 1);
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
  });

  test('an unknown total shows fetched records without a maximum', async () => {
    let release = (): void => undefined;
    const mounted = await openWhatConverts((b) => {
      release = b.holdSync();
    });
    await expect.poll(() => mounted.backend.callsOf('sync_resource')).toHaveLength(1);
    await mounted.backend.emit('sync-progress', { provider_id: 'whatconverts', account_id: 'wc-acme', resource_id: 'leads', fetched: 40, total: null, done: false });
    const bar = page.getByRole('progressbar');
    await expect.element(bar).toHaveAttribute('aria-valuenow', '40');
    expect(bar.element().hasAttribute('aria-valuemax')).toBe(false);
    await expect.element(page.getByText('Fetched 40 records')).toBeVisible();
    release();
  });

  test('a failed sync shows its message as an alert', async () => {
    await openWhatConverts((b) => {
      b.fail('sync_resource', 'WhatConverts asked us to slow down. Try Refresh in a minute.');
    });
    await expect.element(page.getByRole('alert')).toHaveTextContent('WhatConverts asked us to slow down. Try Refresh in a minute.');
  });

  test('search sends the text to query_records and updates the count', async () => {
    const mounted = await openWhatConverts();
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    await page.getByRole('searchbox', { name: 'Search records' }).fill('lead12');
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('11 of 250 records');
    expect(mounted.backend.lastQuery()).toMatchObject({ search: 'lead12', offset: 0 });
    await expect.poll(() => rows().length).toBe(11);
    expect(rows()[0]?.textContent).toContain('Lead 12');
  });

  test('a search that matches nothing shows 0 and an empty grid', async () => {
    await openWhatConverts();
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    await page.getByRole('searchbox', { name: 'Search records' }).fill('zebra');
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('0 of 250 records');
    await expect.poll(() => rows().length).toBe(0);
  });

  test('a new sort scrolls back to the first row', async () => {
    await openWhatConverts((b) => {
      b.rowCount = 5000;
    });
    await expect.poll(() => rows().length).toBeGreaterThan(3);
    const scroller = document.querySelector<HTMLElement>('.grid-scroll');
    if (!scroller) throw new Error('no scroller');
    scroller.scrollTop = 50_000;
    await expect.poll(() => rows().some((r) => r.textContent.includes('Lead 14'))).toBe(true);
    await page.getByRole('button', { name: 'Name' }).click();
    await expect.poll(() => scroller.scrollTop).toBe(0);
    await expect.poll(() => rows()[0]?.textContent ?? '').toContain('Lead 0');
  });

  test('typing queries at once, one query at a time, and ends on the last text typed', async () => {
    const mounted = await openWhatConverts();
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    const before = mounted.backend.callsOf('query_records').length;
    const box = page.getByRole('searchbox', { name: 'Search records' });
    (box.element() as HTMLElement).focus();
    await userEvent.keyboard('l');
    // No pause needed: the first keystroke is searched for straight away.
    await expect.poll(() => mounted.backend.callsOf('query_records').slice(before)
      .map((c) => (c.args.query as { search: string }).search)).toContain('l');
    await userEvent.keyboard('ead2');
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('61 of 250 records');
    const searches = mounted.backend.callsOf('query_records').slice(before)
      .map((c) => (c.args.query as { search: string }).search);
    // Keystrokes typed while a query runs are coalesced: only growing prefixes, each once,
    // and the last one is what the box holds.
    const prefixes = ['l', 'le', 'lea', 'lead', 'lead2'];
    expect(searches.at(-1)).toBe('lead2');
    expect(searches.map((s) => prefixes.indexOf(s))).toEqual(
      [...new Set(searches.map((s) => prefixes.indexOf(s)))].sort((a, b) => a - b),
    );
    expect(searches.every((s) => prefixes.includes(s))).toBe(true);
  });

  test('a search marks its keystroke and the painted answer for the benchmark', async () => {
    await openWhatConverts();
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    performance.clearMarks();
    await page.getByRole('searchbox', { name: 'Search records' }).fill('zebra');
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('0 of 250 records');
    await expect.poll(() => performance.getEntriesByName('patchbay:search-painted').length).toBe(1);
    const [input] = performance.getEntriesByName('patchbay:search-input');
    const [shown] = performance.getEntriesByName('patchbay:search-shown');
    const [painted] = performance.getEntriesByName('patchbay:search-painted');
    expect(input).toBeDefined();
    expect(shown?.startTime).toBeGreaterThanOrEqual(input?.startTime ?? Infinity);
    expect(painted?.startTime).toBeGreaterThanOrEqual(shown?.startTime ?? Infinity);
  });

  test('sorting toggles aria-sort and sends the sort spec', async () => {
    const mounted = await openWhatConverts();
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    const header = page.getByRole('columnheader', { name: 'Name' });
    expect(header.element().hasAttribute('aria-sort')).toBe(false);

    await page.getByRole('button', { name: 'Name' }).click();
    await expect.element(header).toHaveAttribute('aria-sort', 'ascending');
    await expect.poll(() => mounted.backend.lastQuery()?.sort).toEqual({ key: 'name', descending: false });

    await page.getByRole('button', { name: 'Name' }).click();
    await expect.element(header).toHaveAttribute('aria-sort', 'descending');
    await expect.poll(() => mounted.backend.lastQuery()?.sort).toEqual({ key: 'name', descending: true });
    await expect.poll(() => rows()[0]?.textContent ?? '').toContain('Lead 249');

    await page.getByRole('button', { name: 'Email' }).click();
    await expect.element(page.getByRole('columnheader', { name: 'Email' })).toHaveAttribute('aria-sort', 'ascending');
    expect(header.element().hasAttribute('aria-sort')).toBe(false);
    await expect.poll(() => mounted.backend.lastQuery()?.sort).toEqual({ key: 'email', descending: false });
  });

  test('tabs: arrow keys, Home and End move between resources (WAI-ARIA)', async () => {
    const mounted = await openWhatConverts();
    const leads = page.getByRole('tab', { name: 'Leads' });
    const calls = page.getByRole('tab', { name: 'Calls' });
    const forms = page.getByRole('tab', { name: 'Forms' });
    await expect.element(leads).toHaveAttribute('aria-selected', 'true');
    expect((leads.element() as HTMLElement).tabIndex).toBe(0);
    expect((calls.element() as HTMLElement).tabIndex).toBe(-1);

    (leads.element() as HTMLElement).focus();
    await userEvent.keyboard('{ArrowRight}');
    await expect.element(calls).toHaveAttribute('aria-selected', 'true');
    expect(document.activeElement).toBe(calls.element());
    expect(leads.element().getAttribute('aria-selected')).toBe('false');
    await expect.poll(() => mounted.backend.listsOf('sync_resource').map((l) => l.resource)).toEqual(['leads', 'calls']);

    await userEvent.keyboard('{End}');
    await expect.element(forms).toHaveAttribute('aria-selected', 'true');
    await userEvent.keyboard('{ArrowRight}');
    await expect.element(leads).toHaveAttribute('aria-selected', 'true');
    expect(document.activeElement).toBe(leads.element());
    await userEvent.keyboard('{ArrowLeft}');
    await expect.element(forms).toHaveAttribute('aria-selected', 'true');
    await userEvent.keyboard('{Home}');
    await expect.element(leads).toHaveAttribute('aria-selected', 'true');

    // The panel is labelled by the selected tab; returning to Leads does not re-sync.
    expect(page.getByRole('tabpanel').element().getAttribute('aria-labelledby')).toBe(leads.element().id);
    expect(mounted.backend.listsOf('sync_resource').filter((l) => l.resource === 'leads')).toHaveLength(1);
  });

  test('the weekly chart shows on chart_by_week resources with a text alternative', async () => {
    await openWhatConverts();
    const chart = page.getByRole('img', { name: /^Records per week from/ });
    await expect.element(chart).toBeVisible();
    expect(chart.element().getAttribute('aria-label')).toContain('15 records in 3 weeks');
    expect(chart.element().querySelectorAll('rect')).toHaveLength(3);
    await page.getByRole('tab', { name: 'Calls' }).click();
    await expect.element(page.getByRole('tab', { name: 'Calls' })).toHaveAttribute('aria-selected', 'true');
    expect(document.querySelector('[data-testid="weekly-chart"]')).toBeNull();
  });

  test('clicking a row opens the detail panel; Enter does too; Escape closes', async () => {
    const mounted = await openWhatConverts();
    await expect.poll(() => rows().length).toBeGreaterThan(3);
    rows()[2]?.click();
    const panel = page.getByTestId('detail-panel');
    await expect.element(panel).toBeVisible();
    await expect.element(panel).toHaveTextContent('lead2@example.com');
    expect(mounted.backend.callsOf('record_detail').at(-1)?.args).toEqual({ list: { provider: 'whatconverts', account: 'wc-acme', resource: 'leads' }, index: 2 });

    await userEvent.keyboard('{Escape}');
    await expect.element(panel).not.toBeVisible();

    rows()[2]?.querySelector<HTMLElement>('[role="gridcell"]')?.focus();
    await userEvent.keyboard('{ArrowDown}');
    await expect.poll(() => document.activeElement?.closest('[role="row"]')?.getAttribute('aria-rowindex')).toBe('5');
    await userEvent.keyboard('{Enter}');
    await expect.element(panel).toHaveTextContent('lead3@example.com');
    // Escape in the table closes the detail too, and focus stays on the cell.
    (document.activeElement as HTMLElement | null)?.focus();
    await userEvent.keyboard('{Escape}');
    await expect.element(panel).not.toBeVisible();
  });

  test('a failed record_detail shows an alert in the panel', async () => {
    await openWhatConverts((b) => {
      b.fail('record_detail', 'This lead was deleted in WhatConverts.');
    });
    await expect.poll(() => rows().length).toBeGreaterThan(1);
    rows()[0]?.click();
    await expect.element(page.getByTestId('detail-panel').getByRole('alert')).toHaveTextContent('This lead was deleted in WhatConverts.');
  });

  test('the column chooser hides and shows columns', async () => {
    await openWhatConverts();
    await expect.poll(() => rows().length).toBeGreaterThan(1);
    await page.getByRole('button', { name: 'Columns' }).click();
    await page.getByRole('checkbox', { name: 'Email' }).click();
    await expect.poll(() => document.querySelectorAll('[role="columnheader"]').length).toBe(3);
    expect(rows()[0]?.textContent).not.toContain('@example.com');
    await page.getByRole('checkbox', { name: 'Email' }).click();
    await expect.poll(() => document.querySelectorAll('[role="columnheader"]').length).toBe(4);
  });

  test('Export CSV sends the current view and shows the written path', async () => {
    const mounted = await openWhatConverts();
    await page.getByRole('searchbox', { name: 'Search records' }).fill('lead1');
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('111 of 250 records');
    await page.getByTestId('export').click();
    await expect.element(page.getByTestId('export-result')).toHaveTextContent('Saved 111 records to /home/ana/Downloads/whatconverts-leads.csv');
    expect(mounted.backend.callsOf('export_csv').at(-1)?.args).toEqual({
      list: { provider: 'whatconverts', account: 'wc-acme', resource: 'leads' },
      query: { search: 'lead1', filter: [], sort: null, offset: 0, limit: 111 },
    });
  });

  test('Export JSON shows a progress bar while rows are written, then the path', async () => {
    let release: (() => void) | undefined;
    const mounted = await openWhatConverts((b) => {
      b.exportGate = new Promise((r) => {
        release = r;
      });
    });
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    await page.getByTestId('export-json').click();
    await expect.poll(() => mounted.backend.callsOf('export_json').length).toBe(1);
    await mounted.backend.emit('export-progress', { provider: 'whatconverts', resource: 'leads', done: 100, total: 250 });
    const bar = page.getByTestId('export-progress');
    await expect.element(bar).toBeVisible();
    expect((bar.element() as HTMLProgressElement).value).toBe(100);
    await expect.element(page.getByTestId('export-result')).toHaveTextContent('Exporting… 100 of 250 records');
    // Another list's progress is not ours.
    await mounted.backend.emit('export-progress', { provider: 'whatconverts', resource: 'other', done: 7, total: 9 });
    expect((bar.element() as HTMLProgressElement).value).toBe(100);
    release?.();
    await expect.element(page.getByTestId('export-result')).toHaveTextContent('Saved 250 records to /home/ana/Downloads/whatconverts-leads.json');
    expect(bar.element()).not.toBeVisible();
  });

  test('a failed export shows its message', async () => {
    await openWhatConverts((b) => {
      b.fail('export_csv', 'Your Downloads folder is full.');
    });
    await page.getByTestId('export').click();
    await expect.element(page.getByRole('alert')).toHaveTextContent('Your Downloads folder is full.');
  });

  test('Refresh syncs again', async () => {
    const mounted = await openWhatConverts();
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    mounted.backend.rowCount = 300;
    await page.getByTestId('refresh').click();
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('300 of 300 records');
    expect(mounted.backend.callsOf('sync_resource')).toHaveLength(2);
  });

  test('Disconnect asks first, then disconnects that account and goes back to the tiles', async () => {
    const mounted = await openWhatConverts();
    await page.getByTestId('disconnect').click();
    await page.getByRole('button', { name: 'Keep connected' }).click();
    expect(mounted.backend.callsOf('disconnect')).toHaveLength(0);
    await page.getByRole('button', { name: 'Disconnect Acme Realty from WhatConverts' }).click();
    await expect.element(page.getByRole('alertdialog')).toHaveTextContent('Disconnect Acme Realty from WhatConverts?');
    await page.getByTestId('disconnect-confirm').click();
    await expect.element(page.getByTestId('tiles')).toBeVisible();
    expect(mounted.backend.callsOf('disconnect').map((c) => c.args)).toEqual([{ providerId: 'whatconverts', accountId: 'wc-acme', keepRecords: false }]);
    await expect.element(page.getByRole('button', { name: /^WhatConverts/ })).toHaveAccessibleName(/Not connected$/);
    expect(page.getByTestId('tile-whatconverts').element().getAttribute('data-state')).toBe('not_connected');
  });

  test('Disconnect can keep the records saved on this computer', async () => {
    const mounted = await openWhatConverts();
    await page.getByTestId('disconnect').click();
    await page.getByRole('checkbox', { name: 'Keep the Acme Realty records saved on this computer' }).click();
    await page.getByRole('button', { name: 'Disconnect Acme Realty', exact: true }).click();
    await expect.element(page.getByTestId('tiles')).toBeVisible();
    expect(mounted.backend.callsOf('disconnect').map((c) => c.args)).toEqual([{ providerId: 'whatconverts', accountId: 'wc-acme', keepRecords: true }]);
  });

  test('disconnecting account B leaves account A listed and connected', async () => {
    m = await mountApp((b) => {
      b.providers = b.providers.map((t) => (t.id === 'whatconverts'
        ? { ...t, accounts: [...t.accounts, connectedAccount('wc-lake', 'Lakeside Homes')] }
        : t));
    });
    await page.getByRole('button', { name: 'Open Lakeside Homes in WhatConverts' }).click();
    await expect.element(page.getByTestId('records-view')).toHaveAttribute('data-account', 'wc-lake');
    await page.getByTestId('disconnect').click();
    await page.getByTestId('disconnect-confirm').click();
    await expect.element(page.getByTestId('tiles')).toBeVisible();
    expect(m.backend.callsOf('disconnect').map((c) => c.args)).toEqual([{ providerId: 'whatconverts', accountId: 'wc-lake', keepRecords: false }]);
    await expect.poll(() => page.getByRole('list', { name: 'WhatConverts accounts' }).getByRole('listitem').elements()
      .map((e) => e.getAttribute('aria-label'))).toEqual(['Acme Realty']);
    await expect.element(page.getByTestId('account-whatconverts-0')).toHaveAttribute('data-account-id', 'wc-acme');
    await expect.element(page.getByTestId('tile-whatconverts')).toHaveAttribute('data-state', 'connected');
    await expect.element(page.getByTestId('open-account-whatconverts-0')).toBeVisible();
  });

  test('records whose account goes away (an event without it) give way to the tiles', async () => {
    const mounted = await openWhatConverts();
    await mounted.backend.emit('providers-changed', mounted.backend.providers.map((t) => (t.id === 'whatconverts'
      ? { ...t, accounts: [connectedAccount('wc-lake', 'Lakeside Homes')] }
      : t)));
    await expect.element(page.getByTestId('tiles')).toBeVisible();
    expect(document.querySelector('[data-testid="records-view"]')).toBeNull();
  });

  test('an event that keeps the open account keeps its records open', async () => {
    const mounted = await openWhatConverts();
    await mounted.backend.emit('providers-changed', mounted.backend.providers.map((t) => (t.id === 'whatconverts'
      ? { ...t, accounts: [...t.accounts, connectedAccount('wc-lake', 'Lakeside Homes')] }
      : t)));
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    expect(document.querySelector('[data-testid="records-view"]')).not.toBeNull();
  });

  test('a failed disconnect says so and stays on the records', async () => {
    await openWhatConverts((b) => {
      b.fail('disconnect', 'Patchbay could not reach your keychain.');
    });
    await page.getByTestId('disconnect').click();
    await page.getByTestId('disconnect-confirm').click();
    await expect.element(page.getByRole('alert')).toHaveTextContent('Patchbay could not reach your keychain.');
    expect(document.querySelector('[data-testid="records-view"]')).not.toBeNull();
  });

  test('the heading names the provider and the account; every records call carries the account', async () => {
    const mounted = await openWhatConverts();
    await expect.element(page.getByRole('heading', { name: 'WhatConverts · Acme Realty', level: 2 })).toBeVisible();
    await expect.element(page.getByTestId('records-view')).toHaveAttribute('data-account', 'wc-acme');
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    await expect.poll(() => mounted.backend.callsOf('weekly_counts').length).toBeGreaterThan(0);
    await page.getByTestId('export-json').click();
    await expect.element(page.getByTestId('export-result')).toHaveTextContent(/^Saved/);
    const recordCommands = ['sync_resource', 'query_records', 'weekly_counts', 'export_json'];
    for (const cmd of recordCommands) {
      const calls = mounted.backend.callsOf(cmd);
      expect(calls.length, cmd).toBeGreaterThan(0);
      for (const call of calls) expect(call.args, cmd).toMatchObject({ list: { provider: 'whatconverts', account: 'wc-acme' } });
    }
  });

  test('Back returns to the tiles', async () => {
    await openWhatConverts();
    await page.getByTestId('back').click();
    await expect.element(page.getByTestId('tiles')).toBeVisible();
    expect(document.querySelector('[data-testid="records-view"]')).toBeNull();
  });

  test('100,000 rows: only a window is in the DOM and only visible pages are fetched', async () => {
    const mounted = await openWhatConverts((b) => {
      b.rowCount = 100_000;
    });
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('100,000 of 100,000 records');
    await expect.poll(() => rows().length).toBeGreaterThan(5);
    expect(rows().length).toBeLessThan(80);
    expect(page.getByTestId('records-grid').element().getAttribute('aria-rowcount')).toBe('100001');

    const scroller = document.querySelector<HTMLElement>('.grid-scroll');
    if (!scroller) throw new Error('no scroller');
    scroller.scrollTop = scroller.scrollHeight;
    await expect.poll(() => rows().some((r) => r.textContent.includes('Lead 99999'))).toBe(true);
    expect(rows().length).toBeLessThan(80);
    const offsets = mounted.backend.callsOf('query_records').map((c) => (c.args.query as { offset: number }).offset);
    expect(offsets).toContain(99_900);
    expect(offsets.length).toBeLessThan(10);
  });
});

describe('the chart follows the search', () => {
  const weeks = (count: number) => [{ week_start: '2026-11-02', count }, { week_start: '2026-11-09', count }];

  test('a chart answer for an older search is never drawn; the newer one is', async () => {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const mounted = await openWhatConverts();
    const chart = page.getByRole('img', { name: /^Records per week from/ });
    await expect.element(chart).toHaveAttribute('aria-label', expect.stringContaining('15 records in 3 weeks'));
    mounted.backend.on('weekly_counts', async ({ query }) => {
      if (query.search === 'old') {
        await gate;
        return weeks(40); // 80 records
      }
      return weeks(3); // 6 records
    });
    const labels: string[] = [];
    const observer = new MutationObserver(() => {
      labels.push(chart.element().getAttribute('aria-label') ?? '');
    });
    observer.observe(chart.element(), { attributes: true, attributeFilter: ['aria-label'] });
    const box = page.getByRole('searchbox', { name: 'Search records' });
    await box.fill('old');
    // The chart for "old" is asked for once the typing pauses, and held.
    await expect.poll(() => mounted.backend.callsOf('weekly_counts').some((c) => (c.args.query as { search: string }).search === 'old')).toBe(true);
    await box.fill('zebra');
    await expect.element(page.getByTestId('row-count')).toHaveTextContent(/^0 of 250/);
    release();
    await expect.element(chart).toHaveAttribute('aria-label', expect.stringContaining('6 records in 2 weeks'));
    observer.disconnect();
    expect(labels.some((l) => l.includes('80 records'))).toBe(false);
  });

  test('the chart waits for the rows of the search shown', async () => {
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const mounted = await openWhatConverts();
    await expect.poll(() => mounted.backend.callsOf('weekly_counts').length).toBeGreaterThan(0);
    mounted.backend.on('query_records', async ({ query }) => {
      if (query.search === 'slow') await gate;
      return mounted.backend.query(query);
    });
    const charts = (): number => mounted.backend.callsOf('weekly_counts').filter((c) => (c.args.query as { search: string }).search === 'slow').length;
    await page.getByRole('searchbox', { name: 'Search records' }).fill('slow');
    // Well past the typing pause, with the rows still on their way: no chart query yet.
    await new Promise((resolve) => setTimeout(resolve, 3 * FOLLOW_PAUSE_MS));
    expect(charts()).toBe(0);
    release();
    await expect.poll(charts).toBe(1);
  });
});

describe('records view filters', () => {
  test('a one-of filter narrows the table, and the chart and the export follow it', async () => {
    const mounted = await openWhatConverts();
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    await userEvent.selectOptions(page.getByLabelText('Filter by'), 'Source');
    // 250 leads take the three sources in turn: 84 google, 83 each of the others.
    await expect.element(page.getByRole('checkbox', { name: 'google (84)' })).toBeVisible();
    await page.getByRole('checkbox', { name: 'newsletter (83)' }).click();
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('83 of 250 records');
    const filter = [{ column: 'source', test: { op: 'one_of', values: ['newsletter'] } }];
    await expect.poll(() => mounted.backend.callsOf('weekly_counts').at(-1)?.args).toMatchObject({ query: { filter } });
    await expect.poll(() => rows()[0]?.textContent).toContain('newsletter');
    await page.getByTestId('export').click();
    await expect.element(page.getByTestId('export-result')).toHaveTextContent('Saved 83 records');
    expect(mounted.backend.callsOf('export_csv').at(-1)?.args).toMatchObject({ query: { filter } });
  });
});

describe('records view keys', () => {
  test('/ focuses the search from the table, but is typed as usual in a field', async () => {
    await openWhatConverts();
    await expect.poll(() => rows().length).toBeGreaterThan(1);
    rows()[0]?.querySelector<HTMLElement>('[role="gridcell"]')?.focus();
    await userEvent.keyboard('/');
    const search = page.getByRole('searchbox', { name: 'Search records' });
    await expect.element(search).toHaveFocus();
    await userEvent.keyboard('a/b');
    await expect.element(search).toHaveValue('a/b');
  });
});

describe('saved views', () => {
  test('save the table as a view, leave it, open it again; rename, duplicate and delete', async () => {
    const mounted = await openWhatConverts();
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    await userEvent.selectOptions(page.getByLabelText('Filter by'), 'Source');
    await page.getByRole('checkbox', { name: 'google (84)' }).click();
    await page.getByRole('searchbox', { name: 'Search records' }).fill('lead1');
    await expect.element(page.getByTestId('row-count')).toHaveTextContent(/^\d+ of 250 records$/);
    const narrowed = page.getByTestId('row-count').element().textContent;

    await page.getByRole('button', { name: 'Save view…' }).click();
    await userEvent.keyboard('Google leads{Enter}');
    await expect.element(page.getByTestId('view-status')).toHaveTextContent('Saved “Google leads”.');
    expect(mounted.backend.views.map((v) => v.settings)).toEqual([{
      search: 'lead1',
      filter: [{ kind: 'condition', condition: { column: 'source', test: { op: 'one_of', values: ['google'] } } }],
      sort: null,
      columns: { order: ['name', 'email', 'value', 'source'], hidden: [], widths: {} },
    }]);

    // Back to every record, then the view again: its filter, search and count come back.
    await userEvent.selectOptions(page.getByLabelText('View', { exact: true }), 'All records');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByRole('searchbox', { name: 'Search records' }).fill('');
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    await userEvent.selectOptions(page.getByLabelText('View', { exact: true }), 'Google leads');
    await expect.element(page.getByTestId('row-count')).toHaveTextContent(narrowed);
    await expect.element(page.getByRole('searchbox', { name: 'Search records' })).toHaveValue('lead1');
    await expect.element(page.getByRole('checkbox', { name: /^google/ })).toBeChecked();
    expect(mounted.backend.lastQuery()).toMatchObject({ search: 'lead1', filter: [{ column: 'source' }] });

    // A name already taken is refused in words; the form stays open to fix it.
    await page.getByRole('button', { name: 'Duplicate' }).click();
    await expect.element(page.getByLabelText('Name of the copy')).toHaveValue('Google leads (copy)');
    await page.getByLabelText('Name of the copy').fill('GOOGLE LEADS');
    await userEvent.keyboard('{Enter}');
    await expect.element(page.getByRole('alert')).toHaveTextContent('This list already has a view with that name.');
    await page.getByLabelText('Name of the copy').fill('Google again');
    await userEvent.keyboard('{Enter}');
    await expect.element(page.getByTestId('view-status')).toHaveTextContent('Saved “Google again”.');

    await page.getByRole('button', { name: 'Rename…' }).click();
    await page.getByLabelText('New name').fill('Google, lead 1');
    await userEvent.keyboard('{Enter}');
    await expect.poll(() => mounted.backend.views.map((v) => v.name).sort()).toEqual(['Google leads', 'Google, lead 1']);

    await page.getByRole('button', { name: 'Delete' }).click();
    await expect.element(page.getByTestId('view-status')).toHaveTextContent('Deleted “Google, lead 1”.');
    expect(mounted.backend.views.map((v) => v.name)).toEqual(['Google leads']);
    expect([...page.getByTestId('view-select').element().querySelectorAll('option')].map((o) => o.textContent)).toEqual(['All records', 'Google leads']);
  });
});

describe('saved views from an older definition', () => {
  test('filters and a sort on columns the list no longer has are dropped, the rest applies', async () => {
    const mounted = await openWhatConverts((b) => {
      b.views = [{
        id: 9,
        name: 'Old',
        settings: {
          search: '',
          filter: [
            { kind: 'condition', condition: { column: 'gone', test: { op: 'is_empty' } } },
            { kind: 'condition', condition: { column: 'source', test: { op: 'one_of', values: ['facebook'] } } },
          ],
          sort: { key: 'gone', descending: true },
          columns: { order: ['gone', 'source', 'name'], hidden: ['email'], widths: { gone: 300 } },
        },
      }];
    });
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
    await userEvent.selectOptions(page.getByLabelText('View', { exact: true }), 'Old');
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('83 of 250 records');
    expect(mounted.backend.lastQuery()).toMatchObject({
      sort: null,
      filter: [{ column: 'source', test: { op: 'one_of', values: ['facebook'] } }],
    });
    const headers = [...document.querySelectorAll('[role="columnheader"] .sort-button')].map((b) => b.textContent.replace(/[▲▼]/g, ''));
    expect(headers).toEqual(['Source', 'Name', 'Value']);
  });
});

describe('record detail', () => {
  test('shows each value in full as its column reads: money with its currency', async () => {
    await openWhatConverts((b) => {
      b.on('record_detail', () => ({
        fields: [
          { label: 'Name', value: 'Ana' },
          { label: 'Email', value: '' },
          { label: 'Value', value: '1,234.5' },
          { label: 'Source', value: 'google' },
        ],
        raw_json: '{}',
      }));
    });
    await expect.poll(() => rows().length).toBeGreaterThan(1);
    rows()[0]?.click();
    const panel = page.getByTestId('detail-panel');
    await expect.element(panel).toHaveTextContent('$1,234.50');
    await expect.element(panel).not.toHaveTextContent('1,234.5Source');
  });

  test('offers "Open in WhatConverts" by keyboard; Rust gets the list and the record, never an address', async () => {
    const mounted = await openWhatConverts();
    await expect.poll(() => rows().length).toBeGreaterThan(3);
    rows()[2]?.click();
    const panel = page.getByTestId('detail-panel');
    await expect.element(panel).toHaveTextContent('lead2@example.com');
    const open = page.getByRole('button', { name: 'Open in WhatConverts' });
    await expect.element(open).toBeVisible();
    // The panel takes focus when it opens; the button is the first stop after it.
    await expect.poll(() => document.activeElement).toBe(panel.element());
    await userEvent.keyboard('{Tab}');
    expect(document.activeElement).toBe(open.element());
    await userEvent.keyboard('{Enter}');
    const call = { list: { provider: 'whatconverts', account: 'wc-acme', resource: 'leads' }, index: 2 };
    await expect.poll(() => mounted.backend.callsOf('open_record_page').map((c) => c.args)).toEqual([call]);
    await expect.element(panel.getByRole('alert')).not.toBeInTheDocument();
    // Focus stays on the button while and after Rust opens the page: Enter again opens again.
    expect(document.activeElement).toBe(open.element());
    await expect.poll(() => open.element().getAttribute('aria-disabled')).toBeNull();
    await userEvent.keyboard('{Enter}');
    await expect.poll(() => mounted.backend.callsOf('open_record_page').map((c) => c.args)).toEqual([call, call]);
    expect(document.activeElement).toBe(open.element());
  });

  test('while the page opens the button is busy but keeps focus, and ignores another Enter', async () => {
    let finish: () => void = () => undefined;
    const mounted = await openWhatConverts((b) => {
      b.on('open_record_page', () => new Promise<null>((resolve) => { finish = () => { resolve(null); }; }));
    });
    await expect.poll(() => rows().length).toBeGreaterThan(1);
    rows()[0]?.click();
    const open = page.getByRole('button', { name: 'Open in WhatConverts' });
    await expect.element(open).toBeVisible();
    open.element().focus();
    await userEvent.keyboard('{Enter}');
    await expect.poll(() => open.element().getAttribute('aria-disabled')).toBe('true');
    // A disabled button would drop focus to the page in WebKit (the app's engine on Linux).
    expect((open.element() as HTMLButtonElement).disabled).toBe(false);
    expect(document.activeElement).toBe(open.element());
    await userEvent.keyboard('{Enter}');
    expect(mounted.backend.callsOf('open_record_page')).toHaveLength(1);
    finish();
    await expect.poll(() => open.element().getAttribute('aria-disabled')).toBeNull();
    expect(document.activeElement).toBe(open.element());
  });

  test('a list without a page per record has no such button', async () => {
    await openWhatConverts();
    await page.getByRole('tab', { name: 'Calls' }).click();
    await expect.poll(() => rows().length).toBeGreaterThan(1);
    rows()[0]?.click();
    await expect.element(page.getByTestId('detail-panel')).toBeVisible();
    await expect.element(page.getByTestId('detail-open-in-provider')).not.toBeVisible();
    expect(document.querySelector('[data-testid="detail-open-in-provider"]')?.textContent).toBe('');
  });

  test('a refused open says why in the panel', async () => {
    await openWhatConverts((b) => {
      b.fail('open_record_page', "WhatConverts sent an id for this record that Patchbay won't put in a web address.");
    });
    await expect.poll(() => rows().length).toBeGreaterThan(1);
    rows()[0]?.click();
    await page.getByRole('button', { name: 'Open in WhatConverts' }).click();
    await expect.element(page.getByTestId('detail-panel').getByRole('alert')).toHaveTextContent("won't put in a web address");
  });
});
