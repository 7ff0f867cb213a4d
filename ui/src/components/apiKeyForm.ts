import type { KeyFieldView } from '../bindings/KeyFieldView';
import { h, uid } from '../lib/dom';
import { createErrorAlert } from './errorAlert';
import { createModal } from './modal';
import { createSecretInput } from './secretInput';
import type { Shown } from '../lib/userError';

export interface ApiKeyFormOptions {
  providerId: string;
  providerName: string;
  fields: KeyFieldView[];
  /** Where the key lives, in the provider's own words (its definition's help text). */
  helpText: string;
  hasHelpLink: boolean;
  /** Tests and saves the key: null when it worked, else what to show (with its advice). */
  submit(values: Record<string, string>): Promise<Shown | null>;
  /** Opens the provider's key page in the system browser: null, or why it could not. */
  openHelp(): Promise<Shown | null>;
  /** The dialog closed (saved or cancelled); focus has gone back to what opened it. */
  closed(): void;
}

export interface ApiKeyForm {
  /** The modal dialog that holds the form. */
  el: HTMLDialogElement;
  form: HTMLFormElement;
  /** Opens the dialog; `opener` gets the focus back when it closes. */
  open(opener: HTMLElement): void;
  close(): void;
}

/**
 * The dialog an API-key provider's tile opens (the WAI-ARIA dialog pattern on a native
 * <dialog>: focus kept inside, Escape closes, focus back to the tile): where the key lives in
 * the provider's words, a link to that page in the system browser, masked fields with Show /
 * Hide, and "Test and save", whose answer is told in plain words. The values go to Rust once
 * and are cleared from the page afterwards.
 */
export function createApiKeyForm(options: ApiKeyFormOptions): ApiKeyForm {
  const modal = createModal({
    title: `Connect ${options.providerName} with an API key`,
    testId: `key-dialog-${options.providerId}`,
    className: 'key-dialog',
    onClose() {
      reset();
      options.closed();
    },
  });
  const inputs = options.fields.map((field) => {
    const id = uid(`key-${field.key}`);
    const input = h('input', {
      id,
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      required: true,
      'data-testid': `key-field-${field.key}`,
    });
    const secret = field.secret ? createSecretInput(input, `${options.providerName} ${field.label}`) : null;
    return {
      field,
      input,
      secret,
      row: h('div', { class: 'field' }, h('label', { for: id }, field.label), secret?.el ?? input),
    };
  });
  const save = h('button', { type: 'submit', 'data-testid': 'key-save' }, 'Test and save');
  const cancel = h('button', { type: 'button', class: 'secondary', 'data-testid': 'key-cancel' }, 'Cancel');
  const help = options.hasHelpLink
    ? h('button', { type: 'button', class: 'link', 'data-testid': 'key-help' }, `Open ${options.providerName} in your browser to find it`)
    : null;
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'key-status' });
  const error = createErrorAlert();
  const form = h('form', {
    class: 'key-form',
    'data-testid': `key-form-${options.providerId}`,
    'aria-label': `${options.providerName} API key`,
    hidden: true,
    novalidate: true,
  },
    h('p', { class: 'key-where' }, options.helpText),
    help,
    ...inputs.map((i) => i.row),
    error.el,
    h('div', { class: 'modal-actions' }, status, cancel, save),
  );
  modal.body.append(form);

  function reset(): void {
    for (const { input, secret } of inputs) {
      input.value = '';
      secret?.hide();
    }
    error.show(null);
    status.textContent = '';
    save.disabled = false;
    form.hidden = true;
  }

  help?.addEventListener('click', () => {
    void options.openHelp().then((problem) => {
      if (problem) error.show(problem);
      else status.textContent = `${options.providerName} opened in your browser.`;
    });
  });
  cancel.addEventListener('click', () => {
    modal.close();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const values: Record<string, string> = {};
    for (const { field, input } of inputs) values[field.key] = input.value;
    const empty = inputs.find(({ input }) => input.value.trim() === '');
    if (empty) {
      error.show(`Paste your ${options.providerName} ${empty.field.label} first.`);
      empty.input.focus();
      return;
    }
    error.show(null);
    save.disabled = true;
    status.textContent = `Checking the key with ${options.providerName}…`;
    void options.submit(values).then((problem) => {
      save.disabled = false;
      if (problem === null) {
        status.textContent = `${options.providerName} accepted the key.`;
        modal.close();
      } else {
        status.textContent = '';
        error.show(problem);
        inputs[0]?.input.focus();
      }
    });
  });

  return {
    el: modal.el,
    form,
    close: () => {
      modal.close();
    },
    open(opener) {
      form.hidden = false;
      modal.open(opener);
      inputs[0]?.input.focus();
    },
  };
}
