import {
  Virtualizer,
  elementScroll,
  observeElementOffset,
  observeElementRect,
} from '@tanstack/virtual-core';
import type { ColumnView } from '../bindings/ColumnView';
import type { RecordRow } from '../bindings/RecordRow';
import type { SortSpec } from '../bindings/SortSpec';
import { currencyOf, formatCell, systemLocale, type CellLocale } from '../lib/cellFormat';
import { h } from '../lib/dom';
import { renderCell } from './recordCell';

export const ROW_HEIGHT = 36;
const OVERSCAN = 12;

export interface RecordsTableOptions {
  label: string;
  columns: ColumnView[];
  /** The loaded row at a view position, or undefined while it is loading. */
  getRow(position: number): RecordRow | undefined;
  /** The positions the table shows now (inclusive), overscan included. */
  onRange(start: number, end: number): void;
  onSort(sort: SortSpec | null): void;
  onOpen(row: RecordRow): void;
  /** The locale and time zone cells are read in; the system's unless a test fixes them. */
  where?: CellLocale;
}

export interface RecordsTable {
  el: HTMLElement;
  setCount(count: number): void;
  /** Redraws the rows (data arrived). */
  refresh(): void;
  /** Which columns are shown, as indexes into `columns`. */
  setVisibleColumns(indexes: number[]): void;
  sort(): SortSpec | null;
  /** Back to the first row (a new search or sort). */
  scrollToTop(): void;
  destroy(): void;
}

type AriaSort = 'ascending' | 'descending';

/**
 * A virtualised grid: only the rows in view (plus overscan) exist in the DOM,
 * so 100,000 records scroll smoothly. The header stays outside the scroller
 * and follows its horizontal scroll.
 */
