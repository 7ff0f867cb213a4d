import type { AccountView } from '../bindings/AccountView';
import type { ProviderTile } from '../bindings/ProviderTile';
import type { ResourceView } from '../bindings/ResourceView';
import type { SyncProgress } from '../bindings/SyncProgress';
import type { SyncStatus } from '../bindings/SyncStatus';
import * as ipc from '../ipc';
import { h } from '../lib/dom';
import { mark } from '../lib/timing';
import { createDetailPanel } from './detailPanel';
import { createDisconnectConfirm } from './disconnectConfirm';
import { createErrorAlert } from './errorAlert';
import { createResourcePanel, type ResourcePanel } from './resourcePanel';
import { createSyncPanel, finishedWithChanges, type SyncPanel } from './syncPanel';
import { createTabs } from './tabs';

export interface RecordsViewOptions {
  tile: ProviderTile;
  /** The provider's account whose records these are. */
  account: AccountView;
  onBack(): void;
  /** The account is disconnected (the tiles come back by providers-changed). */
  onDisconnected(): void;
}

export interface RecordsView {
  el: HTMLElement;
  providerId: string;
  accountId: string;
  /** Loads the resources and opens the first tab. */
  start(): Promise<void>;
  handleProgress(progress: SyncProgress): void;
  destroy(): void;
}

