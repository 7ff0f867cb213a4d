// The first screen's model (settings and tiles), which the shell hands to the page before any
// of the page's own scripts run (src-tauri/lib.rs, `send_first_screen`: a script the webview
// runs when the page's document is committed), so the tiles paint without waiting for an IPC
// round trip. A page without it asks Rust once.
import type { InitialState } from '../bindings/InitialState';
import * as ipc from '../ipc';
import { mark } from './timing';

declare global {
  interface Window {
    /** Set by the shell's initialization script; absent in tests and in a plain browser. */
    readonly __PATCHBAY_INITIAL_STATE__?: InitialState;
  }
}

/**
 * Whether this page is the window's first load. The shell's value is what stood when the
 * window was made: after a reload the page may have changed the settings since (the welcome
 * seen, a world chosen), so a reloaded page asks again.
 */
function firstLoad(): boolean {
  const [navigation] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
  return navigation?.type !== 'reload' && navigation?.type !== 'back_forward';
}

/** The shell's value when it is there and current, at once: no await stands between it and the tiles. */
export function shellInitialState(): InitialState | null {
  const injected = window.__PATCHBAY_INITIAL_STATE__;
  return injected && firstLoad() ? injected : null;
}

/** The first screen: the shell's value when it is there and current, else one command. */
export function loadInitialState(): Promise<InitialState> {
  const injected = shellInitialState();
  if (injected) return Promise.resolve(injected);
  // Seen by the e2e smoke test and bench/: a first load should never need to ask.
  mark('first-screen-asked');
  return ipc.initialState();
}
