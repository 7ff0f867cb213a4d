import type { ListRef } from '../bindings/ListRef';
import type { SavedView } from '../bindings/SavedView';
import type { ViewSettings } from '../bindings/ViewSettings';
import * as ipc from '../ipc';
import { closeOnEscape, h, uid } from '../lib/dom';
import { createErrorAlert } from './errorAlert';

export interface ViewListOptions {
  list: ListRef;
  /** What the table shows now (to save). */
  current(): ViewSettings;
  /** Shows a saved view's settings in the table. */
  apply(settings: ViewSettings): void;
}

export interface ViewList {
  el: HTMLElement;
  /** Reads the list's saved views. */
  load(): Promise<void>;
  /** The view chosen, if any. */
  selected(): SavedView | null;
}

const NONE = '';

/**
 * The list's saved views: choose one to show it; save what the table shows as a new view or
 * over the chosen one; rename, duplicate and delete. Kept in the cache, per world and account.
 */
export function createViewList(options: ViewListOptions): ViewList {
  let views: SavedView[] = [];
  const select = h('select', { 'data-testid': 'view-select' });
  select.id = uid('views');
  const saveAs = h('button', { type: 'button', class: 'secondary', 'data-testid': 'view-save' }, 'Save view…');
  const update = h('button', { type: 'button', class: 'secondary', 'data-testid': 'view-update' }, 'Update view');
  const rename = h('button', { type: 'button', class: 'secondary', 'data-testid': 'view-rename' }, 'Rename…');
  const duplicate = h('button', { type: 'button', class: 'secondary', 'data-testid': 'view-duplicate' }, 'Duplicate');
  const remove = h('button', { type: 'button', class: 'secondary', 'data-testid': 'view-delete' }, 'Delete');
  const status = h('p', { class: 'muted view-status', role: 'status', 'data-testid': 'view-status' });
  const error = createErrorAlert();

  // One small form for a name: a new view, a rename or a copy.
  const nameInput = h('input', { type: 'text', maxlength: 100, autocomplete: 'off', 'data-testid': 'view-name' });
  nameInput.id = uid('view-name');
  const nameLabel = h('label', { for: nameInput.id }, 'View name');
  const confirm = h('button', { type: 'submit', 'data-testid': 'view-name-save' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h('form', { class: 'view-name-form', hidden: true, 'data-testid': 'view-name-form' },
    h('span', { class: 'field' }, nameLabel, nameInput), confirm, cancel);
  let pending: ((name: string) => Promise<SavedView>) | null = null;
  let returnTo: HTMLElement | null = null;

  const el = h('div', { class: 'view-list', role: 'group', 'aria-label': 'Saved views', 'data-testid': 'view-list' },
    h('span', { class: 'field view-field' }, h('label', { for: select.id }, 'View'), select),
    saveAs, update, rename, duplicate, remove, form, status, error.el);

  function selected(): SavedView | null {
    return views.find((v) => String(v.id) === select.value) ?? null;
  }

  function render(chosen: SavedView | null): void {
    select.replaceChildren(
      h('option', { value: NONE }, 'All records'),
      ...views.map((v) => h('option', { value: String(v.id) }, v.name)),
    );
    select.value = chosen ? String(chosen.id) : NONE;
    const has = selected() !== null;
    for (const b of [update, rename, duplicate, remove]) b.hidden = !has;
  }

  async function reload(chosen: SavedView | null): Promise<void> {
    views = await ipc.listViews(options.list);
    render(chosen && views.find((v) => v.id === chosen.id) ? chosen : null);
  }

  function ask(label: string, initial: string, run: (name: string) => Promise<SavedView>, from: HTMLElement): void {
    nameLabel.textContent = label;
    nameInput.value = initial;
    pending = run;
    returnTo = from;
    form.hidden = false;
    nameInput.focus();
    nameInput.select();
  }

  function closeForm(): void {
    form.hidden = true;
    pending = null;
    returnTo?.focus();
  }

  async function act(work: () => Promise<SavedView | null>, done: (v: SavedView | null) => string, fallback: string): Promise<boolean> {
    error.show(null);
    try {
      const view = await work();
      await reload(view);
      status.textContent = done(view);
      return true;
    } catch (e) {
      error.showError(e, fallback);
      return false;
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const run = pending;
    if (!run) return;
    void act(() => run(nameInput.value), (v) => `Saved “${v?.name ?? ''}”.`, "We couldn't save the view. Please try again.").then((ok) => {
      if (ok) closeForm();
      else nameInput.focus();
    });
  });
  cancel.addEventListener('click', closeForm);
  closeOnEscape(form, closeForm);

  select.addEventListener('change', () => {
    const view = selected();
    render(view);
    if (view) {
      options.apply(view.settings);
      status.textContent = `Showing “${view.name}”.`;
    } else {
      status.textContent = 'Showing all records.';
    }
  });
  saveAs.addEventListener('click', () => {
    ask('Name of the new view', '', (name) => ipc.saveView(options.list, name, options.current()), saveAs);
  });
  update.addEventListener('click', () => {
    const view = selected();
    if (!view) return;
    void act(() => ipc.updateView(options.list, view.id, null, options.current()), (v) => `Updated “${v?.name ?? ''}”.`, "We couldn't update the view. Please try again.");
  });
  rename.addEventListener('click', () => {
    const view = selected();
    if (!view) return;
    ask('New name', view.name, (name) => ipc.updateView(options.list, view.id, name, null), rename);
  });
  duplicate.addEventListener('click', () => {
    const view = selected();
    if (!view) return;
    ask('Name of the copy', `${view.name} (copy)`, (name) => ipc.duplicateView(options.list, view.id, name), duplicate);
  });
  remove.addEventListener('click', () => {
    const view = selected();
    if (!view) return;
    // Deleting loses only the view's settings, never records; the status line says which.
    void act(async () => {
      await ipc.deleteView(options.list, view.id);
      return null;
    }, () => `Deleted “${view.name}”. The table keeps showing its filters.`, "We couldn't delete the view. Please try again.").then(() => {
      select.focus();
    });
  });

  render(null);

  return {
    el,
    selected,
    async load() {
      error.show(null);
      try {
        await reload(selected());
      } catch (e) {
        error.showError(e, "We couldn't load the saved views.");
      }
    },
  };
}
