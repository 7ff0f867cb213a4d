// A masked input with a Show / Hide button beside it (aria-pressed says which), so a pasted
// key can be checked before it is sent. Hiding again is the default whenever it is cleared.
import { h } from '../lib/dom';

export interface SecretInput {
  /** The input and its button, side by side. */
  el: HTMLElement;
  input: HTMLInputElement;
  toggle: HTMLButtonElement;
  /** Masks the value again. */
  hide(): void;
}

export function createSecretInput(input: HTMLInputElement, what: string): SecretInput {
  input.type = 'password';
  const toggle = h('button', {
    type: 'button',
    class: 'secondary reveal',
    'aria-pressed': 'false',
    'aria-label': `Show ${what}`,
    'data-testid': 'reveal',
  }, 'Show');
  function set(shown: boolean): void {
    input.type = shown ? 'text' : 'password';
    toggle.setAttribute('aria-pressed', String(shown));
    toggle.setAttribute('aria-label', `${shown ? 'Hide' : 'Show'} ${what}`);
    toggle.textContent = shown ? 'Hide' : 'Show';
  }
  toggle.addEventListener('click', () => {
    set(input.type === 'password');
  });
  return {
    el: h('div', { class: 'secret-input' }, input, toggle),
    input,
    toggle,
    hide: () => {
      set(false);
    },
  };
}
