import type { AccountState } from '../bindings/AccountState';
import type { AccountView } from '../bindings/AccountView';
import type { ProviderTile } from '../bindings/ProviderTile';
import * as ipc from '../ipc';
import { h, placeAt } from '../lib/dom';
import { createClientSetupDialog, type ClientSetupDialog } from './clientSetupDialog';
import { createErrorAlert } from './errorAlert';
import { createProviderTile, type TileActions, type TileView } from './providerTile';
import { asUserError, shownError, type Shown } from '../lib/userError';

export interface TileListOptions {
  /** The user asked for an account's records. */
  onOpen(tile: ProviderTile, account: AccountView): void;
  /** An account the user just connected (or reconnected) arrived. */
  onApproved(tile: ProviderTile, account: AccountView): void;
}

export interface TileList {
  el: HTMLElement;
  load(): Promise<void>;
  /** Applies a fresh list (the providers-changed event). */
  setTiles(tiles: ProviderTile[]): void;
  tiles(): ProviderTile[];
  /** Opens a provider's API-key dialog; false when its tile does not take a key here. */
  openKeyDialog(providerId: string): boolean;
}

/**
 * A connect the user started here (Connect, Add another account, Reconnect, or a saved key):
 * the accounts as they stood then, and whether the wait for the browser was seen.
 */
