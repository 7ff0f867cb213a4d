import { afterEach, describe, expect, test } from 'vitest';
import { page } from 'vitest/browser';
import { connectedAccount } from '../test/fakeBackend';
import { mountApp, type Mounted } from '../test/mount';

let m: Mounted | undefined;
afterEach(() => {
  m?.unmount();
  m = undefined;
});

const form = () => page.getByTestId('key-form-emailoctopus');
const keyField = () => page.getByLabelText('API key', { exact: true });

describe('API-key providers', () => {
  test('clicking the tile opens the key form instead of the browser', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    await expect.element(form()).toBeVisible();
    await expect.element(page.getByRole('heading', { name: 'Connect EmailOctopus with an API key' })).toBeVisible();
    expect(keyField().element()).toHaveAttribute('type', 'password');
    expect(m.backend.callsOf('connect')).toHaveLength(0);
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

  test('the help link asks Rust to open the page; Escape closes the form', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: /^EmailOctopus/ }).click();
    await page.getByTestId('key-help').click();
    expect(m.backend.callsOf('open_key_help').map((c) => c.args)).toEqual([{ providerId: 'emailoctopus' }]);
    await keyField().fill('half typed');
    (keyField().element() as HTMLInputElement).dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await expect.element(form()).not.toBeVisible();
    expect((keyField().element() as HTMLInputElement).value).toBe('');
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
        ? { ...t, accounts: [{ account_id: 'eo-octo', name: 'Octo Ltd', state: { kind: 'needs_reconnect', reason: 'ended' } }] }
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
