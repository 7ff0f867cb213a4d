import '../styles.css';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { userEvent } from 'vitest/browser';
import type { RecordRow } from '../bindings/RecordRow';
import type { ColumnLayout } from '../lib/columnLayout';
import { column } from '../test/fakeBackend';
import { createRecordsTable, type RecordsTable } from './recordsTable';

const COLUMNS = [
  column('name', 'Name', 'text'),
  column('created', 'Created', 'date'),
  column('value', 'Value', 'money', { currency: 'USD' }),
];
const ROWS: RecordRow[] = Array.from({ length: 50 }, (_, i) => ({
  index: i,
  cells: [`Lead ${String(i)}`, '2024-07-12', `${String(i)}.5`],
}));

let table: RecordsTable | undefined;
afterEach(() => {
  table?.destroy();
  table?.el.remove();
  table = undefined;
});

async function mount(extra: {
  onOpen?: (row: RecordRow) => void;
  onLayout?: (l: ColumnLayout) => void;
  layout?: ColumnLayout;
  getRow?: (position: number) => RecordRow | undefined;
} = {}): Promise<HTMLElement> {
  table = createRecordsTable({
    label: 'Leads',
    columns: COLUMNS,
    getRow: extra.getRow ?? ((p) => ROWS[p]),
    onRange: () => undefined,
    onSort: () => undefined,
    onOpen: extra.onOpen ?? (() => undefined),
    onLayout: extra.onLayout,
    layout: extra.layout,
    where: { locale: 'en-US', timeZone: 'UTC' },
  });
  document.body.append(table.el);
  table.setCount(ROWS.length);
  const el = table.el;
  await expect.poll(() => el.querySelectorAll('.grid-body [role="row"]').length).toBeGreaterThan(5);
  return el;
}

/** The grid inside the table's frame (the frame also holds the live region). */
function grid(frame: HTMLElement): HTMLElement {
  const g = frame.querySelector<HTMLElement>('[role="grid"]');
  if (!g) throw new Error('no grid in the table');
  return g;
}

function focused(): { row: string | null | undefined; col: string | null | undefined; text: string | null | undefined } {
  const cell = document.activeElement;
  return {
    row: cell?.closest('[role="row"]')?.getAttribute('aria-rowindex'),
    col: cell?.getAttribute('aria-colindex'),
    text: cell?.textContent,
  };
}

function headers(el: HTMLElement): string[] {
  return [...el.querySelectorAll('[role="columnheader"] .sort-button')].map((b) => b.textContent.replace(/[▲▼]/g, ''));
}

describe('records grid keyboard', () => {
  test('one cell is in the Tab order and the arrow keys move it', async () => {
    const el = await mount();
    const stops = el.querySelectorAll('.grid-body [tabindex="0"]');
    expect(stops.length).toBe(1);
    (stops[0] as HTMLElement | undefined)?.focus();
    expect(focused()).toEqual({ row: '2', col: '1', text: 'Lead 0' });
    await userEvent.keyboard('{ArrowRight}');
    expect(focused()).toMatchObject({ row: '2', col: '2', text: 'Jul 12, 2024' });
    await userEvent.keyboard('{ArrowDown}{ArrowDown}');
    await expect.poll(() => focused().row).toBe('4');
    expect(focused().col).toBe('2');
    await userEvent.keyboard('{End}');
    expect(focused()).toMatchObject({ col: '3', text: '$2.50' });
    await userEvent.keyboard('{Home}');
    expect(focused()).toMatchObject({ col: '1', text: 'Lead 2' });
    await userEvent.keyboard('{Control>}{End}{/Control}');
    await expect.poll(() => focused().row).toBe('51');
    // Only the focused cell stays in the Tab order.
    expect(el.querySelectorAll('.grid-body [tabindex="0"]').length).toBe(1);
  });

  test('Enter opens the row; Ctrl+C copies the cell, Ctrl+Shift+C the row', async () => {
    const onOpen = vi.fn();
    const write = vi.spyOn(navigator.clipboard, 'writeText').mockResolvedValue(undefined);
    const el = await mount({ onOpen });
    el.querySelector<HTMLElement>('.grid-body [tabindex="0"]')?.focus();
    await userEvent.keyboard('{ArrowDown}{Enter}');
    expect(onOpen).toHaveBeenCalledWith(ROWS[1]);
    await userEvent.keyboard('{ArrowRight}{Control>}c{/Control}');
    await expect.poll(() => write.mock.calls.at(-1)?.[0]).toBe('Friday, July 12, 2024');
    await expect.poll(() => el.querySelector('[data-testid="grid-announcer"]')?.textContent).toBe('Created copied.');
    await userEvent.keyboard('{Control>}{Shift>}C{/Shift}{/Control}');
    await expect.poll(() => write.mock.calls.at(-1)?.[0]).toBe('Lead 1\tFriday, July 12, 2024\t$1.50');
    write.mockRestore();
  });
});

