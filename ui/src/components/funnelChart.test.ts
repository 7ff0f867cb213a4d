import { describe, expect, test } from 'vitest';
import { FUNNEL } from '../test/fakePeople';
import { createFunnelChart, funnelSummary, stepText } from './funnelChart';

describe('funnel chart', () => {
  test('the summary sentence reads each step and the revenue', () => {
    expect(funnelSummary(FUNNEL)).toBe('Funnel: 120 leads, 40 registered (33%), 25 attended (63%), 8 ordered (32%) for 2,376.00 in revenue.');
    expect(funnelSummary({ steps: FUNNEL.steps.map((s) => ({ ...s, people: 0, rate: null })) })).toBe('Funnel: no people in this range yet.');
    expect(stepText({ step: 'leads', people: 120, rate: null, revenue: 0 })).toBe('Leads 120');
  });

  test('bars scale to the first step and the table lists every step', () => {
    const chart = createFunnelChart();
    chart.update(FUNNEL);
    const widths = [...chart.el.querySelectorAll('rect')].map((r) => Number(r.getAttribute('width')));
    expect(widths).toHaveLength(4);
    expect(widths[1]).toBeCloseTo((widths[0] ?? 0) / 3, 1);
    const cells = [...chart.el.querySelectorAll('tbody tr')].map((r) => [...r.children].map((c) => c.textContent));
    expect(cells[3]).toEqual(['Orders', '8', '32%', '2,376.00']);
    expect(chart.el.querySelector('svg')?.getAttribute('role')).toBe('img');
  });

  test('the picture has a name before its first counts arrive', () => {
    const chart = createFunnelChart();
    const picture = chart.el.querySelector('svg[role="img"]');
    expect(picture?.getAttribute('aria-label')).toBe('Funnel: counting.');
    chart.update(FUNNEL);
    expect(picture?.getAttribute('aria-label')).toBe(funnelSummary(FUNNEL));
  });
});
