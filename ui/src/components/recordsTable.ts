import {
  Virtualizer,
  elementScroll,
  observeElementOffset,
  observeElementRect,
} from '@tanstack/virtual-core';
import type { ColumnView } from '../bindings/ColumnView';
import type { RecordRow } from '../bindings/RecordRow';
import type { SortSpec } from '../bindings/SortSpec';
import { currencyOf, formatCell, systemLocale, type CellLocale, type CellText } from '../lib/cellFormat';
import { clampWidth, defaultWidth, fitLayout, moveColumn, type ColumnLayout } from '../lib/columnLayout';
import { h } from '../lib/dom';
import { copyText, renderCell } from './recordCell';

export const ROW_HEIGHT = 36;
const OVERSCAN = 12;
/** Arrow keys on a column's resize handle change its width by this much. */
const RESIZE_STEP = 16;

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
  /** Column order, hidden columns and widths to start with (the definition's when absent). */
  layout?: ColumnLayout;
  /** The user resized or moved a column. */
  onLayout?(layout: ColumnLayout): void;
}

export interface RecordsTable {
  el: HTMLElement;
  setCount(count: number): void;
  /** Redraws the rows (data arrived). */
  refresh(): void;
  /** Which columns are shown, as indexes into `columns`. */
  setVisibleColumns(indexes: number[]): void;
  /** Order, hidden columns and widths (a saved view was opened). */
  setLayout(layout: ColumnLayout): void;
  layout(): ColumnLayout;
  sort(): SortSpec | null;
  /** Shows this sort (a saved view was opened) without calling `onSort`. */
  setSort(sort: SortSpec | null): void;
  /** Back to the first row (a new search or sort). */
  scrollToTop(): void;
  destroy(): void;
}

type AriaSort = 'ascending' | 'descending';

/** The text a copy takes from a cell: its whole value (a date with its time and zone). */
function copyable(cell: CellText): string {
  return cell.kind === 'empty' ? '' : cell.full;
}

/**
 * A virtualised grid following the ARIA grid pattern: only the rows in view (plus overscan)
 * exist in the DOM, so 100,000 records scroll smoothly; one cell is in the Tab order and the
 * arrow keys move it. The header stays outside the scroller and follows its horizontal scroll;
 * the first shown column stays put while the others scroll.
 */