describe('records grid redraws', () => {
  test('the focused cell keeps the keyboard when its rows are reloaded or recounted', async () => {
    // Rows that reload are new objects (what a sync's end brings); each redraw rebuilds them.
    let rows = ROWS.map((r) => ({ ...r }));
    const onOpen = vi.fn();
    const el = await mount({ onOpen, getRow: (p) => rows[p] });
    el.querySelector<HTMLElement>('.grid-body [tabindex="0"]')?.focus();
    await userEvent.keyboard('{ArrowDown}{ArrowDown}{ArrowRight}');
    expect(focused()).toMatchObject({ row: '4', col: '2' });
    const before = document.activeElement;

    rows = ROWS.map((r) => ({ ...r }));
    table?.refresh();
    expect(document.activeElement).not.toBe(before);
    expect(focused()).toMatchObject({ row: '4', col: '2', text: 'Jul 12, 2024' });
    await userEvent.keyboard('{Enter}');
    expect(onOpen).toHaveBeenLastCalledWith(rows[2]);

    table?.setCount(rows.length - 1);
    expect(focused()).toMatchObject({ row: '4', col: '2' });
    expect(el.querySelectorAll('.grid-body [tabindex="0"]').length).toBe(1);
  });

  test('a cell focused without the arrow keys becomes the one in the Tab order', async () => {
    const el = await mount();
    const third = el.querySelector<HTMLElement>('.grid-body [data-position="2"] [aria-colindex="3"]');
    third?.focus();
    expect(el.querySelector('.grid-body [tabindex="0"]')).toBe(third);
    table?.refresh();
    table?.setCount(ROWS.length);
    expect(focused()).toMatchObject({ row: '4', col: '3', text: '$2.50' });
  });

  test('a redraw does not pull the keyboard into the grid from elsewhere', async () => {
    const el = await mount();
    const outside = document.createElement('button');
    document.body.append(outside);
    outside.focus();
    table?.setCount(ROWS.length);
    expect(document.activeElement).toBe(outside);
    expect(el.contains(document.activeElement)).toBe(false);
    outside.remove();
  });
});

describe('records grid columns', () => {
  test('a column resizes by keyboard within its bounds and the layout is reported', async () => {
    const layouts: ColumnLayout[] = [];
    const el = await mount({ onLayout: (l) => layouts.push(l) });
    const handle = el.querySelector<HTMLElement>('[aria-label="Resize Name"]');
    expect(handle?.getAttribute('aria-valuenow')).toBe('160');
    handle?.focus();
    await userEvent.keyboard('{ArrowRight}{ArrowRight}');
    expect(handle?.getAttribute('aria-valuenow')).toBe('192');
    expect(layouts.at(-1)?.widths).toEqual({ name: 192 });
    expect(grid(el).style.getPropertyValue('--grid-template')).toBe('192px 140px 130px');
    for (let i = 0; i < 20; i += 1) await userEvent.keyboard('{ArrowLeft}');
    expect(handle?.getAttribute('aria-valuenow')).toBe('60');
  });

  test('Alt+Shift+arrows move a column, the first shown column is pinned, and a layout comes back', async () => {
    const layouts: ColumnLayout[] = [];
    const el = await mount({ onLayout: (l) => layouts.push(l) });
    expect(el.querySelector('[role="columnheader"].pinned')?.textContent).toContain('Name');
    const value = [...el.querySelectorAll<HTMLButtonElement>('.sort-button')].find((b) => b.textContent.startsWith('Value'));
    value?.focus();
    await userEvent.keyboard('{Alt>}{Shift>}{ArrowLeft}{ArrowLeft}{/Shift}{/Alt}');
    expect(headers(el)).toEqual(['Value', 'Name', 'Created']);
    expect(layouts.at(-1)?.order).toEqual(['value', 'name', 'created']);
    expect(el.querySelector('[data-testid="grid-announcer"]')?.textContent).toBe('Value moved to column 1 of 3.');
    await expect.poll(() => el.querySelector('.grid-body [role="row"] .pinned')?.textContent).toBe('$0.50');

    table?.setLayout({ order: ['created', 'name', 'value'], hidden: ['name'], widths: { created: 300 } });
    expect(headers(el)).toEqual(['Created', 'Value']);
    expect(grid(el).style.getPropertyValue('--grid-template')).toBe('300px 130px');
  });
});
