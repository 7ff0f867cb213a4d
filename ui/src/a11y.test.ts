// Every screen through axe-core, in the light and the dark theme: no serious or critical
// violation (contrast, names, roles, labels, dialogs). Runs on the real stylesheet.
import axe from 'axe-core';
import { afterEach, describe, expect, test } from 'vitest';
import { commands, page } from 'vitest/browser';
import { connectedAccount, type FakeBackend } from './test/fakeBackend';
import { mountApp, type Mounted } from './test/mount';

let m: Mounted | undefined;
afterEach(async () => {
  m?.unmount();
  m = undefined;
  await commands.setColorScheme('light');
});

/** The serious and critical violations on the page now, one line each. */
async function problems(): Promise<string[]> {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact ?? '?'}): ${n.target.join(' ')}: ${n.failureSummary ?? ''}`));
}

const withAccounts = (b: FakeBackend): void => {
  b.providers = b.providers.map((t) => (t.id === 'whatconverts'
    ? { ...t, accounts: [connectedAccount('wc-acme', 'Acme Realty', '2026-11-20T10:00:00Z', 250)] }
    : t));
};

interface Screen { name: string; tune?: (b: FakeBackend) => void; open: () => Promise<void> }

const screens: Screen[] = [
  {
    name: 'welcome',
    tune: (b) => {
      b.settings = { ...b.settings, welcome_seen: false };
    },
    open: async () => {
      await expect.element(page.getByRole('dialog', { name: 'Welcome to Patchbay' })).toBeVisible();
    },
  },
  {
    name: 'tiles',
    tune: withAccounts,
    open: async () => {
      await expect.element(page.getByTestId('tile-whatconverts')).toBeVisible();
    },
  },
  {
    name: 'API-key dialog',
    open: async () => {
      await page.getByRole('button', { name: /^EmailOctopus/ }).click();
      await expect.element(page.getByRole('dialog', { name: 'Connect EmailOctopus with an API key' })).toBeVisible();
    },
  },
  {
    name: 'client set-up dialog',
    tune: (b) => {
      b.settings = { ...b.settings, demo_mode: false };
      b.providers = b.providers.map((t) => (t.id === 'boomtown' ? { ...t, accounts: [] } : t));
    },
    open: async () => {
      await page.getByRole('button', { name: /^BoomTown/ }).click();
      await expect.element(page.getByRole('dialog', { name: 'Connect BoomTown with your own app' })).toBeVisible();
    },
  },
  {
    name: 'settings',
    open: async () => {
      await page.getByTestId('settings').click();
      await expect.element(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
    },
  },
  {
    name: 'records',
    tune: withAccounts,
    open: async () => {
      await page.getByRole('button', { name: /^WhatConverts/ }).click();
      await expect.element(page.getByTestId('records-view')).toBeVisible();
      await expect.element(page.getByTestId('records-grid')).toBeVisible();
    },
  },
  {
    name: 'people',
    open: async () => {
      await page.getByTestId('people').click();
      await expect.element(page.getByTestId('people-view')).toBeVisible();
      await expect.poll(() => document.querySelectorAll('[data-testid="person-row"]').length).toBeGreaterThan(0);
    },
  },
  {
    name: 'a person',
    open: async () => {
      await page.getByTestId('people').click();
      await page.getByTestId('person-row').first().getByRole('gridcell').first().click();
      await expect.element(page.getByTestId('person-page')).toBeVisible();
    },
  },
];

describe('accessibility (axe-core)', () => {
  for (const theme of ['light', 'dark'] as const) {
    for (const screen of screens) {
      test(`${screen.name}, ${theme} theme: no serious or critical violation`, async () => {
        await commands.setColorScheme(theme);
        expect(matchMedia('(prefers-color-scheme: dark)').matches).toBe(theme === 'dark');
        m = await mountApp(screen.tune);
        await screen.open();
        expect(await problems()).toEqual([]);
      });
    }
  }
});
