// A modal dialog on the native <dialog>: showModal() makes the rest of the window inert (the
// focus stays inside) and Escape cancels it; focus goes back to what opened it, because not
// every engine (WebKitGTK among them) restores it by itself.
import { h, uid } from '../lib/dom';

export interface Modal {
  el: HTMLDialogElement;
  /** The dialog's body, below its title. */
  body: HTMLElement;
  /** Opens the dialog; `opener` (default: what has focus now) gets focus back on close. */
  open(opener?: HTMLElement | null): void;
  close(): void;
  isOpen(): boolean;
}

export interface ModalOptions {
  title: string;
  testId: string;
  /** Extra class for the dialog (its width). */
  className?: string;
  /** Called once each time the dialog closes, whichever way (Escape, a button, close()). */
  onClose?: () => void;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function createModal(options: ModalOptions): Modal {
  const titleId = uid('dialog-title');
  const body = h('div', { class: 'modal-body' });
  const el = h('dialog', {
    class: ['modal', options.className].filter(Boolean).join(' '),
    'aria-labelledby': titleId,
    'data-testid': options.testId,
  }, h('h2', { id: titleId, class: 'modal-title' }, options.title), body);
  let opener: HTMLElement | null = null;

  // showModal() makes the page behind inert, but Tab past the last control leaves for the
  // browser's own chrome: wrap it round, as the WAI-ARIA dialog pattern asks.
  el.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const focusable = [...el.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((f) => f.offsetParent !== null || f === document.activeElement);
    const first = focusable[0];
    const last = focusable.at(-1);
    if (!first || !last) return;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  });

  el.addEventListener('close', () => {
    const back = opener;
    opener = null;
    // Back to the control that opened the dialog, if it is still on the page; then the
    // owner hears of it (and may move the focus on, to a screen the choice opened).
    if (back?.isConnected) back.focus();
    options.onClose?.();
  });

  return {
    el,
    body,
    open(from) {
      if (el.open) return;
      opener = from ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
      if (!el.isConnected) document.body.append(el);
      el.showModal();
    },
    close() {
      if (el.open) el.close();
    },
    isOpen: () => el.open,
  };
}
