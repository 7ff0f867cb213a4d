// A fake Rust side for tests: answers every Patchbay command through
// @tauri-apps/api/mocks, records the calls, and emits events.
import { emit } from '@tauri-apps/api/event';
import { clearMocks, mockIPC, mockWindows } from '@tauri-apps/api/mocks';
import type { AccountView } from '../bindings/AccountView';
import type { AuthMethodView } from '../bindings/AuthMethodView';
import type { CommandError } from '../bindings/CommandError';
import type { ProviderTile } from '../bindings/ProviderTile';
import type { RecordPage } from '../bindings/RecordPage';
import type { RecordQuery } from '../bindings/RecordQuery';
import type { ResourceView } from '../bindings/ResourceView';
import type { Settings } from '../bindings/Settings';
import type { SyncSummary } from '../bindings/SyncSummary';
import type { WeekCount } from '../bindings/WeekCount';

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

type Handler = (args: Record<string, unknown>) => unknown;

const EMAILOCTOPUS_AUTH: AuthMethodView = {
  kind: 'api_key',
  fields: [{ key: 'api_key', label: 'API key', secret: true }],
  help_url: 'https://emailoctopus.com/api-documentation',
  help_text: 'Find your API key in EmailOctopus under Integrations & API.',
};

/** A connected account, as Rust lists it. */
export function connectedAccount(accountId: string, name: string, lastSynced: string | null = null): AccountView {
  return { account_id: accountId, name, state: { kind: 'connected', last_synced: lastSynced } };
}

export function tiles(): ProviderTile[] {
  const tile = (id: string, display_name: string, holds: string, accounts: AccountView[] = []): ProviderTile => ({
    id, display_name, holds, auth: { kind: 'oauth' }, waiting_authorize_url: null, accounts,
  });
  return [
    tile('whatconverts', 'WhatConverts', 'Leads', [connectedAccount('wc-acme', 'Acme Realty', '2026-11-20T10:00:00Z')]),
    tile('clickfunnels', 'ClickFunnels', 'Contacts and orders'),
    tile('webinargeek', 'WebinarGeek', 'Webinars and registrations'),
    tile('boomtown', 'BoomTown', 'Real-estate leads', [
      { account_id: 'bt-harbor', name: 'Harbor Homes', state: { kind: 'needs_reconnect', reason: 'ended' } },
    ]),
    { ...tile('emailoctopus', 'EmailOctopus', 'Lists and contacts'), auth: EMAILOCTOPUS_AUTH },
  ];
}

export const LEADS: ResourceView = {
  id: 'leads',
  label: 'Leads',
  chart_by_week: true,
  columns: [
    { key: 'name', label: 'Name', kind: 'text' },
    { key: 'email', label: 'Email', kind: 'email' },
    { key: 'value', label: 'Value', kind: 'money' },
  ],
};
export const CALLS: ResourceView = {
  id: 'calls',
  label: 'Calls',
  chart_by_week: false,
  columns: [
    { key: 'caller', label: 'Caller', kind: 'phone' },
    { key: 'duration', label: 'Duration', kind: 'integer' },
  ],
};
export const FORMS: ResourceView = {
  id: 'forms',
  label: 'Forms',
  chart_by_week: false,
  columns: [{ key: 'form', label: 'Form', kind: 'text' }],
};

export function leadCells(i: number): string[] {
  return [`Lead ${i}`, `lead${i}@example.com`, `$${(i % 1000).toString()}.00`];
}

export class FakeBackend {
  calls: Call[] = [];
  providers = tiles();
  resources: ResourceView[] = [LEADS, CALLS, FORMS];
  rowCount = 250;
  settings: Settings = {
    demo_mode: true,
    providers: this.providers.map((p) => ({
      id: p.id, display_name: p.display_name, client_id: null, base_url: null,
      needs_client_secret: p.id === 'boomtown', client_secret_saved: false,
    })),
  };
  weeks: WeekCount[] = [
    { week_start: '2026-11-02', count: 3 },
    { week_start: '2026-11-09', count: 7 },
    { week_start: '2026-11-16', count: 5 },
  ];
  private overrides = new Map<string, Handler>();
  private syncGate: Promise<void> | null = null;

  install(): this {
    mockWindows('main');
    mockIPC((cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      this.calls.push({ cmd, args });
      const override = this.overrides.get(cmd);
      if (override) return override(args);
      return this.answer(cmd, args);
    }, { shouldMockEvents: true });
    return this;
  }

