import { afterEach, describe, expect, test, vi } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import type { AccountView } from '../bindings/AccountView';
import type { ProviderTile } from '../bindings/ProviderTile';
import { connectedAccount, FakeBackend } from '../test/fakeBackend';
import { createTileList, type TileList } from './tileList';
import { mountApp, type Mounted } from '../test/mount';
import type { UserError } from '../bindings/UserError';

let m: Mounted | undefined;
afterEach(() => {
  vi.restoreAllMocks();
  m?.unmount();
  m = undefined;
});

/** The backend's tiles with `id`'s changed by `change`. */
function changed(b: FakeBackend, id: string, change: (tile: ProviderTile) => Partial<ProviderTile>): ProviderTile[] {
  return b.providers.map((t) => (t.id === id ? { ...t, ...change(t) } : t));
}

/** Gives WhatConverts a second account before the app starts. */
function twoWhatConvertsAccounts(b: FakeBackend): void {
  b.providers = changed(b, 'whatconverts', (t) => ({ accounts: [...t.accounts, connectedAccount('wc-lake', 'Lakeside Homes')] }));
}

function recordsView(): HTMLElement | null {
  return document.querySelector('[data-testid="records-view"]');
}

describe('provider tiles', () => {
  test('renders one button per provider from list_providers, names first', async () => {
    m = await mountApp();
    const list = page.getByTestId('tiles');
    await expect.element(list).toBeVisible();
    const buttons = m.root.querySelectorAll<HTMLButtonElement>('[data-testid="tiles"] button.tile');
    expect(buttons).toHaveLength(5);
    const names = [...buttons].map((b) => b.getAttribute('aria-label') ?? '');
    expect(names.map((n) => n.split(' — ')[0])).toEqual(['WhatConverts', 'ClickFunnels', 'WebinarGeek', 'BoomTown', 'EmailOctopus']);
    expect(names[0]).toBe('WhatConverts — Leads — Acme Realty · connected');
    expect(names[1]).toBe('ClickFunnels — Contacts and orders — Not connected');
    expect(names[3]).toBe('BoomTown — Real-estate leads — Harbor Homes · needs reconnecting');
    // The end-to-end tests find the tiles by these: one data-provider per tile, the tile's button.
    const tagged = m.root.querySelectorAll('[data-testid="tiles"] [data-provider]');
    expect([...tagged].map((t) => t.getAttribute('data-testid'))).toEqual(
      ['tile-whatconverts', 'tile-clickfunnels', 'tile-webinargeek', 'tile-boomtown', 'tile-emailoctopus'],
    );
    expect([...tagged].map((t) => t.getAttribute('data-state'))).toEqual(
      ['connected', 'not_connected', 'not_connected', 'needs_reconnect', 'not_connected'],
    );
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

  test('clicking a not-connected tile calls connect and shows the waiting state from the event', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: /^ClickFunnels/ }).click();
    await expect.element(page.getByRole('button', { name: /^ClickFunnels/ }))
      .toHaveAccessibleName('ClickFunnels — Contacts and orders — Waiting for you to approve in your browser');
    await expect.element(page.getByTestId('tile-clickfunnels')).toHaveAttribute('data-state', 'waiting_for_approval');
    expect(m.backend.callsOf('connect').map((c) => c.args)).toEqual([{ providerId: 'clickfunnels' }]);
    const cancel = page.getByRole('button', { name: 'Cancel connecting ClickFunnels' });
    await expect.element(cancel).toBeVisible();
    expect(cancel.element().getAttribute('data-testid')).toBe('cancel-connect-clickfunnels');
    await expect.element(page.getByRole('button', { name: 'Copy the ClickFunnels approval link' })).toBeVisible();
    // The extra buttons sit beside the tile button, never inside it.
    expect(cancel.element().closest('button.tile')).toBeNull();

    await cancel.click();
    await expect.element(page.getByRole('button', { name: /^ClickFunnels/ }))
      .toHaveAccessibleName('ClickFunnels — Contacts and orders — Not connected');
    expect(m.backend.callsOf('cancel_connect').map((c) => c.args)).toEqual([{ providerId: 'clickfunnels' }]);
    // Cancel went away with the wait: the keyboard is back on the tile, not lost.
    expect(document.activeElement).toBe(page.getByTestId('tile-clickfunnels').element());
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

  test('a tile lists its accounts, each with its state and Open, and offers Add another account', async () => {
    m = await mountApp(twoWhatConvertsAccounts);
    const accounts = page.getByRole('list', { name: 'WhatConverts accounts' });
    await expect.element(accounts).toBeVisible();
    const items = accounts.getByRole('listitem');
    expect(items.elements().map((e) => e.getAttribute('aria-label'))).toEqual(['Acme Realty', 'Lakeside Homes']);
    await expect.element(page.getByTestId('account-whatconverts-0')).toHaveAttribute('data-account-id', 'wc-acme');
    await expect.element(page.getByTestId('account-whatconverts-1')).toHaveAttribute('data-account-id', 'wc-lake');
    await expect.element(page.getByTestId('account-whatconverts-0')).toHaveTextContent(/Connected · last synced /);
    await expect.element(page.getByTestId('account-whatconverts-1')).toHaveTextContent('Connected · not synced yet');
    await expect.element(page.getByRole('button', { name: /^WhatConverts/ })).toHaveAccessibleName('WhatConverts — Leads — 2 accounts');
    const openLake = page.getByRole('button', { name: 'Open Lakeside Homes in WhatConverts' });
    expect(openLake.element().getAttribute('data-testid')).toBe('open-account-whatconverts-1');
    const add = page.getByRole('button', { name: 'Add another WhatConverts account' });
    await expect.element(add).toBeVisible();
    expect(add.element().getAttribute('data-testid')).toBe('add-account-whatconverts');
    // Without accounts there is nothing to add another to.
    expect(page.getByTestId('add-account-clickfunnels').element()).not.toBeVisible();
    expect(page.getByRole('list', { name: 'ClickFunnels accounts' }).query()).toBeNull();

    // With two accounts the tile cannot guess which: it takes the keyboard to the first.
    await page.getByRole('button', { name: /^WhatConverts/ }).click();
    expect(recordsView()).toBeNull();
    expect(document.activeElement).toBe(page.getByTestId('open-account-whatconverts-0').element());

    await openLake.click();
    await expect.element(page.getByTestId('records-view')).toHaveAttribute('data-account', 'wc-lake');
    expect(page.getByTestId('records-view').element().getAttribute('data-provider')).toBe('whatconverts');
    await expect.element(page.getByRole('heading', { name: 'WhatConverts · Lakeside Homes' })).toBeVisible();
  });

  test('focus stays where it is when an event updates the tiles', async () => {
    m = await mountApp();
    const open = page.getByTestId('open-account-whatconverts-0').element() as HTMLElement;
    open.focus();
    await m.backend.emit('providers-changed', changed(m.backend, 'whatconverts', () => ({
      accounts: [connectedAccount('wc-acme', 'Acme Realty', '2026-11-25T08:00:00Z')],
    })));
    await m.backend.emit('providers-changed', [...m.backend.providers].reverse());
    await expect.element(page.getByTestId('account-whatconverts-0')).toHaveTextContent(/last synced/);
    expect(m.root.querySelector('[data-testid="tiles"] [data-provider]')?.getAttribute('data-provider')).toBe('emailoctopus');
    expect(document.activeElement).toBe(open);
  });

  test('Open works from the keyboard', async () => {
    m = await mountApp();
    (page.getByTestId('open-account-whatconverts-0').element() as HTMLElement).focus();
    await userEvent.keyboard('{Enter}');
    await expect.element(page.getByTestId('records-view')).toHaveAttribute('data-account', 'wc-acme');
  });

  test('a new account arriving after Add another account opens its records, once', async () => {
    m = await mountApp();
    const backend = m.backend;
    await page.getByTestId('add-account-whatconverts').click();
    await expect.element(page.getByTestId('tile-whatconverts')).toHaveAttribute('data-state', 'waiting_for_approval');
    expect(backend.callsOf('connect').map((c) => c.args)).toEqual([{ providerId: 'whatconverts' }]);
    // The button that started it is gone while the browser waits; Cancel has the keyboard.
    expect(page.getByTestId('add-account-whatconverts').element()).not.toBeVisible();
    expect(document.activeElement).toBe(page.getByTestId('cancel-connect-whatconverts').element());

    await backend.approve('whatconverts', connectedAccount('wc-lake', 'Lakeside Homes'));
    await expect.element(page.getByTestId('records-view')).toHaveAttribute('data-account', 'wc-lake');
    await page.getByTestId('back').click();
    await expect.element(page.getByTestId('account-whatconverts-1')).toHaveAttribute('data-account-id', 'wc-lake');
    expect(page.getByTestId('account-whatconverts-0').element().getAttribute('data-account-id')).toBe('wc-acme');

    // Later events (a sync's new time, the same list again) open nothing more.
    await backend.emit('providers-changed', changed(backend, 'whatconverts', (t) => ({
      accounts: t.accounts.map((a) => (a.account_id === 'wc-lake' ? connectedAccount('wc-lake', 'Lakeside Homes', '2026-11-24T08:00:00Z') : a)),
    })));
    await expect.element(page.getByTestId('account-whatconverts-1')).toHaveTextContent(/last synced/);
    expect(recordsView()).toBeNull();
  });

  test('a connect that ends without a new account opens nothing, and is forgotten', async () => {
    m = await mountApp();
    const backend = m.backend;
    await page.getByRole('button', { name: /^ClickFunnels/ }).click();
    await expect.element(page.getByTestId('tile-clickfunnels')).toHaveAttribute('data-state', 'waiting_for_approval');
    // The approval expired: Rust ends the wait, no account came.
    await backend.emit('providers-changed', changed(backend, 'clickfunnels', () => ({ waiting_authorize_url: null })));
    await expect.element(page.getByTestId('tile-clickfunnels')).toHaveAttribute('data-state', 'not_connected');
    expect(recordsView()).toBeNull();
    // An account that turns up later (nobody here asked for it) does not jump into view.
    const later: AccountView = connectedAccount('cf-acme', 'Acme Funnels');
    await backend.emit('providers-changed', changed(backend, 'clickfunnels', () => ({ accounts: [later] })));
    await expect.element(page.getByTestId('account-clickfunnels-0')).toHaveAttribute('data-account-id', 'cf-acme');
    expect(recordsView()).toBeNull();
  });

  test('an event that changes nothing of the asked tile does not open anything', async () => {
    m = await mountApp();
    const backend = m.backend;
    await page.getByTestId('add-account-whatconverts').click();
    await expect.element(page.getByTestId('tile-whatconverts')).toHaveAttribute('data-state', 'waiting_for_approval');
    // Another provider's account changes while WhatConverts waits; the known account stays as it was.
    await backend.emit('providers-changed', changed(backend, 'webinargeek', () => ({ accounts: [connectedAccount('wg-1', 'Webinar Co')] })));
    await expect.element(page.getByTestId('account-webinargeek-0')).toBeVisible();
    expect(recordsView()).toBeNull();
    // The same account approved again (Rust recognised it): nothing new to open.
    await backend.approve('whatconverts', connectedAccount('wc-acme', 'Acme Realty', '2026-11-20T10:00:00Z'));
    await expect.element(page.getByTestId('tile-whatconverts')).toHaveAttribute('data-state', 'connected');
    expect(recordsView()).toBeNull();
    expect(page.getByTestId('account-whatconverts-1').query()).toBeNull();
  });

  test('needs_reconnect accounts say why, in a sentence per reason', async () => {
    m = await mountApp((b) => {
      b.providers = changed(b, 'clickfunnels', () => ({
        accounts: [{ account_id: 'cf-1', name: 'Funnel One', state: { kind: 'needs_reconnect', reason: 'address_changed' }, records: null }],
      }));
    });
    await expect.element(page.getByTestId('account-boomtown-0'))
      .toHaveTextContent('BoomTown ended the connection. Reconnect to go on.');
    await expect.element(page.getByTestId('account-clickfunnels-0'))
      .toHaveTextContent("ClickFunnels's address changed since you connected. Reconnect to approve the new address.");
    const reconnect = page.getByRole('button', { name: 'Reconnect Harbor Homes in BoomTown' });
    await expect.element(reconnect).toHaveAccessibleDescription('BoomTown ended the connection. Reconnect to go on.');
    // No Open on an account that needs reconnecting.
    expect(page.getByTestId('open-account-boomtown-0').element()).not.toBeVisible();
  });

  test('Reconnect connects again, and the account coming back connected opens its records', async () => {
    m = await mountApp();
    await page.getByRole('button', { name: 'Reconnect Harbor Homes in BoomTown' }).click();
    await expect.element(page.getByTestId('tile-boomtown')).toHaveAttribute('data-state', 'waiting_for_approval');
    expect(m.backend.callsOf('connect').map((c) => c.args)).toEqual([{ providerId: 'boomtown' }]);
    await m.backend.approve('boomtown', connectedAccount('bt-harbor', 'Harbor Homes'));
    await expect.element(page.getByTestId('records-view')).toHaveAttribute('data-account', 'bt-harbor');
    expect(page.getByTestId('records-view').element().getAttribute('data-provider')).toBe('boomtown');
  });

  test("the tile's own button reconnects its only account when it needs it", async () => {
    m = await mountApp();
    await page.getByTestId('tile-boomtown').click();
    await expect.element(page.getByTestId('tile-boomtown')).toHaveAttribute('data-state', 'waiting_for_approval');
    expect(m.backend.callsOf('connect').map((c) => c.args)).toEqual([{ providerId: 'boomtown' }]);
  });

  test('an unavailable account shows its error and offers no Open', async () => {
    m = await mountApp((b) => {
      b.providers = changed(b, 'webinargeek', () => ({
        accounts: [{ account_id: 'wg-1', name: 'Webinar Co', state: { kind: 'unavailable', error: { code: 'vault.locked', message: 'Your keychain is locked.', advice: 'Unlock it and try again.' } }, records: null }],
      }));
    });
    await expect.element(page.getByTestId('account-webinargeek-0')).toHaveTextContent('Your keychain is locked. Unlock it and try again.');
    expect(page.getByTestId('open-account-webinargeek-0').element()).not.toBeVisible();
    await page.getByTestId('tile-webinargeek').click();
    expect(recordsView()).toBeNull();
    expect(m.backend.callsOf('connect')).toHaveLength(0);
  });

  test('a connected account with unsaved tokens shows the warning and still offers Open', async () => {
    const warning: UserError = {
      code: 'vault.not_saved',
      message: "Patchbay could not save WebinarGeek's renewed connection in your keychain.",
      advice: 'Keep Patchbay open and unlock your keychain.',
    };
    m = await mountApp((b) => {
      b.providers = changed(b, 'webinargeek', () => ({
        accounts: [{ account_id: 'wg-1', name: 'Webinar Co', state: { kind: 'connected', last_synced: null, warning }, records: null }],
      }));
    });
    const item = page.getByTestId('account-webinargeek-0');
    await expect.element(item).toHaveTextContent(`${warning.message} ${warning.advice}`);
    await expect.element(item.getByRole('status')).toHaveAttribute('data-code', 'vault.not_saved');
    await expect.element(page.getByTestId('open-account-webinargeek-0')).toBeVisible();
    // Saved again: the warning goes.
    await m.backend.emit('providers-changed', changed(m.backend, 'webinargeek', () => ({
      accounts: [{ account_id: 'wg-1', name: 'Webinar Co', state: { kind: 'connected', last_synced: null, warning: null }, records: null }],
    })));
    await expect.element(item).not.toHaveTextContent(warning.message);
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

  test('a rejected connect shows what to do under what happened', async () => {
    m = await mountApp((b) => {
      const error: UserError = {
        code: 'connect.discovery',
        message: 'ClickFunnels did not say where to sign in.',
        advice: 'Try again in a few minutes.',
      };
      // Tauri rejects invoke() with the error object itself, not an Error.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      b.on('connect', () => Promise.reject(error));
    });
    await page.getByRole('button', { name: /^ClickFunnels/ }).click();
    const alert = page.getByRole('alert');
    await expect.element(alert).toHaveAttribute('data-code', 'connect.discovery');
    const lines = [...alert.element().querySelectorAll('p')].map((p) => p.textContent);
    expect(lines).toEqual(['ClickFunnels did not say where to sign in.', 'Try again in a few minutes.']);
    expect(alert.element().querySelector('[data-testid="error-advice"]')?.textContent).toBe('Try again in a few minutes.');
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

  test('providers-changed updates tiles without opening anything when nobody asked', async () => {
    m = await mountApp();
    await m.backend.emit('providers-changed', changed(m.backend, 'whatconverts', () => ({
      accounts: [{ account_id: 'wc-acme', name: 'Acme Realty', state: { kind: 'needs_reconnect', reason: 'ended' }, records: null }],
    })));
    await expect.element(page.getByRole('button', { name: /^WhatConverts/ })).toHaveAccessibleName(/Acme Realty · needs reconnecting$/);
    await expect.element(page.getByTestId('account-whatconverts-0')).toHaveTextContent('WhatConverts ended the connection.');
    expect(recordsView()).toBeNull();
  });

  test('clicking a tile with one connected account opens its records view', async () => {
    m = await mountApp();
    await page.getByTestId('tile-whatconverts').click();
    await expect.element(page.getByTestId('records-view')).toHaveAttribute('data-account', 'wc-acme');
    expect(m.backend.callsOf('connect')).toHaveLength(0);
    expect(m.backend.callsOf('list_resources').map((c) => c.args)).toEqual([{ providerId: 'whatconverts' }]);
  });

  test('a notice event shows a dismissable notice with its advice, naming the provider once', async () => {
    m = await mountApp();
    // BoomTown's wrong client secret, as the deep link's notice carries it.
    await m.backend.emit('notice', {
      level: 'error',
      code: 'connect.client_refused',
      message: "BoomTown did not accept Patchbay's client id or client secret.",
      advice: 'Check them in Settings, then click Connect.',
      provider: 'boomtown',
    });
    const notice = page.getByTestId('notice');
    await expect.element(notice).toHaveTextContent("BoomTown did not accept Patchbay's client id or client secret.");
    expect(notice.element().textContent.match(/BoomTown/g)).toHaveLength(1);
    expect(notice.element().getAttribute('data-code')).toBe('connect.client_refused');
    expect(page.getByTestId('notice-advice').element().textContent).toBe('Check them in Settings, then click Connect.');
    await page.getByRole('button', { name: 'Dismiss notice' }).click();
    expect(m.root.querySelector('[data-testid="notice"]')).toBeNull();
  });
});

describe('tile lists that overtake each other', () => {
  /** A tile list on a fake backend whose first list_providers answer waits for `release`. */
  function overtaken(): { backend: FakeBackend; list: TileList; fresh: ProviderTile[]; release: () => void } {
    const backend = new FakeBackend();
    backend.install();
    const old = backend.providers;
    const fresh = old.map((t) => (t.id === 'whatconverts' ? { ...t, display_name: 'WhatConverts (new)' } : t));
    let release = (): void => undefined;
    const held = new Promise<ProviderTile[]>((resolve) => {
      release = () => { resolve(old); };
    });
    let calls = 0;
    backend.on('list_providers', () => (++calls === 1 ? held : fresh));
    const list = createTileList({ onOpen: () => undefined, onApproved: () => undefined });
    document.body.replaceChildren(list.el);
    return { backend, list, fresh, release };
  }

  function firstTileName(list: TileList): string {
    return list.el.querySelector('button.tile')?.getAttribute('aria-label')?.split(' — ')[0] ?? '';
  }

  test('a load asked earlier that answers later does not bring back the older list', async () => {
    const { backend, list, release } = overtaken();
    try {
      const earlier = list.load(); // asked first (before a world switch), answers last
      await list.load();
      expect(firstTileName(list)).toBe('WhatConverts (new)');
      release();
      await earlier;
      expect(firstTileName(list)).toBe('WhatConverts (new)');
      expect(list.tiles()[0]?.display_name).toBe('WhatConverts (new)');
    } finally {
      backend.uninstall();
    }
  });

  test('an event that arrives while a load is asked wins over that load', async () => {
    const { backend, list, fresh, release } = overtaken();
    try {
      const asked = list.load();
      list.setTiles(fresh); // providers-changed, after the load was asked
      release();
      await asked;
      expect(firstTileName(list)).toBe('WhatConverts (new)');
    } finally {
      backend.uninstall();
    }
  });
});
