// The welcome: what Patchbay does, that the demo is a safe playground, how to use real
// accounts; a button for each world. Opens by itself on the first start and from Help later.
// Everything on it is text in the window: no account or network is needed to read it.
import { h } from '../lib/dom';
import { createModal } from './modal';

export type WelcomeChoice = 'demo' | 'real';

export interface WelcomeDialog {
  el: HTMLDialogElement;
  /** Shows the welcome; `demoAvailable` false (a build without the sandbox) hides the demo. */
  open(demoAvailable: boolean, opener?: HTMLElement | null): void;
  close(): void;
  isOpen(): boolean;
}

export interface WelcomeOptions {
  /** The dialog closed: by a world's button (`choice`), or by Escape or "Not now" (null). */
  onClosed(choice: WelcomeChoice | null): void;
}

export function createWelcomeDialog(options: WelcomeOptions): WelcomeDialog {
  let chosen: WelcomeChoice | null = null;
  const modal = createModal({
    title: 'Welcome to Patchbay',
    testId: 'welcome',
    className: 'welcome',
    onClose() {
      const choice = chosen;
      chosen = null;
      options.onClosed(choice);
    },
  });
  const demoButton = h('button', { type: 'button', 'data-testid': 'welcome-demo' }, 'Try the demo');
  const realButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'welcome-real' }, 'Use my real accounts');
  const laterButton = h('button', { type: 'button', class: 'link', 'data-testid': 'welcome-close' }, 'Not now');
  const demoSection = h('section', { class: 'welcome-choice', 'aria-labelledby': 'welcome-demo-title' },
    h('h3', { id: 'welcome-demo-title' }, 'A safe playground'),
    h('p', {}, 'Demo mode connects to a built-in imitation of each tool, filled with sample leads, contacts and orders. Nothing you do there reaches a real account, and it needs no internet.'),
    demoButton,
  );
  modal.body.append(
    h('p', { class: 'welcome-lead' },
      'Patchbay brings your marketing tools together: WhatConverts, ClickFunnels, WebinarGeek, BoomTown and EmailOctopus. Connect them once, then browse, search, chart and export their records, and see each person across every tool.'),
    h('div', { class: 'welcome-choices' },
      demoSection,
      h('section', { class: 'welcome-choice', 'aria-labelledby': 'welcome-real-title' },
        h('h3', { id: 'welcome-real-title' }, 'Your real accounts'),
        h('p', {}, 'Click a tool\'s tile and approve Patchbay in your own browser, or paste the API key the tool gives you. Keys and sign-ins stay in your computer\'s keychain; the demo\'s data stays apart. You can switch back any time in Settings.'),
        realButton,
      ),
    ),
    h('p', { class: 'welcome-foot' }, laterButton, h('span', { class: 'muted' }, ' Help in the top bar opens this again.')),
  );
  demoButton.addEventListener('click', () => {
    chosen = 'demo';
    modal.close();
  });
  realButton.addEventListener('click', () => {
    chosen = 'real';
    modal.close();
  });
  laterButton.addEventListener('click', () => {
    modal.close();
  });

  return {
    el: modal.el,
    open(demoAvailable, opener) {
      demoSection.hidden = !demoAvailable;
      modal.open(opener);
      (demoAvailable ? demoButton : realButton).focus();
    },
    close: () => {
      modal.close();
    },
    isOpen: () => modal.isOpen(),
  };
}
