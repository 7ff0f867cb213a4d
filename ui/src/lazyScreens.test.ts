// The records and People screens are loaded on demand (their own chunks, fetched after the
// tiles paint): a screen asked for while one loads wins, and a chunk that fails to load says
// so and loads on the next try.
import { afterEach, describe, expect, test } from 'vitest';
import { page } from 'vitest/browser';
import type { LazyScreens } from './app';
import { lazyModule } from './lib/lazyModule';
import { connectedAccount } from './test/fakeBackend';
import { mountApp, type Mounted } from './test/mount';
import * as peopleView from './components/peopleView';
import * as recordsView from './components/recordsView';

let m: Mounted | undefined;

afterEach(() => {
  m?.unmount();
  m = undefined;
});

/** Screens whose records chunk waits for `release` (or fails with `failure` once). */
function heldScreens(): LazyScreens & { release(): void; failOnce(e: Error): void; asked: string[] } {
  const asked: string[] = [];
  let release = (): void => undefined;
  let held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let failure: Error | null = null;
  return {
    asked,
    release: () => {
      release();
    },
    failOnce(e) {
      failure = e;
      held = Promise.resolve();
    },
    records: {
      async load() {
        asked.push('records');
        await held;
        if (failure) {
          const e = failure;
          failure = null;
          throw e;
        }
        return recordsView;
      },
      loaded: () => undefined,
    },
    people: {
      load() {
        asked.push('people');
        return Promise.resolve(peopleView);
      },
      loaded: () => undefined,
    },
  };
}

/** The records view's start done (its statuses asked for after its subscription), before the fake backend goes. */
async function settled(): Promise<void> {
  await expect.element(page.getByTestId('records-grid')).toBeVisible();
  await expect.poll(() => m?.backend.callsOf('sync_statuses').length ?? 0).toBeGreaterThan(0);
}

async function mount(screens: LazyScreens): Promise<void> {
  m = await mountApp((b) => {
    b.providers = b.providers.map((t) => (t.id === 'whatconverts'
      ? { ...t, accounts: [connectedAccount('wc-acme', 'Acme Realty', '2026-11-20T10:00:00Z', 250)] }
      : t));
  }, screens);
}

describe('screens loaded on demand', () => {
  test('both are fetched once the tiles are painted, before anyone asks', async () => {
    const screens = heldScreens();
    await mount(screens);
    expect(screens.asked.sort()).toEqual(['people', 'records']);
    expect(document.querySelector('[data-testid="records-view"]')).toBeNull();
  });

  test('a screen asked for while the records load wins: the records never replace it', async () => {
    const screens = heldScreens();
    await mount(screens);
    await page.getByRole('button', { name: /^WhatConverts/ }).click();
    await page.getByTestId('settings').click();
    await expect.element(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
    screens.release();
    await screens.records.load();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(document.querySelector('[data-testid="records-view"]')).toBeNull();
    await expect.element(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  });

  test('records that fail to load say so, and open on the next click', async () => {
    const screens = heldScreens();
    await mount(screens);
    screens.failOnce(new Error('chunk unreadable'));
    await page.getByRole('button', { name: /^WhatConverts/ }).click();
    await expect.element(page.getByText('Patchbay could not open this screen. Try again; if it keeps failing, restart Patchbay.')).toBeVisible();
    await expect.element(page.getByTestId('tile-whatconverts')).toBeVisible();
    await page.getByRole('button', { name: /^WhatConverts/ }).click();
    await expect.element(page.getByTestId('records-view')).toBeVisible();
    await settled();
  });

  test('a screen already loaded opens within the click, with no wait', async () => {
    const screens: LazyScreens = {
      records: lazyModule(() => Promise.resolve(recordsView)),
      people: lazyModule(() => Promise.resolve(peopleView)),
    };
    await mount(screens);
    await expect.poll(() => screens.records.loaded()).toBe(recordsView);
    const open = page.getByRole('button', { name: /^WhatConverts/ }).element();
    if (!(open instanceof HTMLElement)) throw new Error('the tile is not a button');
    open.click();
    expect(document.querySelector('[data-testid="records-view"]')).not.toBeNull();
    await settled();
  });
});
