import { describe, expect, test } from 'vitest';
import { operatingSystemOf, tagOperatingSystem } from './operatingSystem';
import '../styles.css';

describe('operating system', () => {
  test('each webview is told apart by its user agent', () => {
    expect(operatingSystemOf('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)')).toBe('mac');
    expect(operatingSystemOf('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0')).toBe('windows');
    expect(operatingSystemOf('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko)')).toBe('other');
  });

  test('the tag chooses the font: the system font named on macOS and Windows, the generic family elsewhere', () => {
    const root = document.documentElement;
    try {
      tagOperatingSystem(root, 'Mozilla/5.0 (X11; Linux x86_64)');
      expect(getComputedStyle(root).fontFamily).toBe('sans-serif');
      tagOperatingSystem(root, 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)');
      expect(getComputedStyle(root).fontFamily).toMatch(/^-apple-system, system-ui/);
      tagOperatingSystem(root, 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)');
      expect(getComputedStyle(root).fontFamily).toMatch(/^"Segoe UI", system-ui/);
    } finally {
      delete root.dataset.os;
    }
  });
});
