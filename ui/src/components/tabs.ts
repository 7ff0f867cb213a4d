import { h, uid } from '../lib/dom';

export interface TabItem {
  id: string;
  label: string;
}

export interface Tabs {
  /** The tablist. */
  el: HTMLElement;
  /** The single tabpanel whose content the owner swaps on selection. */
  panel: HTMLElement;
  select(id: string, focus?: boolean): void;
  selected(): string | null;
}

/**
 * WAI-ARIA tabs with automatic activation: Left/Right (wrapping), Home and
 * End move focus and select; only the selected tab is in the Tab order.
 */
export function createTabs(label: string, items: TabItem[], onSelect: (id: string) => void): Tabs {
  const panelId = uid('tabpanel');
  const el = h('div', { role: 'tablist', 'aria-label': label, class: 'tabs' });
  const panel = h('div', { role: 'tabpanel', id: panelId, class: 'tabpanel', tabindex: -1 });
  const buttons = items.map((item) => {
    const b = h('button', {
      type: 'button',
      role: 'tab',
      id: uid('tab'),
      class: 'tab',
      'aria-selected': 'false',
      'aria-controls': panelId,
      tabindex: -1,
      'data-testid': `resource-tab-${item.id}`,
    }, item.label);
    b.addEventListener('click', () => {
      select(item.id, false);
    });
    b.addEventListener('keydown', (e) => {
      const i = buttons.indexOf(b);
      let next: number | null = null;
      if (e.key === 'ArrowRight') next = (i + 1) % buttons.length;
      else if (e.key === 'ArrowLeft') next = (i - 1 + buttons.length) % buttons.length;
      else if (e.key === 'Home') next = 0;
      else if (e.key === 'End') next = buttons.length - 1;
      const target = next === null ? undefined : items[next];
      if (target) {
        e.preventDefault();
        select(target.id, true);
      }
    });
    el.append(b);
    return b;
  });
  let current: string | null = null;

  function select(id: string, focus = false): void {
    const index = items.findIndex((i) => i.id === id);
    const button = buttons[index];
    if (!button) return;
    buttons.forEach((b, i) => {
      const on = i === index;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      b.tabIndex = on ? 0 : -1;
    });
    panel.setAttribute('aria-labelledby', button.id);
    if (focus) button.focus();
    if (current !== id) {
      current = id;
      onSelect(id);
    }
  }

  return { el, panel, select, selected: () => current };
}
