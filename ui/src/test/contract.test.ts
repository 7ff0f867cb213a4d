// The front end's side of the IPC contract generated from Rust's IPC table (bindings/ipcContract.ts
// and the client bindings/ipc.ts, see src-tauri/ipc_contract_tests.rs): the client and the fake
// backend use exactly Rust's commands, argument keys and events. The typed tables below fail the
// type check when an argument or answer type differs; the tests fail when a name or key does.
import { afterEach, describe, expect, test } from 'vitest';
import ipcSource from '../bindings/ipc.ts?raw';
import * as ipc from '../ipc';
import { invoke } from '../platform';
import { COMMAND_ARGS, EVENT_NAMES, type Commands, type Events } from '../bindings/ipcContract';
import type { PeopleQuery } from '../bindings/PeopleQuery';
import type { RecordQuery } from '../bindings/RecordQuery';
import type { ViewSettings } from '../bindings/ViewSettings';
import { FakeBackend, syncStatus, tiles, type CommandName, type EventName } from './fakeBackend';

let backend: FakeBackend | undefined;
afterEach(() => {
  const b = backend;
  backend = undefined;
  b?.uninstall();
});

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

/** What ipc.ts returns: a command that Rust answers with `()` (null) resolves to nothing; one
 * that answers an Option resolves to the value or null (the brackets keep the union whole). */
type IpcAnswer<R> = [R] extends [null] ? Promise<void> : Promise<R>;

/** One row per command: arguments as Rust takes them, and the ipc.ts function that sends them. */
type Rows = {
  [K in CommandName]: {
    args: Commands[K]['args'];
    send: (args: Commands[K]['args']) => IpcAnswer<Commands[K]['result']>;
  };
};

const query: RecordQuery = { search: 'lead', filter: [{ column: 'source', test: { op: 'one_of', values: ['google'] } }], sort: { key: 'name', descending: true }, offset: 50, limit: 25 };
const viewSettings: ViewSettings = {
  search: 'smith',
  filter: [{ kind: 'date_preset', column: 'created', preset: 'last_30_days' }],
  sort: null,
  columns: { order: ['name'], hidden: [], widths: { name: 200 } },
};
const peopleQuery: PeopleQuery = {
  search: 'maria',
  sort: { key: 'last_seen', descending: true },
  tool: 'webinargeek',
  source: null,
  range: { from: '2026-01-01', to: null },
  has_order: true,
  offset: 0,
  limit: 50,
};
const range = { from: '2026-01-01', to: '2026-03-31' };
const ref = { list: { provider: 'whatconverts', account: 'wc-acme', resource: 'leads' } };

