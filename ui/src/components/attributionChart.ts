import type { AttributionBy } from '../bindings/AttributionBy';
import type { AttributionRow } from '../bindings/AttributionRow';
import { h, uid } from '../lib/dom';
import { formatCount, formatMoney } from '../lib/format';

export interface AttributionChart {
  el: HTMLElement;
  by(): AttributionBy;
  update(by: AttributionBy, rows: AttributionRow[]): void;
}

export const BY_LABELS: Record<AttributionBy, string> = {
  source: 'Source',
  medium: 'Medium',
  campaign: 'Campaign',
};

const BYS: readonly AttributionBy[] = ['source', 'medium', 'campaign'];

/**
 * People (and their revenue) by first-touch source, medium or campaign: a radio group picks
 * which, and a table lists the values with a bar for each value's share of the people.
 */
export function createAttributionChart(onBy: (by: AttributionBy) => void): AttributionChart {
  const headingId = uid('attribution-title');
  const name = uid('attribution-by');
  let current: AttributionBy = 'source';

  const radios = BYS.map((by) => {
    const input = h('input', { type: 'radio', name, value: by, checked: by === current, 'data-testid': `attribution-by-${by}` });
    input.addEventListener('change', () => {
      if (!input.checked) return;
      current = by;
      onBy(by);
    });
    return h('label', { class: 'radio' }, input, BY_LABELS[by]);
  });
  const group = h('fieldset', { class: 'segmented' }, h('legend', {}, 'Attribute by'), ...radios);
  const valueHeader = h('th', { scope: 'col' }, BY_LABELS[current]);
  const tbody = h('tbody');
  const empty = h('p', { class: 'muted', hidden: true }, 'No people in this range yet.');
  const table = h('table', { class: 'attribution-table' },
    h('caption', { class: 'visually-hidden' }, 'People and revenue by first touch'),
    h('thead', {}, h('tr', {}, valueHeader, h('th', { scope: 'col', class: 'num' }, 'People'), h('th', { scope: 'col', class: 'num' }, 'Revenue'))),
    tbody,
  );
  const el = h('section', { class: 'chart-block attribution', 'aria-labelledby': headingId, 'data-testid': 'attribution' },
    h('h3', { id: headingId }, 'Where people came from'),
    group,
    empty,
    table,
  );

  return {
    el,
    by: () => current,
    update(by, rows) {
      valueHeader.textContent = BY_LABELS[by];
      tbody.replaceChildren();
      empty.hidden = rows.length > 0;
      table.hidden = rows.length === 0;
      const max = Math.max(1, ...rows.map((r) => r.people));
      for (const row of rows) {
        const bar = h('span', { class: 'attribution-bar', 'aria-hidden': 'true' });
        bar.style.setProperty('--share', (row.people / max).toFixed(3));
        tbody.append(h('tr', { 'data-testid': 'attribution-row', 'data-value': row.value, 'data-people': row.people },
          h('th', { scope: 'row' }, row.value),
          h('td', { class: 'num' }, h('span', { class: 'attribution-people' }, bar, formatCount(row.people))),
          h('td', { class: 'num' }, formatMoney(row.revenue)),
        ));
      }
    },
  };
}
