// The custom browser commands of vite.config.ts, as tests call them.
import 'vitest/browser';

declare module 'vitest/browser' {
  interface BrowserCommands {
    /** Sets prefers-color-scheme for the page, as the OS's light or dark theme would. */
    setColorScheme(scheme: 'light' | 'dark'): Promise<void>;
  }
}
