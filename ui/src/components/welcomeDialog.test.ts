import { afterEach, describe, expect, test } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import { mountApp, type Mounted } from '../test/mount';

let m: Mounted | undefined;
afterEach(() => {
  m?.unmount();
  m = undefined;
});

const firstStart = (demoMode = true) => (b: Parameters<NonNullable<Parameters<typeof mountApp>[0]>>[0]): void => {
  b.settings = { ...b.settings, welcome_seen: false, demo_mode: demoMode };
};

describe('welcome', () => {
  test('opens by itself on a first start, as a modal dialog that says what each world is', async () => {
    m = await mountApp(firstStart());
    const dialog = page.getByRole('dialog', { name: 'Welcome to Patchbay' });
    await expect.element(dialog).toBeVisible();
    expect(dialog.element()).toHaveProperty('open', true);
    await expect.element(dialog.getByText(/safe playground/i)).toBeVisible();
    await expect.element(dialog.getByText(/keychain/)).toBeVisible();
    // The first choice has focus, and the rest of the window is out of reach (modal).
    await expect.element(page.getByTestId('welcome-demo')).toHaveFocus();
    expect(document.querySelector('dialog:modal')).toBe(dialog.element());
  });

  test('does not open by itself once seen, and Help opens it again and gives focus back', async () => {
    m = await mountApp();
    expect(page.getByTestId('welcome').element()).not.toBeVisible();
    const help = page.getByRole('button', { name: 'Help' });
    await help.click();
    await expect.element(page.getByRole('dialog', { name: 'Welcome to Patchbay' })).toBeVisible();
    await userEvent.keyboard('{Escape}');
    await expect.element(page.getByTestId('welcome')).not.toBeVisible();
    await expect.element(help).toHaveFocus();
  });

  test('"Try the demo" from the real world switches to the demo and remembers the welcome was seen', async () => {
    const mounted = await mountApp(firstStart(false));
    await page.getByRole('button', { name: 'Try the demo' }).click();
    await expect.element(page.getByTestId('welcome')).not.toBeVisible();
    await expect.element(page.getByTestId('demo-banner')).toBeVisible();
    const calls = mounted.backend.calls.map((c) => c.cmd);
    // Remembered first, then the world saved: the two writes never cross.
    expect(calls.indexOf('set_welcome_seen')).toBeLessThan(calls.indexOf('save_settings'));
    expect(mounted.backend.callsOf('set_welcome_seen').map((c) => c.args)).toEqual([{ seen: true }]);
    expect(mounted.backend.settings.demo_mode).toBe(true);
    expect(mounted.backend.settings.welcome_seen).toBe(true);
  });

  test('"Use my real accounts" turns demo mode off and shows the tiles of the real world', async () => {
    const mounted = await mountApp(firstStart(true));
    const listed = mounted.backend.callsOf('list_providers').length;
    await page.getByRole('button', { name: 'Use my real accounts' }).click();
    await expect.element(page.getByTestId('demo-banner')).not.toBeVisible();
    expect(mounted.backend.settings.demo_mode).toBe(false);
    await expect.poll(() => mounted.backend.callsOf('list_providers').length).toBeGreaterThan(listed);
  });

  test('"Not now" keeps the world as it is but still remembers the welcome', async () => {
    const mounted = await mountApp(firstStart(true));
    await page.getByRole('button', { name: 'Not now' }).click();
    await expect.poll(() => mounted.backend.callsOf('set_welcome_seen').length).toBe(1);
    expect(mounted.backend.callsOf('save_settings')).toEqual([]);
    await expect.element(page.getByTestId('demo-banner')).toBeVisible();
  });

  test('a build without the demo offers only the real accounts', async () => {
    m = await mountApp((b) => {
      b.settings = { ...b.settings, welcome_seen: false, demo_mode: false, demo_available: false };
    });
    await expect.element(page.getByRole('dialog', { name: 'Welcome to Patchbay' })).toBeVisible();
    expect(page.getByRole('button', { name: 'Try the demo' }).query()).toBeNull();
    await expect.element(page.getByTestId('welcome-real')).toHaveFocus();
  });
});
