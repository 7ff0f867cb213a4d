import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import type { BrowserCommand } from 'vitest/node';

// Chromium from Debian (apt), never a downloaded browser build.
const chromiumPath = '/usr/bin/chromium';

/** Lets a test check both themes: the page's prefers-color-scheme, as the OS would set it. */
const setColorScheme: BrowserCommand<[scheme: 'light' | 'dark']> = async (ctx, scheme) => {
  if (ctx.provider.name !== 'playwright') throw new Error('setColorScheme needs the playwright provider');
  await (ctx as unknown as { page: { emulateMedia(o: { colorScheme: string }): Promise<void> } }).page.emulateMedia({ colorScheme: scheme });
};

export default defineConfig({
  // Tauri serves ui/dist at its own origin: default base, no external resources.
  clearScreen: false,
  server: {
    host: '127.0.0.1',
    port: 1420,
    strictPort: true,
  },
  optimizeDeps: {
    // Pre-bundled up front so Vitest never reloads mid-run.
    include: [
      '@tanstack/virtual-core',
      '@tauri-apps/api/core',
      '@tauri-apps/api/event',
      '@tauri-apps/api/mocks',
    ],
  },
  build: {
    // WebKitGTK on Linux, WKWebView on macOS, WebView2 on Windows.
    target: ['es2021', 'safari15'],
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 10_000,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({
        launchOptions: {
          executablePath: chromiumPath,
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
          ],
        },
      }),
      instances: [{ browser: 'chromium' }],
      commands: { setColorScheme },
    },
  },
});
