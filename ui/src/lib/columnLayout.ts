// How a list's columns are laid out: their order, which are hidden and how wide each is. Kept
// per provider and list in localStorage (a preference of this window, not data), and in a
// saved view with its filters.
import type { ColumnView } from '../bindings/ColumnView';
import type { ViewColumns } from '../bindings/ViewColumns';

/** Rust's type, so a saved view keeps exactly this. */
export type ColumnLayout = ViewColumns;

export const MIN_WIDTH = 60;
export const MAX_WIDTH = 800;

/** A width by kind when the user has not chosen one: numbers are narrow, dates and emails wide. */
export function defaultWidth(column: ColumnView): number {
  switch (column.kind) {
    case 'integer':
    case 'boolean':
      return 110;
    case 'number':
    case 'money':
      return 130;
    case 'date':
      return 140;
    case 'date_time':
    case 'email':
    case 'url':
      return 200;
    default:
      return 160;
  }
}

export function clampWidth(px: number): number {
  return Math.round(Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, px)));
}

/**
 * A layout that fits the columns: keys the list no longer has are dropped, new ones appended in
 * the definition's order, widths clamped, and at least one column shown.
 */
export function fitLayout(columns: ColumnView[], layout: Partial<ColumnLayout> | null): ColumnLayout {
  const keys = columns.map((c) => c.key);
  const known = new Set(keys);
  const order = [...new Set((layout?.order ?? []).filter((k) => known.has(k)))];
  for (const k of keys) if (!order.includes(k)) order.push(k);
  let hidden = [...new Set((layout?.hidden ?? []).filter((k) => known.has(k)))];
  if (hidden.length >= keys.length) hidden = [];
  const widths: Record<string, number> = {};
  for (const [k, w] of Object.entries(layout?.widths ?? {})) {
    if (known.has(k) && typeof w === 'number' && Number.isFinite(w)) widths[k] = clampWidth(w);
  }
  return { order, hidden, widths };
}

function storageKey(provider: string, resource: string): string {
  return `patchbay.columns.${provider}.${resource}`;
}

/** The layout remembered for a list (its definition's when none, or when unreadable). */
export function loadLayout(provider: string, resource: string, columns: ColumnView[]): ColumnLayout {
  try {
    const raw = localStorage.getItem(storageKey(provider, resource));
    const parsed: unknown = raw === null ? null : JSON.parse(raw);
    return fitLayout(columns, typeof parsed === 'object' && parsed !== null ? (parsed) : null);
  } catch {
    return fitLayout(columns, null);
  }
}

export function saveLayout(provider: string, resource: string, layout: ColumnLayout): void {
  try {
    localStorage.setItem(storageKey(provider, resource), JSON.stringify(layout));
  } catch {
    // A full or refused storage only loses the preference.
  }
}

/** Moves `key` one place towards `direction` (-1 left, +1 right) among the shown columns. */
export function moveColumn(layout: ColumnLayout, key: string, direction: -1 | 1): ColumnLayout {
  const shown = layout.order.filter((k) => !layout.hidden.includes(k));
  const at = shown.indexOf(key);
  const other = shown[at + direction];
  if (at < 0 || other === undefined) return layout;
  const order = [...layout.order];
  const i = order.indexOf(key);
  const j = order.indexOf(other);
  order[i] = other;
  order[j] = key;
  return { ...layout, order };
}
