import type { SyncProgress } from '../bindings/SyncProgress';
import { h } from '../lib/dom';
import { formatCount } from '../lib/format';

export interface ProgressBar {
  el: HTMLElement;
  update(progress: Pick<SyncProgress, 'fetched' | 'total'>): void;
  setVisible(visible: boolean): void;
}

export function progressText(fetched: number, total: number | null): string {
  return total === null
    ? `Fetched ${formatCount(fetched)} records`
    : `Fetched ${formatCount(fetched)} of ${formatCount(total)} records`;
}

/** A sync progress bar: role=progressbar with value, max and a sentence. */
export function createProgressBar(label: string): ProgressBar {
  const fill = h('div', { class: 'progress-fill' });
  const track = h('div', { class: 'progress-track' }, fill);
  const bar = h('div', {
    role: 'progressbar',
    class: 'progress',
    'aria-label': label,
    'aria-valuemin': 0,
    'data-testid': 'progress',
  }, track);
  const text = h('p', { class: 'progress-text' });
  const el = h('div', { class: 'progress-block' }, bar, text);

  function update({ fetched, total }: Pick<SyncProgress, 'fetched' | 'total'>): void {
    const sentence = progressText(fetched, total);
    text.textContent = sentence;
    bar.setAttribute('aria-valuenow', String(fetched));
    bar.setAttribute('aria-valuetext', sentence);
    if (total === null) {
      bar.removeAttribute('aria-valuemax');
      bar.classList.add('indeterminate');
      fill.style.setProperty('--progress', '0.3');
    } else {
      bar.setAttribute('aria-valuemax', String(total));
      bar.classList.remove('indeterminate');
      const fraction = total > 0 ? Math.min(1, fetched / total) : 1;
      fill.style.setProperty('--progress', String(fraction));
    }
  }

  update({ fetched: 0, total: null });
  return {
    el,
    update,
    setVisible(visible) {
      el.hidden = !visible;
    },
  };
}
