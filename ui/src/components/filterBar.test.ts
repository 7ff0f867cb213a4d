import '../styles.css';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import type { FilterSpec } from '../bindings/FilterSpec';
import type { ValueCount } from '../bindings/ValueCount';
import { column } from '../test/fakeBackend';
import { createFilterBar, type FilterBar } from './filterBar';

const COLUMNS = [
  column('created', 'Created', 'date_time'),
  column('source', 'Source', 'text'),
  column('value', 'Value', 'money'),
];

let bar: FilterBar | undefined;
afterEach(() => {
  bar?.el.remove();
  bar = undefined;
});

function mount(counts: ValueCount[] = []): { changes: FilterSpec[][]; loads: string[] } {
  const changes: FilterSpec[][] = [];
  const loads: string[] = [];
  bar = createFilterBar({
    columns: COLUMNS,
    loadChoices: (c) => {
      loads.push(c);
      return Promise.resolve(counts);
    },
    onChange: (specs) => changes.push(specs),
  });
  document.body.append(bar.el);
  return { changes, loads };
}

describe('filter bar', () => {
  test('a date filter starts as a preset and can be a custom range', async () => {
    const { changes } = mount();
    await userEvent.selectOptions(page.getByLabelText('Filter by'), 'Created');
    expect(changes.at(-1)).toEqual([{ kind: 'date_preset', column: 'created', preset: 'last_7_days' }]);
    await userEvent.selectOptions(page.getByLabelText('Range'), 'Last 30 days');
    expect(changes.at(-1)).toEqual([{ kind: 'date_preset', column: 'created', preset: 'last_30_days' }]);
    // A custom range is sent once it has an end, and not while it runs backwards.
    await userEvent.selectOptions(page.getByLabelText('Range'), 'Between dates');
    await userEvent.fill(page.getByLabelText('From'), '2026-03-10');
    await userEvent.fill(page.getByLabelText('To'), '2026-03-01');
    await expect.element(page.getByText('The start date comes after the end date.')).toBeVisible();
    await userEvent.fill(page.getByLabelText('To'), '2026-03-12');
    const last = changes.at(-1)?.[0];
    expect(last?.kind === 'condition' && last.condition.test).toEqual({
      op: 'date_range',
      from: `${new Date(2026, 2, 10).toISOString().slice(0, 19)}Z`,
      to: `${new Date(2026, 2, 12, 23, 59, 59).toISOString().slice(0, 19)}Z`,
    });
  });

  test('one-of shows each value with its count and sends the chosen ones', async () => {
    const { changes, loads } = mount([{ value: 'google', count: 1204 }, { value: 'bing', count: 7 }]);
    await userEvent.selectOptions(page.getByLabelText('Filter by'), 'Source');
    expect(loads).toEqual(['source']);
    await expect.element(page.getByRole('checkbox', { name: 'google (1,204)' })).toBeVisible();
    // Nothing chosen yet: no filter to send.
    expect(changes).toEqual([]);
    await userEvent.click(page.getByRole('checkbox', { name: 'bing (7)' }));
    expect(changes.at(-1)).toEqual([{ kind: 'condition', condition: { column: 'source', test: { op: 'one_of', values: ['bing'] } } }]);
    // The column is no longer offered twice.
    const offered = [...(bar?.el.querySelectorAll('[data-testid="filter-add"] option') ?? [])].map((o) => o.textContent);
    expect(offered).toEqual(['Add a filter…', 'Created', 'Value']);
  });

  test('text tests, a number range, remove and clear', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { changes } = mount();
      await userEvent.selectOptions(page.getByLabelText('Filter by'), 'Source');
      await userEvent.selectOptions(page.getByLabelText('Condition'), 'is empty');
      expect(changes.at(-1)).toEqual([{ kind: 'condition', condition: { column: 'source', test: { op: 'is_empty' } } }]);
      await userEvent.selectOptions(page.getByLabelText('Condition'), 'contains');
      await userEvent.fill(page.getByLabelText('Text'), 'goo');
      vi.advanceTimersByTime(300);
      expect(changes.at(-1)).toEqual([{ kind: 'condition', condition: { column: 'source', test: { op: 'contains', value: 'goo' } } }]);

      await userEvent.selectOptions(page.getByLabelText('Filter by'), 'Value');
      await userEvent.fill(page.getByLabelText('At least'), '100');
      vi.advanceTimersByTime(300);
      expect(changes.at(-1)?.[1]).toEqual({ kind: 'condition', condition: { column: 'value', test: { op: 'number_range', min: 100, max: null } } });

      await userEvent.click(page.getByRole('button', { name: 'Remove the Source filter' }));
      expect(changes.at(-1)).toEqual([{ kind: 'condition', condition: { column: 'value', test: { op: 'number_range', min: 100, max: null } } }]);
      await userEvent.click(page.getByRole('button', { name: 'Clear filters' }));
      expect(changes.at(-1)).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  test('set shows a saved view\'s filters without sending them back', async () => {
    const { changes } = mount([{ value: 'google', count: 3 }]);
    bar?.set([
      { kind: 'date_preset', column: 'created', preset: 'this_month' },
      { kind: 'condition', condition: { column: 'source', test: { op: 'one_of', values: ['google'] } } },
    ]);
    expect(changes).toEqual([]);
    expect(bar?.specs()).toEqual([
      { kind: 'date_preset', column: 'created', preset: 'this_month' },
      { kind: 'condition', condition: { column: 'source', test: { op: 'one_of', values: ['google'] } } },
    ]);
    await expect.element(page.getByRole('checkbox', { name: 'google (3)' })).toBeChecked();
  });
});
