import type { Funnel } from '../bindings/Funnel';
import type { FunnelStep } from '../bindings/FunnelStep';
import type { FunnelStepKind } from '../bindings/FunnelStepKind';
import { h, svg, uid } from '../lib/dom';
import { formatCount, formatMoney, formatPercent } from '../lib/format';

export interface FunnelChart {
  el: HTMLElement;
  update(funnel: Funnel): void;
}

export const STEP_LABELS: Record<FunnelStepKind, string> = {
  leads: 'Leads',
  registrations: 'Registrations',
  attended: 'Attended',
  orders: 'Orders',
};

/** How a step reads in a sentence: "40 registered". */
const STEP_VERBS: Record<FunnelStepKind, string> = {
  leads: 'leads',
  registrations: 'registered',
  attended: 'attended',
  orders: 'ordered',
};

const WIDTH = 640;
const BAR_HEIGHT = 26;
const GAP = 8;
const LABEL_WIDTH = 130;

/** "Registrations 40 (33%)": a step's name, people and the share of the step before. */
export function stepText(step: FunnelStep): string {
  const rate = step.rate === null ? '' : ` (${formatPercent(step.rate)})`;
  return `${STEP_LABELS[step.step]} ${formatCount(step.people)}${rate}`;
}

/** One-sentence summary used as the picture's accessible name. */
export function funnelSummary(funnel: Funnel): string {
  if (funnel.steps.every((s) => s.people === 0)) return 'Funnel: no people in this range yet.';
  const parts = funnel.steps.map((s) => {
    const rate = s.rate === null ? '' : ` (${formatPercent(s.rate)})`;
    return `${formatCount(s.people)} ${STEP_VERBS[s.step]}${rate}`;
  });
  const orders = funnel.steps.find((s) => s.step === 'orders');
  const revenue = orders ? ` for ${formatMoney(orders.revenue)} in revenue` : '';
  return `Funnel: ${parts.join(', ')}${revenue}.`;
}

/**
 * Leads → registrations → attended → orders: the steps as a line of text (each step an element
 * the tests and screen readers can find), an SVG bar per step (role=img with a summary), and
 * the numbers as a table under a disclosure.
 */
export function createFunnelChart(): FunnelChart {
  const headingId = uid('funnel-title');
  const steps = h('ol', { class: 'funnel-steps' });
  const picture = svg('svg', {
    class: 'chart funnel-chart',
    role: 'img',
    preserveAspectRatio: 'xMinYMin meet',
    // Named from the start, as the weekly chart: never an unnamed image while counting.
    'aria-label': 'Funnel: counting.',
  });
  const tbody = h('tbody');
  const table = h('table', { class: 'chart-table' },
    h('caption', {}, 'Funnel'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Step'),
      h('th', { scope: 'col' }, 'People'),
      h('th', { scope: 'col' }, 'Of the step before'),
      h('th', { scope: 'col' }, 'Revenue'),
    )),
    tbody,
  );
  const el = h('section', { class: 'chart-block funnel', 'aria-labelledby': headingId, 'data-testid': 'funnel' },
    h('h3', { id: headingId }, 'Funnel'),
    steps,
    picture,
    h('details', {}, h('summary', {}, 'Show as a table'), table),
  );

  return {
    el,
    update(funnel) {
      const height = funnel.steps.length * (BAR_HEIGHT + GAP);
      picture.setAttribute('viewBox', `0 0 ${WIDTH.toString()} ${Math.max(height, BAR_HEIGHT).toString()}`);
      picture.setAttribute('aria-label', funnelSummary(funnel));
      picture.replaceChildren();
      steps.replaceChildren();
      tbody.replaceChildren();
      const max = Math.max(1, ...funnel.steps.map((s) => s.people));
      funnel.steps.forEach((step, i) => {
        const label = STEP_LABELS[step.step];
        const revenue = step.step === 'orders' ? ` · ${formatMoney(step.revenue)} revenue` : '';
        steps.append(h('li', {
          class: 'funnel-step',
          'data-testid': 'funnel-step',
          'data-step': step.step,
          'data-people': step.people,
        },
        i > 0 ? h('span', { class: 'funnel-arrow', 'aria-hidden': 'true' }, '→ ') : null,
        h('span', { class: 'funnel-step-name' }, label),
        ` ${formatCount(step.people)}`,
        step.rate === null ? null : h('span', { class: 'muted' }, ` (${formatPercent(step.rate)})`),
        revenue));

        const y = i * (BAR_HEIGHT + GAP);
        const barWidth = ((WIDTH - LABEL_WIDTH) * step.people) / max;
        picture.append(
          svg('text', { class: 'funnel-label', x: 0, y: y + BAR_HEIGHT * 0.7, 'aria-hidden': 'true' }, label),
          svg('rect', {
            class: 'bar',
            x: LABEL_WIDTH,
            y,
            width: Math.max(step.people > 0 ? 2 : 0, barWidth).toFixed(2),
            height: BAR_HEIGHT,
          }, svg('title', {}, stepText(step))),
        );
        tbody.append(h('tr', { 'data-step': step.step },
          h('th', { scope: 'row' }, label),
          h('td', {}, formatCount(step.people)),
          h('td', {}, step.rate === null ? '—' : formatPercent(step.rate)),
          h('td', {}, step.step === 'orders' ? formatMoney(step.revenue) : '—'),
        ));
      });
    },
  };
}