interface Asked {
  before: Map<string, AccountState['kind']>;
  sawWaiting: boolean;
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** The account a connect brought: one not there when it was asked for, or one reconnected. */
function arrived(tile: ProviderTile, asked: Asked): AccountView | undefined {
  return tile.accounts.find((a) => {
    if (a.state.kind !== 'connected') return false;
    const was = asked.before.get(a.account_id);
    return was === undefined || was === 'needs_reconnect';
  });
}

export function createTileList(options: TileListOptions): TileList {
  const list = h('ul', { class: 'tiles', role: 'list', 'data-testid': 'tiles', 'aria-label': 'Your tools' });
  const loadError = createErrorAlert();
  const el = h('section', { class: 'tiles-section', 'aria-labelledby': 'tiles-heading' },
    h('h2', { id: 'tiles-heading' }, 'Your tools'),
    loadError.el,
    list,
  );
  const views = new Map<string, TileView>();
  let current: ProviderTile[] = [];
  // Lists arrive from several places (the first screen, events, `load` answers) and answers can
  // overtake each other: a load asked before a world switch may answer after the switch's own
  // load. Each list is stamped when it was asked for (a load) or when it arrived (the first
  // screen, an event), and one older than the list shown is dropped.
  let stamp = 0;
  let shownStamp = 0;
  /**
   * Providers the user asked to connect here whose account has not come back yet. Tiles come
   * only from events (commands answer nothing), so the arrival is found by comparing accounts.
   */
  const asking = new Map<string, Asked>();

  function ask(tile: ProviderTile): void {
    const now = current.find((t) => t.id === tile.id) ?? tile;
    asking.set(tile.id, {
      before: new Map(now.accounts.map((a) => [a.account_id, a.state.kind])),
      sawWaiting: false,
    });
  }

  /** Runs a tile's command; its error shows next to the tile. Answers whether it succeeded. */
  async function run(tile: ProviderTile, call: (id: string) => Promise<void>, what: string): Promise<boolean> {
    const view = views.get(tile.id);
    view?.showError(null);
    view?.setBusy(true);
    try {
      await call(tile.id);
      return true;
    } catch (error) {
      view?.showError(shownError(error, `We couldn't ${what} ${tile.display_name}. Please try again.`));
      return false;
    } finally {
      view?.setBusy(false);
    }
  }

  /** The client set-up dialog of each provider that asked for one, made when first needed. */
  const clientDialogs = new Map<string, ClientSetupDialog>();

  /** Keeps the user's own client id (settings) and secret (keychain) for `tile`. */
  async function saveClient(tile: ProviderTile, clientId: string, secret: string): Promise<Shown | null> {
    try {
      const settings = await ipc.getSettings();
      await ipc.saveSettings({
        ...settings,
        providers: settings.providers.map((p) => (p.id === tile.id ? { ...p, client_id: clientId } : p)),
      });
      await ipc.setClientSecret(tile.id, secret);
      return null;
    } catch (error) {
      return shownError(error, `We couldn't save the ${tile.display_name} client. Please try again.`);
    }
  }

  function openClientSetup(tile: ProviderTile): void {
    let dialog = clientDialogs.get(tile.id);
    if (!dialog) {
      dialog = createClientSetupDialog({
        providerId: tile.id,
        providerName: tile.display_name,
        save: (clientId, secret) => saveClient(tile, clientId, secret),
        saved: () => {
          actions.connect(current.find((t) => t.id === tile.id) ?? tile);
        },
      });
      clientDialogs.set(tile.id, dialog);
      el.append(dialog.el);
    }
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : list;
    dialog.open(opener);
  }

  const actions: TileActions = {
    connect(tile) {
      ask(tile);
      const view = views.get(tile.id);
      view?.showError(null);
      view?.setBusy(true);
      ipc.connect(tile.id).then(() => {
        view?.setBusy(false);
      }, (error: unknown) => {
        view?.setBusy(false);
        asking.delete(tile.id);
        // A provider that wants the user's own client asks for it right here, in a dialog.
        if (asUserError(error)?.code === 'connect.needs_client_credentials') openClientSetup(tile);
        else view?.showError(shownError(error, `We couldn't connect ${tile.display_name}. Please try again.`));
      });
    },
    open(tile, account) {
      options.onOpen(tile, account);
    },
    cancel(tile) {
      asking.delete(tile.id);
      void run(tile, ipc.cancelConnect, 'cancel connecting');
    },
    async saveKey(tile, values) {
      ask(tile);
      try {
        await ipc.saveApiKey(tile.id, values);
        return null;
      } catch (error) {
        asking.delete(tile.id);
        return shownError(error, `We couldn't check that key with ${tile.display_name}. Please try again.`);
      }
    },
    async openKeyHelp(tile) {
      try {
        await ipc.openKeyHelp(tile.id);
        return null;
      } catch (error) {
        return shownError(error, "We couldn't open your browser.");
      }
    },
    copyLink(tile) {
      return tile.waiting_authorize_url !== null ? copyText(tile.waiting_authorize_url) : Promise.resolve(false);
    },
  };

  function setTiles(tiles: ProviderTile[]): void {
    stamp += 1;
    show(tiles, stamp);
  }

  function show(tiles: ProviderTile[], asked: number): void {
    if (asked < shownStamp) return;
    shownStamp = asked;
    current = tiles;
    const seen = new Set<string>();
    tiles.forEach((tile, position) => {
      seen.add(tile.id);
      let view = views.get(tile.id);
      if (view) {
        view.update(tile);
      } else {
        view = createProviderTile(tile, actions);
        views.set(tile.id, view);
      }
      placeAt(list, view.el, position); // keeps the order Rust gave, and the focus
    });
    for (const [id, view] of views) {
      if (!seen.has(id)) {
        view.el.remove();
        views.delete(id);
        asking.delete(id);
      }
    }
    let opened = false;
    for (const tile of tiles) {
      const asked = asking.get(tile.id);
      if (!asked) continue;
      const account = arrived(tile, asked);
      if (account) {
        asking.delete(tile.id);
        // One records view at a time: the first arrival opens, any other stays on its tile.
        if (!opened) options.onApproved(tile, account);
        opened = true;
      } else if (tile.waiting_authorize_url !== null) {
        asked.sawWaiting = true;
      } else if (asked.sawWaiting) {
        asking.delete(tile.id); // denied, cancelled or expired: nothing to open
      }
    }
  }

  return {
    el,
    setTiles,
    tiles: () => current,
    openKeyDialog(providerId) {
      const tile = current.find((t) => t.id === providerId);
      const view = views.get(providerId);
      if (!tile || !view) return false;
      ask(tile);
      return view.openKeyForm();
    },
    async load() {
      loadError.show(null);
      list.setAttribute('aria-busy', 'true');
      stamp += 1;
      const asked = stamp;
      try {
        show(await ipc.listProviders(), asked);
      } catch (error) {
        loadError.showError(error, "We couldn't load your tools. Please restart Patchbay.");
      } finally {
        list.setAttribute('aria-busy', 'false');
      }
    },
  };
}
