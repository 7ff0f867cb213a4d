import { describe, expect, test } from 'vitest';
import { presetRange, toConditions } from './filters';

describe('date presets', () => {
  // 15 March 2026, mid-afternoon local time.
  const now = new Date(2026, 2, 15, 15, 42, 10);
  const iso = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;
  const endOfToday = iso(new Date(2026, 2, 15, 23, 59, 59));

  test('last 7 days runs from local midnight six days ago to the end of today', () => {
    expect(presetRange('last_7_days', now)).toEqual({ from: iso(new Date(2026, 2, 9)), to: endOfToday });
  });

  test('last 30 days crosses into the previous month', () => {
    expect(presetRange('last_30_days', now)).toEqual({ from: iso(new Date(2026, 1, 14)), to: endOfToday });
  });

  test('this month starts on the first', () => {
    expect(presetRange('this_month', now).from).toBe(iso(new Date(2026, 2, 1)));
  });

  test('presets become date ranges for the cache; conditions pass as they are', () => {
    const conditions = toConditions([
      { kind: 'date_preset', column: 'created', preset: 'last_7_days' },
      { kind: 'condition', condition: { column: 'source', test: { op: 'one_of', values: ['google'] } } },
    ], now);
    expect(conditions).toEqual([
      { column: 'created', test: { op: 'date_range', ...presetRange('last_7_days', now) } },
      { column: 'source', test: { op: 'one_of', values: ['google'] } },
    ]);
  });
});
