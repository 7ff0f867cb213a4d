import type { ListRef } from '../bindings/ListRef';
import type { RecordRow } from '../bindings/RecordRow';
import type { ResourceView } from '../bindings/ResourceView';
import type { SortSpec } from '../bindings/SortSpec';
import type { SyncProgress } from '../bindings/SyncProgress';
import type { SyncStatus } from '../bindings/SyncStatus';
import * as ipc from '../ipc';
import type { FilterSpec } from '../bindings/FilterSpec';
import type { RecordQuery } from '../bindings/RecordQuery';
import { detailValues, systemLocale } from '../lib/cellFormat';
import { fitLayout, loadLayout, saveLayout } from '../lib/columnLayout';
import { toConditions } from '../lib/filters';
import { debounce } from '../lib/debounce';
import { h } from '../lib/dom';
import { formatCount, formatTime, records } from '../lib/format';
import { RecordSource } from '../lib/recordSource';
import { afterNextPaint, markShownAndPainted } from '../lib/timing';
import { createColumnChooser } from './columnChooser';
import type { DetailPanel } from './detailPanel';
import { createErrorAlert } from './errorAlert';
import { createFilterBar } from './filterBar';
import { createProgressBar } from './progressBar';
import { createRecordsTable } from './recordsTable';
import { createSearchBox } from './searchBox';
import { createViewList } from './viewList';
import { changesText } from './syncPanel';
import { createWeeklyChart } from './weeklyChart';

export interface ResourcePanelOptions {
  providerId: string;
  /** The provider's account whose records these are. */
  accountId: string;
  providerName: string;
  resource: ResourceView;
  detail: DetailPanel;
  /**
   * The account has records stored here: their first page is asked for alone, and the
   * refresh and the saved views follow it (bench figure 5c, opening cached records).
   */
  cached: boolean;
}

export interface ResourcePanel {
  el: HTMLElement;
  /**
   * Shows what is stored and syncs once, the first time the tab is shown. Settles once the
   * first rows are painted when records are stored (else at once), so that other calls can
   * wait for them.
   */
  start(): Promise<void>;
  /** Fetches the records again from the provider. */
  sync(): Promise<void>;
  handleProgress(progress: SyncProgress): void;
  /**
   * A run of this list ended (in the background, or the one Refresh started): the status line
   * says what it did, and with `changed` the table and chart show the stored records again,
   * under the user's search and sort.
   */
  handleSyncStatus(status: SyncStatus, changed: boolean): void;
  destroy(): void;
}

/** How long the typing must pause before the chart and the filter choices follow the rows. */
export const FOLLOW_PAUSE_MS = 300;

