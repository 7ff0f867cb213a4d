// The first screen's model (settings and tiles), which the shell hands to the page before any
// of the page's own scripts run (src-tauri/lib.rs, `open_main_window`), so the tiles paint
// without waiting for an IPC round trip. A page without it asks Rust once.
import type { InitialState } from '../bindings/InitialState';
import * as ipc from '../ipc';

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

/** The first screen: the shell's value when it is there and current, else one command. */
export function loadInitialState(): Promise<InitialState> {
  const injected = window.__PATCHBAY_INITIAL_STATE__;
  if (injected && firstLoad()) return Promise.resolve(injected);
  return ipc.initialState();
}
