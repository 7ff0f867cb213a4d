import { h, uid, closeOnEscape } from '../lib/dom';

export interface DisconnectConfirm {
  el: HTMLElement;
  ask(): void;
  close(): void;
}

/**
 * An inline "are you sure" for disconnecting one account (no native dialogs in the webview).
 * The provider's other accounts stay connected.
 */
export function createDisconnectConfirm(providerName: string, accountName: string, onConfirm: (keepRecords: boolean) => void, returnFocus: () => HTMLElement): DisconnectConfirm {
  const textId = uid('confirm');
  const yes = h('button', { type: 'button', class: 'danger', 'data-testid': 'disconnect-confirm' }, `Disconnect ${accountName}`);
  const no = h('button', { type: 'button', class: 'secondary', 'data-testid': 'disconnect-cancel' }, 'Keep connected');
  const keepId = uid('keep');
  const keep = h('input', { type: 'checkbox', id: keepId, 'data-testid': 'disconnect-keep-records' });
  const el = h('div', { class: 'confirm', role: 'alertdialog', 'aria-labelledby': textId, hidden: true },
    h('p', { id: textId },
      `Disconnect ${accountName} from ${providerName}? Patchbay will forget this account's sign-in on this computer; `
      + `any other ${providerName} accounts stay connected. You can connect again at any time.`),
    h('p', { class: 'confirm-option' }, keep, h('label', { for: keepId }, `Keep the ${accountName} records saved on this computer`)),
    h('div', { class: 'confirm-actions' }, yes, no),
  );
  const close = (): void => {
    el.hidden = true;
    returnFocus().focus();
  };
  yes.addEventListener('click', () => {
    el.hidden = true;
    onConfirm(keep.checked);
  });
  no.addEventListener('click', close);
  closeOnEscape(el, close);
  return {
    el,
    close,
    ask() {
      el.hidden = false;
      no.focus();
    },
  };
}
