import { afterEach, describe, expect, test } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import { mountApp, type Mounted } from '../test/mount';

let m: Mounted | undefined;
afterEach(() => {
  m?.unmount();
  m = undefined;
});

const realWorld = (b: Parameters<NonNullable<Parameters<typeof mountApp>[0]>>[0]): void => {
  b.settings = { ...b.settings, demo_mode: false };
  b.providers = b.providers.map((t) => (t.id === 'boomtown' ? { ...t, accounts: [] } : t));
};
const dialog = () => page.getByRole('dialog', { name: 'Connect BoomTown with your own app' });

describe("BoomTown's client set-up", () => {
  test('connecting without a client asks for it in a dialog, saves it, then connects in the browser', async () => {
    const mounted = await mountApp(realWorld);
    const tile = page.getByRole('button', { name: /^BoomTown/ });
    await tile.click();
    await expect.element(dialog()).toBeVisible();
    expect(document.querySelector('dialog:modal')).toBe(dialog().element());
    expect(page.getByLabelText('Client secret', { exact: true }).element()).toHaveAttribute('type', 'password');
    // No error on the tile: the dialog is the answer.
    expect(page.getByTestId('tile-item-boomtown').getByRole('alert').query()).toBeNull();

    await page.getByLabelText('Client id', { exact: true }).fill('bt-client');
    await page.getByLabelText('Client secret', { exact: true }).fill('bt-secret');
    await page.getByRole('button', { name: 'Save and connect' }).click();
    await expect.element(tile).toHaveAccessibleName(/Waiting for you to approve/);

    const saved = mounted.backend.callsOf('save_settings').at(-1)?.args.settings;
    expect(JSON.stringify(saved)).toContain('"client_id":"bt-client"');
    expect(JSON.stringify(mounted.backend.callsOf('save_settings'))).not.toContain('bt-secret');
    expect(mounted.backend.callsOf('set_client_secret').map((c) => c.args)).toEqual([{ providerId: 'boomtown', secret: 'bt-secret' }]);
    expect(mounted.backend.callsOf('connect').map((c) => c.args)).toEqual([{ providerId: 'boomtown' }, { providerId: 'boomtown' }]);
  });

  test('Escape closes it, nothing is saved, and the tile has the focus back', async () => {
    const mounted = await mountApp(realWorld);
    const tile = page.getByRole('button', { name: /^BoomTown/ });
    (tile.element() as HTMLElement).focus();
    await userEvent.keyboard('{Enter}');
    await expect.element(dialog()).toBeVisible();
    await page.getByLabelText('Client id', { exact: true }).fill('half');
    await userEvent.keyboard('{Escape}');
    await expect.element(page.getByTestId('client-dialog-boomtown')).not.toBeVisible();
    expect(document.activeElement).toBe(tile.element());
    expect(mounted.backend.callsOf('save_settings')).toEqual([]);
    // Opened again, it starts empty.
    await tile.click();
    await expect.element(page.getByLabelText('Client id', { exact: true })).toHaveValue('');
  });

  test('a missing secret is asked for before anything is saved', async () => {
    const mounted = await mountApp(realWorld);
    await page.getByRole('button', { name: /^BoomTown/ }).click();
    await page.getByLabelText('Client id', { exact: true }).fill('bt-client');
    await page.getByRole('button', { name: 'Save and connect' }).click();
    await expect.element(dialog().getByRole('alert')).toHaveTextContent('Paste both the client id and the client secret from BoomTown first.');
    expect(document.activeElement).toBe(page.getByLabelText('Client secret', { exact: true }).element());
    expect(mounted.backend.callsOf('save_settings')).toEqual([]);
  });
});
