import { afterEach, describe, expect, test } from 'vitest';
import { page } from 'vitest/browser';
import type { SyncStatus } from '../bindings/SyncStatus';
import { formatTime } from '../lib/format';
import { syncStatus, type FakeBackend } from '../test/fakeBackend';
import { mountApp, type Mounted } from '../test/mount';

let m: Mounted | undefined;
afterEach(() => {
  m?.unmount();
  m = undefined;
});

async function openWhatConverts(tune?: (b: FakeBackend) => void): Promise<Mounted> {
  m = await mountApp(tune);
  await page.getByRole('button', { name: /^WhatConverts/ }).click();
  await expect.element(page.getByTestId('sync-panel')).toBeVisible();
  // The Refresh that opening starts has ended: what follows is the background's doing.
  await expect.element(page.getByTestId('row-count')).toHaveTextContent('250 of 250 records');
  await expect.poll(() => page.getByTestId('refresh').element().hasAttribute('disabled')).toBe(false);
  return m;
}

function row(resource: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(`[data-testid="sync-row-${resource}"]`);
  if (!el) throw new Error(`no sync row for ${resource}`);
  return el;
}

function cell(resource: string, field: string): HTMLElement {
  const el = row(resource).querySelector<HTMLElement>(`[data-field="${field}"]`);
  if (!el) throw new Error(`no ${field} in the ${resource} row`);
  return el;
}

/** The `<time>` a cell shows: when it means (datetime) and what it says. */
function timeIn(resource: string, field: string): [string | null, string] {
  const t = cell(resource, field).querySelector('time');
  return [t?.getAttribute('datetime') ?? null, t?.textContent ?? ''];
}

const run = (changes: Partial<NonNullable<SyncStatus['last_run']>>): NonNullable<SyncStatus['last_run']> => ({
  pass: 'incremental', added: 0, updated: 0, removed: 0, requests: 1, total: 250, finished_at: '2026-11-23T09:00:00Z', ...changes,
});

function gridRows(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('[data-testid="records-grid"] .grid-body [role="row"]')];
}

