import type { ColumnView } from '../bindings/ColumnView';
import { h, uid } from '../lib/dom';

export interface ColumnChooser {
  el: HTMLElement;
  visible(): number[];
  /** Ticks the columns not hidden (a saved view or a remembered layout), without `onChange`. */
  setHidden(hidden: string[]): void;
}

/**
 * A disclosure with one checkbox per column. The last shown column cannot be
 * hidden, so the table never goes blank.
 */
export function createColumnChooser(columns: ColumnView[], onChange: (visible: number[]) => void, hidden: string[] = []): ColumnChooser {
  const panelId = uid('columns');
  const toggle = h('button', {
    type: 'button',
    class: 'secondary',
    'aria-expanded': 'false',
    'aria-controls': panelId,
    'data-testid': 'columns-toggle',
  }, 'Columns');
  const boxes = columns.map((col) => h('input', { type: 'checkbox', checked: !hidden.includes(col.key), 'data-key': col.key }));
  const fieldset = h('fieldset', { id: panelId, class: 'column-chooser', hidden: true, 'data-testid': 'column-chooser' },
    h('legend', {}, 'Show columns'),
    ...boxes.map((box, i) => h('label', { class: 'check' }, box, columns[i]?.label ?? '')),
  );
  const visible = (): number[] => boxes.flatMap((b, i) => (b.checked ? [i] : []));
  const sync = (): void => {
    const shown = visible();
    boxes.forEach((b) => {
      b.disabled = b.checked && shown.length === 1;
    });
  };
  for (const box of boxes) {
    box.addEventListener('change', () => {
      sync();
      onChange(visible());
    });
  }
  toggle.addEventListener('click', () => {
    const open = fieldset.hidden;
    fieldset.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
  });
  fieldset.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      fieldset.hidden = true;
      toggle.setAttribute('aria-expanded', 'false');
      toggle.focus();
    }
  });
  sync();
  return {
    el: h('div', { class: 'column-chooser-wrap' }, toggle, fieldset),
    visible,
    setHidden(next) {
      boxes.forEach((b, i) => {
        b.checked = !next.includes(columns[i]?.key ?? '');
      });
      sync();
    },
  };
}
