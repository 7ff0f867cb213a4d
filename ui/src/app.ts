import type { AccountView } from './bindings/AccountView';
import type { ProviderTile } from './bindings/ProviderTile';
import { createDemoBanner } from './components/demoBanner';
import { createNoticeArea } from './components/noticeArea';
import type * as PeopleScreen from './components/peopleView';
import type * as RecordsScreen from './components/recordsView';
import type { RecordsView } from './components/recordsView';
import { createSettingsPage } from './components/settingsPage';
import { createTileList } from './components/tileList';
import { createWelcomeDialog, type WelcomeChoice } from './components/welcomeDialog';
import * as ipc from './ipc';
import type { Settings } from './bindings/Settings';
import { h } from './lib/dom';
import { shownError } from './lib/userError';
import { loadInitialState, shellInitialState } from './lib/initialState';
import { afterNextPaint, mark, markShownAndPainted } from './lib/timing';
import { lazyModule, type LazyModule } from './lib/lazyModule';

// The records and People screens are chunks of their own, fetched once the tiles are painted:
// with the grid and the phone-number metadata they are most of the script, which the first
// screen would otherwise parse and run before the tiles (bench/README.md, "Start-up").
const screensOnDemand: LazyScreens = {
  records: lazyModule(() => import('./components/recordsView')),
  people: lazyModule(() => import('./components/peopleView')),
};

/** Where the lazily loaded screens come from (a test holds one back to open another meanwhile). */
export interface LazyScreens {
  records: LazyModule<typeof RecordsScreen>;
  people: LazyModule<typeof PeopleScreen>;
}

export interface App {
  el: HTMLElement;
  /** Shows the first screen (settings and tiles), then subscribes to the app's events after its paint. */
  start(): Promise<void>;
  destroy(): void;
}

type Screen = 'tiles' | 'records' | 'settings' | 'people';