export function createRecordsTable(options: RecordsTableOptions): RecordsTable {
  const { columns } = options;
  const where = options.where ?? systemLocale();
  let visible = columns.map((_, i) => i);
  let sort: SortSpec | null = null;
  let count = 0;
  let active = 0; // the row in the Tab order (roving tabindex)
  let focusAfterRender: number | null = null;

  const headerRow = h('div', { role: 'row', class: 'grid-row grid-header-row', 'aria-rowindex': 1 });
  const header = h('div', { role: 'rowgroup', class: 'grid-head' }, headerRow);
  const body = h('div', { role: 'rowgroup', class: 'grid-body' });
  const scroller = h('div', { class: 'grid-scroll' }, body);
  const el = h('div', {
    role: 'grid',
    class: 'grid',
    'aria-label': options.label,
    'aria-rowcount': 1,
    'aria-colcount': columns.length,
    'data-testid': 'records-grid',
  }, header, scroller);

  scroller.addEventListener('scroll', () => {
    header.scrollLeft = scroller.scrollLeft;
  }, { passive: true });

  const headerCells = columns.map((col) => {
    const button = h('button', { type: 'button', class: 'sort-button' }, col.label, h('span', { class: 'sort-indicator', 'aria-hidden': 'true' }));
    const cell = h('div', { role: 'columnheader', class: `grid-cell kind-${col.kind}`, 'data-key': col.key }, button);
    button.addEventListener('click', () => {
      if (sort?.key !== col.key) sort = { key: col.key, descending: false };
      else if (!sort.descending) sort = { key: col.key, descending: true };
      else sort = null;
      renderHeader();
      options.onSort(sort);
    });
    return cell;
  });

  function renderHeader(): void {
    headerRow.replaceChildren();
    visible.forEach((ci, pos) => {
      const cell = headerCells[ci];
      const col = columns[ci];
      if (!cell || !col) return;
      cell.setAttribute('aria-colindex', String(pos + 1));
      const dir: AriaSort | null = sort?.key === col.key ? (sort.descending ? 'descending' : 'ascending') : null;
      if (dir) cell.setAttribute('aria-sort', dir);
      else cell.removeAttribute('aria-sort');
      const indicator = cell.querySelector('.sort-indicator');
      if (indicator) indicator.textContent = dir === 'ascending' ? '▲' : dir === 'descending' ? '▼' : '';
      headerRow.append(cell);
    });
    el.style.setProperty('--grid-columns', String(visible.length));
  }

  const rendered = new Map<number, { el: HTMLElement; row: RecordRow | undefined }>();

  function buildRow(position: number, row: RecordRow | undefined): HTMLElement {
    const rowEl = h('div', {
      role: 'row',
      class: row ? 'grid-row' : 'grid-row loading',
      'aria-rowindex': position + 2,
      tabindex: -1,
      'data-position': position,
    });
    if (row) {
      visible.forEach((ci, pos) => {
        const col = columns[ci];
        if (!col) return;
        const cell = formatCell(col, row.cells[ci] ?? '', where, currencyOf(col, columns, row.cells));
        const align = cell.kind === 'value' && cell.align === 'end' ? ' align-end' : '';
        rowEl.append(h('div', {
          role: 'gridcell',
          class: `grid-cell kind-${col.kind}${align}`,
          'aria-colindex': pos + 1,
        }, ...renderCell(cell, col.label)));
      });
    } else {
      rowEl.setAttribute('aria-busy', 'true');
      rowEl.append(h('div', { role: 'gridcell', class: 'grid-cell', 'aria-colindex': 1 }, 'Loading…'));
    }
    return rowEl;
  }

  function open(position: number): void {
    const row = options.getRow(position);
    if (row) options.onOpen(row);
  }

  function moveTo(position: number): void {
    if (count === 0) return;
    active = Math.max(0, Math.min(count - 1, position));
    focusAfterRender = active;
    virtualizer.scrollToIndex(active, { align: 'auto' });
    render();
  }

  body.addEventListener('click', (e) => {
    const rowEl = (e.target as Element).closest<HTMLElement>('[role="row"]');
    if (!rowEl?.dataset.position) return;
    const position = Number(rowEl.dataset.position);
    active = position;
    updateTabStops();
    open(position);
  });

  body.addEventListener('keydown', (e) => {
    const rowEl = (e.target as Element).closest<HTMLElement>('[role="row"]');
    if (!rowEl?.dataset.position) return;
    const position = Number(rowEl.dataset.position);
    const page = Math.max(1, Math.floor(scroller.clientHeight / ROW_HEIGHT) - 1);
    switch (e.key) {
      case 'ArrowDown': moveTo(position + 1); break;
      case 'ArrowUp': moveTo(position - 1); break;
      case 'PageDown': moveTo(position + page); break;
      case 'PageUp': moveTo(position - page); break;
      case 'Home': moveTo(0); break;
      case 'End': moveTo(count - 1); break;
      case 'Enter':
      case ' ':
        open(position);
        break;
      default:
        return;
    }
    e.preventDefault();
  });

  function updateTabStops(): void {
    const hasActive = rendered.has(active);
    let first = true;
    for (const [position, { el: rowEl }] of [...rendered].sort((a, b) => a[0] - b[0])) {
      const stop = hasActive ? position === active : first;
      rowEl.tabIndex = stop ? 0 : -1;
      first = false;
    }
  }

  function render(): void {
    const items = virtualizer.getVirtualItems();
    body.style.setProperty('height', `${virtualizer.getTotalSize()}px`);
    const keep = new Set<number>();
    for (const item of items) {
      const position = item.index;
      keep.add(position);
      const row = options.getRow(position);
      let entry = rendered.get(position);
      if (!entry || entry.row !== row) {
        const rowEl = buildRow(position, row);
        if (entry) entry.el.replaceWith(rowEl);
        entry = { el: rowEl, row };
        rendered.set(position, entry);
      }
      entry.el.style.setProperty('transform', `translateY(${item.start}px)`);
      if (!entry.el.isConnected) body.append(entry.el);
    }
    for (const [position, entry] of rendered) {
      if (!keep.has(position)) {
        entry.el.remove();
        rendered.delete(position);
      }
    }
    updateTabStops();
    if (focusAfterRender !== null) {
      const target = rendered.get(focusAfterRender);
      if (target) {
        target.el.focus({ preventScroll: true });
        focusAfterRender = null;
      }
    }
    const first = items[0];
    const last = items[items.length - 1];
    if (first && last) options.onRange(first.index, last.index);
  }

  const virtualizer = new Virtualizer<HTMLDivElement, HTMLElement>({
    count,
    getScrollElement: () => scroller,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    observeElementRect,
    observeElementOffset,
    scrollToFn: elementScroll,
    // Before layout (or in a hidden panel) the scroller has no size yet:
    // assume a window's worth of rows so the first page is asked for at once.
    initialRect: { width: 800, height: ROW_HEIGHT * 20 },
    onChange: () => {
      render();
    },
  });
  const unmount = virtualizer._didMount();
  virtualizer._willUpdate();

  function clearRows(): void {
    for (const entry of rendered.values()) entry.el.remove();
    rendered.clear();
  }

  renderHeader();
  render();

  return {
    el,
    setCount(next) {
      count = next;
      if (active >= count) active = 0;
      el.setAttribute('aria-rowcount', String(count + 1));
      virtualizer.setOptions({ ...virtualizer.options, count });
      virtualizer._willUpdate();
      clearRows();
      render();
    },
    refresh() {
      render();
    },
    setVisibleColumns(indexes) {
      visible = indexes.length > 0 ? indexes : visible;
      renderHeader();
      clearRows();
      render();
    },
    sort: () => sort,
    scrollToTop() {
      active = 0;
      scroller.scrollTop = 0;
      virtualizer.scrollToOffset(0);
    },
    destroy() {
      unmount();
    },
  };
}
