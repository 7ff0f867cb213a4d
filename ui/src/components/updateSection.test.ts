import { afterEach, describe, expect, test } from 'vitest';
import { page } from 'vitest/browser';
import { mountApp, type Mounted } from '../test/mount';
import { downloadText } from './updateSection';

let m: Mounted | undefined;
afterEach(() => {
  m?.unmount();
  m = undefined;
});

async function openSettings(tune?: Parameters<typeof mountApp>[0]): Promise<Mounted> {
  m = await mountApp(tune);
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect.element(page.getByRole('heading', { name: 'Updates' })).toBeVisible();
  return m;
}

describe('updates in Settings', () => {
  test('up to date: says so, offers nothing to install', async () => {
    const mounted = await openSettings();
    await page.getByRole('button', { name: 'Check for updates' }).click();
    await expect.element(page.getByTestId('update-status')).toHaveTextContent('Patchbay is up to date.');
    expect(page.getByRole('button', { name: 'Download and verify' }).query()).toBeNull();
    expect(mounted.backend.callsOf('install_update')).toEqual([]);
  });

  test('a newer version: shows it with its notes, downloads with progress, says how to install', async () => {
    const mounted = await openSettings((b) => {
      b.update = { version: '0.2.0', current_version: '0.1.0', notes: 'Faster People search.' };
    });
    await page.getByRole('button', { name: 'Check for updates' }).click();
    await expect.element(page.getByTestId('update-status')).toHaveTextContent('Patchbay 0.2.0 is available (you have 0.1.0).');
    await expect.element(page.getByTestId('update-notes')).toHaveTextContent('Faster People search.');
    await page.getByRole('button', { name: 'Download and verify' }).click();
    await expect.element(page.getByTestId('update-status')).toHaveTextContent('Patchbay 0.2.0 is downloaded and its signature verified.');
    await expect.element(page.getByTestId('update-result')).toHaveTextContent(
      "Saved to /home/ana/Downloads/Patchbay_0.2.0_amd64.deb. Close Patchbay, then in a terminal run: sudo apt install '/home/ana/Downloads/Patchbay_0.2.0_amd64.deb'",
    );
    expect(mounted.backend.callsOf('install_update')).toHaveLength(1);
  });

  test('a refused update shows its sentence and advice, and offers no result', async () => {
    const mounted = await openSettings((b) => {
      b.update = { version: '0.2.0', current_version: '0.1.0', notes: null };
    });
    mounted.backend.fail('install_update', "The update does not carry Patchbay's signature, so Patchbay refused it.", 'update.bad_signature');
    await page.getByRole('button', { name: 'Check for updates' }).click();
    await page.getByRole('button', { name: 'Download and verify' }).click();
    const alert = page.getByTestId('update-section').getByRole('alert');
    await expect.element(alert).toHaveTextContent("The update does not carry Patchbay's signature, so Patchbay refused it.");
    expect(alert.element()).toHaveAttribute('data-code', 'update.bad_signature');
    expect(page.getByTestId('update-result').element()).not.toBeVisible();
  });

  test('progress in a sentence, with or without a known size', () => {
    expect(downloadText({ downloaded: 1_200_000, total: 14_700_000 })).toBe('Downloaded 1.2 of 14.7 MB');
    expect(downloadText({ downloaded: 500_000, total: null })).toBe('Downloaded 0.5 MB');
  });
});
