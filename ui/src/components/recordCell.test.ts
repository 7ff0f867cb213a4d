import '../styles.css';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { RecordRow } from '../bindings/RecordRow';
import { column } from '../test/fakeBackend';
import { createRecordsTable, type RecordsTable } from './recordsTable';

let table: RecordsTable | undefined;
afterEach(() => {
  table?.destroy();
  table?.el.remove();
  table = undefined;
});

const COLUMNS = [
  column('created', 'Created', 'date_time'),
  column('status', 'Status', 'text', { badge: true }),
  column('total', 'Total', 'money', { currency_column: 'currency' }),
  column('currency', 'Currency', 'text'),
  column('page', 'Page', 'url'),
  column('phone', 'Phone', 'phone'),
];

async function mount(rows: RecordRow[], onOpen = vi.fn()): Promise<HTMLElement> {
  table = createRecordsTable({
    label: 'Orders',
    columns: COLUMNS,
    getRow: (p) => rows[p],
    onRange: () => undefined,
    onSort: () => undefined,
    onOpen,
    where: { locale: 'en-US', timeZone: 'America/Los_Angeles' },
  });
  document.body.append(table.el);
  table.setCount(rows.length);
  const el = table.el;
  await expect.poll(() => cells(el, 0).length).toBe(COLUMNS.length);
  return el;
}

function cells(el: HTMLElement, row: number): HTMLElement[] {
  return [...el.querySelectorAll<HTMLElement>(`.grid-body [data-position="${String(row)}"] [role="gridcell"]`)];
}

describe('record cells in the table', () => {
  test('each kind reads as a marketer expects, with the full value as a tooltip', async () => {
    const el = await mount([{ index: 1, cells: ['2024-07-12T17:05:00Z', 'Refunded', '1,234.5', 'EUR', 'https://shop.example/p/1', '2125550100'] }]);
    const [created, status, total, , page, phone] = cells(el, 0);
    expect(created?.textContent).toBe('Jul 12, 2024, 10:05 AM');
    expect(created?.querySelector('[title]')?.getAttribute('title')).toMatch(/^Friday, July 12, 2024 at 10:05:00 AM PDT$/);
    expect(status?.querySelector('.badge.badge-negative')?.textContent).toBe('Refunded');
    expect(total?.textContent).toBe('€1,234.50');
    expect(total?.classList.contains('align-end')).toBe(true);
    expect(page?.querySelector('a')).toBeNull();
    expect(page?.querySelector('.cell-url')?.textContent).toBe('https://shop.example/p/1');
    expect(phone?.textContent).toBe('(212) 555-0100');
  });

  test('the copy button copies the link without opening the row', async () => {
    const onOpen = vi.fn();
    const write = vi.spyOn(navigator.clipboard, 'writeText').mockResolvedValueOnce(undefined);
    const el = await mount([{ index: 1, cells: ['', '', '', '', 'https://shop.example/p/1', ''] }], onOpen);
    const button = cells(el, 0)[4]?.querySelector<HTMLButtonElement>('button');
    expect(button?.getAttribute('aria-label')).toBe('Copy Page');
    button?.click();
    await expect.poll(() => button?.getAttribute('aria-label')).toBe('Page copied');
    expect(write).toHaveBeenCalledWith('https://shop.example/p/1');
    expect(onOpen).not.toHaveBeenCalled();
    write.mockRestore();
  });

  test('empty cells are marked, and heard as empty', async () => {
    const el = await mount([{ index: 1, cells: ['', '', '', '', '', ''] }]);
    const [created] = cells(el, 0);
    expect(created?.querySelector('.cell-empty')?.getAttribute('aria-hidden')).toBe('true');
    expect(created?.querySelector('.visually-hidden')?.textContent).toBe('empty');
  });
});