function rows(settings: Commands['save_settings']['args']['settings']): Rows {
  return {
    initial_state: { args: {}, send: () => ipc.initialState() },
    list_providers: { args: {}, send: () => ipc.listProviders() },
    connect: { args: { providerId: 'clickfunnels' }, send: (a) => ipc.connect(a.providerId) },
    save_api_key: {
      args: { providerId: 'emailoctopus', values: { api_key: 'good-key' } },
      send: (a) => ipc.saveApiKey(a.providerId, a.values),
    },
    open_key_help: { args: { providerId: 'emailoctopus' }, send: (a) => ipc.openKeyHelp(a.providerId) },
    cancel_connect: { args: { providerId: 'clickfunnels' }, send: (a) => ipc.cancelConnect(a.providerId) },
    disconnect: {
      args: { providerId: 'whatconverts', accountId: 'wc-acme', keepRecords: true },
      send: (a) => ipc.disconnect(a.providerId, a.accountId, a.keepRecords),
    },
    list_resources: { args: { providerId: 'whatconverts' }, send: (a) => ipc.listResources(a.providerId) },
    get_settings: { args: {}, send: () => ipc.getSettings() },
    save_settings: { args: { settings }, send: (a) => ipc.saveSettings(a.settings) },
    set_client_secret: {
      args: { providerId: 'boomtown', secret: null },
      send: (a) => ipc.setClientSecret(a.providerId, a.secret),
    },
    sync_resource: { args: ref, send: (a) => ipc.syncResource(a.list) },
    query_records: {
      args: { ...ref, query },
      send: (a) => ipc.queryRecords(a.list, a.query),
    },
    record_detail: {
      args: { ...ref, index: 7 },
      send: (a) => ipc.recordDetail(a.list, a.index),
    },
    weekly_counts: { args: { ...ref, query }, send: (a) => ipc.weeklyCounts(a.list, a.query) },
    export_csv: {
      args: { ...ref, query },
      send: (a) => ipc.exportCsv(a.list, a.query),
    },
    export_json: {
      args: { ...ref, query },
      send: (a) => ipc.exportJson(a.list, a.query),
    },
    sync_statuses: {
      args: { providerId: 'whatconverts', accountId: 'wc-acme' },
      send: (a) => ipc.syncStatuses(a.providerId, a.accountId),
    },
    people: { args: { query: peopleQuery }, send: (a) => ipc.people(a.query) },
    person: { args: { person: 1 }, send: (a) => ipc.person(a.person) },
    merge_suggestions: { args: { person: 1 }, send: (a) => ipc.mergeSuggestions(a.person) },
    attribution: { args: { range, by: 'campaign' }, send: (a) => ipc.attribution(a.range, a.by) },
    funnel: { args: { range }, send: (a) => ipc.funnel(a.range) },
    export_people_csv: { args: { query: peopleQuery }, send: (a) => ipc.exportPeopleCsv(a.query) },
    merge_people: { args: { a: 1, b: 3 }, send: (a) => ipc.mergePeople(a.a, a.b) },
    split_person: {
      args: { person: 1, records: [{ provider: 'boomtown', account: 'bt-harbor', resource: 'leads', record_id: 'bt-l-3' }] },
      send: (a) => ipc.splitPerson(a.person, a.records),
    },
    undo_people_decision: { args: { decision: 1 }, send: (a) => ipc.undoPeopleDecision(a.decision) },
    set_welcome_seen: { args: { seen: true }, send: (a) => ipc.setWelcomeSeen(a.seen) },
    forget_saved_key: {
      args: { providerId: 'whatconverts', accountId: 'wc-acme' },
      send: (a) => ipc.forgetSavedKey(a.providerId, a.accountId),
    },
    value_counts: { args: { ...ref, column: 'source', query }, send: (a) => ipc.valueCounts(a.list, a.column, a.query) },
    list_views: { args: ref, send: (a) => ipc.listViews(a.list) },
    save_view: { args: { ...ref, name: 'Google', settings: viewSettings }, send: (a) => ipc.saveView(a.list, a.name, a.settings) },
    update_view: { args: { ...ref, id: 3, name: 'Bing', settings: null }, send: (a) => ipc.updateView(a.list, a.id, a.name, a.settings) },
    duplicate_view: { args: { ...ref, id: 3, name: 'Copy' }, send: (a) => ipc.duplicateView(a.list, a.id, a.name) },
    delete_view: { args: { ...ref, id: 3 }, send: (a) => ipc.deleteView(a.list, a.id) },
    check_for_update: { args: {}, send: () => ipc.checkForUpdate() },
    install_update: { args: {}, send: () => ipc.installUpdate() },
    open_record_page: { args: { ...ref, index: 7 }, send: (a) => ipc.openRecordPage(a.list, a.index) },
  };
}

/** One row per event: a payload of Rust's type, and the ipc.ts function that listens to it. */
type Listeners = {
  [E in EventName]: {
    payload: Events[E];
    listen: (handler: (payload: Events[E]) => void) => Promise<ipc.Unlisten>;
  };
};

const listeners: Listeners = {
  'providers-changed': { payload: tiles(), listen: ipc.onProvidersChanged },
  'sync-progress': {
    payload: { provider_id: 'whatconverts', account_id: 'wc-acme', resource_id: 'leads', fetched: 1, total: null, done: false },
    listen: ipc.onSyncProgress,
  },
  notice: { payload: { level: 'info', message: 'Hi', advice: null, code: null, provider: null }, listen: ipc.onNotice },
  'export-progress': {
    payload: { provider: 'whatconverts', resource: 'leads', done: 2, total: 9 },
    listen: ipc.onExportProgress,
  },
  'sync-status': {
    payload: syncStatus({ running: true, budget: { used: 360, limit: 1000, remaining: 640, resets_at: '2026-11-24T00:00:00Z' } }),
    listen: ipc.onSyncStatus,
  },
  'update-progress': { payload: { downloaded: 1, total: 9 }, listen: ipc.onUpdateProgress },
};

/** The first string argument of each `fn<...>('name'` call in the generated client. */
function calledNames(fn: string): string[] {
  const re = new RegExp(`\\b${fn}(?:<[^(]*>)?\\(\\s*'([^']+)'`, 'g');
  return [...ipcSource.matchAll(re)].map((m) => m[1] ?? '');
}

