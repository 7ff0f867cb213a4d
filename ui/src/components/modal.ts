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

export function createModal(options: ModalOptions): Modal {
  const titleId = uid('dialog-title');
  const body = h('div', { class: 'modal-body' });
  const el = h('dialog', {
    class: ['modal', options.className].filter(Boolean).join(' '),
    'aria-labelledby': titleId,
    'data-testid': options.testId,
  }, h('h2', { id: titleId, class: 'modal-title' }, options.title), body);
  let opener: HTMLElement | null = null;

  el.addEventListener('close', () => {
    const back = opener;
    opener = null;
    options.onClose?.();
    // Back to the control that opened the dialog, if it is still on the page.
    if (back?.isConnected) back.focus();
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
