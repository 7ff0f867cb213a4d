import { afterEach, describe, expect, test } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import { connectedAccount } from '../test/fakeBackend';
import { mountApp, type Mounted } from '../test/mount';

let m: Mounted | undefined;
afterEach(() => {
  m?.unmount();
  m = undefined;
});

const form = () => page.getByTestId('key-form-emailoctopus');
const dialog = () => page.getByRole('dialog', { name: 'Connect EmailOctopus with an API key' });
const keyField = () => page.getByLabelText('API key', { exact: true });

describe('API-key providers', () => {
  test('clicking the tile opens the key form in a modal dialog instead of the browser', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    await expect.element(form()).toBeVisible();
    await expect.element(dialog()).toBeVisible();
    // Modal: the rest of the window is inert, the focus is in the first field.
    expect(document.querySelector('dialog:modal')).toBe(dialog().element());
    expect(document.activeElement).toBe(keyField().element());
    await expect.element(page.getByRole('heading', { name: 'Connect EmailOctopus with an API key' })).toBeVisible();
    // Where the key lives, in the provider's own words.
    await expect.element(dialog().getByText('Find your API key in EmailOctopus under Integrations & API.')).toBeVisible();
    expect(keyField().element()).toHaveAttribute('type', 'password');
    expect(m.backend.callsOf('connect')).toHaveLength(0);
  });

  test('a masked field shows and hides its value, and is masked again next time', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    await keyField().fill('abc');
    const reveal = page.getByRole('button', { name: 'Show EmailOctopus API key' });
    await expect.element(reveal).toHaveAttribute('aria-pressed', 'false');
    await reveal.click();
    expect(keyField().element()).toHaveAttribute('type', 'text');
    const hide = page.getByRole('button', { name: 'Hide EmailOctopus API key' });
    await expect.element(hide).toHaveAttribute('aria-pressed', 'true');
    await hide.click();
    expect(keyField().element()).toHaveAttribute('type', 'password');
    await reveal.click();
    await page.getByTestId('key-cancel').click();
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    expect(keyField().element()).toHaveAttribute('type', 'password');
    expect((keyField().element() as HTMLInputElement).value).toBe('');
  });

  test('the fields and the Show button have one height', async () => {
    m = await mountApp((b) => {
      b.providers = b.providers.map((t) => (t.id === 'emailoctopus' && t.auth.kind === 'api_key'
        ? { ...t, auth: { ...t.auth, fields: [{ key: 'api_token', label: 'API token', secret: false }, { key: 'api_key', label: 'API key', secret: true }] } }
        : t));
    });
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    await expect.element(dialog()).toBeVisible();
    const heights = [...dialog().element().querySelectorAll('input, .reveal')].map((e) => Math.round(e.getBoundingClientRect().height));
    expect(heights).toHaveLength(3);
    expect(new Set(heights).size).toBe(1);
  });

  test('keyboard only: Tab stays in the dialog, Escape closes it and the tile has focus again', async () => {
    m = await mountApp();
    const tile = page.getByRole('button', { name: /^EmailOctopus/ });
    (tile.element() as HTMLElement).focus();
    await userEvent.keyboard('{Enter}');
    await expect.element(dialog()).toBeVisible();
    for (let i = 0; i < 8; i++) {
      await userEvent.keyboard('{Tab}');
      expect(dialog().element().contains(document.activeElement)).toBe(true);
    }
    for (let i = 0; i < 8; i++) {
      await userEvent.keyboard('{Shift>}{Tab}{/Shift}');
      expect(dialog().element().contains(document.activeElement)).toBe(true);
    }
    await userEvent.keyboard('{Escape}');
    await expect.element(page.getByTestId('key-dialog-emailoctopus')).not.toBeVisible();
    expect(document.activeElement).toBe(tile.element());
  });

  test('an empty key is asked for before anything is sent', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    await page.getByTestId('key-save').click();
    await expect.element(form().getByRole('alert')).toHaveTextContent('Paste your EmailOctopus API key first.');
    expect(m.backend.callsOf('save_api_key')).toHaveLength(0);
  });

  test('a rejected key is explained in plain words and the tile stays not connected', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    await keyField().fill('wrong-key');
    await page.getByTestId('key-save').click();
    await expect.element(form().getByRole('alert')).toHaveTextContent('EmailOctopus did not accept that API key.');
    expect(m.backend.callsOf('save_api_key').map((c) => c.args)).toEqual([{ providerId: 'emailoctopus', values: { api_key: 'wrong-key' } }]);
    await expect.element(page.getByRole('button', { name: /^EmailOctopus/ })).toHaveAccessibleName(/Not connected$/);
  });

  test('a good key connects, the form closes and clears, and the new account\'s records open', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    await keyField().fill('good-key');
    const input = keyField().element() as HTMLInputElement;
    await page.getByTestId('key-save').click();
    await expect.element(page.getByTestId('records-view')).toHaveAttribute('data-account', 'eo-octo');
    expect(page.getByTestId('records-view').element().getAttribute('data-provider')).toBe('emailoctopus');
    expect(m.backend.callsOf('save_api_key')).toHaveLength(1);
    // The key does not linger in the page once Rust has it.
    expect(input.value).toBe('');
  });

  test('the help link asks Rust to open the page in the browser; Escape closes the form', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    await page.getByTestId('key-help').click();
    expect(m.backend.callsOf('open_key_help').map((c) => c.args)).toEqual([{ providerId: 'emailoctopus' }]);
    await expect.element(page.getByTestId('key-status')).toHaveTextContent('EmailOctopus opened in your browser.');
    await keyField().fill('half typed');
    await userEvent.keyboard('{Escape}');
    await expect.element(form()).not.toBeVisible();
    expect((keyField().element() as HTMLInputElement).value).toBe('');
  });

  test('a help page that cannot open is told inside the dialog', async () => {
    m = await mountApp();
    m.backend.fail('open_key_help', 'Patchbay could not open your browser. The page is https://emailoctopus.com/api-documentation', 'app.browser_unavailable');
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    await page.getByTestId('key-help').click();
    await expect.element(dialog().getByRole('alert')).toHaveTextContent(/could not open your browser/);
  });

  test('Add another account opens the key form; Cancel gives the focus back to it', async () => {
    m = await mountApp((b) => {
      b.providers = b.providers.map((t) => (t.id === 'emailoctopus' ? { ...t, accounts: [connectedAccount('eo-first', 'First Lists')] } : t));
    });
    const add = page.getByTestId('add-account-emailoctopus');
    await add.click();
    await expect.element(form()).toBeVisible();
    expect(document.activeElement).toBe(keyField().element());
    await page.getByTestId('key-cancel').click();
    await expect.element(form()).not.toBeVisible();
    expect(document.activeElement).toBe(add.element());
    expect(m.backend.callsOf('connect')).toHaveLength(0);

    // A second key adds a second account, and that one opens.
    await add.click();
    await keyField().fill('good-key');
    await page.getByTestId('key-save').click();
    await expect.element(page.getByTestId('records-view')).toHaveAttribute('data-account', 'eo-octo');
    await page.getByTestId('back').click();
    await expect.element(page.getByTestId('account-emailoctopus-1')).toHaveAttribute('data-account-id', 'eo-octo');
    expect(page.getByTestId('account-emailoctopus-0').element().getAttribute('data-account-id')).toBe('eo-first');
  });

  test('an API-key account that needs reconnecting opens the key form, not the browser', async () => {
    m = await mountApp((b) => {
      b.providers = b.providers.map((t) => (t.id === 'emailoctopus'
        ? { ...t, accounts: [{ account_id: 'eo-octo', name: 'Octo Ltd', state: { kind: 'needs_reconnect', reason: 'ended' }, records: null }] }
        : t));
    });
    await page.getByRole('button', { name: 'Reconnect Octo Ltd in EmailOctopus' }).click();
    await expect.element(form()).toBeVisible();
    await keyField().fill('good-key');
    await page.getByTestId('key-save').click();
    // The same account, connected again: its records open.
    await expect.element(page.getByTestId('records-view')).toHaveAttribute('data-account', 'eo-octo');
    expect(m.backend.callsOf('connect')).toHaveLength(0);
  });
});

describe('switching worlds', () => {
  test('a tile follows its connect method when a new list of tiles changes it', async () => {
    m = await mountApp();
    const backend = m.backend;
    const eo = backend.providers.find((p) => p.id === 'emailoctopus');
    if (!eo) throw new Error('no EmailOctopus tile');
    const shown = (changes: Partial<typeof eo>) => backend.providers.map((p) => (p.id === eo.id ? { ...eo, ...changes } : p));
    // The demo world: every provider connects in the browser.
    await backend.emit('providers-changed', shown({ auth: { kind: 'oauth' } }));
    expect(document.querySelector('[data-testid="key-form-emailoctopus"]')).toBeNull();
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    expect(backend.callsOf('connect').map((c) => c.args)).toEqual([{ providerId: 'emailoctopus' }]);
    // Back in the real world: the key form again, and no browser.
    await backend.emit('providers-changed', shown({}));
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    await expect.element(form()).toBeVisible();
    expect(m.backend.callsOf('connect')).toHaveLength(1);
  });
});
