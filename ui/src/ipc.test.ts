import { afterEach, describe, expect, test } from 'vitest';
import * as ipc from './ipc';
import { FakeBackend } from './test/fakeBackend';

let backend: FakeBackend | undefined;
afterEach(() => {
  backend?.uninstall();
  backend = undefined;
});

describe('ipc', () => {
  test('each command goes out under its snake_case name with camelCase args', async () => {
    backend = new FakeBackend().install();
    const ref = { providerId: 'whatconverts', resourceId: 'leads' };
    const query = { search: 'x', sort: { key: 'name', descending: true }, offset: 100, limit: 50 };
    await ipc.listProviders();
    await ipc.connect('clickfunnels');
    await ipc.cancelConnect('clickfunnels');
    await ipc.disconnect('clickfunnels', true);
    await ipc.listResources('whatconverts');
    await ipc.syncResource(ref);
    await ipc.queryRecords(ref, query);
    await ipc.recordDetail(ref, 7);
    await ipc.weeklyCounts(ref);
    await ipc.exportCsv(ref, query);
    const settings = await ipc.getSettings();
    await ipc.saveSettings(settings);
    expect(backend.calls).toEqual([
      { cmd: 'list_providers', args: {} },
      { cmd: 'connect', args: { providerId: 'clickfunnels' } },
      { cmd: 'cancel_connect', args: { providerId: 'clickfunnels' } },
      { cmd: 'disconnect', args: { providerId: 'clickfunnels', keepRecords: true } },
      { cmd: 'list_resources', args: { providerId: 'whatconverts' } },
      { cmd: 'sync_resource', args: ref },
      { cmd: 'query_records', args: { ...ref, query } },
      { cmd: 'record_detail', args: { ...ref, index: 7 } },
      { cmd: 'weekly_counts', args: ref },
      { cmd: 'export_csv', args: { ...ref, query } },
      { cmd: 'get_settings', args: {} },
      { cmd: 'save_settings', args: { settings } },
    ]);
  });

  test('responses come back typed as Rust sent them', async () => {
    backend = new FakeBackend().install();
    const page = await ipc.queryRecords({ providerId: 'whatconverts', resourceId: 'leads' }, { search: '', sort: null, offset: 10, limit: 2 });
    expect(page).toEqual({
      total: 250,
      matched: 250,
      rows: [
        { index: 10, cells: ['Lead 10', 'lead10@example.com', '$10.00'] },
        { index: 11, cells: ['Lead 11', 'lead11@example.com', '$11.00'] },
      ],
    });
  });

  test('a rejected command carries the CommandError', async () => {
    backend = new FakeBackend().install();
    backend.fail('connect', 'No network.', 'offline');
    await expect(ipc.connect('boomtown')).rejects.toEqual({ code: 'offline', message: 'No network.' });
  });

  test('events reach their typed listeners until unlistened', async () => {
    backend = new FakeBackend().install();
    const seen: unknown[] = [];
    const unlisten = await ipc.onSyncProgress((p) => seen.push(p));
    const notices: unknown[] = [];
    await ipc.onNotice((n) => notices.push(n));
    const progress = { provider: 'whatconverts', resource: 'leads', fetched: 1, total: 2, done: false };
    await backend.emit('sync-progress', progress);
    await backend.emit('notice', { level: 'info', message: 'Hi', provider: null });
    unlisten();
    await backend.emit('sync-progress', { ...progress, fetched: 2 });
    expect(seen).toEqual([progress]);
    expect(notices).toEqual([{ level: 'info', message: 'Hi', provider: null }]);
  });

  test('errorMessage shows only CommandError messages, never internals', () => {
    expect(ipc.errorMessage({ code: 'x', message: 'Try again later.' })).toBe('Try again later.');
    expect(ipc.errorMessage('command connect not allowed by ACL')).toBe('Something went wrong. Please try again.');
    expect(ipc.errorMessage(new Error('boom'), 'Fallback.')).toBe('Fallback.');
    expect(ipc.errorMessage({ code: 'x', message: '' }, 'Fallback.')).toBe('Fallback.');
    expect(ipc.errorMessage(null, 'Fallback.')).toBe('Fallback.');
  });
});
