/** The desktop the window runs on, as far as the page's styles care: which font family to name. */
export type OperatingSystem = 'mac' | 'windows' | 'other';

/** Read from the webview's user agent (WKWebView: "Macintosh"; WebView2: "Windows NT"; WebKitGTK: "X11; Linux"). */
export function operatingSystemOf(userAgent: string): OperatingSystem {
  if (/\bMacintosh\b|\bMac OS X\b/.test(userAgent)) return 'mac';
  if (/\bWindows\b/.test(userAgent)) return 'windows';
  return 'other';
}

/** Tags the document (`data-os`) for styles.css, before the first layout. */
export function tagOperatingSystem(root: HTMLElement, userAgent: string): void {
  root.dataset.os = operatingSystemOf(userAgent);
}
