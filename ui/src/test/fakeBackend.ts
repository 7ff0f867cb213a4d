// A fake Rust side for tests: answers every Patchbay command through
// @tauri-apps/api/mocks, records the calls, and emits events.
//
// It follows the contract generated from the Rust declarations (bindings/ipcContract.ts):
// its handlers are typed by it, so a command, argument type or answer type that differs from
// Rust fails the type check; and at run time it refuses (and remembers, so that uninstall()
// fails the test) any command the app does not register, any call whose argument keys are
// not exactly the Rust parameters', and any event the app does not emit.
import { emit } from '@tauri-apps/api/event';
import { clearMocks, mockIPC, mockWindows } from '@tauri-apps/api/mocks';
import { COMMAND_ARGS, EVENT_NAMES, type Commands, type Events } from '../bindings/ipcContract';
import type { AccountView } from '../bindings/AccountView';
import type { AuthMethodView } from '../bindings/AuthMethodView';
import type { CommandError } from '../bindings/CommandError';
import type { ListRef } from '../bindings/ListRef';
import type { ErrorCode } from '../bindings/ErrorCode';
import type { ProviderTile } from '../bindings/ProviderTile';
import type { RecordPage } from '../bindings/RecordPage';
import type { RecordQuery } from '../bindings/RecordQuery';
import type { ResourceView } from '../bindings/ResourceView';
import type { Settings } from '../bindings/Settings';
import type { SyncStatus } from '../bindings/SyncStatus';
import type { TileMark } from '../bindings/TileMark';
import type { UpdateInfo } from '../bindings/UpdateInfo';
import type { WeekCount } from '../bindings/WeekCount';
import type { PeopleQuery } from '../bindings/PeopleQuery';
import { FakePeopleStore } from './fakePeople';
import type { ColumnKind } from '../bindings/ColumnKind';
import type { ColumnView } from '../bindings/ColumnView';
import type { Condition } from '../bindings/Condition';
import type { SavedView } from '../bindings/SavedView';
import type { ValueCount } from '../bindings/ValueCount';

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

export type CommandName = keyof Commands;
export type EventName = keyof Events;

/** What a handler of `K` may answer: Rust's answer type, or a rejection. */
type Answer<K extends CommandName> = Commands[K]['result'] | Promise<Commands[K]['result']>;
type Handlers = { [K in CommandName]: (args: Commands[K]['args']) => Answer<K> };
type AnyHandler = (args: Record<string, unknown>) => unknown;

function isCommand(cmd: string): cmd is CommandName {
  return Object.hasOwn(COMMAND_ARGS, cmd);
}

function isEvent(event: string): event is EventName {
  return (EVENT_NAMES as readonly string[]).includes(event);
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
}

/** A rejection carrying a CommandError, as Tauri rejects invoke() (an object, not an Error). */
function reject(code: ErrorCode, message: string, advice = 'Try again.'): Promise<never> {
  const error: CommandError = { code, message, advice };
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  return Promise.reject(error);
}

function unknownPerson(): Promise<never> {
  return reject('people.unknown_person', 'This person is no longer in Patchbay.', 'Go back to People and search again.');
}

const EMAILOCTOPUS_AUTH: AuthMethodView = {
  kind: 'api_key',
  fields: [{ key: 'api_key', label: 'API key', secret: true }],
  help_url: 'https://emailoctopus.com/api-documentation',
  help_text: 'Find your API key in EmailOctopus under Integrations & API.',
};

/** The tile marks of the built-in definitions (crates/patchbay-core/providers/*.toml). */
const MARKS: Record<string, TileMark> = {
  whatconverts: { mark: 'WC', colour: '#1f6e52' },
  clickfunnels: { mark: 'CF', colour: '#1d4fa8' },
  webinargeek: { mark: 'WG', colour: '#a0372a' },
  boomtown: { mark: 'BT', colour: '#6b3fa0' },
  emailoctopus: { mark: 'EO', colour: '#0e6e8c' },
};

/** A connected account, as Rust lists it. */
export function connectedAccount(accountId: string, name: string, lastSynced: string | null = null, records: number | null = null): AccountView {
  return { account_id: accountId, name, state: { kind: 'connected', last_synced: lastSynced, warning: null }, records };
}

