import { afterEach, describe, expect, test } from 'vitest';
import { page } from 'vitest/browser';
import { mountApp, type Mounted } from '../test/mount';
import { downloadText, readyText } from './updateSection';

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
    expect(page.getByRole('button', { name: 'Download and install' }).query()).toBeNull();
    expect(mounted.backend.callsOf('install_update')).toEqual([]);
  });

  test('a newer version, this copy not from a package: downloads with progress, saves it, says how to install', async () => {
    const mounted = await openSettings((b) => {
      b.update = { version: '0.2.0', current_version: '0.1.0', notes: 'Faster People search.' };
    });
    await page.getByRole('button', { name: 'Check for updates' }).click();
    await expect.element(page.getByTestId('update-status')).toHaveTextContent('Patchbay 0.2.0 is available (you have 0.1.0).');
    await expect.element(page.getByTestId('update-notes')).toHaveTextContent('Faster People search.');
    await page.getByRole('button', { name: 'Download and install' }).click();
    await expect.element(page.getByTestId('update-status')).toHaveTextContent('Patchbay 0.2.0 is downloaded and its signature verified.');
    await expect.element(page.getByTestId('update-result')).toHaveTextContent(
      "This copy of Patchbay was not installed from a package, so it cannot replace itself. Patchbay 0.2.0 is saved and its signature verified. Close Patchbay, then in a terminal run: chmod +x '/home/ana/Downloads/Patchbay_0.2.0_amd64.AppImage' && '/home/ana/Downloads/Patchbay_0.2.0_amd64.AppImage'",
    );
    expect(mounted.backend.callsOf('install_update')).toHaveLength(1);
  });

  test('a newer version, installed from a package: installs it and asks for a restart', async () => {
    await openSettings((b) => {
      b.update = { version: '0.2.0', current_version: '0.1.0', notes: null };
      b.updateInstalls = true;
    });
    await page.getByRole('button', { name: 'Check for updates' }).click();
    await page.getByRole('button', { name: 'Download and install' }).click();
    await expect.element(page.getByTestId('update-status')).toHaveTextContent('Patchbay 0.2.0 is installed. Restart Patchbay to use it.');
    expect(page.getByTestId('update-result').element()).not.toBeVisible();
    expect(page.getByRole('button', { name: 'Download and install' }).query()).toBeNull();
  });

  test('a refused update shows its sentence and advice, and offers no result', async () => {
    const mounted = await openSettings((b) => {
      b.update = { version: '0.2.0', current_version: '0.1.0', notes: null };
    });
    mounted.backend.fail('install_update', "The update does not carry Patchbay's signature, so Patchbay refused it.", 'update.bad_signature');
    await page.getByRole('button', { name: 'Check for updates' }).click();
    await page.getByRole('button', { name: 'Download and install' }).click();
    const alert = page.getByTestId('update-section').getByRole('alert');
    await expect.element(alert).toHaveTextContent("The update does not carry Patchbay's signature, so Patchbay refused it.");
    expect(alert.element()).toHaveAttribute('data-code', 'update.bad_signature');
    expect(page.getByTestId('update-result').element()).not.toBeVisible();
  });

  test('progress in a sentence, with or without a known size', () => {
    expect(downloadText({ downloaded: 1_200_000, total: 14_700_000 })).toBe('Downloaded 1.2 of 14.7 MB');
    expect(downloadText({ downloaded: 500_000, total: null })).toBe('Downloaded 0.5 MB');
  });

  test('the status line for each outcome', () => {
    expect(readyText({ outcome: 'installed', version: '0.2.0', sentence: 'Patchbay 0.2.0 is installed. Restart Patchbay to use it.' }))
      .toBe('Patchbay 0.2.0 is installed. Restart Patchbay to use it.');
    expect(readyText({ outcome: 'saved', version: '0.2.0', path: '/d/P', sentence: 'Saved.' }))
      .toBe('Patchbay 0.2.0 is downloaded and its signature verified.');
  });
});