describe('the IPC contract generated from Rust', () => {
  test('lists the commands and events Rust declares', () => {
    expect(Object.keys(COMMAND_ARGS)).toContain('list_providers');
    expect(COMMAND_ARGS.disconnect).toEqual(['providerId', 'accountId', 'keepRecords']);
    expect(EVENT_NAMES).toContain('providers-changed');
  });

  test('the fake backend answers exactly the commands Rust registers', () => {
    expect(sorted(new FakeBackend().implemented())).toEqual(sorted(Object.keys(COMMAND_ARGS)));
  });

  test('the client invokes exactly the commands Rust registers and listens to exactly its events', () => {
    const invoked = calledNames('invoke');
    expect(new Set(invoked).size).toBe(invoked.length);
    expect(sorted(invoked)).toEqual(sorted(Object.keys(COMMAND_ARGS)));
    const listened = calledNames('listen');
    expect(sorted(listened)).toEqual(sorted(EVENT_NAMES));
  });

  test('each ipc.ts function sends its command with exactly Rust\'s argument keys', async () => {
    backend = new FakeBackend().install();
    const table = rows(backend.settings);
    for (const name of Object.keys(table) as CommandName[]) {
      const row = table[name] as unknown as { args: Record<string, unknown>; send: (a: Record<string, unknown>) => Promise<unknown> };
      // Some answers are refusals (no help page for this tile): only what went out matters.
      await row.send(row.args).catch(() => undefined);
      const sent = backend.calls.at(-1);
      expect(sent?.cmd).toBe(name);
      expect(sorted(Object.keys(sent?.args ?? {}))).toEqual(sorted(COMMAND_ARGS[name]));
      expect(sent?.args).toEqual(row.args);
    }
    expect(sorted(backend.calls.map((c) => c.cmd))).toEqual(sorted(Object.keys(COMMAND_ARGS)));
  });

  test('each ipc.ts listener receives its event\'s payload', async () => {
    backend = new FakeBackend().install();
    const seen = new Map<string, unknown>();
    for (const name of EVENT_NAMES) {
      const row = listeners[name] as unknown as { payload: unknown; listen: (h: (p: unknown) => void) => Promise<ipc.Unlisten> };
      await row.listen((p) => seen.set(name, p));
      await backend.emit(name, row.payload as never);
    }
    expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(EVENT_NAMES.map((n) => [n, listeners[n].payload])));
  });
});

describe('the fake backend refuses what Rust would not take', () => {
  test('a command Rust does not register', async () => {
    backend = new FakeBackend().install();
    await expect(invoke('list_provider')).rejects.toThrow("invoke('list_provider'): Rust registers no such command");
    expect(() => backend?.uninstall()).toThrow('the app broke the IPC contract');
    backend = undefined;
  });

  test('an argument key Rust does not take, or one left out', async () => {
    backend = new FakeBackend().install();
    await expect(invoke('connect', { provider_id: 'clickfunnels' })).rejects.toThrow(
      "invoke('connect') sent keys [provider_id]; Rust takes [providerId]",
    );
    await expect(invoke('disconnect', { providerId: 'whatconverts', accountId: 'wc-acme' })).rejects.toThrow('Rust takes');
    await expect(invoke('list_providers', { extra: 1 })).rejects.toThrow('Rust takes []');
    expect(backend.violations).toHaveLength(3);
    expect(() => backend?.uninstall()).toThrow('the app broke the IPC contract');
    backend = undefined;
  });

  test('an event Rust does not emit', async () => {
    backend = new FakeBackend().install();
    await expect(backend.emit('providers-change' as EventName, [] as never)).rejects.toThrow("emit('providers-change')");
    expect(() => backend?.uninstall()).toThrow('the app broke the IPC contract');
    backend = undefined;
  });

  test('refusals Rust gives before anything happens come back with Rust\'s codes', async () => {
    // The same refusals src-tauri/ipc_contract_tests.rs gets from the real commands.
    backend = new FakeBackend().install();
    await expect(ipc.connect('emailoctopus')).rejects.toMatchObject({ code: 'connect.uses_api_key' });
    await expect(ipc.connect('nope')).rejects.toMatchObject({ code: 'provider.unknown' });
    await expect(ipc.saveApiKey('emailoctopus', { api_key: '  ' })).rejects.toMatchObject({ code: 'connect.key_incomplete' });
    await expect(ipc.saveApiKey('emailoctopus', {})).rejects.toMatchObject({ code: 'connect.key_incomplete' });
    await expect(ipc.openKeyHelp('clickfunnels')).rejects.toMatchObject({ code: 'connect.no_help_page' });
    await expect(ipc.setClientSecret('whatconverts', 'x')).rejects.toMatchObject({ code: 'settings.no_client_secret' });
    await expect(ipc.cancelConnect('clickfunnels')).resolves.toBeNull();
    expect(backend.callsOf('save_api_key')).toHaveLength(2);
    await expect(ipc.person(999)).rejects.toMatchObject({ code: 'people.unknown_person' });
    await expect(ipc.mergePeople(1, 1)).rejects.toMatchObject({ code: 'people.same_person' });
    await expect(ipc.splitPerson(1, [])).rejects.toMatchObject({ code: 'people.nothing_to_split' });
    await expect(ipc.undoPeopleDecision(42)).rejects.toMatchObject({ code: 'people.unknown_decision' });
  });
});
