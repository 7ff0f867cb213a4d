// One typed function per Tauri command and event. Types come from the
// bindings generated from Rust (ts-rs).
import { invoke, listen, type Unlisten } from './platform';
import type { CommandError } from './bindings/CommandError';
import type { ExportProgress } from './bindings/ExportProgress';
import type { ExportResult } from './bindings/ExportResult';
import type { Notice } from './bindings/Notice';
import type { ProviderTile } from './bindings/ProviderTile';
import type { RecordDetail } from './bindings/RecordDetail';
import type { RecordPage } from './bindings/RecordPage';
import type { RecordQuery } from './bindings/RecordQuery';
import type { ResourceView } from './bindings/ResourceView';
import type { Settings } from './bindings/Settings';
import type { SyncProgress } from './bindings/SyncProgress';
import type { SyncStatus } from './bindings/SyncStatus';
import type { SyncSummary } from './bindings/SyncSummary';
import type { WeekCount } from './bindings/WeekCount';

export type { Unlisten };

/** Which record set of which account of which provider a command is about. */
export interface ResourceRef {
  providerId: string;
  accountId: string;
  resourceId: string;
}

/** The arguments every records command sends (a copy: nothing else the caller put in `ref`). */
function refArgs(ref: ResourceRef): Record<string, string> {
  return { providerId: ref.providerId, accountId: ref.accountId, resourceId: ref.resourceId };
}

export function listProviders(): Promise<ProviderTile[]> {
  return invoke<ProviderTile[]>('list_providers');
}

/**
 * Starts a browser connect for a new account of the provider (or a reconnect: Rust
 * recognises the same account when it comes back). The tiles follow through
 * `providers-changed`, never through this answer.
 */
export function connect(providerId: string): Promise<void> {
  return invoke<undefined>('connect', { providerId });
}

/**
 * "Test and save" for an API-key provider: Rust tries the key and keeps it only if it works.
 * A rejected key comes back as a CommandError; the account arrives by `providers-changed`.
 */
export function saveApiKey(providerId: string, values: Record<string, string>): Promise<void> {
  return invoke<undefined>('save_api_key', { providerId, values });
}

/** Opens the provider's page where its API key lives, in the system browser. */
export function openKeyHelp(providerId: string): Promise<void> {
  return invoke<undefined>('open_key_help', { providerId });
}

/** Gives up the provider's connect that waits for the browser. */
export function cancelConnect(providerId: string): Promise<void> {
  return invoke<undefined>('cancel_connect', { providerId });
}

/**
 * Forgets one account's sign-in (the provider's other accounts stay); the records saved on
 * this computer go too unless `keepRecords`.
 */
export function disconnect(providerId: string, accountId: string, keepRecords: boolean): Promise<void> {
  return invoke<undefined>('disconnect', { providerId, accountId, keepRecords });
}

export function listResources(providerId: string): Promise<ResourceView[]> {
  return invoke<ResourceView[]>('list_resources', { providerId });
}

export function syncResource(ref: ResourceRef): Promise<SyncSummary> {
  return invoke<SyncSummary>('sync_resource', refArgs(ref));
}

export function queryRecords(ref: ResourceRef, query: RecordQuery): Promise<RecordPage> {
  return invoke<RecordPage>('query_records', { ...refArgs(ref), query });
}

export function recordDetail(ref: ResourceRef, index: number): Promise<RecordDetail> {
  return invoke<RecordDetail>('record_detail', { ...refArgs(ref), index });
}

export function weeklyCounts(ref: ResourceRef): Promise<WeekCount[]> {
  return invoke<WeekCount[]>('weekly_counts', refArgs(ref));
}

export function exportCsv(ref: ResourceRef, query: RecordQuery): Promise<ExportResult> {
  return invoke<ExportResult>('export_csv', { ...refArgs(ref), query });
}

/** The same view as JSON: an array of the records as the provider sent them. */
export function exportJson(ref: ResourceRef, query: RecordQuery): Promise<ExportResult> {
  return invoke<ExportResult>('export_json', { ...refArgs(ref), query });
}

/**
 * Where the background refresh of each list of one account stands: last success, next run,
 * the last run's counts, the daily request budget, a pause or an error.
 */
export function syncStatuses(providerId: string, accountId: string): Promise<SyncStatus[]> {
  return invoke<SyncStatus[]>('sync_statuses', { providerId, accountId });
}

/** A list's refresh started, finished, failed or was rescheduled (manual or in the background). */
export function onSyncStatus(handler: (status: SyncStatus) => void): Promise<Unlisten> {
  return listen<SyncStatus>('sync-status', handler);
}

export function onExportProgress(handler: (progress: ExportProgress) => void): Promise<Unlisten> {
  return listen<ExportProgress>('export-progress', handler);
}

export function getSettings(): Promise<Settings> {
  return invoke<Settings>('get_settings');
}

/** Keeps the user's own client secret in the keychain (null forgets it). */
export function setClientSecret(providerId: string, secret: string | null): Promise<Settings> {
  return invoke<Settings>('set_client_secret', { providerId, secret });
}

export function saveSettings(settings: Settings): Promise<Settings> {
  return invoke<Settings>('save_settings', { settings });
}

export function onProvidersChanged(handler: (tiles: ProviderTile[]) => void): Promise<Unlisten> {
  return listen<ProviderTile[]>('providers-changed', handler);
}

export function onSyncProgress(handler: (progress: SyncProgress) => void): Promise<Unlisten> {
  return listen<SyncProgress>('sync-progress', handler);
}

export function onNotice(handler: (notice: Notice) => void): Promise<Unlisten> {
  return listen<Notice>('notice', handler);
}

export function isCommandError(value: unknown): value is CommandError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string' && v.message.trim() !== '';
}

/**
 * A sentence to show a marketer for a failed command. Only a CommandError's
 * message is trusted to be written for people; anything else (a bare string
 * from the IPC layer, an Error with a stack) becomes the fallback sentence.
 */
export function errorMessage(error: unknown, fallback = 'Something went wrong. Please try again.'): string {
  return isCommandError(error) ? error.message : fallback;
}