  uninstall(): void {
    clearMocks();
  }

  /** Makes `cmd` reject with a CommandError carrying `message`. */
  fail(cmd: string, message: string, code = 'failed'): void {
    const error: CommandError = { code, message };
    // Tauri rejects invoke() with the serialised error object, not an Error.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    this.overrides.set(cmd, () => Promise.reject(error));
  }

  /** Answers `cmd` with `handler` instead of the default. */
  on(cmd: string, handler: Handler): void {
    this.overrides.set(cmd, handler);
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

  lastQuery(): RecordQuery | undefined {
    const call = this.callsOf('query_records').at(-1);
    return call?.args.query as RecordQuery | undefined;
  }

  /** While set, export_json waits for it (to look at the page mid-export). */
  exportGate: Promise<void> | null = null;

  emit(event: string, payload: unknown): Promise<void> {
    return emit(event, payload);
  }

  private tile(id: unknown): ProviderTile {
    const tile = this.providers.find((p) => p.id === id);
    if (!tile) throw new Error(`unknown provider ${String(id)}`);
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

  private query(q: RecordQuery): RecordPage {
    const needle = q.search.toLowerCase();
    let positions: number[] = [];
    for (let i = 0; i < this.rowCount; i += 1) {
      if (needle === '' || leadCells(i).some((c) => c.toLowerCase().includes(needle))) positions.push(i);
    }
    if (q.sort?.descending) positions = positions.reverse();
    return {
      total: this.rowCount,
      matched: positions.length,
      rows: positions.slice(q.offset, q.offset + q.limit).map((i) => ({ index: i, cells: leadCells(i) })),
    };
  }

  private async answer(cmd: string, args: Record<string, unknown>): Promise<unknown> {
    switch (cmd) {
      case 'list_providers':
        return this.providers;
      case 'connect': {
        const tile = this.tile(args.providerId);
        await this.setTile({ ...tile, waiting_authorize_url: `https://auth.example/${tile.id}?state=abc` });
        return null;
      }
      case 'save_api_key': {
        const values = args.values as Record<string, string>;
        if (values.api_key !== 'good-key') {
          const rejected: CommandError = { code: 'key_rejected', message: 'EmailOctopus did not accept that API key. Copy it again from Integrations & API.' };
          // Tauri rejects invoke() with the serialised error object, not an Error.
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          return Promise.reject(rejected);
        }
        await this.approve(String(args.providerId), connectedAccount('eo-octo', 'Octo Ltd'));
        return null;
      }
      case 'open_key_help':
        return null;
      case 'set_client_secret':
        this.settings = {
          ...this.settings,
          providers: this.settings.providers.map((p) => (p.id === args.providerId ? { ...p, client_secret_saved: args.secret !== null } : p)),
        };
        return this.settings;
      case 'cancel_connect':
        await this.setTile({ ...this.tile(args.providerId), waiting_authorize_url: null });
        return null;
      case 'disconnect': {
        const tile = this.tile(args.providerId);
        await this.setTile({ ...tile, accounts: tile.accounts.filter((a) => a.account_id !== args.accountId) });
        return null;
      }
      case 'list_resources':
        return this.resources;
      case 'sync_resource': {
        if (this.syncGate) await this.syncGate;
        const summary: SyncSummary = { total: this.rowCount, synced_at: '2026-11-23T09:00:00Z' };
        return summary;
      }
      case 'query_records':
        return this.query(args.query as RecordQuery);
      case 'record_detail': {
        const cells = leadCells(Number(args.index));
        return {
          fields: LEADS.columns.map((c, i) => ({ label: c.label, value: cells[i] ?? '' })),
          raw_json: JSON.stringify({ id: args.index }),
        };
      }
      case 'weekly_counts':
        return this.weeks;
      case 'export_csv':
        return { path: '/home/ana/Downloads/whatconverts-leads.csv', rows: this.query(args.query as RecordQuery).matched };
      case 'export_json': {
        if (this.exportGate) await this.exportGate;
        return { path: '/home/ana/Downloads/whatconverts-leads.json', rows: this.query(args.query as RecordQuery).matched };
      }
      case 'get_settings':
        return this.settings;
      case 'save_settings':
        this.settings = args.settings as Settings;
        return this.settings;
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  }
}
