// The window's start: the first screen paints from the shell's value with no IPC round trip,
// events are subscribed after that paint, and a change in between is caught up.
import { afterEach, describe, expect, test } from 'vitest';
import { page } from 'vitest/browser';
import { createApp, type App } from './app';
import type { InitialState } from './bindings/InitialState';
import { FakeBackend, tiles as fakeTiles } from './test/fakeBackend';
import './styles.css';

const KEY = '__PATCHBAY_INITIAL_STATE__';
let app: App | undefined;
let backend: FakeBackend | undefined;

afterEach(() => {
  app?.destroy();
  app = undefined;
  document.body.replaceChildren();
  Reflect.deleteProperty(window, KEY);
  backend?.uninstall();
  backend = undefined;
});

/** Hands `initial` to the page as the shell's initialization script does. */
function inject(initial: InitialState): void {
  Object.defineProperty(window, KEY, { value: initial, configurable: true });
}

function mount(b: FakeBackend): Promise<void> {
  backend = b.install();
  app = createApp();
  document.body.replaceChildren(app.el);
  return app.start();
}

function markTime(name: string): number {
  const [entry] = performance.getEntriesByName(`patchbay:${name}`);
  if (!entry) throw new Error(`no mark ${name}`);
  return entry.startTime;
}

describe('start-up', () => {
  test('the tiles, the demo banner and the welcome paint from the shell\'s value before any command', async () => {
    performance.clearMarks();
    const b = new FakeBackend();
    b.settings = { ...b.settings, welcome_seen: false, demo_mode: true };
    inject({ settings: b.settings, tiles: b.providers });
    // The catch-up list is held: everything the first screen shows came without it.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    b.on('list_providers', async () => {
      await held;
      return b.providers;
    });
    const started = mount(b);
    // In the DOM before start() first yields: no await (not even of the value already there)
    // lets the page's other start-up work go first.
    expect(document.querySelector('[data-testid="tile-whatconverts"]')).not.toBeNull();
    await expect.element(page.getByTestId('tile-whatconverts')).toBeVisible();
    await expect.element(page.getByTestId('demo-banner')).toBeVisible();
    await expect.element(page.getByRole('dialog', { name: 'Welcome to Patchbay' })).toBeVisible();
    expect(b.callsOf('initial_state')).toEqual([]);
    expect(b.callsOf('get_settings')).toEqual([]);
    expect(performance.getEntriesByName('patchbay:first-screen-asked')).toEqual([]);
    release();
    await started;
    // Subscribed after the tiles' frame, then caught up with one list.
    expect(markTime('subscribed')).toBeGreaterThanOrEqual(markTime('tiles-painted'));
    expect(b.calls.map((c) => c.cmd)).toEqual(['list_providers']);
  });

  test('a connection that changed between the first screen and the subscription shows once subscribed', async () => {
    const b = new FakeBackend();
    // The shell's value predates a connect that finished while the page loaded.
    inject({ settings: b.settings, tiles: fakeTiles().map((t) => ({ ...t, accounts: [] })) });
    await mount(b);
    await expect.element(page.getByTestId('account-whatconverts-0')).toBeVisible();
  });

  test('without the shell\'s value the page asks once for the first screen', async () => {
    performance.clearMarks();
    const b = new FakeBackend();
    b.settings = { ...b.settings, welcome_seen: false };
    await mount(b);
    await expect.element(page.getByTestId('tile-whatconverts')).toBeVisible();
    await expect.element(page.getByRole('dialog', { name: 'Welcome to Patchbay' })).toBeVisible();
    expect(b.calls.map((c) => c.cmd)).toEqual(['initial_state', 'list_providers']);
    // The mark the e2e smoke test looks for: the shell's hand-off was missing.
    expect(performance.getEntriesByName('patchbay:first-screen-asked')).toHaveLength(1);
  });

  test('a first screen that cannot load leaves the tiles\' error, not a blank window', async () => {
    const b = new FakeBackend();
    b.fail('initial_state', 'Patchbay could not read its settings.');
    b.fail('list_providers', 'Patchbay could not read its settings.');
    await mount(b);
    await expect.element(page.getByText("Patchbay could not read its settings.")).toBeVisible();
    await expect.element(page.getByTestId('demo-banner')).not.toBeVisible();
  });
});