/** Everything under one resource tab: sync progress, toolbar, table, chart. */
export function createResourcePanel(options: ResourcePanelOptions): ResourcePanel {
  const { resource, providerId, accountId } = options;
  const noun = resource.label.toLowerCase();
  let started = false;
  let syncing = false;
  let shownCount: number | null = null;
  let search = '';
  let sort: SortSpec | null = null;
  let filters: FilterSpec[] = [];
  let searchAnswered = true;
  let rowsShown = false;
  let firstRowsLoading = false;
  /** The first rows a sync's progress showed, until the frame that draws them. */
  let firstRowsDrawn: Promise<void> = Promise.resolve();
  /** Searches and filter changes whose rows have not arrived yet. */
  let rowsPending = 0;

  const progress = createProgressBar(`Fetching ${options.providerName} ${noun}`);
  progress.setVisible(false);
  const syncStatus = h('p', { class: 'muted sync-status', role: 'status', 'data-testid': 'sync-status' });
  const syncError = createErrorAlert();

  const queryError = createErrorAlert();
  const rowCount = h('p', { class: 'row-count', role: 'status', 'data-testid': 'row-count' }, 'Loading records…');

  const list: ListRef = { provider: providerId, account: accountId, resource: resource.id };
  const source = new RecordSource((query) => ipc.queryRecords(list, query), {
    onPage({ matched, total }) {
      queryError.show(null);
      rowCount.textContent = `${formatCount(matched)} of ${records(total)}`;
      if (matched !== shownCount) {
        shownCount = matched;
        table.setCount(matched);
      } else {
        table.refresh();
      }
      if (!searchAnswered) {
        searchAnswered = true;
        markShownAndPainted('search');
      }
      if (!rowsShown && matched > 0) {
        rowsShown = true;
        markShownAndPainted('first-rows');
      }
    },
    onError(error) {
      if (source.matched === null) rowCount.textContent = '';
      queryError.showError(error, `We couldn't show your ${noun}. Please try again.`);
    },
  });

  const ensureRange = debounce((start: number, end: number) => {
    source.ensure(start, end);
  }, 40);

  const layout = loadLayout(providerId, resource.id, resource.columns);
  const table = createRecordsTable({
    label: `${options.providerName} ${noun}`,
    columns: resource.columns,
    layout,
    onLayout(next) {
      saveLayout(providerId, resource.id, next);
    },
    getRow: (position) => source.get(position),
    onRange: (start, end) => {
      ensureRange(start, end);
    },
    onSort(next) {
      sort = next;
      table.scrollToTop();
      void source.setQuery(search, sort, conditions());
    },
    onOpen(row: RecordRow) {
      const from = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      const first = row.cells.find((c) => c.trim() !== '');
      // The panel shows every value in full, in the user's locale and time zone.
      const load = ipc.recordDetail(list, row.index).then((d) => {
        const values = detailValues(resource.columns, d.fields.map((f) => f.value), systemLocale());
        return { ...d, fields: d.fields.map((f, i) => ({ ...f, value: values[i] ?? f.value })) };
      });
      // Rust builds the address and opens the browser; the window only names the record.
      const action = resource.opens_in_provider
        ? {
            label: `Open in ${options.providerName}`,
            run: () => ipc.openRecordPage(list, row.index),
            failure: `We couldn't open this record in ${options.providerName}. Please try again.`,
          }
        : undefined;
      void options.detail.open(first ?? 'Record details', load, from, action);
    },
  });

  /** The filters as the cache runs them: date presets resolved for today, in the user's zone. */
  function conditions(): RecordQuery['filter'] {
    return toConditions(filters, new Date());
  }

  /** The rows shown changed (search or filters): the table, the chart and the choices follow. */
  function narrowed(): Promise<void> {
    searchAnswered = false;
    table.scrollToTop();
    // The source takes the new query at once; the choices and the chart follow it once the
    // typing pauses. They never hold up the rows: the search box sends the next keystroke's
    // query when this promise settles, and a weekly chart over 100,000 records per keystroke
    // doubled the keystroke-to-table time (bench figure 5).
    const rows = source.setQuery(search, sort, conditions());
    rowsPending += 1;
    void rows.finally(() => {
      rowsPending -= 1;
    });
    followQuery();
    return rows;
  }

  /** The one-of choices and the chart for the query shown, one chart query at a time. */
  let chartRunning = false;
  let chartAgain = false;
  function chartForQuery(): void {
    if (chartRunning) {
      chartAgain = true;
      return;
    }
    chartRunning = true;
    void loadChart().finally(() => {
      chartRunning = false;
      if (chartAgain) {
        chartAgain = false;
        chartForQuery();
      }
    });
  }
  // Once the typing pauses and the rows for the last keystroke are shown: a chart query over
  // 100,000 records running beside the next keystroke's query was the tail of bench figure 5.
  const followQuery = debounce(() => {
    if (rowsPending > 0) {
      followQuery();
      return;
    }
    filterBar.refreshChoices();
    chartForQuery();
  }, FOLLOW_PAUSE_MS);

  const searchBox = createSearchBox((text) => {
    search = text;
    return narrowed();
  });
  const filterBar = createFilterBar({
    columns: resource.columns,
    loadChoices: (column) => ipc.valueCounts(list, column, source.query()),
    onChange(next) {
      filters = next;
      void narrowed();
    },
  });
  const chooser = createColumnChooser(resource.columns, (visible) => {
    table.setVisibleColumns(visible);
  }, layout.hidden);

  const views = createViewList({
    list,
    current: () => ({ search, filter: filters, sort, columns: table.layout() }),
    apply(settings) {
      search = settings.search;
      searchBox.set(settings.search);
      // Filters on columns the list no longer has are dropped, not sent to be refused.
      filterBar.set(settings.filter);
      filters = filterBar.specs();
      const sortKey = settings.sort?.key;
      sort = resource.columns.some((c) => c.key === sortKey) ? settings.sort : null;
      table.setSort(sort);
      const columns = fitLayout(resource.columns, settings.columns);
      table.setLayout(columns);
      chooser.setHidden(columns.hidden);
      void narrowed();
    },
  });

  const exportButton = h('button', { type: 'button', 'data-testid': 'export' }, 'Export CSV');
  const exportJsonButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'export-json' }, 'Export JSON');
  const exportStatus = h('p', { class: 'muted export-status', role: 'status', 'data-testid': 'export-result' });
  const exportBar = h('progress', { 'data-testid': 'export-progress', 'aria-label': 'Export progress', hidden: true });
  const exportError = createErrorAlert();
  exportButton.addEventListener('click', () => {
    void exportView(ipc.exportCsv);
  });
  exportJsonButton.addEventListener('click', () => {
    void exportView(ipc.exportJson);
  });

  const refreshButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'refresh' }, 'Refresh');
  refreshButton.addEventListener('click', () => {
    void sync();
  });

  const chart = resource.chart_by_week ? createWeeklyChart() : null;
  const chartError = createErrorAlert();

  const el = h('div', { class: 'resource-panel', 'data-resource': resource.id },
    h('div', { class: 'sync-row' }, progress.el, syncStatus, refreshButton),
    syncError.el,
    views.el,
    h('div', { class: 'toolbar' },
      searchBox.el,
      chooser.el,
      rowCount,
      h('div', { class: 'toolbar-end' }, exportButton, exportJsonButton),
    ),
    exportBar,
    exportStatus,
    exportError.el,
    filterBar.el,
    queryError.el,
    table.el,
    chart ? h('div', { class: 'chart-wrap' }, chart.el, chartError.el) : null,
  );

  // `/` goes to the search (as in mail and chat apps) unless the user is typing somewhere;
  // Escape in the table closes the record's detail.
  el.addEventListener('keydown', (e) => {
    const target = e.target as HTMLElement;
    const typing = target.closest('input, textarea, select, [contenteditable="true"]') !== null;
    if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      searchBox.focus();
    } else if (e.key === 'Escape' && table.el.contains(target) && options.detail.isOpen()) {
      e.preventDefault();
      options.detail.close();
    }
  });

  async function exportView(run: typeof ipc.exportCsv): Promise<void> {
    exportError.show(null);
    exportStatus.textContent = 'Exporting…';
    exportButton.disabled = true;
    exportJsonButton.disabled = true;
    // A large export reports its progress; the bar follows it.
    const unlisten = await ipc.onExportProgress((p) => {
      if (p.provider !== providerId || p.resource !== resource.id) return;
      exportBar.hidden = false;
      exportBar.max = Math.max(p.total, 1);
      exportBar.value = p.done;
      exportStatus.textContent = `Exporting… ${p.done.toLocaleString('en-US')} of ${records(p.total)}`;
    }).catch(() => null);
    try {
      const result = await run(list, source.query());
      exportStatus.textContent = `Saved ${records(result.rows)} to ${result.path}`;
    } catch (error) {
      exportStatus.textContent = '';
      exportError.showError(error, "We couldn't export these records. Please try again.");
    } finally {
      unlisten?.();
      exportBar.hidden = true;
      exportButton.disabled = false;
      exportJsonButton.disabled = false;
    }
  }

  /** The search and filters the rows are narrowed by, as one comparable value. */
  function narrowing(): string {
    return JSON.stringify([search, filters]);
  }

  async function loadChart(): Promise<void> {
    if (!chart) return;
    const asked = narrowing();
    chartError.show(null);
    try {
      const weeks = await ipc.weeklyCounts(list, source.query());
      // The search or the filters changed while it ran: these are the counts of rows no
      // longer shown, and the chart of the new ones follows.
      if (asked !== narrowing()) return;
      chart.update(weeks);
    } catch (error) {
      if (asked === narrowing()) chartError.showError(error, "We couldn't draw the weekly chart.");
    }
  }

  async function sync(): Promise<void> {
    if (syncing) return;
    syncing = true;
    refreshButton.disabled = true;
    syncError.show(null);
    syncStatus.textContent = '';
    progress.update({ fetched: 0, total: null });
    progress.setVisible(true);
    try {
      const summary = await ipc.syncResource(list);
      syncStatus.textContent = `Synced ${records(summary.total)} · ${formatTime(summary.synced_at)}`;
    } catch (error) {
      syncError.showError(error, `We couldn't fetch your ${noun} from ${options.providerName}. Please try again.`);
    } finally {
      syncing = false;
      progress.setVisible(false);
      refreshButton.disabled = false;
    }
    // Show what is stored, fresh or from an earlier sync; after the frame that draws the
    // first rows the progress showed, which this work would otherwise delay.
    await firstRowsDrawn;
    await Promise.all([source.reload(), loadChart()]);
  }

  return {
    el,
    sync,
    start() {
      if (started) return Promise.resolve();
      started = true;
      // What an earlier sync stored shows at once (and offline); the sync then refreshes it.
      const firstRows = source.reload();
      const follow = (): void => {
        void views.load();
        void sync();
      };
      // A first sync (nothing stored) starts at once: its rows show as pages are stored.
      // Otherwise the refresh waits for the frame that draws the first rows: its parsing
      // and storing would compete with that frame on a busy machine.
      if (!options.cached) {
        follow();
        return Promise.resolve();
      }
      const painted = firstRows.catch(() => undefined).then(afterNextPaint);
      void painted.then(follow);
      return painted;
    },
    handleProgress(p) {
      if (p.provider_id !== providerId || p.account_id !== accountId || p.resource_id !== resource.id || !syncing) return;
      progress.update(p);
      // A first sync shows its first rows as soon as they are stored, not when it ends.
      if (!rowsShown && p.fetched > 0 && !firstRowsLoading) {
        firstRowsLoading = true;
        const loaded = source.reload().finally(() => {
          firstRowsLoading = false;
        });
        firstRowsDrawn = loaded.catch(() => undefined).then(afterNextPaint);
      }
    },
    handleSyncStatus(status, changed) {
      if (status.provider !== providerId || status.account !== accountId || status.resource !== resource.id) return;
      // A Refresh under way reloads when it ends and writes its own line.
      if (syncing || status.running) return;
      const run = status.last_run;
      if (run && !status.error) {
        syncStatus.textContent = `Synced ${records(run.total)} · ${formatTime(run.finished_at)} · ${changesText(run)}`;
      }
      if (changed && started) void Promise.all([source.reload(), loadChart()]);
    },
    destroy() {
      ensureRange.cancel();
      followQuery.cancel();
      table.destroy();
    },
  };
}
