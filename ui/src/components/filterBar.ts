import type { ColumnView } from '../bindings/ColumnView';
import type { DatePreset } from '../bindings/DatePreset';
import type { FilterSpec } from '../bindings/FilterSpec';
import type { ValueCount } from '../bindings/ValueCount';
import { debounce } from '../lib/debounce';
import { h, uid } from '../lib/dom';
import { formatCount } from '../lib/format';
import { PRESETS, columnOf } from '../lib/filters';

export interface FilterBarOptions {
  columns: ColumnView[];
  /** A one-of filter's choices with their counts (among the rows the other filters leave). */
  loadChoices(column: string): Promise<ValueCount[]>;
  /** The complete filters, after any of them changed. */
  onChange(specs: FilterSpec[]): void;
}

export interface FilterBar {
  el: HTMLElement;
  specs(): FilterSpec[];
  /** Shows these filters (a saved view was opened) without calling `onChange`. */
  set(specs: FilterSpec[]): void;
  /** The rows changed (another filter, the search, a refresh): one-of counts are read again. */
  refreshChoices(): void;
}

/** One filter's editor: what it holds now (`null` while incomplete) and its element. */
interface Item {
  column: ColumnView;
  el: HTMLElement;
  spec(): FilterSpec | null;
  refreshChoices(): void;
}

type TextOp = 'one_of' | 'contains' | 'equals' | 'is_empty';
const TEXT_OPS: { op: TextOp; label: string }[] = [
  { op: 'one_of', label: 'is one of' },
  { op: 'contains', label: 'contains' },
  { op: 'equals', label: 'is exactly' },
  { op: 'is_empty', label: 'is empty' },
];
const CUSTOM = 'custom';

function isNumeric(column: ColumnView): boolean {
  return column.kind === 'integer' || column.kind === 'number' || column.kind === 'money';
}
function isDate(column: ColumnView): boolean {
  return column.kind === 'date' || column.kind === 'date_time';
}

function labelled(text: string, control: HTMLElement): HTMLElement {
  control.id = uid('filter');
  return h('span', { class: 'field filter-field' }, h('label', { for: control.id }, text), control);
}

/** RFC 3339 UTC of a local calendar day's first (or last) second: a custom range is in the user's days. */
function localDay(day: string, end: boolean): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (end ? 1 : 0), 0, 0, end ? -1 : 0);
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * The records' filter bar: "Add a filter" picks a column, and each filter gets an editor that
 * fits its kind (date presets or a custom range; a number range; one-of with counts, contains,
 * is exactly or is empty for text). Filters combine (AND); Remove and Clear take them away.
 */
