// What the filter bar holds (FilterSpec, also what a saved view keeps) and the conditions the
// cache runs. Date presets are resolved here, in the user's time zone, on the day they are used:
// a view saved with "last 30 days" shows the last 30 days whenever it is opened.
import type { Condition } from '../bindings/Condition';
import type { DatePreset } from '../bindings/DatePreset';
import type { FilterSpec } from '../bindings/FilterSpec';

export const PRESETS: { preset: DatePreset; label: string }[] = [
  { preset: 'last_7_days', label: 'Last 7 days' },
  { preset: 'this_month', label: 'This month' },
  { preset: 'last_30_days', label: 'Last 30 days' },
];

export function presetLabel(preset: DatePreset): string {
  return PRESETS.find((p) => p.preset === preset)?.label ?? preset;
}

/**
 * The instants a preset covers, as RFC 3339 UTC: from local midnight of its first day (the
 * system's time zone, which is the user's) to the end of today. Days are counted on the local
 * calendar, so a DST change inside the range does not shift its start by an hour.
 */
export function presetRange(preset: DatePreset, now: Date): { from: string; to: string } {
  const y = now.getFullYear();
  const m = now.getMonth();
  const d = now.getDate();
  const start = preset === 'this_month'
    ? new Date(y, m, 1)
    : new Date(y, m, d - (preset === 'last_7_days' ? 6 : 29));
  // The last millisecond of today, local: the cache compares whole seconds, so the range ends at
  // 23:59:59 today.
  const end = new Date(y, m, d + 1, 0, 0, 0, -1000);
  return { from: iso(start), to: iso(end) };
}

/** RFC 3339 in UTC without fractions, as the cache parses it. */
function iso(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** The conditions the cache runs for what the bar holds, presets resolved for `now`. */
export function toConditions(specs: FilterSpec[], now: Date): Condition[] {
  return specs.map((spec) => {
    if (spec.kind === 'condition') return spec.condition;
    const { from, to } = presetRange(spec.preset, now);
    return { column: spec.column, test: { op: 'date_range', from, to } };
  });
}

/** The column a filter is on. */
export function columnOf(spec: FilterSpec): string {
  return spec.kind === 'condition' ? spec.condition.column : spec.column;
}
