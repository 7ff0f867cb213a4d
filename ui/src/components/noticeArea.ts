import type { Notice } from '../bindings/Notice';
import { h } from '../lib/dom';

export interface NoticeArea {
  el: HTMLElement;
  add(notice: Notice): void;
}

const MAX_NOTICES = 4;

/**
 * Quiet, dismissable notices from the app (for example a rejected link). A notice's sentence
 * already names the provider it concerns, so it is shown as it is (prefixing the name doubled
 * it: "BoomTown: BoomTown did not accept…"); an error's advice goes on a line of its own.
 */
export function createNoticeArea(): NoticeArea {
  const el = h('div', { class: 'notices', role: 'status', 'aria-live': 'polite', 'data-testid': 'notices' });
  return {
    el,
    add(notice) {
      const dismiss = h('button', { type: 'button', class: 'secondary small', 'aria-label': 'Dismiss notice' }, 'Dismiss');
      const item = h('div', { class: `notice notice-${notice.level}`, 'data-testid': 'notice', 'data-code': notice.code, 'data-provider': notice.provider },
        h('div', {},
          h('p', {}, notice.message),
          notice.advice ? h('p', { class: 'notice-advice', 'data-testid': 'notice-advice' }, notice.advice) : null,
        ),
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
