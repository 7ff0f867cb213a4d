import { h } from '../lib/dom';
import { shownError, type Shown } from '../lib/userError';

export interface ErrorAlert {
  el: HTMLElement;
  /** Shows a sentence (the window's own, or a failure with its advice), or hides the alert when null. */
  show(what: string | Shown | null): void;
  /** Shows a failed command's error with its advice; anything that is not a UserError shows `fallback`. */
  showError(error: unknown, fallback: string): void;
}

/**
 * An inline alert placed next to the control whose command failed. Hidden
 * (and empty) until there is something to say, so screen readers announce it
 * when the text appears. What to do goes on its own line under what happened.
 */
export function createErrorAlert(): ErrorAlert {
  const el = h('div', { class: 'error-alert', role: 'alert', 'data-testid': 'error', hidden: true });
  const alert: ErrorAlert = {
    el,
    show(what) {
      const shown = typeof what === 'string' ? { message: what, advice: null, code: null } : what;
      el.replaceChildren();
      el.hidden = shown === null;
      if (shown === null) {
        delete el.dataset.code;
        return;
      }
      if (shown.code) el.dataset.code = shown.code;
      else delete el.dataset.code;
      el.append(h('p', { class: 'error-message' }, shown.message));
      if (shown.advice) el.append(h('p', { class: 'error-advice', 'data-testid': 'error-advice' }, shown.advice));
    },
    showError(error, fallback) {
      alert.show(shownError(error, fallback));
    },
  };
  return alert;
}
