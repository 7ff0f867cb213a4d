import type { ResourceView } from '../bindings/ResourceView';
import type { SyncRun } from '../bindings/SyncRun';
import type { SyncStatus } from '../bindings/SyncStatus';
import * as ipc from '../ipc';
import { h, uid } from '../lib/dom';
import { formatCount, formatTime } from '../lib/format';
import { shownError } from '../lib/userError';

export interface SyncPanelOptions {
  providerId: string;
  accountId: string;
  providerName: string;
  /** The account's lists, in tab order: one row each. */
  resources: ResourceView[];
}

export interface SyncPanel {
  el: HTMLElement;
  /** Asks Rust where each list stands; statuses that events brought meanwhile are newer and stay. */
  load(): Promise<void>;
  /** Shows a `sync-status` event's status; another account's, or an unknown list's, is ignored (false). */
  apply(status: SyncStatus): boolean;
  /** The last status shown for a list. */
  status(resourceId: string): SyncStatus | undefined;
}

/** A time from Rust as a `<time>` element (machine-readable, shown in local time). */
function time(iso: string): HTMLTimeElement {
  return h('time', { datetime: iso }, formatTime(iso));
}

/** "3 added · 2 updated · 1 removed". */
export function changesText(run: SyncRun): string {
  return `${formatCount(run.added)} added · ${formatCount(run.updated)} updated · ${formatCount(run.removed)} removed`;
}

