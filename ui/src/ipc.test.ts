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
    const list = { provider: 'whatconverts', account: 'wc-acme', resource: 'leads' };
    const query = { search: 'x', filter: [], sort: { key: 'name', descending: true }, offset: 100, limit: 50 };
    await ipc.listProviders();
    await ipc.connect('clickfunnels');
    await ipc.cancelConnect('clickfunnels');
    await ipc.saveApiKey('emailoctopus', { api_key: 'good-key' });
    await ipc.openKeyHelp('emailoctopus');
    await ipc.disconnect('whatconverts', 'wc-acme', true);
    await ipc.listResources('whatconverts');
    await ipc.syncResource(list);
    await ipc.queryRecords(list, query);
    await ipc.recordDetail(list, 7);
    await ipc.weeklyCounts(list, query);
    await ipc.exportCsv(list, query);
    await ipc.exportJson(list, query);
    const settings = await ipc.getSettings();
    await ipc.saveSettings(settings);
    await ipc.setClientSecret('boomtown', null);
    expect(backend.calls).toEqual([
      { cmd: 'list_providers', args: {} },
      { cmd: 'connect', args: { providerId: 'clickfunnels' } },
      { cmd: 'cancel_connect', args: { providerId: 'clickfunnels' } },
      { cmd: 'save_api_key', args: { providerId: 'emailoctopus', values: { api_key: 'good-key' } } },
      { cmd: 'open_key_help', args: { providerId: 'emailoctopus' } },
      { cmd: 'disconnect', args: { providerId: 'whatconverts', accountId: 'wc-acme', keepRecords: true } },
      { cmd: 'list_resources', args: { providerId: 'whatconverts' } },
      { cmd: 'sync_resource', args: { list } },
      { cmd: 'query_records', args: { list, query } },
      { cmd: 'record_detail', args: { list, index: 7 } },
      { cmd: 'weekly_counts', args: { list, query } },
      { cmd: 'export_csv', args: { list, query } },
      { cmd: 'export_json', args: { list, query } },
      { cmd: 'get_settings', args: {} },
      { cmd: 'save_settings', args: { settings } },
      { cmd: 'set_client_secret', args: { providerId: 'boomtown', secret: null } },
    ]);
  });

  test('commands that change connections answer nothing: the tiles come by providers-changed', async () => {
    backend = new FakeBackend().install();
    // Rust answers these with `()`, which arrives as null (checked on the real commands in
    // src-tauri/ipc_contract_tests.rs); the tiles the listener gets are the event's payload.
    const tiles = backend.providers.map((t) => ({ ...t, waiting_authorize_url: 'https://sandbox.test/authorize' }));
    backend.on('connect', async () => {
      await backend?.emit('providers-changed', tiles);
      return null;
    });
    const seen: unknown[] = [];
    await ipc.onProvidersChanged((t) => seen.push(t));
    await expect(ipc.connect('clickfunnels')).resolves.toBeNull();
    expect(seen).toEqual([tiles]);
  });

  test('positional arguments go out under Rust\'s keys, and nothing else', async () => {
    backend = new FakeBackend().install();
    await ipc.recordDetail({ provider: 'whatconverts', account: 'wc-acme', resource: 'leads' }, 3);
    expect(backend.calls.at(-1)?.args).toEqual({ list: { provider: 'whatconverts', account: 'wc-acme', resource: 'leads' }, index: 3 });
  });

  test('responses come back as Rust sent them, unchanged', async () => {
    backend = new FakeBackend().install();
    const sent = { total: 3, matched: 2, rows: [{ index: 10, cells: ['a', ''] }, { index: 11, cells: ['b', '$1.00'] }] };
    backend.on('query_records', () => sent);
    const page = await ipc.queryRecords({ provider: 'whatconverts', account: 'wc-acme', resource: 'leads' }, { search: '', filter: [], sort: null, offset: 10, limit: 2 });
    expect(page).toEqual(sent);
  });

  test('a rejected command carries the CommandError', async () => {
    backend = new FakeBackend().install();
    backend.fail('connect', 'No network.', 'connect.network');
    await expect(ipc.connect('boomtown')).rejects.toEqual({ code: 'connect.network', message: 'No network.', advice: 'Try again.' });
  });

  test('events reach their typed listeners until unlistened', async () => {
    backend = new FakeBackend().install();
    const seen: unknown[] = [];
    const unlisten = await ipc.onSyncProgress((p) => seen.push(p));
    const notices: unknown[] = [];
    await ipc.onNotice((n) => notices.push(n));
    const progress = { provider_id: 'whatconverts', account_id: 'wc-acme', resource_id: 'leads', fetched: 1, total: 2, done: false };
    await backend.emit('sync-progress', progress);
    await backend.emit('notice', { level: 'info', message: 'Hi', advice: null, code: null, provider: null });
    unlisten();
    await backend.emit('sync-progress', { ...progress, fetched: 2 });
    expect(seen).toEqual([progress]);
    expect(notices).toEqual([{ level: 'info', message: 'Hi', advice: null, code: null, provider: null }]);
  });

  test('errorMessage shows only CommandError messages, never internals', () => {
    expect(ipc.errorMessage({ code: 'x', message: 'Try again later.' })).toBe('Try again later.');
    expect(ipc.errorMessage('command connect not allowed by ACL')).toBe('Something went wrong. Please try again.');
    expect(ipc.errorMessage(new Error('boom'), 'Fallback.')).toBe('Fallback.');
    expect(ipc.errorMessage({ code: 'x', message: '' }, 'Fallback.')).toBe('Fallback.');
    expect(ipc.errorMessage(null, 'Fallback.')).toBe('Fallback.');
  });
});
