import type { RecordDetail } from '../bindings/RecordDetail';
import { h, uid, closeOnEscape } from '../lib/dom';
import { createErrorAlert } from './errorAlert';

/** A button the panel offers for the record shown ("Open in WhatConverts"). */
export interface DetailAction {
  label: string;
  run(): Promise<void>;
  /** The sentence shown when `run` fails with no message of its own. */
  failure: string;
}

export interface DetailPanel {
  el: HTMLElement;
  /** Opens the panel for a record while its details load, with `action` when it has one. */
  open(title: string, load: Promise<RecordDetail>, returnFocus: HTMLElement | null, action?: DetailAction): Promise<void>;
  close(): void;
  isOpen(): boolean;
}

/** The side panel with one record's fields and its raw JSON. */
export function createDetailPanel(): DetailPanel {
  const titleId = uid('detail-title');
  const title = h('h3', { id: titleId });
  const closeButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'detail-close' }, 'Close');
  const actionButton = h('button', { type: 'button', class: 'secondary', hidden: true, 'data-testid': 'detail-open-in-provider' });
  const list = h('dl', { class: 'detail-fields' });
  const raw = h('pre', { class: 'raw-json' });
  const rawBlock = h('details', { class: 'raw' }, h('summary', {}, 'Raw data (JSON)'), raw);
  const status = h('p', { class: 'muted', role: 'status' });
  const error = createErrorAlert();
  const el = h('aside', {
    class: 'detail-panel',
    role: 'region',
    'aria-labelledby': titleId,
    tabindex: -1,
    hidden: true,
    'data-testid': 'detail-panel',
  }, h('div', { class: 'detail-head' }, title, actionButton, closeButton), status, error.el, list, rawBlock);
  let returnTo: HTMLElement | null = null;
  let request = 0;
  let action: DetailAction | undefined;

  // Busy while Rust opens the page: aria-disabled, not `disabled`, because a disabled button
  // drops keyboard focus to the page body, and the marketer pressing Enter would lose their place.
  const setBusy = (busy: boolean): void => {
    if (busy) actionButton.setAttribute('aria-disabled', 'true');
    else actionButton.removeAttribute('aria-disabled');
  };
  actionButton.addEventListener('click', () => {
    const current = action;
    if (!current || actionButton.getAttribute('aria-disabled') === 'true') return;
    const mine = request;
    setBusy(true);
    error.show(null);
    current.run().catch((e: unknown) => {
      if (mine === request) error.showError(e, current.failure);
    }).finally(() => {
      if (mine === request) setBusy(false);
    });
  });

  function close(): void {
    request += 1;
    el.hidden = true;
    if (returnTo?.isConnected) returnTo.focus();
    returnTo = null;
  }
  closeButton.addEventListener('click', close);
  closeOnEscape(el, close);

  return {
    el,
    close,
    isOpen: () => !el.hidden,
    async open(text, load, returnFocus, offered) {
      request += 1;
      const mine = request;
      returnTo = returnFocus;
      title.textContent = text;
      action = offered;
      actionButton.textContent = offered?.label ?? '';
      actionButton.hidden = offered === undefined;
      setBusy(false);
      list.replaceChildren();
      raw.textContent = '';
      rawBlock.hidden = true;
      error.show(null);
      status.textContent = 'Loading details…';
      el.hidden = false;
      el.focus();
      try {
        const detail = await load;
        if (mine !== request) return;
        status.textContent = '';
        for (const field of detail.fields) {
          list.append(h('dt', {}, field.label), h('dd', {}, field.value === '' ? '—' : field.value));
        }
        raw.textContent = detail.raw_json;
        rawBlock.hidden = detail.raw_json === '';
      } catch (e) {
        if (mine !== request) return;
        status.textContent = '';
        error.showError(e, "We couldn't load this record's details. Please try again.");
      }
    },
  };
}
