import { afterEach, describe, expect, test } from 'vitest';
import { page } from 'vitest/browser';
import type { ProviderSettings } from '../bindings/ProviderSettings';
import type { Settings } from '../bindings/Settings';
import { mountApp, type Mounted } from '../test/mount';

let m: Mounted | undefined;
afterEach(() => {
  m?.unmount();
  m = undefined;
});

async function openSettings(tune?: Parameters<typeof mountApp>[0]): Promise<Mounted> {
  m = await mountApp(tune);
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect.element(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  return m;
}

describe('settings page', () => {
  test('loads settings, edits overrides and the demo switch, saves them', async () => {
    const mounted = await openSettings((b) => {
      b.settings.providers = b.settings.providers.map((p) => (p.id === 'clickfunnels' ? { ...p, client_id: 'old-id' } : p));
    });
    const demo = page.getByRole('switch', { name: /Demo mode/ });
    await expect.element(demo).toBeChecked();
    await expect.element(page.getByTestId('client-id-clickfunnels')).toHaveValue('old-id');

    await demo.click();
    await page.getByTestId('client-id-boomtown').fill('  my-client  ');
    // Base URLs are under Advanced, closed until asked for.
    expect(page.getByTestId('base-url-boomtown').element()).not.toBeVisible();
    await page.getByTestId('advanced-boomtown').getByText('Advanced').click();
    await page.getByTestId('base-url-boomtown').fill('https://sandbox.boomtown.test');
    await page.getByTestId('client-id-clickfunnels').fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.element(page.getByTestId('settings-status')).toHaveTextContent('Settings saved.');

    const saved = mounted.backend.callsOf('save_settings').at(-1)?.args.settings as Settings;
    expect(saved.demo_mode).toBe(false);
    expect(saved.providers.map((p) => [p.id, p.client_id, p.base_url])).toEqual([
      ['whatconverts', null, null],
      ['clickfunnels', null, null],
      ['webinargeek', null, null],
      ['boomtown', 'my-client', 'https://sandbox.boomtown.test'],
      ['emailoctopus', null, null],
    ]);
    // The banner follows the saved demo mode.
    expect(page.getByTestId('demo-banner').element()).not.toBeVisible();
  });

  test("BoomTown's client secret goes to set_client_secret, never into the settings, and leaves the page", async () => {
    const mounted = await openSettings();
    expect(page.getByTestId('client-secret-whatconverts').query()).toBeNull();
    const secret = page.getByTestId('client-secret-boomtown');
    expect(secret.element()).toHaveAttribute('type', 'password');
    await secret.fill('s3cret-value');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.element(page.getByTestId('settings-status')).toHaveTextContent('Settings saved.');
    expect(mounted.backend.callsOf('set_client_secret').map((c) => c.args)).toEqual([{ providerId: 'boomtown', secret: 's3cret-value' }]);
    expect(JSON.stringify(mounted.backend.callsOf('save_settings'))).not.toContain('s3cret-value');
    await expect.element(page.getByTestId('client-secret-boomtown')).toHaveValue('');
    await expect.element(page.getByText('Saved in your keychain. Type a new one to replace it.')).toBeVisible();
  });

  test('rejected provider files are listed with what is wrong, and only when there are some', async () => {
    const message = 'Patchbay ignored /home/ana/.config/patchbay/providers/boomtown.toml, line 3: unknown field `tokn_url`. It uses its built-in settings for that app instead.';
    await openSettings((b) => {
      b.settings.definition_errors = [{ file: '/home/ana/.config/patchbay/providers/boomtown.toml', message }];
    });
    const box = page.getByTestId('definition-errors');
    await expect.element(box).toBeVisible();
    await expect.element(box.getByRole('heading', { name: 'Some provider files were not used' })).toBeVisible();
    expect(page.getByTestId('definition-error').elements().map((e) => e.textContent)).toEqual([message]);
    m?.unmount();
    await openSettings();
    expect(page.getByTestId('definition-errors').element()).not.toBeVisible();
  });

  test('a build without demo mode says so and the switch cannot turn it on', async () => {
    const mounted = await openSettings((b) => {
      b.settings = { ...b.settings, demo_mode: false, demo_available: false };
    });
    const demo = page.getByRole('switch', { name: /Demo mode/ });
    await expect.element(demo).toBeDisabled();
    await expect.element(demo).not.toBeChecked();
    await expect.element(page.getByTestId('demo-unavailable')).toHaveTextContent('Demo mode is not in this build of Patchbay');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.element(page.getByTestId('settings-status')).toHaveTextContent('Settings saved.');
    const saved = mounted.backend.callsOf('save_settings').at(-1)?.args.settings as Settings;
    expect(saved.demo_mode).toBe(false);
  });

  test('demo mode in this build: no such sentence, the switch works', async () => {
    await openSettings();
    await expect.element(page.getByRole('switch', { name: /Demo mode/ })).toBeEnabled();
    expect(page.getByTestId('demo-unavailable').element()).not.toBeVisible();
  });

  test('every input has a label', async () => {
    await openSettings();
    await expect.element(page.getByTestId('client-id-boomtown')).toBeVisible();
    const inputs = [...document.querySelectorAll<HTMLInputElement>('.settings-page input')];
    // demo switch, 2 storage choices, 5 base URLs, 2 OAuth client ids, BoomTown's secret
    expect(inputs.length).toBe(11);
    for (const input of inputs) expect(input.labels?.length ?? 0).toBeGreaterThan(0);
  });

  test('"Refresh in the background" shows null, 0, 300 and a custom 10 s, and saves them unchanged', async () => {
    const secs: Record<string, number | null> = { whatconverts: 10, clickfunnels: 0, webinargeek: 300, boomtown: null, emailoctopus: 600 };
    const mounted = await openSettings((b) => {
      b.settings.providers = b.settings.providers.map((p) => ({ ...p, refresh_secs: secs[p.id] ?? null }));
    });
    const shown = (id: string): string => {
      const select = page.getByTestId(`refresh-${id}`).element() as HTMLSelectElement;
      return select.selectedOptions[0]?.textContent ?? '';
    };
    await expect.element(page.getByTestId('refresh-whatconverts')).toBeVisible();
    expect(shown('whatconverts')).toBe('Every 10 seconds');
    expect(shown('clickfunnels')).toBe('Off');
    expect(shown('webinargeek')).toBe('Every 5 minutes');
    expect(shown('boomtown')).toBe('Every 15 minutes (default)');
    expect(shown('emailoctopus')).toBe('Every 10 minutes');
    // The extra option sits in order of how often, and only where the file holds such a value.
    const labels = (id: string): string[] =>
      [...(page.getByTestId(`refresh-${id}`).element() as HTMLSelectElement).options].map((o) => o.textContent);
    expect(labels('whatconverts')).toEqual([
      'Off', 'Every 10 seconds', 'Every 5 minutes', 'Every 15 minutes (default)', 'Every 30 minutes', 'Hourly', 'Every 4 hours', 'Daily',
    ]);
    expect(labels('emailoctopus').slice(1, 4)).toEqual(['Every 5 minutes', 'Every 10 minutes', 'Every 15 minutes (default)']);
    expect(labels('boomtown')).toHaveLength(7);

    await page.getByRole('button', { name: 'Save' }).click();
    await expect.element(page.getByTestId('settings-status')).toHaveTextContent('Settings saved.');
    const first = mounted.backend.callsOf('save_settings').at(-1)?.args.settings as Settings;
    expect(Object.fromEntries(first.providers.map((p) => [p.id, p.refresh_secs]))).toEqual(secs);
  });

  test('"Refresh in the background" saves what the user picks: off, a choice, or back to the default', async () => {
    const mounted = await openSettings((b) => {
      b.settings.providers = b.settings.providers.map((p) => ({ ...p, refresh_secs: p.id === 'whatconverts' ? 10 : p.id === 'clickfunnels' ? 300 : null }));
    });
    await page.getByTestId('refresh-whatconverts').selectOptions('Hourly');
    await page.getByTestId('refresh-clickfunnels').selectOptions('Every 15 minutes (default)');
    await page.getByTestId('refresh-boomtown').selectOptions('Off');
    await page.getByTestId('refresh-webinargeek').selectOptions('Every 5 minutes');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.element(page.getByTestId('settings-status')).toHaveTextContent('Settings saved.');
    const saved = mounted.backend.callsOf('save_settings').at(-1)?.args.settings as Settings;
    expect(saved.providers.map((p) => [p.id, p.refresh_secs])).toEqual([
      ['whatconverts', 3600],
      ['clickfunnels', null],
      ['webinargeek', 300],
      ['boomtown', 0],
      ['emailoctopus', null],
    ]);
    // The page shows what was saved: 10 seconds is no longer a choice.
    const options = [...(page.getByTestId('refresh-whatconverts').element() as HTMLSelectElement).options].map((o) => o.textContent);
    expect(options).not.toContain('Every 10 seconds');
    expect((page.getByTestId('refresh-boomtown').element() as HTMLSelectElement).selectedOptions[0]?.textContent).toBe('Off');
  });

  test('settings from a shell without background refresh show the default and still save', async () => {
    const mounted = await openSettings((b) => {
      // What a shell older than refresh_secs answers: the field is missing.
      b.settings.providers = b.settings.providers.map((p) => {
        const old: Partial<ProviderSettings> = { ...p };
        delete old.refresh_secs;
        return old as ProviderSettings;
      });
    });
    await expect.element(page.getByTestId('refresh-whatconverts')).toBeVisible();
    expect((page.getByTestId('refresh-whatconverts').element() as HTMLSelectElement).selectedOptions[0]?.textContent)
      .toBe('Every 15 minutes (default)');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.element(page.getByTestId('settings-status')).toHaveTextContent('Settings saved.');
    const saved = mounted.backend.callsOf('save_settings').at(-1)?.args.settings as Settings;
    expect(saved.providers.map((p) => p.refresh_secs)).toEqual([null, null, null, null, null]);
  });

  test('each refresh select is labelled and described', async () => {
    await openSettings();
    await expect.element(page.getByTestId('refresh-emailoctopus')).toBeVisible();
    const selects = page.getByRole('combobox', { name: 'Refresh in the background' }).elements();
    expect(selects).toHaveLength(5);
    for (const select of selects) {
      const hint = document.getElementById(select.getAttribute('aria-describedby') ?? '');
      expect(hint?.textContent).toMatch(/^How often Patchbay fetches new and changed .+ records while it is open\./);
    }
  });

  test('a rejected save shows the message', async () => {
    await openSettings((b) => {
      b.fail('save_settings', 'That base URL is not a web address.', 'settings.invalid');
    });
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.element(page.getByRole('alert')).toHaveTextContent('That base URL is not a web address.');
  });

  test('API-key providers ask for no client id: they list their saved keys, with Replace and Forget', async () => {
    const mounted = await openSettings();
    await expect.element(page.getByTestId('provider-settings-whatconverts')).toBeVisible();
    for (const id of ['whatconverts', 'webinargeek', 'emailoctopus']) {
      expect(page.getByTestId(`client-id-${id}`).query()).toBeNull();
    }
    expect(page.getByTestId('provider-settings-clickfunnels').getByRole('group', { name: 'Use your own app' }).query()).not.toBeNull();
    await expect.element(page.getByTestId('saved-key-whatconverts')).toHaveTextContent(/^Acme Realty · saved .*2026/);
    await expect.element(page.getByTestId('provider-settings-emailoctopus')).toHaveTextContent('No EmailOctopus key is saved.');

    await page.getByRole('button', { name: 'Forget the key of Acme Realty' }).click();
    await expect.element(page.getByTestId('settings-status')).toHaveTextContent('The WhatConverts key of Acme Realty is forgotten. Its records stay on this computer.');
    expect(mounted.backend.callsOf('forget_saved_key').map((c) => c.args)).toEqual([{ providerId: 'whatconverts', accountId: 'wc-acme' }]);
    expect(page.getByTestId('saved-key-whatconverts').query()).toBeNull();
  });

  test('Replace opens the key dialog of the tile in the real world; in the demo it says where to do it', async () => {
    await openSettings((b) => {
      b.settings = { ...b.settings, demo_mode: false };
      b.providers = b.providers.map((t) => (t.id === 'whatconverts'
        ? { ...t, auth: { kind: 'api_key', fields: [{ key: 'api_token', label: 'API token', secret: false }], help_url: null, help_text: 'In WhatConverts, open Integrations → API Keys.' } }
        : t));
    });
    await page.getByRole('button', { name: 'Replace the key of Acme Realty' }).click();
    await expect.element(page.getByRole('dialog', { name: 'Connect WhatConverts with an API key' })).toBeVisible();
    m?.unmount();
    m = undefined;

    await openSettings();
    await page.getByRole('button', { name: 'Replace the key of Acme Realty' }).click();
    await expect.element(page.getByTestId('notice')).toHaveTextContent(/turn demo mode off/);
  });

  test('secret storage is a two-way choice with its warning, saved with the page, and says where secrets are now', async () => {
    const mounted = await openSettings((b) => {
      b.settings = { ...b.settings, secrets_kept_in: 'nowhere' };
    });
    await expect.element(page.getByTestId('secret-storage-keychain')).toBeChecked();
    await expect.element(page.getByTestId('secrets-kept-in')).toHaveTextContent(/Now: nowhere/);
    await expect.element(page.getByTestId('secret-storage')).toHaveTextContent(/not encrypted/);
    await page.getByLabelText('A file, when this computer has no keychain').click();
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.element(page.getByTestId('settings-status')).toHaveTextContent('Settings saved.');
    const saved = mounted.backend.callsOf('save_settings').at(-1)?.args.settings as Settings;
    expect(saved.secret_storage).toBe('file_when_no_keychain');
    await expect.element(page.getByTestId('secret-storage-file')).toBeChecked();
  });

  test('demo mode says what it keeps apart', async () => {
    await openSettings();
    await expect.element(page.getByRole('group', { name: 'Which accounts Patchbay shows' })).toHaveTextContent(/kept apart/);
  });
});
