import type { ProviderTile } from '../bindings/ProviderTile';
import * as ipc from '../ipc';
import { h } from '../lib/dom';
import { createErrorAlert } from './errorAlert';
import { createProviderTile, type TileView } from './providerTile';

export interface TileListOptions {
  /** A connected tile was activated: open its records. */
  onOpen(tile: ProviderTile): void;
  /** A tile that was waiting for approval became connected. */
  onApproved(tile: ProviderTile): void;
}

export interface TileList {
  el: HTMLElement;
  load(): Promise<void>;
  /** Applies a fresh list (the providers-changed event). */
  setTiles(tiles: ProviderTile[]): void;
  tiles(): ProviderTile[];
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
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
  /** Providers the user asked to connect here and whose approval has not come back yet. */
  const approving = new Set<string>();

  function replace(tile: ProviderTile): void {
    current = current.map((t) => (t.id === tile.id ? tile : t));
    views.get(tile.id)?.update(tile);
  }

  /**
   * Runs a tile's command and shows its answer (`apply`), or its error next to the tile.
   * Answers whether the command succeeded.
   */
  async function run(
    tile: ProviderTile,
    call: (id: string) => Promise<ProviderTile>,
    what: string,
    apply: (next: ProviderTile) => void = replace,
  ): Promise<boolean> {
    const view = views.get(tile.id);
    view?.showError(null);
    view?.setBusy(true);
    try {
      apply(await call(tile.id));
      return true;
    } catch (error) {
      view?.showError(ipc.errorMessage(error, `We couldn't ${what} ${tile.display_name}. Please try again.`));
      return false;
    } finally {
      view?.setBusy(false);
    }
  }

  /**
   * Starts the browser approval. The approval can come back (as a providers-changed event)
   * before the connect command answers: a browser that approves at once and whose launcher
   * returns only when it is done. So the command's "waiting" answer must not overwrite a
   * connection that already arrived, and arriving opens the records either way.
   */
  async function connect(tile: ProviderTile): Promise<void> {
    approving.add(tile.id);
    const ok = await run(tile, ipc.connect, 'connect', (next) => {
      const now = current.find((t) => t.id === tile.id);
      if (!(next.state.kind === 'waiting_for_approval' && now?.state.kind === 'connected')) replace(next);
      if (next.state.kind === 'connected' && approving.delete(tile.id)) options.onApproved(next);
    });
    if (!ok) approving.delete(tile.id);
  }

  const actions = {
    activate(tile: ProviderTile): void {
      switch (tile.state.kind) {
        case 'not_connected':
        case 'needs_reconnect':
          if (tile.auth.kind === 'api_key') views.get(tile.id)?.openKeyForm();
          else void connect(tile);
          break;
        case 'connected':
          options.onOpen(tile);
          break;
        case 'waiting_for_approval':
          break;
      }
    },
    cancel(tile: ProviderTile): void {
      approving.delete(tile.id);
      void run(tile, ipc.cancelConnect, 'cancel connecting');
    },
    async saveKey(tile: ProviderTile, values: Record<string, string>): Promise<string | null> {
      try {
        const saved = await ipc.saveApiKey(tile.id, values);
        replace(saved);
        if (saved.state.kind === 'connected') options.onApproved(saved);
        return null;
      } catch (error) {
        return ipc.errorMessage(error, `We couldn't check that key with ${tile.display_name}. Please try again.`);
      }
    },
    openKeyHelp(tile: ProviderTile): void {
      const view = views.get(tile.id);
      ipc.openKeyHelp(tile.id).catch((error: unknown) => {
        view?.showError(ipc.errorMessage(error, "We couldn't open your browser."));
      });
    },
    copyLink(tile: ProviderTile): Promise<boolean> {
      return tile.state.kind === 'waiting_for_approval' ? copyText(tile.state.authorize_url) : Promise.resolve(false);
    },
  };

  function setTiles(tiles: ProviderTile[]): void {
    const before = new Map(current.map((t) => [t.id, t]));
    current = tiles;
    const seen = new Set<string>();
    for (const tile of tiles) {
      seen.add(tile.id);
      let view = views.get(tile.id);
      if (view) {
        view.update(tile);
      } else {
        view = createProviderTile(tile, actions);
        views.set(tile.id, view);
      }
      list.append(view.el); // keeps the order Rust gave
    }
    for (const [id, view] of views) {
      if (!seen.has(id)) {
        view.el.remove();
        views.delete(id);
      }
    }
    let opened = false;
    for (const tile of tiles) {
      if (tile.state.kind === 'not_connected' && before.get(tile.id)?.state.kind === 'waiting_for_approval') {
        approving.delete(tile.id); // denied, cancelled or expired
      }
      if (tile.state.kind !== 'connected') continue;
      const asked = approving.delete(tile.id);
      if (!opened && (asked || before.get(tile.id)?.state.kind === 'waiting_for_approval')) {
        options.onApproved(tile);
        opened = true;
      }
    }
  }

  return {
    el,
    setTiles,
    tiles: () => current,
    async load() {
      loadError.show(null);
      list.setAttribute('aria-busy', 'true');
      try {
        setTiles(await ipc.listProviders());
      } catch (error) {
        loadError.show(ipc.errorMessage(error, "We couldn't load your tools. Please restart Patchbay."));
      } finally {
        list.setAttribute('aria-busy', 'false');
      }
    },
  };
}
