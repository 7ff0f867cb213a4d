import { describe, expect, test } from 'vitest';
import { chartSummary, createWeeklyChart } from './weeklyChart';

describe('weekly chart', () => {
  test('summary sentence names range, total and peak week', () => {
    const text = chartSummary([
      { week_start: '2026-01-05', count: 2 },
      { week_start: '2026-01-12', count: 9 },
      { week_start: '2026-01-19', count: 1 },
    ]);
    expect(text).toMatch(/^Records per week from .+ to .+: 12 records in 3 weeks, most in the week of .+ \(9\)\.$/);
    expect(chartSummary([])).toBe('Records per week: no records yet.');
  });

  test('bars scale to the largest week and the table lists every week', () => {
    const chart = createWeeklyChart();
    chart.update([
      { week_start: '2026-01-05', count: 5 },
      { week_start: '2026-01-12', count: 10 },
    ]);
    const bars = [...chart.el.querySelectorAll('rect')].map((r) => Number(r.getAttribute('height')));
    expect(bars[1]).toBeGreaterThan(0);
    expect(bars[0]).toBeCloseTo((bars[1] ?? 0) / 2, 1);
    expect([...chart.el.querySelectorAll('tbody tr')].map((r) => r.lastElementChild?.textContent)).toEqual(['5', '10']);
  });

  test('the picture has a name before its first counts arrive, and the counts replace it', () => {
    const chart = createWeeklyChart();
    const picture = chart.el.querySelector('svg[role="img"]');
    expect(picture?.getAttribute('aria-label')).toBe('Records per week: counting.');
    chart.update([]);
    expect(picture?.getAttribute('aria-label')).toBe('Records per week: no records yet.');
  });
});