export function tiles(): ProviderTile[] {
  const tile = (id: string, display_name: string, holds: string, accounts: AccountView[] = []): ProviderTile => ({
    id, display_name, holds, mark: MARKS[id] ?? { mark: '?', colour: '#5a6270' }, auth: { kind: 'oauth' }, waiting_authorize_url: null, accounts,
  });
  return [
    tile('whatconverts', 'WhatConverts', 'Leads', [connectedAccount('wc-acme', 'Acme Realty', '2026-11-20T10:00:00Z')]),
    tile('clickfunnels', 'ClickFunnels', 'Contacts and orders'),
    tile('webinargeek', 'WebinarGeek', 'Webinars and registrations'),
    tile('boomtown', 'BoomTown', 'Real-estate leads', [
      { account_id: 'bt-harbor', name: 'Harbor Homes', state: { kind: 'needs_reconnect', reason: 'ended' }, records: null },
    ]),
    { ...tile('emailoctopus', 'EmailOctopus', 'Lists and contacts'), auth: EMAILOCTOPUS_AUTH },
  ];
}

/** A column as Rust sends it: no currency and no badge unless given. */
export function column(key: string, label: string, kind: ColumnKind, more: Partial<ColumnView> = {}): ColumnView {
  return { key, label, kind, currency: null, currency_column: null, badge: false, ...more };
}

export const LEADS: ResourceView = {
  id: 'leads',
  label: 'Leads',
  chart_by_week: true,
  opens_in_provider: true,
  columns: [
    column('name', 'Name', 'text'),
    column('email', 'Email', 'email'),
    column('value', 'Value', 'money', { currency: 'USD' }),
    column('source', 'Source', 'text'),
  ],
};
export const CALLS: ResourceView = {
  id: 'calls',
  label: 'Calls',
  chart_by_week: false,
  opens_in_provider: false,
  columns: [
    column('caller', 'Caller', 'phone'),
    column('duration', 'Duration', 'integer'),
  ],
};
export const FORMS: ResourceView = {
  id: 'forms',
  label: 'Forms',
  chart_by_week: false,
  opens_in_provider: false,
  columns: [column('form', 'Form', 'text')],
};

/** The fake leads' sources, in turn: Google's share is a third, give or take one. */
export const LEAD_SOURCES = ['google', 'facebook', 'newsletter'];

export function leadCells(i: number): string[] {
  return [`Lead ${i}`, `lead${i}@example.com`, `$${(i % 1000).toString()}.00`, LEAD_SOURCES[i % LEAD_SOURCES.length] ?? ''];
}

/**
 * A list's background-refresh status as Rust reports it: a finished incremental run by
 * default (WhatConverts, Acme Realty, Leads), with `changes` on top.
 */
export function syncStatus(changes: Partial<SyncStatus> = {}): SyncStatus {
  return {
    provider: 'whatconverts',
    account: 'wc-acme',
    resource: 'leads',
    running: false,
    next_run: '2026-11-23T09:15:00Z',
    last_success: '2026-11-23T09:00:00Z',
    last_run: {
      pass: 'incremental', added: 0, updated: 0, removed: 0, requests: 1, total: 250, finished_at: '2026-11-23T09:00:00Z',
    },
    error: null,
    paused_until: null,
    budget: null,
    ...changes,
  };
}

export class FakeBackend {
  calls: Call[] = [];
  providers = tiles();
  resources: ResourceView[] = [LEADS, CALLS, FORMS];
  rowCount = 250;
  settings: Settings = {
    demo_mode: true,
    demo_available: true,
    definition_errors: [],
    welcome_seen: true,
    secret_storage: 'keychain_only',
    secrets_kept_in: 'keychain',
    providers: this.providers.map((p) => ({
      id: p.id, display_name: p.display_name, client_id: null, base_url: null,
      // The real world's methods: WhatConverts, WebinarGeek and EmailOctopus take an API key.
      kind: ['whatconverts', 'webinargeek', 'emailoctopus'].includes(p.id) ? 'api_key' as const : 'oauth' as const,
      saved_keys: p.id === 'whatconverts' ? [{ account_id: 'wc-acme', label: 'Acme Realty', saved_at: '2026-11-20T10:00:00Z' }] : [],
      needs_client_secret: p.id === 'boomtown', client_secret_saved: false, refresh_secs: null,
    })),
  };
  weeks: WeekCount[] = [
    { week_start: '2026-11-02', count: 3 },
    { week_start: '2026-11-09', count: 7 },
    { week_start: '2026-11-16', count: 5 },
  ];
  /** What check_for_update answers (null: up to date); install_update downloads it. */
  update: UpdateInfo | null = null;
  /** Whether this copy was installed from a package the updater replaces (else it saves). */
  updateInstalls = false;
  /** What sync_statuses answers (filtered by provider and account, as Rust does). */
  statuses: SyncStatus[] = [];
  /** Calls and events that break the contract; uninstall() fails the test if any. */
  violations: string[] = [];
  private overrides = new Map<CommandName, AnyHandler>();
  private syncGate: Promise<void> | null = null;

