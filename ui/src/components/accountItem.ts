import type { AccountState } from '../bindings/AccountState';
import type { AccountView } from '../bindings/AccountView';
import type { ReconnectReason } from '../bindings/ReconnectReason';
import { h, uid } from '../lib/dom';
import { formatTime, records } from '../lib/format';

export interface AccountItemActions {
  open(account: AccountView): void;
  reconnect(account: AccountView): void;
}

export interface AccountItem {
  el: HTMLLIElement;
  /** Shows `account` at `position` (0-based) in the provider's list. */
  update(account: AccountView, position: number, waiting: boolean): void;
  /** Focuses the account's button, or the item itself when it has none. */
  focus(): void;
}

/** Why Rust asks for a reconnect, as a sentence that says what to do. */
export function reconnectSentence(providerName: string, reason: ReconnectReason): string {
  switch (reason) {
    case 'ended':
      return `${providerName} ended the connection. Reconnect to go on.`;
    case 'address_changed':
      return `${providerName}'s address changed since you connected. Reconnect to approve the new address.`;
  }
}

export function accountStateText(providerName: string, state: AccountState, count: number | null = null): string {
  switch (state.kind) {
    case 'connected': {
      // How much is here and how fresh it is: "Connected · 1,234 records · last synced …".
      const held = count === null ? '' : ` · ${records(count)}`;
      return state.last_synced ? `Connected${held} · last synced ${formatTime(state.last_synced)}` : `Connected${held} · not synced yet`;
    }
    case 'needs_reconnect':
      return reconnectSentence(providerName, state.reason);
    case 'unavailable':
      return state.error.advice ? `${state.error.message} ${state.error.advice}` : state.error.message;
  }
}

/**
 * One account in a provider's tile: its name, where it stands, and the one thing to do with
 * it (Open its records, or Reconnect). Updated in place, so focus survives new events.
 */
export function createAccountItem(providerId: string, providerName: string, initial: AccountView, actions: AccountItemActions): AccountItem {
  let account = initial;
  const name = h('span', { class: 'account-name' });
  const state = h('span', { class: 'account-state', id: uid('account-state') });
  // A connected account can still need the user (its refreshed tokens are not in the keychain).
  const warning = h('span', { class: 'account-warning', role: 'status' });
  // Each button is described by where the account stands (why it needs a reconnect).
  const open = h('button', { type: 'button', class: 'small', 'aria-describedby': state.id }, 'Open');
  const reconnect = h('button', { type: 'button', class: 'small', 'aria-describedby': state.id }, 'Reconnect');
  open.addEventListener('click', () => {
    actions.open(account);
  });
  reconnect.addEventListener('click', () => {
    actions.reconnect(account);
  });
  const el = h('li', { class: 'account', tabindex: -1 },
    h('span', { class: 'account-text' }, name, state, warning),
    open,
    reconnect,
  );

  return {
    el,
    update(next, position, waiting) {
      account = next;
      el.dataset.testid = `account-${providerId}-${String(position)}`;
      el.dataset.accountId = next.account_id;
      el.dataset.state = next.state.kind;
      el.setAttribute('aria-label', next.name);
      name.textContent = next.name;
      state.textContent = accountStateText(providerName, next.state, next.records);
      const warned = next.state.kind === 'connected' ? next.state.warning : null;
      warning.hidden = !warned;
      warning.textContent = warned ? `${warned.message} ${warned.advice}` : '';
      if (warned) warning.dataset.code = warned.code;
      else delete warning.dataset.code;
      open.hidden = next.state.kind !== 'connected';
      open.dataset.testid = `open-account-${providerId}-${String(position)}`;
      open.setAttribute('aria-label', `Open ${next.name} in ${providerName}`);
      reconnect.hidden = next.state.kind !== 'needs_reconnect';
      reconnect.dataset.testid = `reconnect-account-${providerId}-${String(position)}`;
      reconnect.setAttribute('aria-label', `Reconnect ${next.name} in ${providerName}`);
      // One connect at a time: while one waits for the browser, Reconnect waits too.
      reconnect.disabled = waiting;
    },
    focus() {
      if (!open.hidden) open.focus();
      else if (!reconnect.hidden && !reconnect.disabled) reconnect.focus();
      else el.focus();
    },
  };
}
