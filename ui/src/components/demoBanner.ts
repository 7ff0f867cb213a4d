import { h } from '../lib/dom';

export interface DemoBanner {
  el: HTMLElement;
  setDemo(demo: boolean): void;
}

export function createDemoBanner(): DemoBanner {
  const el = h('p', { class: 'demo-banner', 'data-testid': 'demo-banner', hidden: true },
    'Demo mode: connected to the built-in sandbox, not your real accounts.');
  return {
    el,
    setDemo(demo) {
      el.hidden = !demo;
    },
  };
}