  install(): this {
    mockWindows('main');
    mockIPC((cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      this.calls.push({ cmd, args });
      const broken = this.breach(cmd, args);
      if (broken) {
        this.violations.push(broken);
        return Promise.reject(new Error(broken));
      }
      const name = cmd as CommandName;
      const handler = this.overrides.get(name) ?? (this.handlers[name] as AnyHandler);
      return handler(args);
    }, { shouldMockEvents: true });
    return this;
  }

  /** Fails (throws) when the app broke the IPC contract while the fake was installed. */
  uninstall(): void {
    clearMocks();
    if (this.violations.length > 0) {
      throw new Error(`the app broke the IPC contract:\n${this.violations.join('\n')}`);
    }
  }

  /** Why a call is not one Rust would accept, or null. */
  private breach(cmd: string, args: Record<string, unknown>): string | null {
    if (!isCommand(cmd)) return `invoke('${cmd}'): Rust registers no such command`;
    const keys = Object.keys(args);
    const expected = COMMAND_ARGS[cmd];
    if (!sameKeys(keys, expected)) {
      return `invoke('${cmd}') sent keys [${keys.join(', ')}]; Rust takes [${expected.join(', ')}]`;
    }
    return null;
  }

  /** The commands this fake answers (the contract's, checked by the type of `handlers`). */
  implemented(): string[] {
    return Object.keys(this.handlers);
  }

  /** Makes `cmd` reject with a CommandError carrying `message`. */
  fail(cmd: CommandName, message: string, code: ErrorCode = 'app.internal'): void {
    this.overrides.set(cmd, () => reject(code, message));
  }

  /** Answers `cmd` with `handler` instead of the default. */
  on<K extends CommandName>(cmd: K, handler: (args: Commands[K]['args']) => Answer<K>): void {
    this.overrides.set(cmd, handler as AnyHandler);
  }

