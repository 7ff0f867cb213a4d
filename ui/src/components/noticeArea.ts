import type { Notice } from '../bindings/Notice';
import { h } from '../lib/dom';

export interface NoticeArea {
  el: HTMLElement;
  add(notice: Notice): void;
}

const MAX_NOTICES = 4;

/** Quiet, dismissable notices from the app (for example a rejected link). */
export function createNoticeArea(providerName: (id: string) => string | null): NoticeArea {
  const el = h('div', { class: 'notices', role: 'status', 'aria-live': 'polite', 'data-testid': 'notices' });
  return {
    el,
    add(notice) {
      const name = notice.provider ? providerName(notice.provider) : null;
      const dismiss = h('button', { type: 'button', class: 'secondary small', 'aria-label': 'Dismiss notice' }, 'Dismiss');
      const item = h('div', { class: `notice notice-${notice.level}`, 'data-testid': 'notice' },
        h('p', {}, name ? `${name}: ${notice.message}` : notice.message),
        dismiss,
      );
      dismiss.addEventListener('click', () => {
        item.remove();
      });
      el.append(item);
      while (el.children.length > MAX_NOTICES) el.firstElementChild?.remove();
    },
  };
}