export function createApp(screens: LazyScreens = screensOnDemand): App {
  const peopleButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'people' }, 'People');
  const settingsButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'settings' }, 'Settings');
  const helpButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'help', 'aria-haspopup': 'dialog' }, 'Help');
  const banner = createDemoBanner();
  const main = h('main', { class: 'main', id: 'main' });
  const tiles = createTileList({
    onOpen: openRecords,
    onApproved(tile, account) {
      // A connect that finishes while the user is elsewhere (settings, other records) waits on its tile.
      if (screen === 'tiles') openRecords(tile, account);
    },
  });
  const notices = createNoticeArea();
  const settingsPage = createSettingsPage({
    onBack: showTiles,
    onReplaceKey(providerId) {
      showTiles();
      // In the real world the tile takes a key; in the demo it signs in with the browser.
      if (!tiles.openKeyDialog(providerId)) {
        notices.add({ level: 'info', provider: providerId, message: 'Keys are replaced in your real accounts: turn demo mode off in Settings, then use Replace again.', advice: null, code: null });
      }
    },
    onSaved(settings) {
      banner.setDemo(settings.demo_mode);
      void tiles.load();
    },
  });
  const el = h('div', { class: 'app' },
    h('header', { class: 'app-header' }, h('h1', {}, 'Patchbay'),
      h('nav', { class: 'header-actions', 'aria-label': 'Screens' }, peopleButton, settingsButton, helpButton)),
    banner.el,
    notices.el,
    main,
  );
  settingsButton.addEventListener('click', () => {
    showScreen('settings');
    void settingsPage.load();
  });

  peopleButton.addEventListener('click', openPeople);

  const welcome = createWelcomeDialog({
    onClosed(choice) {
      void (async () => {
        // Seen once closed, whichever way: it does not open by itself again. Remembered
        // before a world is saved, so the two writes of the settings file never cross.
        try {
          await ipc.setWelcomeSeen(true);
        } catch (e) {
          notices.add({ level: 'error', provider: null, ...shownError(e, 'Patchbay could not remember that you saw the welcome; it will show again next time.') });
        }
        if (choice) await chooseWorld(choice);
      })();
    },
  });
  el.append(welcome.el);
  helpButton.addEventListener('click', () => {
    void ipc.getSettings().then(
      (s) => { welcome.open(s.demo_available, helpButton); },
      () => { welcome.open(true, helpButton); },
    );
  });

  /** Shows the world the welcome's button chose (saving Settings' demo mode when it changes). */
  async function chooseWorld(choice: WelcomeChoice): Promise<void> {
    const demo = choice === 'demo';
    try {
      const current = await ipc.getSettings();
      const saved: Settings = current.demo_mode === demo ? current : await ipc.saveSettings({ ...current, demo_mode: demo });
      banner.setDemo(saved.demo_mode);
      if (screen !== 'tiles') showTiles();
      await tiles.load();
    } catch (e) {
      notices.add({ level: 'error', provider: null, ...shownError(e, 'Patchbay could not switch worlds. Try again from Settings.') });
    }
  }

  let screen: Screen = 'tiles';
  let records: RecordsView | null = null;
  const unlisteners: ipc.Unlisten[] = [];
  /** Counts the screens asked for: a lazily loaded screen shows only if nothing was asked since. */
  let asked = 0;

  function showScreen(next: Screen, content?: HTMLElement): void {
    asked += 1;
    if (next !== 'records' && records) {
      records.destroy();
      records = null;
    }
    screen = next;
    for (const [button, on] of [[settingsButton, next === 'settings'], [peopleButton, next === 'people']] as const) {
      if (on) button.setAttribute('aria-current', 'page');
      else button.removeAttribute('aria-current');
    }
    main.replaceChildren(content ?? (next === 'settings' ? settingsPage.el : tiles.el));
  }

  function showTiles(): void {
    showScreen('tiles');
    const first = tiles.el.querySelector<HTMLElement>('h2');
    first?.setAttribute('tabindex', '-1');
    first?.focus();
  }

  /**
   * Shows a lazily loaded screen: at once when its module is there, else once it loads, unless
   * another screen was asked for meanwhile. A module that fails to load is said in a notice.
   */
  function withScreen<T>(lazy: LazyModule<T>, show: (module: T) => void): void {
    const ready = lazy.loaded();
    if (ready) {
      show(ready);
      return;
    }
    const ticket = ++asked;
    void lazy.load().then(
      (module) => {
        if (ticket === asked) show(module);
      },
      (e: unknown) => {
        if (ticket === asked) notices.add({ level: 'error', provider: null, ...shownError(e, 'Patchbay could not open this screen. Try again; if it keeps failing, restart Patchbay.') });
      },
    );
  }

  function openPeople(): void {
    withScreen(screens.people, (module) => {
      const view = module.createPeopleView({ providers: () => tiles.tiles(), onBack: showTiles });
      showScreen('people', view.el);
      void view.start();
    });
  }

  function openRecords(tile: ProviderTile, account: AccountView): void {
    mark('records-open'); // bench/: from here to `first-rows-painted`
    withScreen(screens.records, (module) => {
      records?.destroy();
      const view = module.createRecordsView({
        tile,
        account,
        onBack: showTiles,
        // The providers-changed event that follows the disconnect brings the tiles up to date.
        onDisconnected: showTiles,
      });
      records = view;
      showScreen('records', view.el);
      void view.start();
    });
  }

  return {
    el,
    async start() {
      showScreen('tiles');
      // The first screen comes with the page (or in one call): tiles, demo banner and the
      // welcome paint before any event subscription or other round trip.
      // Taken at once when the shell handed it over: an `await`, even of a value already there,
      // let the tiles wait up to 60 ms behind the page's other start-up work (bench/README.md).
      const initial = shellInitialState() ?? await loadInitialState().catch(() => null);
      banner.setDemo(initial?.settings.demo_mode ?? false);
      if (initial) {
        tiles.setTiles(initial.tiles);
        markShownAndPainted('tiles');
        if (!initial.settings.welcome_seen) welcome.open(initial.settings.demo_available, null);
      }
      await afterNextPaint();
      // Fetched while nothing else happens, so that opening a screen never waits for it.
      void screens.records.load().catch(() => undefined);
      void screens.people.load().catch(() => undefined);
      const subscriptions = await Promise.allSettled([
        ipc.onProvidersChanged((list) => {
          tiles.setTiles(list);
          // The open account went away (disconnected elsewhere): its records have no one behind them.
          const open = records;
          if (open && !list.some((t) => t.id === open.providerId && t.accounts.some((a) => a.account_id === open.accountId))) {
            showTiles();
          }
        }),
        ipc.onSyncProgress((progress) => {
          records?.handleProgress(progress);
        }),
        ipc.onNotice((notice) => {
          notices.add(notice);
        }),
      ]);
      for (const s of subscriptions) if (s.status === 'fulfilled') unlisteners.push(s.value);
      mark('subscribed');
      // Caught up once subscribed: a change between the first screen and the subscription
      // (a deep link given at launch completes while the window loads) sent an event no one
      // heard. Without a first screen this is the first list, and its error shows.
      await tiles.load();
      if (!initial) markShownAndPainted('tiles');
    },
    destroy() {
      welcome.close();
      welcome.el.remove();
      records?.destroy();
      for (const unlisten of unlisteners.splice(0)) unlisten();
    },
  };
}