export function createFilterBar(options: FilterBarOptions): FilterBar {
  const items: Item[] = [];
  let last = '[]';

  const add = h('select', { 'data-testid': 'filter-add' });
  const list = h('div', { class: 'filter-list' });
  const clear = h('button', { type: 'button', class: 'secondary', 'data-testid': 'filter-clear', hidden: true }, 'Clear filters');
  const el = h('div', { class: 'filter-bar', role: 'group', 'aria-label': 'Filters', 'data-testid': 'filter-bar' },
    labelled('Filter by', add), list, clear);

  function renderAdd(): void {
    const used = new Set(items.map((i) => i.column.key));
    add.replaceChildren(
      h('option', { value: '' }, 'Add a filter…'),
      ...options.columns.filter((c) => !used.has(c.key)).map((c) => h('option', { value: c.key }, c.label)),
    );
    add.value = '';
    clear.hidden = items.length === 0;
  }

  function specs(): FilterSpec[] {
    return items.flatMap((i) => {
      const s = i.spec();
      return s ? [s] : [];
    });
  }

  function changed(): void {
    const next = specs();
    const text = JSON.stringify(next);
    if (text === last) return;
    last = text;
    options.onChange(next);
  }

  function remove(item: Item): void {
    const at = items.indexOf(item);
    if (at < 0) return;
    items.splice(at, 1);
    item.el.remove();
    renderAdd();
    changed();
    add.focus();
  }

  function addItem(column: ColumnView, spec: FilterSpec | null): Item {
    const item = isDate(column) ? dateItem(column, spec) : isNumeric(column) ? numberItem(column, spec) : textItem(column, spec);
    const removeButton = h('button', {
      type: 'button',
      class: 'secondary filter-remove',
      'aria-label': `Remove the ${column.label} filter`,
      'data-testid': 'filter-remove',
    }, '×');
    removeButton.addEventListener('click', () => {
      remove(item);
    });
    item.el.append(removeButton);
    items.push(item);
    list.append(item.el);
    renderAdd();
    return item;
  }

  function fieldset(column: ColumnView, ...children: HTMLElement[]): HTMLElement {
    return h('fieldset', { class: 'filter-item', 'data-column': column.key, 'data-testid': 'filter-item' },
      h('legend', {}, column.label), ...children);
  }

  function dateItem(column: ColumnView, initial: FilterSpec | null): Item {
    const preset = h('select', { 'data-testid': 'filter-date-preset' },
      ...PRESETS.map((p) => h('option', { value: p.preset }, p.label)),
      h('option', { value: CUSTOM }, 'Between dates'),
    );
    const from = h('input', { type: 'date', 'data-testid': 'filter-date-from' });
    const to = h('input', { type: 'date', 'data-testid': 'filter-date-to' });
    const error = h('span', { class: 'field-error', role: 'status' });
    const custom = h('span', { class: 'filter-custom', hidden: true }, labelled('From', from), labelled('To', to), error);
    if (initial?.kind === 'date_preset') preset.value = initial.preset;
    else if (initial?.kind === 'condition' && initial.condition.test.op === 'date_range') {
      preset.value = CUSTOM;
      from.value = initial.condition.test.from ? dayOf(initial.condition.test.from) : '';
      to.value = initial.condition.test.to ? dayOf(initial.condition.test.to) : '';
    }
    const show = (): void => {
      custom.hidden = preset.value !== CUSTOM;
    };
    show();
    const spec = (): FilterSpec | null => {
      if (preset.value !== CUSTOM) return { kind: 'date_preset', column: column.key, preset: preset.value as DatePreset };
      const a = from.value === '' ? null : localDay(from.value, false);
      const b = to.value === '' ? null : localDay(to.value, true);
      const backwards = a !== null && b !== null && a > b;
      error.textContent = backwards ? 'The start date comes after the end date.' : '';
      for (const input of [from, to]) input.setAttribute('aria-invalid', String(backwards));
      if (backwards || (a === null && b === null)) return null;
      return { kind: 'condition', condition: { column: column.key, test: { op: 'date_range', from: a, to: b } } };
    };
    for (const control of [preset, from, to]) {
      control.addEventListener('change', () => {
        show();
        changed();
      });
    }
    return { column, el: fieldset(column, labelled('Range', preset), custom), spec, refreshChoices: () => undefined };
  }

  function numberItem(column: ColumnView, initial: FilterSpec | null): Item {
    const min = h('input', { type: 'number', step: 'any', inputmode: 'decimal', 'data-testid': 'filter-min' });
    const max = h('input', { type: 'number', step: 'any', inputmode: 'decimal', 'data-testid': 'filter-max' });
    if (initial?.kind === 'condition' && initial.condition.test.op === 'number_range') {
      min.value = initial.condition.test.min === null ? '' : String(initial.condition.test.min);
      max.value = initial.condition.test.max === null ? '' : String(initial.condition.test.max);
    }
    const error = h('span', { class: 'field-error', role: 'status' });
    const read = (input: HTMLInputElement): number | null => (input.value === '' || !Number.isFinite(input.valueAsNumber) ? null : input.valueAsNumber);
    const spec = (): FilterSpec | null => {
      const lo = read(min);
      const hi = read(max);
      const backwards = lo !== null && hi !== null && lo > hi;
      error.textContent = backwards ? 'The lowest value is above the highest.' : '';
      if (backwards || (lo === null && hi === null)) return null;
      return { kind: 'condition', condition: { column: column.key, test: { op: 'number_range', min: lo, max: hi } } };
    };
    const typed = debounce(changed, 300);
    for (const input of [min, max]) input.addEventListener('input', () => {
      typed();
    });
    return { column, el: fieldset(column, labelled('At least', min), labelled('At most', max), error), spec, refreshChoices: () => undefined };
  }

  function textItem(column: ColumnView, initial: FilterSpec | null): Item {
    const op = h('select', { 'data-testid': 'filter-op' }, ...TEXT_OPS.map((o) => h('option', { value: o.op }, o.label)));
    const text = h('input', { type: 'text', 'data-testid': 'filter-text', hidden: true });
    const textField = labelled('Text', text);
    const choicesId = uid('choices');
    const choices = h('div', { class: 'filter-choices', role: 'group', 'aria-labelledby': choicesId, 'data-testid': 'filter-choices' });
    const choicesLegend = h('span', { id: choicesId, class: 'visually-hidden' }, `${column.label} is one of`);
    const status = h('span', { class: 'muted', role: 'status' });
    let chosen = new Set<string>();
    if (initial?.kind === 'condition') {
      const t = initial.condition.test;
      if (t.op === 'one_of') chosen = new Set(t.values);
      if (t.op === 'contains' || t.op === 'equals') text.value = t.value;
      if (t.op === 'one_of' || t.op === 'contains' || t.op === 'equals' || t.op === 'is_empty') op.value = t.op;
    }
    let request = 0;
    async function loadChoices(): Promise<void> {
      if (op.value !== 'one_of') return;
      request += 1;
      const mine = request;
      status.textContent = 'Loading choices…';
      try {
        const counts = await options.loadChoices(column.key);
        if (mine !== request) return;
        status.textContent = counts.length === 0 ? 'No values to choose from.' : '';
        renderChoices(counts);
      } catch {
        if (mine !== request) return;
        status.textContent = "We couldn't load the choices. Remove the filter and add it again.";
      }
    }
    function renderChoices(counts: ValueCount[]): void {
      // A chosen value no longer among the rows stays, with none.
      const shown = [...counts];
      for (const v of chosen) {
        if (!shown.some((c) => c.value.toLowerCase() === v.toLowerCase())) shown.push({ value: v, count: 0 });
      }
      choices.replaceChildren(choicesLegend, ...shown.map((c) => {
        const box = h('input', { type: 'checkbox', value: c.value, checked: chosen.has(c.value) });
        box.addEventListener('change', () => {
          if (box.checked) chosen.add(c.value);
          else chosen.delete(c.value);
          changed();
        });
        return h('label', { class: 'check filter-choice' }, box, c.value, h('span', { class: 'muted filter-count' }, ` (${formatCount(c.count)})`));
      }));
    }
    const show = (): void => {
      const o = op.value as TextOp;
      textField.hidden = o !== 'contains' && o !== 'equals';
      text.hidden = textField.hidden;
      choices.hidden = o !== 'one_of';
    };
    show();
    const spec = (): FilterSpec | null => {
      const o = op.value as TextOp;
      const c = (test: FilterSpec & { kind: 'condition' }): FilterSpec => test;
      switch (o) {
        case 'one_of':
          return chosen.size === 0 ? null : c({ kind: 'condition', condition: { column: column.key, test: { op: 'one_of', values: [...chosen] } } });
        case 'is_empty':
          return c({ kind: 'condition', condition: { column: column.key, test: { op: 'is_empty' } } });
        case 'contains':
        case 'equals':
          return text.value.trim() === '' ? null : c({ kind: 'condition', condition: { column: column.key, test: { op: o, value: text.value.trim() } } });
      }
    };
    op.addEventListener('change', () => {
      show();
      void loadChoices();
      changed();
    });
    const typed = debounce(changed, 300);
    text.addEventListener('input', () => {
      typed();
    });
    void loadChoices();
    return {
      column,
      el: fieldset(column, labelled('Condition', op), textField, choices, status),
      spec,
      refreshChoices: () => void loadChoices(),
    };
  }

  add.addEventListener('change', () => {
    const column = options.columns.find((c) => c.key === add.value);
    if (!column) return;
    const item = addItem(column, null);
    item.el.querySelector<HTMLElement>('select, input')?.focus();
    changed();
  });
  clear.addEventListener('click', () => {
    for (const item of items.splice(0)) item.el.remove();
    renderAdd();
    changed();
    add.focus();
  });
  renderAdd();

  return {
    el,
    specs,
    set(next) {
      for (const item of items.splice(0)) item.el.remove();
      for (const spec of next) {
        const column = options.columns.find((c) => c.key === columnOf(spec));
        if (column) addItem(column, spec);
      }
      renderAdd();
      last = JSON.stringify(specs());
    },
    refreshChoices() {
      for (const item of items) item.refreshChoices();
    },
  };
}

/** The local day of an RFC 3339 instant, for a date input. */
function dayOf(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${String(d.getFullYear())}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
