import { afterEach, describe, expect, test } from 'vitest';
import { page } from 'vitest/browser';
import { connectedAccount } from '../test/fakeBackend';
import { mountApp, type Mounted } from '../test/mount';

let m: Mounted | undefined;
afterEach(() => {
  m?.unmount();
  m = undefined;
});

describe('tiles with identity', () => {
  test("each tile shows its definition's monogram on its colour, what it holds and how it connects", async () => {
    m = await mountApp();
    const wc = page.getByTestId('tile-whatconverts');
    await expect.element(wc).toBeVisible();
    const mark = wc.element().querySelector<HTMLElement>('.tile-mark');
    if (!mark) throw new Error('no monogram');
    expect(mark.dataset.mark).toBe('WC');
    expect(getComputedStyle(mark, '::before').content).toContain('"WC"');
    expect(mark.getAttribute('aria-hidden')).toBe('true');
    expect(getComputedStyle(mark).backgroundColor).toBe('rgb(31, 110, 82)');
    const marks = [...document.querySelectorAll<HTMLElement>('.tile-mark')].map((e) => e.dataset.mark);
    expect(marks).toEqual(['WC', 'CF', 'WG', 'BT', 'EO']);
    // The name is what the tile shows in words, not the monogram or the hint again.
    await expect.element(wc).toHaveAccessibleName('WhatConverts — Leads — Acme Realty · connected');
    await expect.element(wc).toHaveAccessibleDescription(/Connects by approving in your browser/);
    await expect.element(page.getByTestId('tile-emailoctopus')).toHaveAccessibleDescription(/Connects with an API key you paste/);
  });

  test('a connected account shows its record count and last sync', async () => {
    m = await mountApp((b) => {
      b.providers = b.providers.map((t) => (t.id === 'whatconverts'
        ? { ...t, accounts: [connectedAccount('wc-acme', 'Acme Realty', '2026-11-20T10:00:00Z', 1234)] }
        : t));
    });
    await expect.element(page.getByTestId('account-whatconverts-0')).toHaveTextContent(/Connected · 1,234 records · last synced /);
  });

  test('a tile in trouble says what to do in one sentence; a healthy one says nothing', async () => {
    m = await mountApp();
    // The fake's BoomTown account needs reconnecting.
    await expect.element(page.getByTestId('tile-trouble-boomtown')).toHaveTextContent('Click Reconnect to let Patchbay in again.');
    await expect.element(page.getByTestId('tile-boomtown')).toHaveAccessibleDescription(/Click Reconnect/);
    expect(page.getByTestId('tile-trouble-whatconverts').element()).not.toBeVisible();
    expect(page.getByTestId('tile-trouble-clickfunnels').element()).not.toBeVisible();
  });

  test('a locked keychain tells the user to unlock it', async () => {
    m = await mountApp((b) => {
      b.providers = b.providers.map((t) => (t.id === 'webinargeek'
        ? { ...t, accounts: [{ account_id: 'wg', name: 'Webinars', state: { kind: 'unavailable', error: { code: 'vault.locked', message: 'Your keychain is locked.', advice: 'Unlock it.' } }, records: null }] }
        : t));
    });
    await expect.element(page.getByTestId('tile-trouble-webinargeek')).toHaveTextContent('Unlock your keychain, then come back to this window.');
  });
});
