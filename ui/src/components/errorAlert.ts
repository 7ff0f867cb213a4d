import { h } from '../lib/dom';

export interface ErrorAlert {
  el: HTMLElement;
  /** Shows the sentence, or hides the alert when `message` is null. */
  show(message: string | null): void;
}

/**
 * An inline alert placed next to the control whose command failed. Hidden
 * (and empty) until there is something to say, so screen readers announce it
 * when the text appears.
 */
export function createErrorAlert(): ErrorAlert {
  const el = h('div', { class: 'error-alert', role: 'alert', 'data-testid': 'error', hidden: true });
  return {
    el,
    show(message) {
      el.textContent = message ?? '';
      el.hidden = message === null;
    },
  };
}
