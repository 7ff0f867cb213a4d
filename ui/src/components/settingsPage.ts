import type { ProviderSettings } from '../bindings/ProviderSettings';
import type { Settings } from '../bindings/Settings';
import * as ipc from '../ipc';
import { h, uid } from '../lib/dom';
import { createErrorAlert } from './errorAlert';
import { createUpdateSection } from './updateSection';

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
  refresh: HTMLSelectElement;
}

/** The select's value for `refresh_secs: null` (the default, every 15 minutes). */
const DEFAULT_REFRESH = 'default';
const DEFAULT_REFRESH_SECS = 900;

/** The background-refresh choices: seconds (0 = off), or the default. */
const REFRESH_CHOICES: readonly { value: string; label: string }[] = [
  { value: '0', label: 'Off' },
  { value: '300', label: 'Every 5 minutes' },
  { value: DEFAULT_REFRESH, label: 'Every 15 minutes (default)' },
  { value: '1800', label: 'Every 30 minutes' },
  { value: '3600', label: 'Hourly' },
  { value: '14400', label: 'Every 4 hours' },
  { value: '86400', label: 'Daily' },
];

/** "Every 10 seconds", "Every 10 minutes", "Every minute": a value the list does not offer. */
export function refreshLabel(secs: number): string {
  if (secs % 60 !== 0) return `Every ${secs.toString()} ${secs === 1 ? 'second' : 'seconds'}`;
  const minutes = secs / 60;
  return minutes === 1 ? 'Every minute' : `Every ${minutes.toString()} minutes`;
}

/** The loaded value; a settings answer from a shell older than background refresh has none (the default). */
function loadedSecs(provider: ProviderSettings): number | null {
  return (provider as Partial<ProviderSettings>).refresh_secs ?? null;
}

/**
 * The "Refresh in the background" select for one provider. A value the settings file holds
 * that the list does not offer (say 10 seconds, for tests) shows as one more option.
 */
function refreshSelect(provider: ProviderSettings): HTMLSelectElement {
  const secs = loadedSecs(provider);
  const current = secs === null ? DEFAULT_REFRESH : secs.toString();
  const options = REFRESH_CHOICES.map((c) => h('option', { value: c.value }, c.label));
  if (!REFRESH_CHOICES.some((c) => c.value === current) && secs !== null) {
    // In order of how often: 10 seconds comes right after Off.
    const at = REFRESH_CHOICES.findIndex((c) => (c.value === DEFAULT_REFRESH ? DEFAULT_REFRESH_SECS : Number(c.value)) > secs);
    const custom = h('option', { value: current }, refreshLabel(secs));
    options.splice(at === -1 ? options.length : at, 0, custom);
  }
  const select = h('select', { 'data-testid': `refresh-${provider.id}` }, ...options);
  select.value = current;
  return select;
}

/** What the select says to save; unchanged, the loaded value stays exactly as it was. */
function refreshSecs(provider: ProviderSettings, select: HTMLSelectElement): number | null {
  const secs = loadedSecs(provider);
  if (select.value === (secs === null ? DEFAULT_REFRESH : secs.toString())) return secs;
  return select.value === DEFAULT_REFRESH ? null : Number(select.value);
}

function field(label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  input.id = uid('field');
  const hintEl = hint ? h('span', { class: 'hint', id: uid('hint') }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl);
}

const blankToNull = (value: string): string | null => (value.trim() === '' ? null : value.trim());

