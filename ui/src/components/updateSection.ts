import type { UpdateInfo } from '../bindings/UpdateInfo';
import type { UpdateProgress } from '../bindings/UpdateProgress';
import type { UpdateReady } from '../bindings/UpdateReady';
import * as ipc from '../ipc';
import { h } from '../lib/dom';
import { createErrorAlert } from './errorAlert';

export interface UpdateSection {
  el: HTMLElement;
  destroy(): void;
}

/** "Downloaded 1.2 of 14.7 MB": a download's progress in a sentence. */
export function downloadText({ downloaded, total }: UpdateProgress): string {
  const mb = (bytes: number): string => (bytes / 1_000_000).toFixed(1);
  return total === null
    ? `Downloaded ${mb(downloaded)} MB`
    : `Downloaded ${mb(downloaded)} of ${mb(total)} MB`;
}

/** What the status line says once an update is verified: installed, or saved (and why). */
export function readyText(ready: UpdateReady): string {
  return ready.outcome === 'installed'
    ? ready.sentence
    : `Patchbay ${ready.version} is downloaded and its signature verified.`;
}

/**
 * Settings' "Updates": Check for updates, then (when a newer Patchbay exists) download it with
 * progress. The updater installs it only if its signature verifies, and asks for a restart;
 * a copy not installed from a package gets the verified file and the command that installs
 * it. A refused update shows its sentence and advice, and nothing changes.
 */
export function createUpdateSection(): UpdateSection {
  const heading = h('h3', { id: 'updates-title' }, 'Updates');
  const check = h('button', { type: 'button', class: 'secondary', 'data-testid': 'check-updates' }, 'Check for updates');
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'update-status' });
  const notes = h('p', { class: 'hint', 'data-testid': 'update-notes', hidden: true });
  const install = h('button', { type: 'button', 'data-testid': 'install-update', hidden: true }, 'Download and install');
  const progress = h('progress', { max: 1, value: 0, 'aria-label': 'Update download', 'data-testid': 'update-progress', hidden: true });
  const progressText = h('p', { class: 'hint', 'data-testid': 'update-progress-text', hidden: true });
  const result = h('p', { 'data-testid': 'update-result', hidden: true });
  const error = createErrorAlert();
  const el = h('section', { class: 'update-section', 'aria-labelledby': heading.id, 'data-testid': 'update-section' },
    heading,
    h('div', { class: 'form-actions' }, check, install),
    status,
    notes,
    progress,
    progressText,
    result,
    error.el,
  );

  let unlisten: ipc.Unlisten | null = null;
  let destroyed = false;
  void ipc.onUpdateProgress(showProgress).then((u) => {
    if (destroyed) u();
    else unlisten = u;
  });

  function showProgress(p: UpdateProgress): void {
    progress.hidden = false;
    progressText.hidden = false;
    if (p.total === null) progress.removeAttribute('value');
    else {
      progress.max = Math.max(p.total, 1);
      progress.value = p.downloaded;
    }
    progressText.textContent = downloadText(p);
  }

  function offer(info: UpdateInfo | null): void {
    install.hidden = info === null;
    notes.hidden = !info?.notes;
    notes.textContent = info?.notes ?? '';
    status.textContent = info === null
      ? 'Patchbay is up to date.'
      : `Patchbay ${info.version} is available (you have ${info.current_version}).`;
  }

  check.addEventListener('click', () => {
    void (async () => {
      error.show(null);
      result.hidden = true;
      check.disabled = true;
      status.textContent = 'Checking for updates…';
      try {
        offer(await ipc.checkForUpdate());
      } catch (err) {
        status.textContent = '';
        install.hidden = true;
        error.showError(err, "We couldn't check for updates. Please try again.");
      } finally {
        check.disabled = false;
      }
    })();
  });

  install.addEventListener('click', () => {
    void (async () => {
      error.show(null);
      install.disabled = true;
      check.disabled = true;
      status.textContent = 'Downloading the update…';
      try {
        const ready = await ipc.installUpdate();
        status.textContent = readyText(ready);
        result.hidden = ready.outcome !== 'saved';
        result.textContent = ready.outcome === 'saved' ? ready.sentence : '';
        install.hidden = true;
      } catch (err) {
        status.textContent = '';
        error.showError(err, "We couldn't download the update. Nothing was changed.");
      } finally {
        install.disabled = false;
        check.disabled = false;
        progress.hidden = true;
        progressText.hidden = true;
      }
    })();
  });

  return {
    el,
    destroy() {
      destroyed = true;
      unlisten?.();
    },
  };
}

