// BoomTown's client set-up as a modal dialog: a provider that wants the user's own OAuth
// client (id and secret) asks for it where the user clicked Connect, instead of sending them
// to Settings. The id is saved in the settings, the secret in the keychain (through Rust);
// then the connect starts in the browser.
import { h, uid } from '../lib/dom';
import type { Shown } from '../lib/userError';
import { createErrorAlert } from './errorAlert';
import { createModal } from './modal';
import { createSecretInput } from './secretInput';

export interface ClientSetupOptions {
  providerId: string;
  providerName: string;
  /** Saves the id and secret: null when saved, else what to show. */
  save(clientId: string, secret: string): Promise<Shown | null>;
  /** Saved: start the connect in the browser (the dialog is closed first). */
  saved(): void;
}

export interface ClientSetupDialog {
  el: HTMLDialogElement;
  open(opener: HTMLElement): void;
  close(): void;
}

export function createClientSetupDialog(options: ClientSetupOptions): ClientSetupDialog {
  let done = false;
  const modal = createModal({
    title: `Connect ${options.providerName} with your own app`,
    testId: `client-dialog-${options.providerId}`,
    className: 'key-dialog',
    onClose() {
      idInput.value = '';
      secret.input.value = '';
      secret.hide();
      error.show(null);
      status.textContent = '';
      save.disabled = false;
      if (done) {
        done = false;
        options.saved();
      }
    },
  });
  const idId = uid('client-id');
  const secretId = uid('client-secret');
  const idInput = h('input', { id: idId, type: 'text', autocomplete: 'off', spellcheck: 'false', required: true, 'data-testid': 'client-field-id' });
  const secret = createSecretInput(
    h('input', { id: secretId, autocomplete: 'off', spellcheck: 'false', required: true, 'data-testid': 'client-field-secret' }),
    `${options.providerName} client secret`,
  );
  const save = h('button', { type: 'submit', 'data-testid': 'client-save' }, 'Save and connect');
  const cancel = h('button', { type: 'button', class: 'secondary', 'data-testid': 'client-cancel' }, 'Cancel');
  const status = h('p', { class: 'muted', role: 'status' });
  const error = createErrorAlert();
  const form = h('form', { class: 'key-form', novalidate: true, 'aria-label': `${options.providerName} client` },
    h('p', { class: 'key-where' },
      `${options.providerName} lets only apps it knows sign in. Ask your ${options.providerName} account manager for an API client for Patchbay, with the redirect address dev.patchbay:/oauth/callback, and paste its client id and secret here.`),
    h('div', { class: 'field' }, h('label', { for: idId }, 'Client id'), idInput),
    h('div', { class: 'field' }, h('label', { for: secretId }, 'Client secret'), secret.el,
      h('span', { class: 'hint' }, 'Kept in your keychain, never in a file. You can change both later in Settings.')),
    error.el,
    h('div', { class: 'modal-actions' }, status, cancel, save),
  );
  modal.body.append(form);

  cancel.addEventListener('click', () => {
    modal.close();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = idInput.value.trim();
    const value = secret.input.value.trim();
    if (id === '' || value === '') {
      error.show(`Paste both the client id and the client secret from ${options.providerName} first.`);
      (id === '' ? idInput : secret.input).focus();
      return;
    }
    error.show(null);
    save.disabled = true;
    status.textContent = 'Saving…';
    void options.save(id, value).then((problem) => {
      save.disabled = false;
      status.textContent = '';
      if (problem) {
        error.show(problem);
        idInput.focus();
        return;
      }
      done = true;
      modal.close();
    });
  });

  return {
    el: modal.el,
    open(opener) {
      modal.open(opener);
      idInput.focus();
    },
    close: () => {
      modal.close();
    },
  };
}
