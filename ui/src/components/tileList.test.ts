import { afterEach, describe, expect, test, vi } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import { mountApp, type Mounted } from '../test/mount';

let m: Mounted | undefined;
afterEach(() => {
  vi.restoreAllMocks();
  m?.unmount();
  m = undefined;
});

describe('provider tiles', () => {
  test('renders one button per provider from list_providers, names first', async () => {
    m = await mountApp();
    const list = page.getByTestId('tiles');
    await expect.element(list).toBeVisible();
    const buttons = m.root.querySelectorAll<HTMLButtonElement>('[data-testid="tiles"] button.tile');
    expect(buttons).toHaveLength(5);
    const names = [...buttons].map((b) => b.getAttribute('aria-label') ?? '');
    expect(names.map((n) => n.split(' — ')[0])).toEqual(['WhatConverts', 'ClickFunnels', 'WebinarGeek', 'BoomTown', 'EmailOctopus']);
    expect(names[1]).toBe('ClickFunnels — Contacts and orders — Not connected');
    expect(names[0]).toMatch(/^WhatConverts — Leads — Connected as ana@example\.com · last synced /);
    expect(names[3]).toBe('BoomTown — Real-estate leads — Needs reconnect');
    await expect.element(page.getByRole('button', { name: /^EmailOctopus/ })).toHaveAttribute('data-provider', 'emailoctopus');
    expect(m.backend.callsOf('list_providers')).toHaveLength(1);
  });

  test('follows whatever list Rust sends (not a hard-coded list)', async () => {
    m = await mountApp((b) => {
      b.providers = b.providers.slice(0, 2);
    });
    await expect.element(page.getByRole('button', { name: /^ClickFunnels/ })).toBeVisible();
    expect(m.root.querySelectorAll('button.tile')).toHaveLength(2);
  });

  test('shows the demo banner only in demo mode', async () => {
    m = await mountApp();
    await expect.element(page.getByText('Demo mode: connected to the built-in sandbox, not your real accounts.')).toBeVisible();
    m.unmount();
    m = await mountApp((b) => {
      b.settings = { ...b.settings, demo_mode: false };
    });
    await expect.element(page.getByTestId('tiles')).toBeVisible();
    expect(page.getByTestId('demo-banner').element()).not.toBeVisible();
  });

  test('clicking a not-connected tile calls connect and shows the waiting state', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: /^ClickFunnels/ }).click();
    await expect.element(page.getByRole('button', { name: /^ClickFunnels/ }))
      .toHaveAccessibleName('ClickFunnels — Contacts and orders — Waiting for you to approve in your browser');
    expect(m.backend.callsOf('connect').map((c) => c.args)).toEqual([{ providerId: 'clickfunnels' }]);
    const cancel = page.getByRole('button', { name: 'Cancel connecting ClickFunnels' });
    await expect.element(cancel).toBeVisible();
    await expect.element(page.getByRole('button', { name: 'Copy the ClickFunnels approval link' })).toBeVisible();
    // The extra buttons sit beside the tile button, never inside it.
    expect(cancel.element().closest('button.tile')).toBeNull();

    await cancel.click();
    await expect.element(page.getByRole('button', { name: /^ClickFunnels/ }))
      .toHaveAccessibleName('ClickFunnels — Contacts and orders — Not connected');
    expect(m.backend.callsOf('cancel_connect').map((c) => c.args)).toEqual([{ providerId: 'clickfunnels' }]);
  });

  test('Copy link copies the approval link, or shows it when the clipboard refuses', async () => {
    m = await mountApp();
    const write = vi.spyOn(navigator.clipboard, 'writeText').mockResolvedValueOnce(undefined);
    await page.getByRole('button', { name: /^ClickFunnels/ }).click();
    await page.getByRole('button', { name: 'Copy the ClickFunnels approval link' }).click();
    await expect.element(page.getByText('Link copied.')).toBeVisible();
    expect(write).toHaveBeenCalledWith('https://auth.example/clickfunnels?state=abc');

    write.mockRejectedValueOnce(new Error('denied'));
    await page.getByRole('button', { name: 'Copy the ClickFunnels approval link' }).click();
    await expect.element(page.getByRole('textbox', { name: /Paste this link into your browser/ }))
      .toHaveValue('https://auth.example/clickfunnels?state=abc');
  });

  test('Enter on a focused tile connects too (keyboard)', async () => {
    m = await mountApp();
    const tile = page.getByRole('button', { name: /^WebinarGeek/ });
    (tile.element() as HTMLElement).focus();
    await userEvent.keyboard('{Enter}');
    await expect.element(tile).toHaveAccessibleName(/Waiting for you to approve/);
    expect(m.backend.callsOf('connect').map((c) => c.args)).toEqual([{ providerId: 'webinargeek' }]);
  });

  test('an approval that arrives before connect answers still connects and opens the records', async () => {
    m = await mountApp((b) => {
      // The browser approved at once: the providers-changed event beats the command's answer.
      b.on('connect', async (args) => {
        const connected = b.providers.map((t) => (t.id === args.providerId
          ? { ...t, state: { kind: 'connected' as const, account: 'Acme Funnels', last_synced: null } }
          : t));
        await b.emit('providers-changed', connected);
        const waiting = connected.find((t) => t.id === args.providerId);
        if (!waiting) throw new Error('no such tile');
        return { ...waiting, state: { kind: 'waiting_for_approval', authorize_url: 'https://auth.example/cf?state=abc' } };
      });
    });
    await page.getByRole('button', { name: /^ClickFunnels/ }).click();
    await expect.element(page.getByTestId('records-view')).toBeVisible();
    expect(page.getByTestId('records-view').element().getAttribute('data-provider')).toBe('clickfunnels');
    await page.getByTestId('back').click();
    await expect.element(page.getByRole('button', { name: /^ClickFunnels/ })).toHaveAccessibleName(/Connected/);
  });

  test('a tile that needs reconnecting connects again and shows why', async () => {
    m = await mountApp();
    const tile = page.getByRole('button', { name: /^BoomTown/ });
    await expect.element(tile).toHaveAccessibleDescription('Token expired');
    await tile.click();
    await expect.element(tile).toHaveAccessibleName(/Waiting for you to approve/);
    expect(m.backend.callsOf('connect').map((c) => c.args)).toEqual([{ providerId: 'boomtown' }]);
  });

  test('a rejected connect shows its message next to the tile', async () => {
    m = await mountApp((b) => {
      b.fail('connect', 'ClickFunnels is not answering right now. Please try again in a few minutes.');
    });
    await page.getByRole('button', { name: /^ClickFunnels/ }).click();
    const alert = page.getByRole('alert');
    await expect.element(alert).toHaveTextContent('ClickFunnels is not answering right now. Please try again in a few minutes.');
    const item = alert.element().closest('li');
    expect(item?.querySelector('button.tile')?.getAttribute('data-provider')).toBe('clickfunnels');
    await expect.element(page.getByRole('button', { name: /^ClickFunnels/ })).toHaveAccessibleName(/Not connected$/);
  });

  test('a rejection that is not a CommandError shows a plain sentence, not internals', async () => {
    m = await mountApp((b) => {
      b.on('connect', () => Promise.reject(new Error('TypeError at foo.rs:12')));
    });
    await page.getByRole('button', { name: /^WebinarGeek/ }).click();
    await expect.element(page.getByRole('alert')).toHaveTextContent("We couldn't connect WebinarGeek. Please try again.");
    expect(m.root.textContent).not.toContain('foo.rs');
  });

  test('a failing list_providers shows an alert', async () => {
    m = await mountApp((b) => {
      b.fail('list_providers', 'Patchbay could not read its settings file.');
    });
    await expect.element(page.getByRole('alert')).toHaveTextContent('Patchbay could not read its settings file.');
  });

  test('providers-changed after approval opens the records view of the waiting provider', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: /^ClickFunnels/ }).click();
    await expect.element(page.getByRole('button', { name: /^ClickFunnels/ })).toHaveAccessibleName(/Waiting/);
    const next = m.backend.providers.map((p) => (p.id === 'clickfunnels'
      ? { ...p, state: { kind: 'connected' as const, account: 'bo@example.com', last_synced: null } }
      : p));
    await m.backend.emit('providers-changed', next);
    await expect.element(page.getByTestId('records-view')).toHaveAttribute('data-provider', 'clickfunnels');
    await expect.element(page.getByRole('heading', { name: 'ClickFunnels' })).toBeVisible();
  });

  test('providers-changed updates tiles without opening anything when nobody was waiting', async () => {
    m = await mountApp();
    const next = m.backend.providers.map((p) => (p.id === 'webinargeek'
      ? { ...p, state: { kind: 'needs_reconnect' as const, reason: 'Revoked' } }
      : p));
    await m.backend.emit('providers-changed', next);
    await expect.element(page.getByRole('button', { name: /^WebinarGeek/ })).toHaveAccessibleName(/Needs reconnect$/);
    expect(m.root.querySelector('[data-testid="records-view"]')).toBeNull();
  });

  test('clicking a connected tile opens its records view', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: /^WhatConverts/ }).click();
    await expect.element(page.getByTestId('records-view')).toBeVisible();
    expect(m.backend.callsOf('connect')).toHaveLength(0);
    expect(m.backend.callsOf('list_resources').map((c) => c.args)).toEqual([{ providerId: 'whatconverts' }]);
  });

  test('a notice event shows a dismissable notice', async () => {
    m = await mountApp();
    await m.backend.emit('notice', { level: 'error', message: 'A sign-in link was ignored because it did not come from Patchbay.', provider: 'boomtown' });
    const notice = page.getByTestId('notice');
    await expect.element(notice).toHaveTextContent('BoomTown: A sign-in link was ignored because it did not come from Patchbay.');
    await page.getByRole('button', { name: 'Dismiss notice' }).click();
    expect(m.root.querySelector('[data-testid="notice"]')).toBeNull();
  });
});
