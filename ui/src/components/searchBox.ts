import { h, uid } from '../lib/dom';
import { mark } from '../lib/timing';

export interface SearchBox {
  el: HTMLElement;
  value(): string;
  focus(): void;
  /** Shows this search (a saved view was opened) without searching. */
  set(text: string): void;
}

export interface SearchBoxOptions {
  /** The visible label and the box's accessible name ("Search records"). */
  label?: string;
  testId?: string;
}

/**
 * "Search records": the first keystroke queries at once; while that query runs, further
 * keystrokes only replace the text to search next, so fast typing never piles up queries and
 * the table always ends on the last text typed.
 */
export function createSearchBox(onSearch: (text: string) => Promise<void>, options: SearchBoxOptions = {}): SearchBox {
  const id = uid('search');
  const input = h('input', {
    id,
    type: 'search',
    class: 'search-input',
    autocomplete: 'off',
    spellcheck: 'false',
    'data-testid': options.testId ?? 'search',
  });
  let running = false;
  let next: string | null = null;
  let last: string | null = null;

  async function run(text: string): Promise<void> {
    running = true;
    last = text;
    try {
      await onSearch(text);
    } finally {
      running = false;
    }
    const queued = next;
    next = null;
    if (queued !== null && queued !== last) await run(queued);
  }

  input.addEventListener('input', () => {
    mark('search-input');
    const text = input.value.trim();
    if (running) next = text;
    else if (text !== last) void run(text);
  });
  const el = h('div', { class: 'search', role: 'search' }, h('label', { for: id }, options.label ?? 'Search records'), input);
  return {
    el,
    value: () => input.value.trim(),
    focus() {
      input.focus();
    },
    set(text) {
      // A saved view's search: shown, and remembered as searched so typing continues from it.
      input.value = text;
      last = text.trim();
    },
  };
}
