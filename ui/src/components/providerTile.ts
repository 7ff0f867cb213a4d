import type { AccountView } from '../bindings/AccountView';
import type { ProviderTile } from '../bindings/ProviderTile';
import { h, placeAt, uid } from '../lib/dom';
import { createAccountItem, type AccountItem } from './accountItem';
import { createApiKeyForm, type ApiKeyForm } from './apiKeyForm';
import { createErrorAlert } from './errorAlert';
import type { Shown } from '../lib/userError';

export interface TileActions {
  /** Starts a browser connect: a new account, or one that needs reconnecting. */
  connect(tile: ProviderTile): void;
  /** Opens the records of one of the tile's accounts. */
  open(tile: ProviderTile, account: AccountView): void;
  cancel(tile: ProviderTile): void;
  copyLink(tile: ProviderTile): Promise<boolean>;
  /** "Test and save" of the API-key form: an error sentence, or null once saved. */
  saveKey(tile: ProviderTile, values: Record<string, string>): Promise<Shown | null>;
  /** Opens the provider's key page in the system browser: null, or why it could not. */
  openKeyHelp(tile: ProviderTile): Promise<Shown | null>;
}

export interface TileView {
  el: HTMLLIElement;
  update(tile: ProviderTile): void;
  /** Shows a failure (its sentence and advice) next to the tile, or clears it with null. */
  showError(what: Shown | null): void;
  setBusy(busy: boolean): void;
  /** Opens the API-key dialog (Replace from Settings); false when the tile connects otherwise. */
  openKeyForm(): boolean;
}

/** The tile as a whole, for its button's `data-state` (and the end-to-end tests that read it). */
export type TileState = 'not_connected' | 'waiting_for_approval' | 'connected' | 'needs_reconnect' | 'unavailable';

export function tileState(tile: ProviderTile): TileState {
  if (tile.waiting_authorize_url !== null) return 'waiting_for_approval';
  const kinds = tile.accounts.map((a) => a.state.kind);
  if (kinds.length === 0) return 'not_connected';
  if (kinds.includes('connected')) return 'connected';
  if (kinds.includes('needs_reconnect')) return 'needs_reconnect';
  return 'unavailable';
}

/** One line under the tile's name: where the provider stands as a whole. */
export function summaryText(tile: ProviderTile): string {
  if (tile.waiting_authorize_url !== null) return 'Waiting for you to approve in your browser';
  const [only, ...others] = tile.accounts;
  if (!only) return 'Not connected';
  if (others.length > 0) return `${String(tile.accounts.length)} accounts`;
  switch (only.state.kind) {
    case 'connected':
      return `${only.name} · connected`;
    case 'needs_reconnect':
      return `${only.name} · needs reconnecting`;
    case 'unavailable':
      return `${only.name} · unavailable`;
  }
}

/** How the provider connects, in a marketer's words. */
export function connectsText(tile: ProviderTile): string {
  return tile.auth.kind === 'api_key' ? 'Connects with an API key you paste' : 'Connects by approving in your browser';
}

/** For a tile in trouble, what to do, in one sentence; null when all is well. */
export function troubleText(tile: ProviderTile): string | null {
  const states = tile.accounts.map((a) => a.state.kind);
  if (states.length === 0 || states.includes('connected')) return null;
  if (states.includes('needs_reconnect')) {
    return tile.accounts.length === 1 ? 'Click Reconnect to let Patchbay in again.' : 'Click Reconnect on an account below to let Patchbay in again.';
  }
  return 'Unlock your keychain, then come back to this window.';
}

/** What the tile's own button does now. */
type Primary =
  | { kind: 'none' }
  | { kind: 'connect' }
  | { kind: 'open'; account: AccountView }
  | { kind: 'reconnect' }
  | { kind: 'choose' }
  | { kind: 'show' };

function primaryOf(tile: ProviderTile): Primary {
  if (tile.waiting_authorize_url !== null) return { kind: 'none' };
  const [only, ...others] = tile.accounts;
  if (!only) return { kind: 'connect' };
  if (others.length > 0) return { kind: 'choose' };
  switch (only.state.kind) {
    case 'connected':
      return { kind: 'open', account: only };
    case 'needs_reconnect':
      return { kind: 'reconnect' };
    case 'unavailable':
      return { kind: 'show' };
  }
}