  /** Holds sync_resource answers until the returned function is called. */
  holdSync(): () => void {
    let release = (): void => undefined;
    this.syncGate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      this.syncGate = null;
      release();
    };
  }

  callsOf(cmd: string): Call[] {
    return this.calls.filter((c) => c.cmd === cmd);
  }

  /** The lists a records command was sent for, in order. */
  listsOf(cmd: 'sync_resource' | 'query_records' | 'record_detail' | 'weekly_counts' | 'export_csv' | 'export_json'): ListRef[] {
    return this.callsOf(cmd).map((c) => c.args.list as ListRef);
  }

  /** The People the fake resolves across the tools (see fakePeople.ts). */
  peopleStore = new FakePeopleStore();

  /** The last query the People table sent (people or export_people_csv). */
  lastPeopleQuery(cmd: 'people' | 'export_people_csv' = 'people'): PeopleQuery | undefined {
    const call = this.callsOf(cmd).at(-1);
    return call?.args.query as PeopleQuery | undefined;
  }

  lastQuery(): RecordQuery | undefined {
    const call = this.callsOf('query_records').at(-1);
    return call?.args.query as RecordQuery | undefined;
  }

  /** While set, export_json waits for it (to look at the page mid-export). */
  exportGate: Promise<void> | null = null;

  /** Sends an event as Rust would: only the app's events, with their payload types. */
  emit<E extends EventName>(event: E, payload: Events[E]): Promise<void> {
    if (!isEvent(event)) {
      const broken = `emit('${String(event)}'): Rust emits no such event`;
      this.violations.push(broken);
      return Promise.reject(new Error(broken));
    }
    return emit(event, payload);
  }

  private findTile(id: string): ProviderTile | undefined {
    return this.providers.find((p) => p.id === id);
  }

  private tile(id: string): ProviderTile {
    const tile = this.findTile(id);
    if (!tile) throw new Error(`unknown provider ${id}`);
    return tile;
  }

  /** Replaces a tile and tells the window, as Rust does after every change. */
  private async setTile(next: ProviderTile): Promise<void> {
    this.providers = this.providers.map((p) => (p.id === next.id ? next : p));
    await this.emit('providers-changed', this.providers);
  }

  /**
   * The browser approved the waiting connect: the account arrives (or, known already, is
   * connected again) and the wait ends. Emits providers-changed.
   */
  async approve(providerId: string, account: AccountView): Promise<void> {
    const tile = this.tile(providerId);
    const known = tile.accounts.some((a) => a.account_id === account.account_id);
    const accounts = known
      ? tile.accounts.map((a) => (a.account_id === account.account_id ? account : a))
      : [...tile.accounts, account];
    await this.setTile({ ...tile, waiting_authorize_url: null, accounts });
  }

  /** The leads' text filters, as the cache runs them (case-insensitive); other tests keep every row. */
  private static passes(cells: string[], condition: Condition): boolean {
    const cell = (cells[LEADS.columns.findIndex((c) => c.key === condition.column)] ?? '').toLowerCase();
    const t = condition.test;
    switch (t.op) {
      case 'one_of': return t.values.some((v) => v.toLowerCase() === cell);
      case 'equals': return t.value.toLowerCase() === cell;
      case 'contains': return cell.includes(t.value.toLowerCase());
      case 'is_empty': return cell === '';
      default: return true;
    }
  }

  private positions(q: RecordQuery, skipColumn: string | null = null): number[] {
    const needle = q.search.toLowerCase();
    const positions: number[] = [];
    for (let i = 0; i < this.rowCount; i += 1) {
      const cells = leadCells(i);
      if (needle !== '' && !cells.some((c) => c.toLowerCase().includes(needle))) continue;
      if (!q.filter.every((c) => c.column === skipColumn || FakeBackend.passes(cells, c))) continue;
      positions.push(i);
    }
    return positions;
  }

  /** Saved views, as the cache keeps them (one list is enough for the window's tests). */
  views: SavedView[] = [];
  private nextView = 1;

  /** As Rust: a blank name or one taken (ignoring case) is refused. */
  private viewNamed(name: string): Promise<never> | null {
    if (name.trim() === '') return reject('views.name_invalid', 'A view needs a name.');
    if (this.views.some((v) => v.name.toLowerCase() === name.trim().toLowerCase())) {
      return reject('views.name_taken', 'This list already has a view with that name.');
    }
    return null;
  }

  /** A one-of filter's choices: counts of a column's values among the other filters' rows. */
  private valueCounts(column: string, q: RecordQuery): ValueCount[] {
    const at = LEADS.columns.findIndex((c) => c.key === column);
    const counts = new Map<string, number>();
    for (const i of this.positions(q, column)) {
      const v = leadCells(i)[at] ?? '';
      if (v !== '') counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value)).slice(0, 50);
  }

  query(q: RecordQuery): RecordPage {
    let positions = this.positions(q);
    if (q.sort?.descending) positions = positions.reverse();
    return {
      total: this.rowCount,
      matched: positions.length,
      rows: positions.slice(q.offset, q.offset + q.limit).map((i) => ({ index: i, cells: leadCells(i) })),
    };
  }

  /** The default answers, one per command of the contract. */
  private readonly handlers: Handlers = {
    initial_state: () => ({ settings: this.settings, tiles: this.providers }),
    list_providers: () => this.providers,
    // As in Rust: an API-key provider or an unknown one is refused before any browser opens.
    connect: async ({ providerId }) => {
      const tile = this.findTile(providerId);
      if (!tile) return reject('provider.unknown', `Patchbay has no provider called "${providerId}".`);
      if (tile.auth.kind === 'api_key') return reject('connect.uses_api_key', `${tile.display_name} connects with an API key.`);
      // The real world's BoomTown wants the user's own client, as Rust's does.
      const own = this.settings.providers.find((p) => p.id === providerId);
      if (!this.settings.demo_mode && own?.needs_client_secret && (own.client_id === null || !own.client_secret_saved)) {
        return reject('connect.needs_client_credentials', `${tile.display_name} needs your own client id and client secret in Settings.`);
      }
      await this.setTile({ ...tile, waiting_authorize_url: `https://auth.example/${tile.id}?state=abc` });
      return null;
    },
    save_api_key: async ({ providerId, values }) => {
      const tile = this.tile(providerId);
      if (tile.auth.kind !== 'api_key') return reject('connect.not_api_key', `${tile.display_name} does not use an API key.`);
      if (tile.auth.fields.some((f) => (values[f.key] ?? '').trim() === '')) {
        return reject('connect.key_incomplete', `Paste your ${tile.display_name} API key first.`);
      }
      if (values.api_key !== 'good-key') {
        return reject('connect.key_rejected', 'EmailOctopus did not accept that API key. Copy it again from Integrations & API.');
      }
      await this.approve(providerId, connectedAccount('eo-octo', 'Octo Ltd'));
      return null;
    },
    open_key_help: ({ providerId }) => {
      const auth = this.findTile(providerId)?.auth;
      if (auth?.kind !== 'api_key' || auth.help_url === null) return reject('connect.no_help_page', 'There is no help page for this provider.');
      return null;
    },
    set_client_secret: ({ providerId, secret }) => {
      if (!this.settings.providers.some((p) => p.id === providerId && p.needs_client_secret)) {
        return reject('settings.no_client_secret', 'This provider does not use a client secret.');
      }
      this.settings = {
        ...this.settings,
        providers: this.settings.providers.map((p) => (p.id === providerId ? { ...p, client_secret_saved: secret !== null } : p)),
      };
      return this.settings;
    },
    cancel_connect: async ({ providerId }) => {
      await this.setTile({ ...this.tile(providerId), waiting_authorize_url: null });
      return null;
    },
    disconnect: async ({ providerId, accountId }) => {
      const tile = this.tile(providerId);
      await this.setTile({ ...tile, accounts: tile.accounts.filter((a) => a.account_id !== accountId) });
      return null;
    },
    list_resources: () => this.resources,
    sync_resource: async () => {
      if (this.syncGate) await this.syncGate;
      return {
        total: this.rowCount,
        synced_at: '2026-11-23T09:00:00Z',
        pass: 'full',
        added: this.rowCount,
        updated: 0,
        removed: 0,
        requests: 1,
      };
    },
    query_records: ({ query }) => this.query(query),
    record_detail: ({ index }) => {
      const cells = leadCells(index);
      return {
        fields: LEADS.columns.map((c, i) => ({ label: c.label, value: cells[i] ?? '' })),
        raw_json: JSON.stringify({ id: index }),
      };
    },
    weekly_counts: () => this.weeks,
    export_csv: ({ query }) => ({ path: '/home/ana/Downloads/whatconverts-leads.csv', rows: this.query(query).matched }),
    export_json: async ({ query }) => {
      if (this.exportGate) await this.exportGate;
      return { path: '/home/ana/Downloads/whatconverts-leads.json', rows: this.query(query).matched };
    },
    get_settings: () => this.settings,
    sync_statuses: ({ providerId, accountId }) =>
      this.statuses.filter((s) => s.provider === providerId && s.account === accountId),
    save_settings: ({ settings }) => {
      // Read-only on the page, as in Rust.
      this.settings = {
        ...settings,
        welcome_seen: this.settings.welcome_seen,
        secrets_kept_in: this.settings.secrets_kept_in,
        providers: settings.providers.map((p) => ({ ...p, saved_keys: this.settings.providers.find((q) => q.id === p.id)?.saved_keys ?? [] })),
      };
      return this.settings;
    },
    forget_saved_key: ({ providerId, accountId }) => {
      const provider = this.settings.providers.find((p) => p.id === providerId);
      if (!provider?.saved_keys.some((k) => k.account_id === accountId)) {
        return reject('account.unknown', 'That account is no longer in Patchbay.');
      }
      this.settings = {
        ...this.settings,
        providers: this.settings.providers.map((p) => (p.id === providerId ? { ...p, saved_keys: p.saved_keys.filter((k) => k.account_id !== accountId) } : p)),
      };
      return this.settings;
    },
    set_welcome_seen: ({ seen }) => {
      this.settings = { ...this.settings, welcome_seen: seen };
      return this.settings;
    },
    people: ({ query }) => this.peopleStore.page(query),
    person: ({ person }) => this.peopleStore.detail(person) ?? unknownPerson(),
    merge_suggestions: ({ person }) => this.peopleStore.suggestions(person) ?? unknownPerson(),
    attribution: ({ by }) => this.peopleStore.attribution[by],
    funnel: () => this.peopleStore.funnel,
    export_people_csv: ({ query }) => ({
      path: '/home/ana/Downloads/patchbay-people.csv',
      rows: this.peopleStore.matching(query).length,
    }),
    merge_people: ({ a, b }) => {
      if (a === b) return reject('people.same_person', 'These are already the same person.');
      return this.peopleStore.merge(a, b) ?? unknownPerson();
    },
    split_person: ({ person, records }) => {
      const decision = this.peopleStore.split(person, records);
      if (decision === 'empty') return reject('people.nothing_to_split', 'Choose some of this person\'s records to split off, not all of them.');
      return decision ?? unknownPerson();
    },
    value_counts: ({ column, query }) => this.valueCounts(column, query),
    list_views: () => [...this.views].sort((a, b) => a.name.localeCompare(b.name)),
    save_view: ({ name, settings }) => {
      const taken = this.viewNamed(name);
      if (taken) return taken;
      const view = { id: this.nextView++, name: name.trim(), settings };
      this.views.push(view);
      return view;
    },
    update_view: ({ id, name, settings }) => {
      const view = this.views.find((v) => v.id === id);
      if (!view) return reject('views.not_found', 'That saved view is no longer here.');
      if (name !== null) {
        const other = this.views.find((v) => v.id !== id && v.name.toLowerCase() === name.trim().toLowerCase());
        if (other) return reject('views.name_taken', 'This list already has a view with that name.');
        view.name = name.trim();
      }
      if (settings !== null) view.settings = settings;
      return { ...view };
    },
    duplicate_view: ({ id, name }) => {
      const view = this.views.find((v) => v.id === id);
      if (!view) return reject('views.not_found', 'That saved view is no longer here.');
      const taken = this.viewNamed(name);
      if (taken) return taken;
      const copy = { id: this.nextView++, name: name.trim(), settings: view.settings };
      this.views.push(copy);
      return copy;
    },
    delete_view: ({ id }) => {
      const before = this.views.length;
      this.views = this.views.filter((v) => v.id !== id);
      return this.views.length === before ? reject('views.not_found', 'That saved view is no longer here.') : null;
    },
    check_for_update: () => this.update,
    // As in Rust: progress events while it downloads, then where the verified package is.
    install_update: async () => {
      const update = this.update;
      if (!update) return reject('update.none_available', 'This is already the newest Patchbay.');
      await this.emit('update-progress', { downloaded: 0, total: 2_000_000 });
      await this.emit('update-progress', { downloaded: 2_000_000, total: 2_000_000 });
      if (this.updateInstalls) {
        return { outcome: 'installed', version: update.version, sentence: `Patchbay ${update.version} is installed. Restart Patchbay to use it.` };
      }
      const path = `/home/ana/Downloads/Patchbay_${update.version}_amd64.AppImage`;
      return {
        outcome: 'saved',
        version: update.version,
        path,
        sentence: `This copy of Patchbay was not installed from a package, so it cannot replace itself. Patchbay ${update.version} is saved and its signature verified. Close Patchbay, then in a terminal run: chmod +x '${path}' && '${path}'`,
      };
    },
    // As in Rust: only a list with a page per record opens one (the browser is Rust's).
    open_record_page: ({ list }) => (list.resource === LEADS.id ? null : reject('records.no_provider_page', "Patchbay doesn't know a web page for this record.")),
    undo_people_decision: ({ decision }) => {
      if (!this.peopleStore.undo(decision)) return reject('people.unknown_decision', 'That change was already undone.');
      return null;
    },
  };
}
