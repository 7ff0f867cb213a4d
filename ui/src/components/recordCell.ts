import type { CellText } from '../lib/cellFormat';
import { h } from '../lib/dom';

/** Copies text; false when the system refused (the window then says so). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The content of one table cell: text with the full value as its tooltip, a badge, or a link as
 * text with a copy button. A link is never opened from the window (only the opener's rules may
 * open one), so it is not an anchor.
 */
export function renderCell(cell: CellText, columnLabel: string): Node[] {
  if (cell.kind === 'empty') {
    // Seen as a faint dash, heard as "empty" rather than "em dash".
    return [
      h('span', { class: 'cell-empty', 'aria-hidden': 'true' }, '—'),
      h('span', { class: 'visually-hidden' }, 'empty'),
    ];
  }
  const title = cell.full !== cell.text ? cell.full : null;
  if (cell.badge) {
    return [h('span', { class: `badge badge-${cell.badge}`, title }, cell.text)];
  }
  if (cell.copy !== null) {
    const link = cell.copy;
    const button = h('button', {
      type: 'button',
      class: 'copy-button',
      'aria-label': `Copy ${columnLabel}`,
      title: 'Copy',
      'data-testid': 'copy-cell',
    }, '⧉');
    button.addEventListener('click', (e) => {
      // The row opens its detail on click: copying is not opening.
      e.stopPropagation();
      void copyText(link).then((ok) => {
        button.textContent = ok ? '✓' : '!';
        button.setAttribute('aria-label', ok ? `${columnLabel} copied` : `Could not copy ${columnLabel}`);
      });
    });
    return [h('span', { class: 'cell-url', title: cell.full }, cell.text), button];
  }
  return [h('span', { class: 'cell-text', title }, cell.text)];
}
