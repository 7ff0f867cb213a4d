import type { WeekCount } from '../bindings/WeekCount';
import { h, svg, uid } from '../lib/dom';
import { formatCount, formatDay, records } from '../lib/format';

export interface WeeklyChart {
  el: HTMLElement;
  update(weeks: WeekCount[]): void;
}

const WIDTH = 640;
const HEIGHT = 160;
const GAP = 2;

/** One-sentence summary used as the chart's accessible name. */
export function chartSummary(weeks: WeekCount[]): string {
  if (weeks.length === 0) return 'Records per week: no records yet.';
  const first = weeks[0];
  const last = weeks[weeks.length - 1];
  const peak = weeks.reduce((a, b) => (b.count > a.count ? b : a));
  const sum = weeks.reduce((n, w) => n + w.count, 0);
  return `Records per week from ${formatDay(first?.week_start ?? '')} to ${formatDay(last?.week_start ?? '')}: `
    + `${records(sum)} in ${formatCount(weeks.length)} weeks, most in the week of ${formatDay(peak.week_start)} (${formatCount(peak.count)}).`;
}

/**
 * "Records per week" as a plain SVG bar chart. The picture is role=img with a
 * summary sentence; the exact numbers are in a table under a disclosure.
 */
export function createWeeklyChart(): WeeklyChart {
  const headingId = uid('chart-title');
  const picture = svg('svg', {
    class: 'chart',
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    preserveAspectRatio: 'none',
    role: 'img',
    // A picture named only by its first update would be an unnamed image while the counts
    // are on their way (they wait for the search's rows), which screen readers announce as
    // a bare "image".
    'aria-label': 'Records per week: counting.',
  });
  const tbody = h('tbody');
  const table = h('table', { class: 'chart-table' },
    h('caption', {}, 'Records per week'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Week starting'), h('th', { scope: 'col' }, 'Records'))),
    tbody,
  );
  const el = h('section', { class: 'chart-block', 'aria-labelledby': headingId, 'data-testid': 'weekly-chart' },
    h('h3', { id: headingId }, 'Records per week'),
    picture,
    h('details', {}, h('summary', {}, 'Show as a table'), table),
  );

  return {
    el,
    update(weeks) {
      picture.setAttribute('aria-label', chartSummary(weeks));
      picture.replaceChildren();
      tbody.replaceChildren();
      const max = Math.max(1, ...weeks.map((w) => w.count));
      const barWidth = weeks.length > 0 ? WIDTH / weeks.length : WIDTH;
      weeks.forEach((week, i) => {
        const height = (week.count / max) * (HEIGHT - 4);
        const bar = svg('rect', {
          class: 'bar',
          x: (i * barWidth + GAP / 2).toFixed(2),
          y: (HEIGHT - height).toFixed(2),
          width: Math.max(1, barWidth - GAP).toFixed(2),
          height: height.toFixed(2),
        }, svg('title', {}, `Week of ${formatDay(week.week_start)}: ${records(week.count)}`));
        picture.append(bar);
        tbody.append(h('tr', {}, h('td', {}, formatDay(week.week_start)), h('td', {}, formatCount(week.count))));
      });
    },
  };
}