/** Demo switch and per-provider overrides (client id, base URL, background refresh). */
export function createSettingsPage(options: SettingsPageOptions): SettingsPage {
  const heading = h('h2', { tabindex: -1, id: 'settings-title' }, 'Settings');
  const back = h('button', { type: 'button', class: 'secondary back', 'data-testid': 'back' }, '← Your tools');
  back.addEventListener('click', () => {
    options.onBack();
  });
  const demo = h('input', { type: 'checkbox', role: 'switch', id: uid('demo'), 'data-testid': 'demo-switch' });
  const demoUnavailable = h('p', { class: 'hint', 'data-testid': 'demo-unavailable', hidden: true },
    'Demo mode is not in this build of Patchbay: it always uses your real accounts.');
  const demoField = h('div', { class: 'field switch-field' },
    demo,
    h('label', { for: demo.id }, 'Demo mode (use the built-in sandbox instead of your real accounts)'),
    demoUnavailable,
  );
  // Provider files from the user's own folder that Rust rejected: each with what is wrong.
  const definitionErrors = h('section', { class: 'definition-errors', role: 'alert', 'data-testid': 'definition-errors', hidden: true });
  const providersBox = h('div', { class: 'provider-settings' });
  const save = h('button', { type: 'submit', 'data-testid': 'save-settings' }, 'Save');
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'settings-status' });
  const error = createErrorAlert();
  const form = h('form', { class: 'settings-form', 'aria-labelledby': 'settings-title', novalidate: true },
    definitionErrors,
    demoField,
    providersBox,
    h('div', { class: 'form-actions' }, save, status),
    error.el,
  );
  const el = h('section', { class: 'settings-page', 'data-testid': 'settings-page' },
    h('div', { class: 'view-head' }, back, heading),
    form,
    // The page lives as long as the window, and so does the section's progress listener.
    createUpdateSection().el,
  );
  let fields: ProviderFields[] = [];
  let loaded: Settings | null = null;

  function showDefinitionErrors(settings: Settings): void {
    const problems = settings.definition_errors;
    definitionErrors.hidden = problems.length === 0;
    definitionErrors.replaceChildren(
      h('h3', {}, 'Some provider files were not used'),
      h('ul', {}, ...problems.map((p) => h('li', { 'data-testid': 'definition-error' }, p.message))),
    );
  }

  function fill(settings: Settings): void {
    loaded = settings;
    demo.checked = settings.demo_mode;
    demo.disabled = !settings.demo_available;
    demoUnavailable.hidden = settings.demo_available;
    showDefinitionErrors(settings);
    fields = settings.providers.map((provider) => ({
      provider,
      clientId: h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', 'data-testid': `client-id-${provider.id}` }),
      baseUrl: h('input', { type: 'url', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://', 'data-testid': `base-url-${provider.id}` }),
      secret: provider.needs_client_secret
        ? h('input', { type: 'password', autocomplete: 'off', spellcheck: 'false', 'data-testid': `client-secret-${provider.id}` })
        : null,
      refresh: refreshSelect(provider),
    }));
    providersBox.replaceChildren(...fields.map(({ provider, clientId, baseUrl, secret, refresh }) => {
      clientId.value = provider.client_id ?? '';
      baseUrl.value = provider.base_url ?? '';
      return h('fieldset', { class: 'provider-fieldset' },
        h('legend', {}, provider.display_name),
        field(
          'Refresh in the background',
          refresh,
          `How often Patchbay fetches new and changed ${provider.display_name} records while it is open. Refresh still works any time.`,
        ),
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
        // What Rust reports and ignores on the way back (demo_available, definition_errors).
        demo_available: loaded?.demo_available ?? true,
        definition_errors: loaded?.definition_errors ?? [],
        demo_mode: demo.checked,
        providers: fields.map(({ provider, clientId, baseUrl, refresh }) => ({
          ...provider,
          client_id: blankToNull(clientId.value),
          base_url: blankToNull(baseUrl.value),
          refresh_secs: refreshSecs(provider, refresh),
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
        error.showError(err, "We couldn't save your settings. Please try again.");
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
      // The fields of the last visit stay shown until the current settings replace them.
      el.setAttribute('aria-busy', 'true');
      try {
        fill(await ipc.getSettings());
      } catch (err) {
        error.showError(err, "We couldn't load your settings. Please try again.");
      } finally {
        el.setAttribute('aria-busy', 'false');
      }
    },
  };
}