export function createRecordsTable(options: RecordsTableOptions): RecordsTable {
  const { columns } = options;
  const where = options.where ?? systemLocale();
  const byKey = new Map(columns.map((c, i) => [c.key, i]));
  let layout = fitLayout(columns, options.layout ?? null);
  let visible = shownIndexes();
  let sort: SortSpec | null = null;
  let count = 0;
  let active = 0; // the row of the cell in the Tab order (roving tabindex)
  let activeCol = 0; // its position among the shown columns
  let focusAfterRender = false;

  const headerRow = h('div', { role: 'row', class: 'grid-row grid-header-row', 'aria-rowindex': 1 });
  const header = h('div', { role: 'rowgroup', class: 'grid-head' }, headerRow);
  const body = h('div', { role: 'rowgroup', class: 'grid-body' });
  const scroller = h('div', { class: 'grid-scroll' }, body);
  const announcer = h('p', { class: 'visually-hidden', role: 'status', 'data-testid': 'grid-announcer' });
  const grid = h('div', {
    role: 'grid',
    class: 'grid',
    'aria-label': options.label,
    'aria-rowcount': 1,
    'aria-colcount': columns.length,
    'data-testid': 'records-grid',
  }, header, scroller);
  // The live region sits beside the grid: a grid may hold only rows (ARIA grid pattern).
  const el = h('div', { class: 'grid-frame' }, grid, announcer);

  scroller.addEventListener('scroll', () => {
    header.scrollLeft = scroller.scrollLeft;
  }, { passive: true });

  function shownIndexes(): number[] {
    return layout.order.filter((k) => !layout.hidden.includes(k)).flatMap((k) => {
      const i = byKey.get(k);
      return i === undefined ? [] : [i];
    });
  }

  function widthOf(col: ColumnView): number {
    return layout.widths[col.key] ?? defaultWidth(col);
  }

  /** Every row (header and body) shares one template, so cells line up under their headers. */
  function applyWidths(): void {
    const widths = visible.map((ci) => {
      const col = columns[ci];
      return col ? widthOf(col) : 0;
    });
    grid.style.setProperty('--grid-template', widths.map((w) => `${String(w)}px`).join(' '));
    grid.style.setProperty('--grid-width', `${String(widths.reduce((a, b) => a + b, 0))}px`);
    grid.style.setProperty('--grid-columns', String(visible.length));
  }

  /** Shows `next`: its columns, the active cell kept within them, the header and the rows. */
  function applyLayout(next: ColumnLayout): void {
    layout = next;
    visible = shownIndexes();
    activeCol = Math.min(activeCol, Math.max(0, visible.length - 1));
    renderHeader();
    render(true);
  }

  /** The user changed the layout: shown, then reported. */
  function changeLayout(next: ColumnLayout): void {
    applyLayout(next);
    options.onLayout?.(layout);
  }

  function resizeHandle(col: ColumnView): HTMLElement {
    const handle = h('div', {
      role: 'separator',
      class: 'col-resize',
      tabindex: 0,
      'aria-orientation': 'vertical',
      'aria-label': `Resize ${col.label}`,
      'aria-valuemin': 60,
      'aria-valuemax': 800,
      'data-testid': 'col-resize',
    });
    const setWidth = (px: number, save: boolean): void => {
      const w = clampWidth(px);
      layout = { ...layout, widths: { ...layout.widths, [col.key]: w } };
      handle.setAttribute('aria-valuenow', String(w));
      applyWidths();
      if (save) options.onLayout?.(layout);
    };
    handle.setAttribute('aria-valuenow', String(widthOf(col)));
    handle.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      e.preventDefault();
      e.stopPropagation();
      setWidth(widthOf(col) + (e.key === 'ArrowRight' ? RESIZE_STEP : -RESIZE_STEP), true);
    });
    handle.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      const startX = e.clientX;
      const startWidth = widthOf(col);
      handle.setPointerCapture(e.pointerId);
      const move = (m: PointerEvent): void => {
        setWidth(startWidth + m.clientX - startX, false);
      };
      const up = (): void => {
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
        handle.removeEventListener('pointercancel', up);
        options.onLayout?.(layout);
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
      handle.addEventListener('pointercancel', up);
    });
    // A click on the handle is not a sort.
    handle.addEventListener('click', (e) => {
      e.stopPropagation();
    });
    return handle;
  }

  let dragged: string | null = null;
  const headerCells = columns.map((col) => {
    const button = h('button', {
      type: 'button',
      class: 'sort-button',
      'aria-keyshortcuts': 'Alt+Shift+ArrowLeft Alt+Shift+ArrowRight',
    }, col.label, h('span', { class: 'sort-indicator', 'aria-hidden': 'true' }));
    const cell = h('div', {
      role: 'columnheader',
      class: `grid-cell kind-${col.kind}`,
      'data-key': col.key,
      draggable: 'true',
    }, button, resizeHandle(col));
    button.addEventListener('click', () => {
      if (sort?.key !== col.key) sort = { key: col.key, descending: false };
      else if (!sort.descending) sort = { key: col.key, descending: true };
      else sort = null;
      renderHeader();
      options.onSort(sort);
    });
    // Alt+Shift+arrows move the column (the keyboard's way to reorder; dragging is the mouse's).
    button.addEventListener('keydown', (e) => {
      if (!e.altKey || !e.shiftKey || (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight')) return;
      e.preventDefault();
      changeLayout(moveColumn(layout, col.key, e.key === 'ArrowLeft' ? -1 : 1));
      button.focus();
      const at = visible.indexOf(byKey.get(col.key) ?? -1);
      announcer.textContent = `${col.label} moved to column ${String(at + 1)} of ${String(visible.length)}.`;
    });
    cell.addEventListener('dragstart', (e) => {
      dragged = col.key;
      e.dataTransfer?.setData('text/plain', col.label);
    });
    cell.addEventListener('dragover', (e) => {
      if (dragged !== null && dragged !== col.key) e.preventDefault();
    });
    cell.addEventListener('drop', (e) => {
      e.preventDefault();
      if (dragged === null || dragged === col.key) return;
      const order = layout.order.filter((k) => k !== dragged);
      order.splice(order.indexOf(col.key) + (layout.order.indexOf(dragged) < layout.order.indexOf(col.key) ? 1 : 0), 0, dragged);
      dragged = null;
      changeLayout({ ...layout, order });
    });
    cell.addEventListener('dragend', () => {
      dragged = null;
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
      cell.classList.toggle('pinned', pos === 0);
      const dir: AriaSort | null = sort?.key === col.key ? (sort.descending ? 'descending' : 'ascending') : null;
      if (dir) cell.setAttribute('aria-sort', dir);
      else cell.removeAttribute('aria-sort');
      const indicator = cell.querySelector('.sort-indicator');
      if (indicator) indicator.textContent = dir === 'ascending' ? '▲' : dir === 'descending' ? '▼' : '';
      headerRow.append(cell);
    });
    applyWidths();
  }

  const rendered = new Map<number, { el: HTMLElement; row: RecordRow | undefined; cells: CellText[] }>();

  function buildRow(position: number, row: RecordRow | undefined): { el: HTMLElement; cells: CellText[] } {
    const rowEl = h('div', {
      role: 'row',
      class: row ? 'grid-row' : 'grid-row loading',
      'aria-rowindex': position + 2,
      'data-position': position,
    });
    const texts: CellText[] = [];
    if (row) {
      visible.forEach((ci, pos) => {
        const col = columns[ci];
        if (!col) return;
        const cell = formatCell(col, row.cells[ci] ?? '', where, currencyOf(col, columns, row.cells));
        texts.push(cell);
        const align = cell.kind === 'value' && cell.align === 'end' ? ' align-end' : '';
        rowEl.append(h('div', {
          role: 'gridcell',
          class: `grid-cell kind-${col.kind}${align}${pos === 0 ? ' pinned' : ''}`,
          'aria-colindex': pos + 1,
          tabindex: -1,
        }, ...renderCell(cell, col.label)));
      });
    } else {
      rowEl.setAttribute('aria-busy', 'true');
      rowEl.append(h('div', { role: 'gridcell', class: 'grid-cell pinned', 'aria-colindex': 1, tabindex: -1 }, 'Loading…'));
    }
    return { el: rowEl, cells: texts };
  }

  function open(position: number): void {
    const row = options.getRow(position);
    if (row) options.onOpen(row);
  }

  function moveTo(position: number, col = activeCol): void {
    if (count === 0) return;
    active = Math.max(0, Math.min(count - 1, position));
    activeCol = Math.max(0, Math.min(visible.length - 1, col));
    focusAfterRender = true;
    virtualizer.scrollToIndex(active, { align: 'auto' });
    render();
  }

  function cellAt(position: number, col: number): HTMLElement | null {
    const cells = rendered.get(position)?.el.querySelectorAll<HTMLElement>('[role="gridcell"]');
    return cells?.item(Math.min(col, cells.length - 1)) ?? null;
  }

  async function copy(position: number, wholeRow: boolean): Promise<void> {
    const entry = rendered.get(position);
    if (!entry?.row) return;
    const text = wholeRow ? entry.cells.map(copyable).join('\t') : copyable(entry.cells[activeCol] ?? { kind: 'empty' });
    const ok = await copyText(text);
    const what = wholeRow ? 'Row' : (columns[visible[activeCol] ?? 0]?.label ?? 'Cell');
    announcer.textContent = ok ? `${what} copied.` : `${what} could not be copied.`;
  }

  function locate(target: Element): { position: number; col: number } | null {
    const rowEl = target.closest<HTMLElement>('[role="row"]');
    if (!rowEl?.dataset.position) return null;
    const cellEl = target.closest<HTMLElement>('[role="gridcell"]');
    const col = cellEl ? Number(cellEl.getAttribute('aria-colindex') ?? '1') - 1 : activeCol;
    return { position: Number(rowEl.dataset.position), col };
  }

  body.addEventListener('click', (e) => {
    const at = locate(e.target as Element);
    if (!at) return;
    active = at.position;
    activeCol = at.col;
    updateTabStops();
    open(at.position);
  });

  body.addEventListener('keydown', (e) => {
    const target = e.target as Element;
    const at = locate(target);
    if (!at) return;
    // Keys on a control inside a cell (the copy button) are the control's.
    if (target.closest('button') && (e.key === 'Enter' || e.key === ' ')) return;
    const page = Math.max(1, Math.floor(scroller.clientHeight / ROW_HEIGHT) - 1);
    const ctrl = e.ctrlKey || e.metaKey;
    switch (e.key) {
      case 'ArrowDown': moveTo(at.position + 1, at.col); break;
      case 'ArrowUp': moveTo(at.position - 1, at.col); break;
      case 'ArrowRight': moveTo(at.position, at.col + 1); break;
      case 'ArrowLeft': moveTo(at.position, at.col - 1); break;
      case 'PageDown': moveTo(at.position + page, at.col); break;
      case 'PageUp': moveTo(at.position - page, at.col); break;
      case 'Home': moveTo(ctrl ? 0 : at.position, ctrl ? at.col : 0); break;
      case 'End': moveTo(ctrl ? count - 1 : at.position, ctrl ? at.col : visible.length - 1); break;
      case 'Enter':
      case ' ':
        open(at.position);
        break;
      case 'c':
      case 'C':
        // Ctrl+C copies the cell, Ctrl+Shift+C the row; text the user selected copies as usual.
        if (!ctrl || (window.getSelection()?.toString() ?? '') !== '') return;
        activeCol = at.col;
        void copy(at.position, e.shiftKey);
        break;
      default:
        return;
    }
    e.preventDefault();
  });

  // The cell in the Tab order follows focus however it arrived (Tab, a click, a script), so a
  // redraw puts the keyboard back where it was.
  body.addEventListener('focusin', (e) => {
    const at = locate(e.target as Element);
    if (!at || (at.position === active && at.col === activeCol)) return;
    active = at.position;
    activeCol = at.col;
    updateTabStops();
  });

  function updateTabStops(): void {
    const hasActive = rendered.has(active);
    let first = true;
    for (const [position] of [...rendered].sort((a, b) => a[0] - b[0])) {
      const stop = hasActive ? position === active : first;
      const cells = rendered.get(position)?.el.querySelectorAll<HTMLElement>('[role="gridcell"]') ?? [];
      cells.forEach((cell, i) => {
        cell.tabIndex = stop && i === Math.min(activeCol, cells.length - 1) ? 0 : -1;
      });
      first = false;
    }
  }

  /** Draws the rows in view; `clearFirst` rebuilds every row (the count or columns changed). */
  function render(clearFirst = false): void {
    // New data or columns replace row elements; the focused cell would go with them and leave
    // the keyboard on the page's body (a sync that ends reloads the rows under the user).
    const hadFocus = document.activeElement !== null && body.contains(document.activeElement);
    if (clearFirst) clearRows();
    const items = virtualizer.getVirtualItems();
    body.style.setProperty('height', `${String(virtualizer.getTotalSize())}px`);
    const keep = new Set<number>();
    for (const item of items) {
      const position = item.index;
      keep.add(position);
      const row = options.getRow(position);
      let entry = rendered.get(position);
      if (!entry || entry.row !== row) {
        const built = buildRow(position, row);
        if (entry) entry.el.replaceWith(built.el);
        entry = { el: built.el, row, cells: built.cells };
        rendered.set(position, entry);
      }
      entry.el.style.setProperty('transform', `translateY(${String(item.start)}px)`);
      if (!entry.el.isConnected) body.append(entry.el);
    }
    for (const [position, entry] of rendered) {
      if (!keep.has(position)) {
        entry.el.remove();
        rendered.delete(position);
      }
    }
    updateTabStops();
    if (focusAfterRender) {
      const target = cellAt(active, activeCol);
      if (target) {
        target.focus({ preventScroll: true });
        focusAfterRender = false;
      }
    } else if (hadFocus && !body.contains(document.activeElement)) {
      cellAt(active, activeCol)?.focus({ preventScroll: true });
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
      grid.setAttribute('aria-rowcount', String(count + 1));
      virtualizer.setOptions({ ...virtualizer.options, count });
      virtualizer._willUpdate();
      render(true);
    },
    refresh() {
      render();
    },
    setVisibleColumns(indexes) {
      if (indexes.length === 0) return;
      const shown = new Set(indexes.flatMap((i) => (columns[i] ? [columns[i].key] : [])));
      changeLayout({ ...layout, hidden: columns.map((c) => c.key).filter((k) => !shown.has(k)) });
    },
    setLayout(next) {
      applyLayout(fitLayout(columns, next));
    },
    layout: () => layout,
    sort: () => sort,
    setSort(next) {
      sort = next;
      renderHeader();
    },
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