function hintText(primary: Primary): string {
  switch (primary.kind) {
    case 'none':
      return '';
    case 'connect':
      return 'Connect';
    case 'open':
      return 'Open records';
    case 'reconnect':
      return 'Reconnect';
    case 'choose':
      return 'Choose an account below';
    case 'show':
      return '';
  }
}

/**
 * One provider: its own button (name, what it holds, where it stands; it connects, or opens
 * the only account), its accounts as a list, "Add another account", and while a connect
 * waits for the browser, Cancel and Copy link. No button is ever nested in another.
 */
export function createProviderTile(initial: ProviderTile, actions: TileActions): TileView {
  let tile = initial;
  // The monogram is decoration: the name beside it says the same to a screen reader.
  const mark = h('span', { class: 'tile-mark', 'aria-hidden': 'true' });
  const name = h('span', { class: 'tile-name' });
  const holds = h('span', { class: 'tile-holds' });
  // Outside the button, so its name stays the words it shows (WCAG 2.5.3); it describes it.
  const connects = h('p', { class: 'tile-connects', id: uid('tile-connects') });
  const state = h('span', { class: 'tile-state' });
  const hint = h('span', { class: 'tile-hint', 'aria-hidden': 'true' });
  // The button's name holds every word it shows (WCAG 2.5.3: "WhatConverts — Leads — Not
  // connected"); the monogram and the hint are drawn by CSS from data attributes, so they
  // are seen and not read twice.
  const button = h('button', { type: 'button', class: 'tile' },
    // Spaces between the parts, so their words never run together when read as text.
    h('span', { class: 'tile-head' }, mark, h('span', { class: 'tile-title' }, name, ' ', holds)),
    ' ', state, hint);
  const trouble = h('p', { class: 'tile-trouble', hidden: true, id: uid('tile-trouble') });
  // The button's name is short (name, holds, state); how it connects and what to do are its description.
  button.setAttribute('aria-describedby', `${connects.id} ${trouble.id}`);

  const copyStatus = h('span', { class: 'copy-status', role: 'status' });
  const manualLink = h('input', { type: 'text', readonly: true, class: 'manual-link', hidden: true });
  const manualLabel = h('label', { class: 'manual-link-label', hidden: true }, 'Paste this link into your browser: ', manualLink);
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy link');
  const waitingActions = h('div', { class: 'tile-actions', hidden: true }, cancel, copy, copyStatus, manualLabel);

  const accountList = h('ul', { class: 'accounts', role: 'list', hidden: true });
  const accountItems = new Map<string, AccountItem>();
  const addAccount = h('button', { type: 'button', class: 'secondary add-account', hidden: true }, 'Add another account');
  const error = createErrorAlert();
  const el = h('li', { class: 'tile-item' }, button, connects, trouble, waitingActions, accountList, addAccount, error.el);

  let keyForm: ApiKeyForm | null = null;
  /** The connect method the current key form (or its absence) was made for. */
  let formFor = '';

  /**
   * Makes the key form follow the tile's connect method: switching worlds can turn an API-key
   * provider (real) into a browser one (demo) and back while the tile stays on screen.
   */
  function syncKeyForm(next: ProviderTile): void {
    const method = JSON.stringify(next.auth);
    if (method === formFor) return;
    formFor = method;
    keyForm?.el.remove();
    keyForm = null;
    const auth = next.auth;
    if (auth.kind !== 'api_key') return;
    keyForm = createApiKeyForm({
      providerId: next.id,
      providerName: next.display_name,
      fields: auth.fields,
      helpText: auth.help_text,
      hasHelpLink: auth.help_url !== null,
      submit: (values) => actions.saveKey(tile, values),
      openHelp: () => actions.openKeyHelp(tile),
      closed: () => {
        // The dialog gave focus back to its opener; if that went away meanwhile, the tile has it.
        if (!el.contains(document.activeElement)) button.focus();
      },
    });
    el.append(keyForm.el);
  }
  syncKeyForm(initial);

  /** Connects a new account (or again): the browser, or the key form for an API-key provider. */
  function startConnect(from: HTMLElement): void {
    if (keyForm) {
      keyForm.open(from);
    } else {
      actions.connect(tile);
    }
  }

  button.addEventListener('click', () => {
    const primary = primaryOf(tile);
    switch (primary.kind) {
      case 'none':
        break;
      case 'connect':
      case 'reconnect':
        startConnect(button);
        break;
      case 'open':
        actions.open(tile, primary.account);
        break;
      case 'choose':
      case 'show': {
        const first = tile.accounts[0];
        if (first) accountItems.get(first.account_id)?.focus();
        break;
      }
    }
  });
  addAccount.addEventListener('click', () => {
    startConnect(addAccount);
  });
  cancel.addEventListener('click', () => {
    actions.cancel(tile);
  });
  copy.addEventListener('click', () => {
    void actions.copyLink(tile).then((ok) => {
      if (ok) {
        copyStatus.textContent = 'Link copied.';
      } else if (tile.waiting_authorize_url !== null) {
        copyStatus.textContent = '';
        manualLink.value = tile.waiting_authorize_url;
        manualLabel.hidden = false;
        manualLink.hidden = false;
        manualLink.select();
      }
    });
  });

  const accountActions = {
    open(account: AccountView): void {
      actions.open(tile, account);
    },
    reconnect(account: AccountView): void {
      const item = accountItems.get(account.account_id);
      startConnect(item?.el.querySelector<HTMLElement>('button:not([hidden])') ?? button);
    },
  };

  function updateAccounts(next: ProviderTile, waiting: boolean): void {
    const seen = new Set<string>();
    next.accounts.forEach((account, position) => {
      seen.add(account.account_id);
      let item = accountItems.get(account.account_id);
      if (!item) {
        item = createAccountItem(next.id, next.display_name, account, accountActions);
        accountItems.set(account.account_id, item);
      }
      item.update(account, position, waiting);
      placeAt(accountList, item.el, position); // keeps the order Rust gave, and the focus
    });
    for (const [id, item] of accountItems) {
      if (!seen.has(id)) {
        item.el.remove();
        accountItems.delete(id);
      }
    }
    accountList.hidden = next.accounts.length === 0;
    accountList.setAttribute('aria-label', `${next.display_name} accounts`);
    accountList.dataset.testid = `accounts-${next.id}`;
  }

  function update(next: ProviderTile): void {
    const focused = document.activeElement instanceof HTMLElement && el.contains(document.activeElement)
      ? document.activeElement
      : null;
    const wasWaiting = tile.waiting_authorize_url !== null;
    tile = next;
    const waiting = next.waiting_authorize_url !== null;
    const text = summaryText(next);
    name.textContent = next.display_name;
    holds.textContent = next.holds;
    mark.dataset.mark = next.mark.mark;
    mark.style.backgroundColor = next.mark.colour;
    connects.textContent = connectsText(next);
    const advice = troubleText(next);
    trouble.hidden = advice === null;
    trouble.textContent = advice ?? '';
    trouble.dataset.testid = `tile-trouble-${next.id}`;
    state.textContent = text;
    hint.dataset.hint = hintText(primaryOf(next));
    button.setAttribute('aria-label', `${next.display_name} — ${next.holds} — ${text}`);
    button.dataset.provider = next.id;
    button.dataset.testid = `tile-${next.id}`;
    button.dataset.state = tileState(next);
    button.setAttribute('aria-disabled', waiting ? 'true' : 'false');
    el.dataset.testid = `tile-item-${next.id}`;

    waitingActions.hidden = !waiting;
    cancel.setAttribute('aria-label', `Cancel connecting ${next.display_name}`);
    cancel.dataset.testid = `cancel-connect-${next.id}`;
    copy.setAttribute('aria-label', `Copy the ${next.display_name} approval link`);
    copy.dataset.testid = `copy-link-${next.id}`;
    if (!waiting || !wasWaiting) {
      copyStatus.textContent = '';
      manualLabel.hidden = true;
      manualLink.hidden = true;
    }

    syncKeyForm(next);
    updateAccounts(next, waiting);
    addAccount.hidden = next.accounts.length === 0 || waiting;
    // The words shown are the name (WCAG 2.5.3), and they say which provider.
    addAccount.textContent = `Add another ${next.display_name} account`;
    addAccount.dataset.testid = `add-account-${next.id}`;

    // A button that just went away (Add another account once the wait starts, Cancel once it
    // ends, a disconnected account's Open) must not leave the keyboard in the void.
    if (focused && (!focused.isConnected || focused.closest('[hidden]') !== null || (focused instanceof HTMLButtonElement && focused.disabled))) {
      (waiting ? cancel : button).focus();
    }
  }

  update(initial);
  return {
    el,
    update,
    showError(what) {
      error.show(what);
    },
    setBusy(busy) {
      button.setAttribute('aria-busy', busy ? 'true' : 'false');
    },
    openKeyForm() {
      if (!keyForm) return false;
      keyForm.open(button);
      return true;
    },
  };
}
