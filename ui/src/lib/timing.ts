/**
 * User Timing marks named `patchbay:<name>`, read by `bench/` over WebDriver to measure what
 * the user sees (first rows, search answered). A mark costs next to nothing and carries no
 * record data.
 */
export function mark(name: string): void {
  performance.mark(`patchbay:${name}`);
}

/** Marks `name` once the next frame has been painted. */
export function markAfterPaint(name: string): void {
  requestAnimationFrame(() => {
    requestAnimationFrame(() => {
      mark(name);
    });
  });
}
