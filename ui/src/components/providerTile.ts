import type { ConnectionState } from '../bindings/ConnectionState';
import type { ProviderTile } from '../bindings/ProviderTile';
import { h, uid } from '../lib/dom';
import { formatTime } from '../lib/format';
import { createApiKeyForm, type ApiKeyForm } from './apiKeyForm';
import { createErrorAlert } from './errorAlert';

export interface TileActions {
  /** The tile itself was activated (click, Enter or Space). */
  activate(tile: ProviderTile): void;
  cancel(tile: ProviderTile): void;
  copyLink(tile: ProviderTile): Promise<boolean>;
  /** "Test and save" of the API-key form: an error sentence, or null once saved. */
  saveKey(tile: ProviderTile, values: Record<string, string>): Promise<string | null>;
  openKeyHelp(tile: ProviderTile): void;
}

export interface TileView {
  el: HTMLLIElement;
  update(tile: ProviderTile): void;
  showError(message: string | null): void;
  setBusy(busy: boolean): void;
  /** Opens the API-key form (API-key providers only). */
  openKeyForm(): void;
}

export function stateText(state: ConnectionState): string {
  switch (state.kind) {
    case 'not_connected':
      return 'Not connected';
    case 'waiting_for_approval':
      return 'Waiting for you to approve in your browser';
    case 'connected':
      return state.last_synced
        ? `Connected as ${state.account} · last synced ${formatTime(state.last_synced)}`
        : `Connected as ${state.account} · not synced yet`;
    case 'needs_reconnect':
      return 'Needs reconnect';
  }
}

function hintText(state: ConnectionState): string {
  switch (state.kind) {
    case 'not_connected':
      return 'Connect';
    case 'waiting_for_approval':
      return '';
    case 'connected':
      return 'Open records';
    case 'needs_reconnect':
      return 'Reconnect';
  }
}

/**
 * One provider: a single button (name, what it holds, state) plus, while
 * waiting for approval, Cancel and Copy link buttons beside it (never nested).
 */
export function createProviderTile(initial: ProviderTile, actions: TileActions): TileView {
  let tile = initial;
  const name = h('span', { class: 'tile-name' });
  const holds = h('span', { class: 'tile-holds' });
  const state = h('span', { class: 'tile-state' });
  const reason = h('span', { class: 'tile-reason', id: uid('reason') });
  const hint = h('span', { class: 'tile-hint', 'aria-hidden': 'true' });
  const button = h('button', { type: 'button', class: 'tile' }, name, holds, state, reason, hint);
  button.addEventListener('click', () => {
    actions.activate(tile);
  });

  const copyStatus = h('span', { class: 'copy-status', role: 'status' });
  const manualLink = h('input', { type: 'text', readonly: true, class: 'manual-link', hidden: true });
  const manualLabel = h('label', { class: 'manual-link-label', hidden: true }, 'Paste this link into your browser: ', manualLink);
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy link');
  cancel.addEventListener('click', () => {
    actions.cancel(tile);
  });
  copy.addEventListener('click', () => {
    void actions.copyLink(tile).then((ok) => {
      if (ok) {
        copyStatus.textContent = 'Link copied.';
      } else if (tile.state.kind === 'waiting_for_approval') {
        copyStatus.textContent = '';
        manualLink.value = tile.state.authorize_url;
        manualLabel.hidden = false;
        manualLink.hidden = false;
        manualLink.select();
      }
    });
  });
  const waitingActions = h('div', { class: 'tile-actions', hidden: true }, cancel, copy, copyStatus, manualLabel);
  const error = createErrorAlert();
  const el = h('li', { class: 'tile-item' }, button, waitingActions, error.el);
  let keyForm: ApiKeyForm | null = null;
  if (initial.auth.kind === 'api_key') {
    keyForm = createApiKeyForm({
      providerId: initial.id,
      providerName: initial.display_name,
      fields: initial.auth.fields,
      helpText: initial.auth.help_text,
      hasHelpLink: initial.auth.help_url !== null,
      submit: (values) => actions.saveKey(tile, values),
      openHelp: () => {
        actions.openKeyHelp(tile);
      },
      closed: () => {
        button.focus();
      },
    });
    el.append(keyForm.el);
  }

  function update(next: ProviderTile): void {
    const wasWaiting = tile.state.kind === 'waiting_for_approval';
    tile = next;
    const text = stateText(next.state);
    name.textContent = next.display_name;
    holds.textContent = next.holds;
    state.textContent = text;
    hint.textContent = hintText(next.state);
    // Why a reconnect is needed, in Rust's words, as the button's description.
    const why = next.state.kind === 'needs_reconnect' ? next.state.reason : '';
    reason.textContent = why;
    reason.hidden = why === '';
    if (why) button.setAttribute('aria-describedby', reason.id);
    else button.removeAttribute('aria-describedby');
    button.setAttribute('aria-label', `${next.display_name} — ${next.holds} — ${text}`);
    button.dataset.provider = next.id;
    button.dataset.testid = `tile-${next.id}`;
    button.dataset.state = next.state.kind;
    const waiting = next.state.kind === 'waiting_for_approval';
    button.setAttribute('aria-disabled', waiting ? 'true' : 'false');
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
  }

  update(initial);
  return {
    el,
    update,
    showError(message) {
      error.show(message);
    },
    setBusy(busy) {
      button.setAttribute('aria-busy', busy ? 'true' : 'false');
    },
    openKeyForm() {
      keyForm?.open();
    },
  };
}
