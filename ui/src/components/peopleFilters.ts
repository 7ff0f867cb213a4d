import type { DateRange } from '../bindings/DateRange';
import { h, uid } from '../lib/dom';

export interface PeopleFilterValues {
  /** A provider id, or null for every tool. */
  tool: string | null;
  /** Only people with (true) or without (false) an order; null for everyone. */
  hasOrder: boolean | null;
  range: DateRange;
}

export interface ToolChoice {
  id: string;
  name: string;
}

export interface PeopleFilters {
  el: HTMLElement;
  values(): PeopleFilterValues;
  /** The tools the tool select offers (kept selected when still offered). */
  setTools(tools: ToolChoice[]): void;
}

const ALL = '';

function field(label: string, control: HTMLInputElement | HTMLSelectElement): HTMLElement {
  control.id = uid('people-filter');
  return h('div', { class: 'field filter' }, h('label', { for: control.id }, label), control);
}

/**
 * The People table's filters: a tool, with or without an order, and first/last day of a date
 * range. `onChange` runs with the new values after any of them changes; a range whose start
 * comes after its end is not sent (the inputs say why).
 */
export function createPeopleFilters(onChange: (values: PeopleFilterValues) => void): PeopleFilters {
  const tool = h('select', { 'data-testid': 'people-tool' }, h('option', { value: ALL }, 'All tools'));
  const order = h('select', { 'data-testid': 'people-has-order' },
    h('option', { value: ALL }, 'All'),
    h('option', { value: 'yes' }, 'With an order'),
    h('option', { value: 'no' }, 'Without an order'),
  );
  const from = h('input', { type: 'date', 'data-testid': 'people-from' });
  const to = h('input', { type: 'date', 'data-testid': 'people-to' });
  const rangeError = h('p', { class: 'field-error', role: 'status', 'data-testid': 'people-range-error' });
  const el = h('div', { class: 'people-filters', role: 'group', 'aria-label': 'Filter people' },
    field('Tool', tool),
    field('Orders', order),
    field('From', from),
    field('To', to),
    rangeError,
  );

  function values(): PeopleFilterValues {
    return {
      tool: tool.value === ALL ? null : tool.value,
      hasOrder: order.value === ALL ? null : order.value === 'yes',
      range: { from: from.value === '' ? null : from.value, to: to.value === '' ? null : to.value },
    };
  }

  function changed(): void {
    const v = values();
    const backwards = v.range.from !== null && v.range.to !== null && v.range.from > v.range.to;
    from.setAttribute('aria-invalid', backwards ? 'true' : 'false');
    to.setAttribute('aria-invalid', backwards ? 'true' : 'false');
    rangeError.textContent = backwards ? 'The start date comes after the end date.' : '';
    if (!backwards) onChange(v);
  }

  for (const control of [tool, order, from, to]) control.addEventListener('change', changed);

  return {
    el,
    values,
    setTools(tools) {
      const selected = tool.value;
      tool.replaceChildren(
        h('option', { value: ALL }, 'All tools'),
        ...tools.map((t) => h('option', { value: t.id }, t.name)),
      );
      tool.value = tools.some((t) => t.id === selected) ? selected : ALL;
    },
  };
}
