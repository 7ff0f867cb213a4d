import type { KeyFieldView } from '../bindings/KeyFieldView';
import { h, uid, closeOnEscape } from '../lib/dom';
import { createErrorAlert } from './errorAlert';
import type { Shown } from '../lib/userError';

export interface ApiKeyFormOptions {
  providerId: string;
  providerName: string;
  fields: KeyFieldView[];
  helpText: string;
  hasHelpLink: boolean;
  /** Tests and saves the key; resolves to an error sentence, or null once it is saved. */
  /** Tests and saves the key: null when it worked, else what to show (with its advice). */
  submit(values: Record<string, string>): Promise<Shown | null>;
  openHelp(): void;
  /** The form closed (saved or cancelled); focus goes back to the tile. */
  closed(): void;
}

export interface ApiKeyForm {
  el: HTMLFormElement;
  open(): void;
  close(): void;
}

/**
 * The small form an API-key provider's tile opens: masked fields, where the key lives, and
 * "Test and save". The values go to Rust once and are cleared from the page afterwards.
 */
export function createApiKeyForm(options: ApiKeyFormOptions): ApiKeyForm {
  const titleId = uid('key-title');
  const inputs = options.fields.map((field) => {
    const id = uid(`key-${field.key}`);
    const input = h('input', {
      id,
      type: field.secret ? 'password' : 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      required: true,
      'data-testid': `key-field-${field.key}`,
    });
    return { field, input, row: h('div', { class: 'field' }, h('label', { for: id }, field.label), input) };
  });
  const save = h('button', { type: 'submit', 'data-testid': 'key-save' }, 'Test and save');
  const cancel = h('button', { type: 'button', class: 'secondary', 'data-testid': 'key-cancel' }, 'Cancel');
  const help = options.hasHelpLink
    ? h('button', { type: 'button', class: 'link', 'data-testid': 'key-help' }, `Open ${options.providerName} to find it`)
    : null;
  const status = h('p', { class: 'muted', role: 'status' });
  const error = createErrorAlert();
  const el = h('form', {
    class: 'key-form',
    'aria-labelledby': titleId,
    'data-testid': `key-form-${options.providerId}`,
    hidden: true,
    novalidate: true,
  },
    h('h3', { id: titleId }, `Connect ${options.providerName} with an API key`),
    h('p', { class: 'muted' }, options.helpText),
    help,
    ...inputs.map((i) => i.row),
    h('div', { class: 'form-actions' }, save, cancel, status),
    error.el,
  );

  function clear(): void {
    for (const { input } of inputs) input.value = '';
  }

  function close(): void {
    el.hidden = true;
    clear();
    error.show(null);
    status.textContent = '';
    options.closed();
  }

  help?.addEventListener('click', () => {
    options.openHelp();
  });
  cancel.addEventListener('click', close);
  closeOnEscape(el, close);
  el.addEventListener('submit', (e) => {
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
    status.textContent = `Checking with ${options.providerName}…`;
    void options.submit(values).then((problem) => {
      save.disabled = false;
      status.textContent = '';
      if (problem === null) {
        close();
      } else {
        error.show(problem);
        inputs[0]?.input.focus();
      }
    });
  });

  return {
    el,
    close,
    open() {
      el.hidden = false;
      inputs[0]?.input.focus();
    },
  };
}