/** One account's records at one provider: a tab per resource, each with its own table. */
export function createRecordsView(options: RecordsViewOptions): RecordsView {
  const { tile, account } = options;
  const back = h('button', { type: 'button', class: 'secondary back', 'data-testid': 'back' }, '← Your tools');
  back.addEventListener('click', () => {
    options.onBack();
  });
  const heading = h('h2', { tabindex: -1, class: 'view-title' },
    tile.display_name,
    h('span', { class: 'view-account' }, ` · ${account.name}`),
  );
  const holds = h('p', { class: 'muted' }, tile.holds);
  const disconnectButton = h('button', {
    type: 'button',
    class: 'secondary',
    'data-testid': 'disconnect',
    'aria-label': `Disconnect ${account.name} from ${tile.display_name}`,
  }, 'Disconnect');
  const disconnectError = createErrorAlert();
  const confirm = createDisconnectConfirm(tile.display_name, account.name, (keepRecords) => {
    void doDisconnect(keepRecords);
  }, () => disconnectButton);
  disconnectButton.addEventListener('click', () => {
    confirm.ask();
  });

  const loadError = createErrorAlert();
  const detail = createDetailPanel();
  const tabsSlot = h('div', { class: 'tabs-slot' });
  const syncSlot = h('div', { class: 'sync-slot' });
  const el = h('section', { class: 'records-view', 'data-testid': 'records-view', 'data-provider': tile.id, 'data-account': account.account_id, 'aria-labelledby': 'records-title' },
    h('div', { class: 'view-head' },
      back,
      h('div', { class: 'view-title-block' }, heading, holds),
      h('div', { class: 'view-actions' }, disconnectButton),
    ),
    confirm.el,
    disconnectError.el,
    loadError.el,
    syncSlot,
    h('div', { class: 'records-layout' }, tabsSlot, detail.el),
  );
  heading.id = 'records-title';

  const panels = new Map<string, ResourcePanel>();
  let resources: ResourceView[] = [];
  let syncPanel: SyncPanel | null = null;
  /** Events that came before the lists were known: shown once the panel exists. */
  const early: SyncStatus[] = [];
  let unlistenStatus: ipc.Unlisten | null = null;
  let destroyed = false;
  /** Settles once the first tab's first rows are painted (at once when nothing is stored). */
  let firstRowsPainted: Promise<void> = Promise.resolve();

  /** Keeps the `sync-status` subscription, or ends it if the view is gone (then false). */
  function keepSubscription(unlisten: ipc.Unlisten | null): boolean {
    if (destroyed) {
      unlisten?.();
      return false;
    }
    unlistenStatus = unlisten;
    return true;
  }

  /** A `sync-status` event: the sync panel shows it; a finished run with changes reloads its list. */
  function handleSyncStatus(status: SyncStatus): void {
    if (status.provider !== tile.id || status.account !== account.account_id) return;
    if (!syncPanel) {
      early.push(status);
      return;
    }
    const before = syncPanel.status(status.resource);
    if (!syncPanel.apply(status)) return;
    panels.get(status.resource)?.handleSyncStatus(status, finishedWithChanges(before, status));
  }

  async function doDisconnect(keepRecords: boolean): Promise<void> {
    disconnectError.show(null);
    disconnectButton.disabled = true;
    try {
      await ipc.disconnect(tile.id, account.account_id, keepRecords);
      options.onDisconnected();
    } catch (error) {
      disconnectError.showError(error, `We couldn't disconnect ${account.name} from ${tile.display_name}. Please try again.`);
      disconnectButton.disabled = false;
      disconnectButton.focus();
    }
  }

  function show(resourceId: string, panelEl: HTMLElement): void {
    const resource = resources.find((r) => r.id === resourceId);
    if (!resource) return;
    let panel = panels.get(resourceId);
    if (!panel) {
      panel = createResourcePanel({
        providerId: tile.id, accountId: account.account_id, providerName: tile.display_name, resource, detail,
        cached: (account.records ?? 0) > 0,
      });
      panels.set(resourceId, panel);
    }
    detail.close();
    // Only the selected resource's panel is in the document, so test ids stay unique.
    panelEl.replaceChildren(panel.el);
    const painted = panel.start();
    if (panels.size === 1) firstRowsPainted = painted;
  }

  return {
    el,
    providerId: tile.id,
    accountId: account.account_id,
    async start() {
      heading.focus();
      loadError.show(null);
      // The subscription goes out with the lists but only the lists are waited for: the first
      // page's query is the next call, alone (bench figure 5c). The statuses load once the
      // subscription is in, so no run that ends meanwhile is missed.
      const subscribed = ipc.onSyncStatus(handleSyncStatus).catch(() => null);
      const listed = await ipc.listResources(tile.id).then((r) => ({ ok: true as const, resources: r }), (error: unknown) => ({ ok: false as const, error }));
      if (destroyed) {
        void subscribed.then(keepSubscription);
        return;
      }
      if (!listed.ok) {
        void subscribed.then(keepSubscription);
        loadError.showError(listed.error, `We couldn't load what ${tile.display_name} holds. Please go back and try again.`);
        return;
      }
      resources = listed.resources;
      mark('records-listed');
      if (resources.length === 0) {
        void subscribed.then(keepSubscription);
        tabsSlot.replaceChildren(h('p', { class: 'muted' }, `${tile.display_name} has nothing to show yet.`));
        return;
      }
      const panel = createSyncPanel({ providerId: tile.id, accountId: account.account_id, providerName: tile.display_name, resources });
      syncPanel = panel;
      syncSlot.replaceChildren(panel.el);
      const tabs = createTabs(`${tile.display_name} records`, resources.map((r) => ({ id: r.id, label: r.label })), (id) => {
        show(id, tabs.panel);
      });
      tabsSlot.replaceChildren(tabs.el, tabs.panel);
      const first = resources[0];
      // Selecting the first tab asks for its first page.
      if (first) tabs.select(first.id);
      // With records stored, the statuses wait for the frame that draws the first rows.
      await firstRowsPainted;
      if (!keepSubscription(await subscribed)) return;
      await panel.load();
      for (const status of early.splice(0)) handleSyncStatus(status);
    },
    handleProgress(progress) {
      if (progress.provider_id !== tile.id || progress.account_id !== account.account_id) return;
      panels.get(progress.resource_id)?.handleProgress(progress);
    },
    destroy() {
      destroyed = true;
      unlistenStatus?.();
      unlistenStatus = null;
      for (const panel of panels.values()) panel.destroy();
      panels.clear();
    },
  };
}
