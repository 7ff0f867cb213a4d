import type { ProviderSettings } from '../bindings/ProviderSettings';
import type { Settings } from '../bindings/Settings';
import * as ipc from '../ipc';
import { h, uid } from '../lib/dom';
import { createErrorAlert } from './errorAlert';

export interface SettingsPageOptions {
  onBack(): void;
  onSaved(settings: Settings): void;
}

export interface SettingsPage {
  el: HTMLElement;
  load(): Promise<void>;
}

interface ProviderFields {
  provider: ProviderSettings;
  clientId: HTMLInputElement;
  baseUrl: HTMLInputElement;
  /** Only for providers that want the user's own client secret. */
  secret: HTMLInputElement | null;
}

function field(label: string, input: HTMLInputElement, hint?: string): HTMLElement {
  input.id = uid('field');
  const hintEl = hint ? h('span', { class: 'hint', id: uid('hint') }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl);
}

const blankToNull = (value: string): string | null => (value.trim() === '' ? null : value.trim());

/** Demo switch and per-provider overrides (client id, base URL). */
export function createSettingsPage(options: SettingsPageOptions): SettingsPage {
  const heading = h('h2', { tabindex: -1, id: 'settings-title' }, 'Settings');
  const back = h('button', { type: 'button', class: 'secondary back', 'data-testid': 'back' }, '← Your tools');
  back.addEventListener('click', () => {
    options.onBack();
  });
  const demo = h('input', { type: 'checkbox', role: 'switch', id: uid('demo'), 'data-testid': 'demo-switch' });
  const demoField = h('div', { class: 'field switch-field' },
    demo,
    h('label', { for: demo.id }, 'Demo mode (use the built-in sandbox instead of your real accounts)'),
  );
  const providersBox = h('div', { class: 'provider-settings' });
  const save = h('button', { type: 'submit', 'data-testid': 'save-settings' }, 'Save');
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'settings-status' });
  const error = createErrorAlert();
  const form = h('form', { class: 'settings-form', 'aria-labelledby': 'settings-title', novalidate: true },
    demoField,
    providersBox,
    h('div', { class: 'form-actions' }, save, status),
    error.el,
  );
  const el = h('section', { class: 'settings-page', 'data-testid': 'settings-page' },
    h('div', { class: 'view-head' }, back, heading),
    form,
  );
  let fields: ProviderFields[] = [];

  function fill(settings: Settings): void {
    demo.checked = settings.demo_mode;
    fields = settings.providers.map((provider) => ({
      provider,
      clientId: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', 'data-testid': `client-id-${provider.id}` }),
      baseUrl: h('input', { type: 'url', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://', 'data-testid': `base-url-${provider.id}` }),
      secret: provider.needs_client_secret
        ? h('input', { type: 'password', autocomplete: 'off', spellcheck: 'false', 'data-testid': `client-secret-${provider.id}` })
        : null,
    }));
    providersBox.replaceChildren(...fields.map(({ provider, clientId, baseUrl, secret }) => {
      clientId.value = provider.client_id ?? '';
      baseUrl.value = provider.base_url ?? '';
      return h('fieldset', { class: 'provider-fieldset' },
        h('legend', {}, provider.display_name),
        field('Client ID', clientId, 'Leave empty to use Patchbay’s own.'),
        field('Base URL', baseUrl, 'Leave empty for the provider’s usual address.'),
        secret
          ? field(
              'Client secret',
              secret,
              provider.client_secret_saved
                ? 'Saved in your keychain. Type a new one to replace it.'
                : 'Kept in your keychain, never in a file.',
            )
          : null,
      );
    }));
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      error.show(null);
      status.textContent = 'Saving…';
      save.disabled = true;
      const settings: Settings = {
        demo_mode: demo.checked,
        providers: fields.map(({ provider, clientId, baseUrl }) => ({
          ...provider,
          client_id: blankToNull(clientId.value),
          base_url: blankToNull(baseUrl.value),
        })),
      };
      try {
        let saved = await ipc.saveSettings(settings);
        // New client secrets go to the keychain one by one, then leave the page.
        for (const { provider, secret } of fields) {
          const value = secret?.value.trim() ?? '';
          if (secret && value !== '') {
            saved = await ipc.setClientSecret(provider.id, value);
            secret.value = '';
          }
        }
        fill(saved);
        status.textContent = 'Settings saved.';
        options.onSaved(saved);
      } catch (err) {
        status.textContent = '';
        error.show(ipc.errorMessage(err, "We couldn't save your settings. Please try again."));
      } finally {
        save.disabled = false;
      }
    })();
  });

  return {
    el,
    async load() {
      heading.focus();
      error.show(null);
      status.textContent = '';
      try {
        fill(await ipc.getSettings());
      } catch (err) {
        error.show(ipc.errorMessage(err, "We couldn't load your settings. Please try again."));
      }
    },
  };
}
