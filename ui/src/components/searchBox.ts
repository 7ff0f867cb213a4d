import { debounce } from '../lib/debounce';
import { h, uid } from '../lib/dom';

export const SEARCH_DEBOUNCE_MS = 150;

export interface SearchBox {
  el: HTMLElement;
  value(): string;
}

/** "Search records": reports the text once typing pauses (~150 ms). */
export function createSearchBox(onSearch: (text: string) => void): SearchBox {
  const id = uid('search');
  const input = h('input', {
    id,
    type: 'search',
    class: 'search-input',
    autocomplete: 'off',
    spellcheck: 'false',
    'data-testid': 'search',
  });
  const report = debounce((text: string) => {
    onSearch(text);
  }, SEARCH_DEBOUNCE_MS);
  input.addEventListener('input', () => {
    report(input.value.trim());
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') report.flush();
  });
  const el = h('div', { class: 'search', role: 'search' }, h('label', { for: id }, 'Search records'), input);
  return { el, value: () => input.value.trim() };
}
