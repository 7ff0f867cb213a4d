import type { ProviderSettings } from '../bindings/ProviderSettings';
import type { Settings } from '../bindings/Settings';
import * as ipc from '../ipc';
import { h, uid } from '../lib/dom';
import { formatDate } from '../lib/format';
import { createErrorAlert } from './errorAlert';
import { createUpdateSection } from './updateSection';

export interface SettingsPageOptions {
  onBack(): void;
  onSaved(settings: Settings): void;
  /** Replace on a saved key: open the provider's key dialog for that account. */
  onReplaceKey?(providerId: string, accountId: string): void;
}

export interface SettingsPage {
  el: HTMLElement;
  load(): Promise<void>;
}

interface ProviderFields {
  provider: ProviderSettings;
  /** Only for OAuth providers ("Use your own app"). */
  clientId: HTMLInputElement | null;
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

/** Where the running app keeps secrets now, in a sentence. */
function keptInText(settings: Settings): string {
  switch (settings.secrets_kept_in) {
    case 'keychain':
      return 'Now: in your keychain.';
    case 'file':
      return 'Now: in the file, because this computer has no keychain.';
    case 'nowhere':
      return 'Now: nowhere. This computer has no keychain, so connecting fails until you choose the file (and restart) or set up a keychain.';
  }
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
  const demoField = h('fieldset', { class: 'sub-fieldset world-choice' },
    h('legend', {}, 'Which accounts Patchbay shows'),
    h('div', { class: 'field switch-field' },
      demo,
      h('label', { for: demo.id }, 'Demo mode (use the built-in sandbox instead of your real accounts)'),
    ),
    h('p', { class: 'hint' },
      'On: the demo, a safe playground with sample data. Off: your real accounts. The two are kept apart: each has its own sign-ins and keys in the keychain, its own saved records and its own accounts, so switching back and forth loses nothing and the demo never touches a real account.'),
    demoUnavailable,
  );
  // Where secrets go when this computer has no keychain (the no-keychain error points here).
  const keychainOnly = h('input', { type: 'radio', name: 'secret-storage', id: uid('storage'), 'data-testid': 'secret-storage-keychain' });
  const fileStorage = h('input', { type: 'radio', name: 'secret-storage', id: uid('storage'), 'data-testid': 'secret-storage-file' });
  const keptIn = h('p', { class: 'hint', 'data-testid': 'secrets-kept-in' });
  const storageField = h('fieldset', { class: 'sub-fieldset', 'data-testid': 'secret-storage' },
    h('legend', {}, 'Where sign-ins and keys are kept'),
    h('div', { class: 'radio-line' }, keychainOnly, h('label', { for: keychainOnly.id }, 'Your keychain only (recommended)')),
    h('div', { class: 'radio-line' }, fileStorage, h('label', { for: fileStorage.id }, 'A file, when this computer has no keychain')),
    h('p', { class: 'hint warning' },
      'The file is readable only by your user account, but it is not encrypted: anyone who can read your files, or a backup of them, can use your sign-ins and keys. A working keychain is always used first. A change applies the next time Patchbay starts.'),
    keptIn,
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
    storageField,
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
    fileStorage.checked = settings.secret_storage === 'file_when_no_keychain';
    keychainOnly.checked = !fileStorage.checked;
    keptIn.textContent = keptInText(settings);
    showDefinitionErrors(settings);
    fields = settings.providers.map((provider) => ({
      provider,
      clientId: provider.kind === 'oauth'
        ? h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', 'data-testid': `client-id-${provider.id}` })
        : null,
      baseUrl: h('input', { type: 'url', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://', 'data-testid': `base-url-${provider.id}` }),
      secret: provider.needs_client_secret
        ? h('input', { type: 'password', autocomplete: 'off', spellcheck: 'false', 'data-testid': `client-secret-${provider.id}` })
        : null,
      refresh: refreshSelect(provider),
    }));
    providersBox.replaceChildren(...fields.map(({ provider, clientId, baseUrl, secret, refresh }) => {
      if (clientId) clientId.value = provider.client_id ?? '';
      baseUrl.value = provider.base_url ?? '';
      return h('fieldset', { class: 'provider-fieldset', 'data-testid': `provider-settings-${provider.id}` },
        h('legend', {}, provider.display_name),
        field(
          'Refresh in the background',
          refresh,
          `How often Patchbay fetches new and changed ${provider.display_name} records while it is open. Refresh still works any time.`,
        ),
        provider.kind === 'api_key' ? savedKeys(provider) : ownApp(provider, clientId, secret),
        // What only an engineer would change: closed unless asked for.
        h('details', { class: 'advanced', 'data-testid': `advanced-${provider.id}` },
          h('summary', {}, 'Advanced'),
          field('Base URL', baseUrl, 'Leave empty for the provider’s usual address.'),
        ),
      );
    }));
  }

  /** An OAuth provider's own client: its id, and its secret where the provider wants one. */
  function ownApp(provider: ProviderSettings, clientId: HTMLInputElement | null, secret: HTMLInputElement | null): HTMLElement {
    return h('fieldset', { class: 'sub-fieldset' },
      h('legend', {}, 'Use your own app'),
      clientId
        ? field('Client ID', clientId, provider.needs_client_secret
          ? `${provider.display_name} lets in only apps it knows: paste the client id it gave you for Patchbay.`
          : 'Leave empty to use Patchbay’s own.')
        : null,
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
  }

  /** An API-key provider's saved keys: which account each opens, Replace and Forget. */
  function savedKeys(provider: ProviderSettings): HTMLElement {
    const keyStatus = h('p', { class: 'muted', role: 'status' });
    const keyError = createErrorAlert();
    const items = provider.saved_keys.map((key) => {
      const replace = h('button', { type: 'button', class: 'secondary small', 'data-testid': `replace-key-${provider.id}-${key.account_id}` }, 'Replace');
      const forget = h('button', { type: 'button', class: 'secondary small', 'data-testid': `forget-key-${provider.id}-${key.account_id}` }, 'Forget');
      replace.setAttribute('aria-label', `Replace the key of ${key.label}`);
      forget.setAttribute('aria-label', `Forget the key of ${key.label}`);
      replace.addEventListener('click', () => {
        options.onReplaceKey?.(provider.id, key.account_id);
      });
      forget.addEventListener('click', () => {
        void (async () => {
          keyError.show(null);
          forget.disabled = true;
          try {
            const next = await ipc.forgetSavedKey(provider.id, key.account_id);
            fill(next);
            status.textContent = `The ${provider.display_name} key of ${key.label} is forgotten. Its records stay on this computer.`;
          } catch (err) {
            forget.disabled = false;
            keyError.showError(err, `We couldn't forget that ${provider.display_name} key. Please try again.`);
          }
        })();
      });
      return h('li', { class: 'saved-key', 'data-testid': `saved-key-${provider.id}` },
        h('span', { class: 'saved-key-text' },
          h('span', { class: 'saved-key-label' }, key.label),
          h('span', { class: 'hint' }, key.saved_at ? ` · saved ${formatDate(key.saved_at)}` : ' · saved before Patchbay kept dates')),
        h('span', { class: 'saved-key-actions' }, replace, forget));
    });
    return h('section', { class: 'saved-keys', 'aria-label': `${provider.display_name} API keys` },
      h('h3', {}, 'API keys'),
      items.length > 0
        ? h('ul', { class: 'saved-key-list', role: 'list' }, ...items)
        : h('p', { class: 'muted' }, `No ${provider.display_name} key is saved. Click its tile in your real accounts to paste one.`),
      h('p', { class: 'hint' }, 'Keys are kept in your keychain; Patchbay never shows them again.'),
      keyStatus,
      keyError.el,
    );
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void (async () => {
      error.show(null);
      status.textContent = 'Saving…';
      save.disabled = true;
      const settings: Settings = {
        // What Rust reports and ignores on the way back (demo_available, definition_errors, welcome_seen).
        demo_available: loaded?.demo_available ?? true,
        definition_errors: loaded?.definition_errors ?? [],
        welcome_seen: loaded?.welcome_seen ?? true,
        secrets_kept_in: loaded?.secrets_kept_in ?? 'keychain',
        secret_storage: fileStorage.checked ? 'file_when_no_keychain' : 'keychain_only',
        demo_mode: demo.checked,
        providers: fields.map(({ provider, clientId, baseUrl, refresh }) => ({
          ...provider,
          client_id: clientId ? blankToNull(clientId.value) : provider.client_id,
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