describe('sync panel', () => {
  test('shows each list\'s last success, changes, pass, requests, next run, budget, error and pause', async () => {
    const mounted = await openWhatConverts((b) => {
      b.statuses = [
        syncStatus({
          last_success: '2026-11-23T08:45:00Z',
          next_run: '2026-11-23T09:15:00Z',
          last_run: run({ pass: 'full', added: 3, updated: 2, removed: 1, requests: 4 }),
          budget: { used: 360, limit: 1000, remaining: 640, resets_at: '2026-11-24T00:00:00Z' },
        }),
        syncStatus({
          resource: 'calls',
          last_run: run({ added: 12, requests: 1 }),
          error: { code: 'api.unauthorized', message: 'WhatConverts ended the connection.', advice: 'Click Connect to connect again.' },
        }),
        syncStatus({
          resource: 'forms',
          next_run: null,
          last_run: null,
          last_success: null,
          paused_until: '2026-11-24T00:00:00Z',
          budget: { used: 1000, limit: 1000, remaining: 0, resets_at: '2026-11-24T00:00:00Z' },
        }),
        // Another account's list: not this panel's.
        syncStatus({ account: 'wc-lake', resource: 'leads', last_run: run({ added: 99 }) }),
      ];
    });
    expect(mounted.backend.callsOf('sync_statuses').map((c) => c.args)).toEqual([{ providerId: 'whatconverts', accountId: 'wc-acme' }]);
    await expect.poll(() => cell('leads', 'changes').textContent).toBe('3 added · 2 updated · 1 removed');
    expect(cell('leads', 'pass').textContent).toBe('Full pass · 4 requests');
    expect(timeIn('leads', 'last-success')).toEqual(['2026-11-23T08:45:00Z', formatTime('2026-11-23T08:45:00Z')]);
    expect(timeIn('leads', 'next-run')).toEqual(['2026-11-23T09:15:00Z', formatTime('2026-11-23T09:15:00Z')]);
    expect(cell('leads', 'budget').textContent).toBe('640 of 1,000 requests left today');
    expect(row('leads').dataset.state).toBe('scheduled');

    // A failed run: its sentence and what to do, under the list's row.
    expect(row('calls').dataset.state).toBe('error');
    await expect.element(page.getByTestId('sync-error-calls')).toHaveTextContent(
      'Calls: the last refresh failed. WhatConverts ended the connection. Click Connect to connect again.',
    );
    expect(page.getByTestId('sync-advice-calls').element().textContent.trim()).toBe('Click Connect to connect again.');
    expect(cell('calls', 'changes').textContent).toBe('12 added · 0 updated · 0 removed');
    expect(cell('calls', 'pass').textContent).toBe('Incremental pass · 1 request');
    expect(cell('calls', 'budget').textContent).toBe('No daily limit');

    // The quota is spent: paused until it resets, and said so.
    expect(row('forms').dataset.state).toBe('paused');
    expect(cell('forms', 'next-run').textContent).toBe(`Paused until ${formatTime('2026-11-24T00:00:00Z')}`);
    expect(timeIn('forms', 'next-run')[0]).toBe('2026-11-24T00:00:00Z');
    expect(cell('forms', 'budget').textContent).toBe('0 of 1,000 requests left today');
    expect(cell('forms', 'last-success').textContent).toBe('Not yet');
    expect(cell('forms', 'last-run').textContent).toBe('No run yet');
    await expect.element(page.getByTestId('sync-paused-forms')).toHaveTextContent(
      `Forms: today’s WhatConverts requests are used up. Refresh starts again by itself at ${formatTime('2026-11-24T00:00:00Z')}`,
    );
    // Loading is not news: nothing announced.
    expect(page.getByTestId('sync-panel-status').element().textContent).toBe('');
  });

  test('background refresh off says so and where to turn it on', async () => {
    await openWhatConverts((b) => {
      b.statuses = [syncStatus({ next_run: null })];
    });
    await expect.poll(() => cell('leads', 'next-run').textContent).toBe('Off');
    expect(row('leads').dataset.state).toBe('off');
    await expect.element(page.getByTestId('sync-off-leads')).toHaveTextContent(
      'Leads only refreshes when you press Refresh. Turn on background refresh for WhatConverts in Settings.',
    );
  });

  test('the table is labelled and has column and row headers', async () => {
    await openWhatConverts();
    await expect.element(page.getByRole('region', { name: 'Background refresh' })).toBeVisible();
    const headers = page.getByRole('columnheader').elements().map((e) => e.textContent);
    expect(headers).toEqual(expect.arrayContaining(['List', 'Last refreshed', 'Last run', 'Next refresh', 'Requests today']));
    expect(page.getByRole('rowheader').elements().map((e) => e.textContent)).toEqual(['Leads', 'Calls', 'Forms']);
  });

  test('follows sync-status events for its account and ignores other accounts\' and providers\'', async () => {
    const mounted = await openWhatConverts((b) => {
      b.statuses = [syncStatus({ last_run: run({ added: 1 }) })];
    });
    await expect.poll(() => cell('leads', 'changes').textContent).toBe('1 added · 0 updated · 0 removed');

    await mounted.backend.emit('sync-status', syncStatus({ running: true, last_run: run({ added: 1 }) }));
    await expect.poll(() => cell('leads', 'last-success').textContent).toBe('Refreshing now…');
    expect(row('leads').dataset.state).toBe('running');

    // The same list of another account, and another provider's account: not ours.
    await mounted.backend.emit('sync-status', syncStatus({ account: 'wc-lake', last_run: run({ added: 77, finished_at: '2026-11-23T09:20:00Z' }) }));
    await mounted.backend.emit('sync-status', syncStatus({ provider: 'boomtown', account: 'bt-harbor', last_run: run({ added: 88, finished_at: '2026-11-23T09:20:00Z' }) }));
    expect(cell('leads', 'changes').textContent).toBe('1 added · 0 updated · 0 removed');
    expect(row('leads').dataset.state).toBe('running');

    await mounted.backend.emit('sync-status', syncStatus({
      last_success: '2026-11-23T09:15:00Z',
      next_run: '2026-11-23T09:30:00Z',
      last_run: run({ added: 5, updated: 4, removed: 2, requests: 3, finished_at: '2026-11-23T09:15:00Z' }),
      budget: { used: 361, limit: 1000, remaining: 639, resets_at: '2026-11-24T00:00:00Z' },
    }));
    await expect.poll(() => cell('leads', 'changes').textContent).toBe('5 added · 4 updated · 2 removed');
    expect(timeIn('leads', 'next-run')[0]).toBe('2026-11-23T09:30:00Z');
    expect(timeIn('leads', 'last-success')[0]).toBe('2026-11-23T09:15:00Z');
    expect(cell('leads', 'budget').textContent).toBe('639 of 1,000 requests left today');
    await expect.element(page.getByTestId('sync-panel-status')).toHaveTextContent(
      `Leads refreshed at ${formatTime('2026-11-23T09:15:00Z')}: 5 added · 4 updated · 2 removed.`,
    );

    // A failure is announced with its sentence.
    await mounted.backend.emit('sync-status', syncStatus({
      last_run: run({ added: 5, updated: 4, removed: 2, requests: 3, finished_at: '2026-11-23T09:30:00Z' }),
      error: { code: 'api.network', message: 'Patchbay could not reach WhatConverts.', advice: 'Check your internet connection.' },
    }));
    await expect.element(page.getByTestId('sync-panel-status')).toHaveTextContent(
      'Leads could not be refreshed. Patchbay could not reach WhatConverts.',
    );
    expect(page.getByTestId('sync-panel-status').element().getAttribute('role')).toBe('status');
    expect(row('leads').dataset.state).toBe('error');
  });

  test('a failure is announced when its code changes, not when its sentence does', async () => {
    const mounted = await openWhatConverts();
    const status = page.getByTestId('sync-panel-status');
    const incomplete = (got: number) => syncStatus({
      error: { code: 'api.incomplete', message: `WhatConverts's list changed while Patchbay was reading it (${got} of 250 records arrived).`, advice: 'Press Refresh to read it again.' },
    });
    await mounted.backend.emit('sync-status', incomplete(240));
    await expect.element(status).toHaveTextContent('Leads could not be refreshed. WhatConverts\'s list changed while Patchbay was reading it (240 of 250 records arrived).');
    // The same failure, reworded (a new count): the row follows, nothing new is announced.
    await mounted.backend.emit('sync-status', incomplete(245));
    await expect.element(page.getByTestId('sync-error-leads')).toHaveTextContent('(245 of 250 records arrived)');
    expect(status.element().textContent).toContain('(240 of 250 records arrived)');
    // Another failure (another code, even with the very same sentence) is announced.
    await mounted.backend.emit('sync-status', syncStatus({
      error: { code: 'api.rate_limited', message: `WhatConverts's list changed while Patchbay was reading it (245 of 250 records arrived).`, advice: 'Wait a minute and try again.' },
    }));
    await expect.element(status).toHaveTextContent('(245 of 250 records arrived)');
    expect(page.getByTestId('sync-error-leads').element().querySelector('td')?.dataset.code).toBe('api.rate_limited');
  });

  test('a background run that finished with changes reloads the table and chart, keeping search and sort', async () => {
    const mounted = await openWhatConverts();
    await page.getByRole('searchbox', { name: 'Search records' }).fill('lead1');
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('111 of 250 records');
    await page.getByRole('button', { name: 'Name' }).click();
    await expect.poll(() => mounted.backend.lastQuery()?.sort).toEqual({ key: 'name', descending: false });
    const queriesBefore = mounted.backend.callsOf('query_records').length;
    const chartsBefore = mounted.backend.callsOf('weekly_counts').length;

    // The scheduler stored 1,750 new leads, with no click here.
    mounted.backend.rowCount = 2000;
    await mounted.backend.emit('sync-status', syncStatus({
      last_run: run({ added: 1750, total: 2000, finished_at: '2026-11-23T09:15:00Z' }),
    }));
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('1,111 of 2,000 records');
    expect(mounted.backend.callsOf('query_records').length).toBeGreaterThan(queriesBefore);
    expect(mounted.backend.lastQuery()).toMatchObject({ search: 'lead1', sort: { key: 'name', descending: false }, offset: 0 });
    await expect.poll(() => mounted.backend.callsOf('weekly_counts').length).toBe(chartsBefore + 1);
    // The Refresh status line says what the run did.
    await expect.element(page.getByTestId('sync-status')).toHaveTextContent(
      `Synced 2,000 records · ${formatTime('2026-11-23T09:15:00Z')} · 1,750 added · 0 updated · 0 removed`,
    );
    expect((page.getByRole('searchbox', { name: 'Search records' }).element() as HTMLInputElement).value).toBe('lead1');
    expect(sync(mounted)).toBe(1);
    expect(gridRows().length).toBeGreaterThan(0);
  });

  test('a run without changes, the same run again, or a run still going does not reload the table', async () => {
    const mounted = await openWhatConverts((b) => {
      b.statuses = [syncStatus({ last_run: run({ added: 3, finished_at: '2026-11-23T09:00:00Z' }) })];
    });
    await expect.poll(() => cell('leads', 'changes').textContent).toBe('3 added · 0 updated · 0 removed');
    const before = mounted.backend.callsOf('query_records').length;
    // The run sync_statuses already showed (its changes are in the table): no reload.
    await mounted.backend.emit('sync-status', syncStatus({ last_run: run({ added: 3, finished_at: '2026-11-23T09:00:00Z' }) }));
    // Running, with the old run's counts.
    await mounted.backend.emit('sync-status', syncStatus({ running: true, last_run: run({ added: 3, finished_at: '2026-11-23T09:00:00Z' }) }));
    // A new run that found nothing new.
    await mounted.backend.emit('sync-status', syncStatus({ last_run: run({ finished_at: '2026-11-23T09:15:00Z' }) }));
    await expect.poll(() => cell('leads', 'changes').textContent).toBe('0 added · 0 updated · 0 removed');
    expect(mounted.backend.callsOf('query_records').length).toBe(before);
    // Another account's run with changes: not ours either.
    await mounted.backend.emit('sync-status', syncStatus({ account: 'wc-lake', last_run: run({ added: 9, finished_at: '2026-11-23T09:20:00Z' }) }));
    // Then one with a removal: reloads.
    mounted.backend.rowCount = 249;
    await mounted.backend.emit('sync-status', syncStatus({ last_run: run({ removed: 1, total: 249, finished_at: '2026-11-23T09:30:00Z' }) }));
    await expect.element(page.getByTestId('row-count')).toHaveTextContent('249 of 249 records');
    expect(mounted.backend.callsOf('query_records').length).toBe(before + 1);
  });

  test('a list whose tab was never opened is not fetched when its run ends', async () => {
    const mounted = await openWhatConverts();
    await mounted.backend.emit('sync-status', syncStatus({ resource: 'calls', last_run: run({ added: 4, finished_at: '2026-11-23T09:15:00Z' }) }));
    await expect.poll(() => cell('calls', 'changes').textContent).toBe('4 added · 0 updated · 0 removed');
    expect(mounted.backend.listsOf('query_records').every((l) => l.resource === 'leads')).toBe(true);
  });

  test('an event that comes while sync_statuses is answering wins over the older answer', async () => {
    let answer = (): void => undefined;
    m = await mountApp((b) => {
      const gate = new Promise<void>((resolve) => {
        answer = resolve;
      });
      b.on('sync_statuses', async () => {
        await gate;
        return [syncStatus({ last_run: run({ added: 1, finished_at: '2026-11-23T09:00:00Z' }) })];
      });
    });
    await page.getByRole('button', { name: /^WhatConverts/ }).click();
    await expect.element(page.getByTestId('sync-panel')).toBeVisible();
    await expect.poll(() => m?.backend.callsOf('sync_statuses').length).toBe(1);
    await m.backend.emit('sync-status', syncStatus({ last_run: run({ added: 8, finished_at: '2026-11-23T09:15:00Z' }) }));
    await expect.poll(() => cell('leads', 'changes').textContent).toBe('8 added · 0 updated · 0 removed');
    answer();
    await new Promise((r) => setTimeout(r, 50));
    expect(cell('leads', 'changes').textContent).toBe('8 added · 0 updated · 0 removed');
  });

  test('statuses that cannot be loaded leave a sentence, and events still fill the table', async () => {
    const mounted = await openWhatConverts((b) => {
      b.fail('sync_statuses', 'Patchbay could not read its schedule. Restart Patchbay if this stays.');
    });
    await expect.element(page.getByText('Patchbay could not read its schedule. Restart Patchbay if this stays.')).toBeVisible();
    expect(cell('leads', 'last-run').textContent).toBe('No run yet');
    await mounted.backend.emit('sync-status', syncStatus({ last_run: run({ updated: 6, finished_at: '2026-11-23T09:15:00Z' }) }));
    await expect.poll(() => cell('leads', 'changes').textContent).toBe('0 added · 6 updated · 0 removed');
  });

  test('after leaving the records, a finished run fetches nothing', async () => {
    const mounted = await openWhatConverts();
    await page.getByTestId('back').click();
    await expect.element(page.getByTestId('tiles')).toBeVisible();
    const before = mounted.backend.calls.length;
    mounted.backend.rowCount = 300;
    await mounted.backend.emit('sync-status', syncStatus({ last_run: run({ added: 50, finished_at: '2026-11-23T09:15:00Z' }) }));
    await new Promise((r) => setTimeout(r, 50));
    expect(mounted.backend.calls.slice(before).map((c) => c.cmd)).toEqual([]);
  });
});

/** How many sync_resource calls (Refreshes) there were: a background run is not one. */
function sync(mounted: Mounted): number {
  return mounted.backend.callsOf('sync_resource').length;
}