function requestsText(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'request' : 'requests'}`;
}

/** Whether a status says its run finished since `before` with records added, changed or removed. */
export function finishedWithChanges(before: SyncStatus | undefined, after: SyncStatus): boolean {
  const run = after.last_run;
  if (after.running || !run) return false;
  if (before?.last_run?.finished_at === run.finished_at) return false;
  return run.added + run.updated + run.removed > 0;
}

/**
 * Where the background refresh of each list of one account stands, as a compact table: last
 * success, next run, the last run's changes and requests, the daily budget, a pause, an error.
 * It follows `sync-status` events; one status line announces finished, failed and paused runs.
 */
export function createSyncPanel(options: SyncPanelOptions): SyncPanel {
  const { providerId, accountId, providerName, resources } = options;
  const titleId = uid('sync-title');
  const statuses = new Map<string, SyncStatus>();
  const body = h('tbody', {});
  const announce = h('p', { class: 'muted sync-panel-status', role: 'status', 'data-testid': 'sync-panel-status' });
  const loadNote = h('p', { class: 'muted sync-panel-note', hidden: true });
  const el = h('section', { class: 'sync-panel', 'aria-labelledby': titleId, 'data-testid': 'sync-panel' },
    h('h3', { id: titleId, class: 'sync-panel-title' }, 'Background refresh'),
    // Scrolls sideways in a narrow window: focusable, so the keyboard can scroll it too.
    h('div', { class: 'sync-table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Each list and when it refreshes' },
      h('table', { class: 'sync-table' },
        h('thead', {},
          h('tr', {},
            h('th', { scope: 'col' }, 'List'),
            h('th', { scope: 'col' }, 'Last refreshed'),
            h('th', { scope: 'col' }, 'Last run'),
            h('th', { scope: 'col' }, 'Next refresh'),
            h('th', { scope: 'col' }, 'Requests today'),
          ),
        ),
        body,
      ),
    ),
    loadNote,
    announce,
  );

  const rows = new Map<string, HTMLTableRowElement[]>();
  for (const resource of resources) rows.set(resource.id, renderRows(resource, undefined));
  body.replaceChildren(...[...rows.values()].flat());

  function lastRefreshed(s: SyncStatus | undefined): HTMLElement {
    if (s?.running) return h('td', { 'data-field': 'last-success' }, 'Refreshing now…');
    if (!s?.last_success) return h('td', { 'data-field': 'last-success', class: 'muted' }, 'Not yet');
    return h('td', { 'data-field': 'last-success' }, time(s.last_success));
  }

  function lastRun(run: SyncRun | null | undefined): HTMLElement {
    if (!run) return h('td', { 'data-field': 'last-run', class: 'muted' }, 'No run yet');
    return h('td', { 'data-field': 'last-run' },
      h('span', { class: 'sync-changes', 'data-field': 'changes' }, changesText(run)),
      h('span', { class: 'sync-pass muted', 'data-field': 'pass' },
        `${run.pass === 'full' ? 'Full pass' : 'Incremental pass'} · ${requestsText(run.requests)}`),
    );
  }

  function nextRefresh(s: SyncStatus | undefined): HTMLElement {
    if (s?.paused_until) {
      return h('td', { 'data-field': 'next-run', class: 'sync-paused' }, 'Paused until ', time(s.paused_until));
    }
    if (s?.next_run) return h('td', { 'data-field': 'next-run' }, time(s.next_run));
    if (!s) return h('td', { 'data-field': 'next-run', class: 'muted' }, '—');
    return h('td', { 'data-field': 'next-run', class: 'muted' }, 'Off');
  }

  function budget(s: SyncStatus | undefined): HTMLElement {
    const b = s?.budget;
    if (!b) return h('td', { 'data-field': 'budget', class: 'muted' }, s ? 'No daily limit' : '—');
    return h('td', { 'data-field': 'budget', class: b.remaining === 0 ? 'sync-paused' : null },
      `${formatCount(b.remaining)} of ${formatCount(b.limit)} requests left today`);
  }

  /** The list's row, and a second row for a failure or a pause: what happened and what to do. */
  function renderRows(resource: ResourceView, s: SyncStatus | undefined): HTMLTableRowElement[] {
    const state = !s ? 'unknown' : s.running ? 'running' : s.error ? 'error' : s.paused_until ? 'paused' : s.next_run ? 'scheduled' : 'off';
    const main = h('tr', { 'data-testid': `sync-row-${resource.id}`, 'data-state': state },
      h('th', { scope: 'row' }, resource.label),
      lastRefreshed(s),
      lastRun(s?.last_run),
      nextRefresh(s),
      budget(s),
    );
    const out = [main];
    if (s?.error) {
      out.push(h('tr', { class: 'sync-note-row sync-error', 'data-testid': `sync-error-${resource.id}` },
        h('td', { colspan: 5, 'data-code': s.error.code }, `${resource.label}: the last refresh failed. `, s.error.message,
          s.error.advice ? h('span', { class: 'sync-advice', 'data-testid': `sync-advice-${resource.id}` }, ` ${s.error.advice}`) : null),
      ));
    } else if (s?.paused_until) {
      out.push(h('tr', { class: 'sync-note-row', 'data-testid': `sync-paused-${resource.id}` },
        h('td', { colspan: 5 },
          `${resource.label}: today’s ${providerName} requests are used up. Refresh starts again by itself at `,
          time(s.paused_until),
          '; what is saved here stays available.',
        ),
      ));
    } else if (s && !s.next_run && !s.running) {
      out.push(h('tr', { class: 'sync-note-row', 'data-testid': `sync-off-${resource.id}` },
        h('td', { colspan: 5 }, `${resource.label} only refreshes when you press Refresh. Turn on background refresh for ${providerName} in Settings.`),
      ));
    }
    return out;
  }

  /** A sentence for screen readers (and the eye) when a run ends, fails or pauses. */
  function announcement(label: string, before: SyncStatus | undefined, s: SyncStatus): string | null {
    if (s.running) return null;
    // A new kind of failure is announced once; the same failure again (its sentence may carry
    // new counts or times) is not. Decided on the code, never on the sentence.
    if (s.error && s.error.code !== before?.error?.code) return `${label} could not be refreshed. ${s.error.message}`;
    if (s.paused_until && s.paused_until !== before?.paused_until) {
      return `${label}: background refresh is paused until ${formatTime(s.paused_until)}, when ${providerName} allows more requests.`;
    }
    const run = s.last_run;
    if (!s.error && run && run.finished_at !== before?.last_run?.finished_at) {
      return `${label} refreshed at ${formatTime(run.finished_at)}: ${changesText(run)}.`;
    }
    return null;
  }

  function show(s: SyncStatus, announceIt: boolean): void {
    const resource = resources.find((r) => r.id === s.resource);
    const old = rows.get(s.resource);
    if (!resource || !old) return;
    const before = statuses.get(s.resource);
    statuses.set(s.resource, s);
    const next = renderRows(resource, s);
    const first = old[0];
    if (first) first.before(...next);
    for (const row of old) row.remove();
    rows.set(s.resource, next);
    const sentence = announceIt ? announcement(resource.label, before, s) : null;
    if (sentence) announce.textContent = sentence;
  }

  function ours(s: SyncStatus): boolean {
    return s.provider === providerId && s.account === accountId;
  }

  return {
    el,
    async load() {
      loadNote.hidden = true;
      try {
        const list = await ipc.syncStatuses(providerId, accountId);
        for (const s of list) {
          if (ours(s) && !statuses.has(s.resource)) show(s, false);
        }
      } catch (error) {
        const shown = shownError(error, 'We couldn’t check when these lists last refreshed. This table fills in after the next refresh.');
        loadNote.textContent = shown.advice ? `${shown.message} ${shown.advice}` : shown.message;
        loadNote.hidden = false;
      }
    },
    apply(s) {
      if (!ours(s) || !resources.some((r) => r.id === s.resource)) return false;
      show(s, true);
      return true;
    },
    status: (resourceId) => statuses.get(resourceId),
  };
}
