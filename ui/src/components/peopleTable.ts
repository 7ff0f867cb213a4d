import type { PeopleSort } from '../bindings/PeopleSort';
import type { PeopleSortKey } from '../bindings/PeopleSortKey';
import type { PersonRow } from '../bindings/PersonRow';
import { h } from '../lib/dom';
import { formatCount, formatDate, formatMoney } from '../lib/format';

export interface PeopleTableOptions {
  /** A provider's display name ("WebinarGeek") from its id. */
  providerName(id: string): string;
  onSort(sort: PeopleSort | null): void;
  onOpen(row: PersonRow): void;
}

export interface PeopleTable {
  el: HTMLElement;
  /** Shows these rows (the first page), or adds them after the ones shown (the next page). */
  setRows(rows: PersonRow[], append?: boolean): void;
  sort(): PeopleSort | null;
  /** Focuses a person's row when it is shown; false when it is not. */
  focusPerson(id: number): boolean;
}

interface Column {
  label: string;
  /** The sort key, for the columns Rust sorts by. */
  key: PeopleSortKey | null;
  numeric: boolean;
  cell(row: PersonRow): string;
}

const date = (iso: string | null): string => (iso === null ? '—' : formatDate(iso));

/** What a person is called in the table and on their page: name, else email, else a phrase. */
export function personName(row: PersonRow): string {
  return row.name ?? row.email ?? 'Unnamed person';
}

type AriaSort = 'ascending' | 'descending';

/**
 * The People table: a grid of one row per person, with sortable headers (aria-sort) and rows
 * that open the person. One row is in the Tab order (roving tabindex): Up/Down, Home/End move
 * between rows, Enter or Space opens one.
 */
export function createPeopleTable(options: PeopleTableOptions): PeopleTable {
  const columns: Column[] = [
    { label: 'Name', key: 'name', numeric: false, cell: (r) => r.name ?? '—' },
    { label: 'Email', key: 'email', numeric: false, cell: (r) => r.email ?? '—' },
    { label: 'Tools', key: null, numeric: false, cell: (r) => r.tools.map((t) => options.providerName(t)).join(', ') },
    { label: 'First seen', key: 'first_seen', numeric: false, cell: (r) => date(r.first_seen) },
    { label: 'Last seen', key: 'last_seen', numeric: false, cell: (r) => date(r.last_seen) },
    { label: 'Source', key: 'source', numeric: false, cell: (r) => r.source ?? '—' },
    { label: 'Leads', key: 'leads', numeric: true, cell: (r) => formatCount(r.leads) },
    { label: 'Registrations', key: 'registrations', numeric: true, cell: (r) => formatCount(r.registrations) },
    { label: 'Orders', key: 'orders', numeric: true, cell: (r) => formatCount(r.orders) },
    { label: 'Revenue', key: 'revenue', numeric: true, cell: (r) => formatMoney(r.revenue) },
  ];
  let sort: PeopleSort | null = null;
  let rows: PersonRow[] = [];
  let active = 0;

  const headerCells = columns.map((col) => {
    const cell = h('th', { scope: 'col', class: col.numeric ? 'num' : null, 'data-key': col.key ?? 'tools' });
    if (col.key === null) {
      cell.textContent = col.label;
      return cell;
    }
    const key = col.key;
    const button = h('button', { type: 'button', class: 'sort-button' }, col.label, h('span', { class: 'sort-indicator', 'aria-hidden': 'true' }));
    button.addEventListener('click', () => {
      if (sort?.key !== key) sort = { key, descending: false };
      else if (!sort.descending) sort = { key, descending: true };
      else sort = null;
      renderHeader();
      options.onSort(sort);
    });
    cell.append(button);
    return cell;
  });
  const tbody = h('tbody');
  const el = h('table', { role: 'grid', class: 'people-table', 'aria-label': 'People', 'data-testid': 'people-table' },
    h('thead', {}, h('tr', {}, ...headerCells)),
    tbody,
  );

  function renderHeader(): void {
    columns.forEach((col, i) => {
      const cell = headerCells[i];
      if (!cell || col.key === null) return;
      const dir: AriaSort | null = sort?.key === col.key ? (sort.descending ? 'descending' : 'ascending') : null;
      if (dir) cell.setAttribute('aria-sort', dir);
      else cell.removeAttribute('aria-sort');
      const indicator = cell.querySelector('.sort-indicator');
      if (indicator) indicator.textContent = dir === 'ascending' ? '▲' : dir === 'descending' ? '▼' : '';
    });
  }

  function rowEls(): HTMLTableRowElement[] {
    return [...tbody.rows];
  }

  function setActive(index: number, focus: boolean): void {
    const all = rowEls();
    if (all.length === 0) return;
    active = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((r, i) => {
      r.tabIndex = i === active ? 0 : -1;
    });
    if (focus) all[active]?.focus();
  }

  function buildRow(row: PersonRow): HTMLTableRowElement {
    return h('tr', { class: 'person-row', tabindex: -1, 'data-testid': 'person-row', 'data-person-id': row.id },
      ...columns.map((col) => {
        const text = col.cell(row);
        // A cut-off cell (long emails, many tools) shows in full on hover.
        return h('td', { class: col.numeric ? 'num' : col.key === null ? 'tools' : null, title: col.numeric ? null : text }, text);
      }));
  }

  function indexOf(target: EventTarget | null): number {
    const tr = target instanceof Element ? target.closest('tr') : null;
    return tr ? rowEls().indexOf(tr) : -1;
  }

  function open(index: number): void {
    const row = rows[index];
    if (!row) return;
    setActive(index, false);
    options.onOpen(row);
  }

  tbody.addEventListener('click', (e) => {
    open(indexOf(e.target));
  });
  tbody.addEventListener('keydown', (e) => {
    const index = indexOf(e.target);
    if (index < 0) return;
    switch (e.key) {
      case 'ArrowDown': setActive(index + 1, true); break;
      case 'ArrowUp': setActive(index - 1, true); break;
      case 'Home': setActive(0, true); break;
      case 'End': setActive(rows.length - 1, true); break;
      case 'Enter':
      case ' ':
        open(index);
        break;
      default:
        return;
    }
    e.preventDefault();
  });

  renderHeader();

  return {
    el,
    setRows(next, append = false) {
      if (append) {
        rows = [...rows, ...next];
        tbody.append(...next.map(buildRow));
        setActive(active, false);
        return;
      }
      rows = next;
      tbody.replaceChildren(...next.map(buildRow));
      setActive(0, false);
    },
    sort: () => sort,
    focusPerson(id) {
      const index = rows.findIndex((r) => r.id === id);
      if (index < 0) return false;
      setActive(index, true);
      return true;
    },
  };
}
