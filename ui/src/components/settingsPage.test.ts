import { afterEach, describe, expect, test } from 'vitest';
import { page } from 'vitest/browser';
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
    await page.getByTestId('client-id-whatconverts').fill('  my-client  ');
    await page.getByTestId('base-url-boomtown').fill('https://sandbox.boomtown.test');
    await page.getByTestId('client-id-clickfunnels').fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.element(page.getByTestId('settings-status')).toHaveTextContent('Settings saved.');

    const saved = mounted.backend.callsOf('save_settings').at(-1)?.args.settings as Settings;
    expect(saved.demo_mode).toBe(false);
    expect(saved.providers.map((p) => [p.id, p.client_id, p.base_url])).toEqual([
      ['whatconverts', 'my-client', null],
      ['clickfunnels', null, null],
      ['webinargeek', null, null],
      ['boomtown', null, 'https://sandbox.boomtown.test'],
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

  test('every input has a label', async () => {
    await openSettings();
    await expect.element(page.getByTestId('client-id-emailoctopus')).toBeVisible();
    const inputs = [...document.querySelectorAll<HTMLInputElement>('.settings-page input')];
    expect(inputs.length).toBe(12); // demo switch, 5 × (client id, base URL), BoomTown's secret
    for (const input of inputs) expect(input.labels?.length ?? 0).toBeGreaterThan(0);
  });

  test('a rejected save shows the message', async () => {
    await openSettings((b) => {
      b.fail('save_settings', 'That base URL is not a web address.', 'invalid_settings');
    });
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.element(page.getByRole('alert')).toHaveTextContent('That base URL is not a web address.');
  });
});
