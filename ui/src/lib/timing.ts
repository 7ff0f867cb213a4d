/**
 * User Timing marks named `patchbay:<name>`, read by `bench/` over WebDriver to measure what
 * the user sees (first rows, search answered). A mark costs next to nothing and carries no
 * record data.
 */
export function mark(name: string): void {
  performance.mark(`patchbay:${name}`);
}

/**
 * Marks `<name>-shown` now (the DOM holds the change) and `<name>-painted` once the frame
 * that draws it is done: the task after the next animation frame callback runs after that
 * frame's paint.
 */
export function markShownAndPainted(name: string): void {
  mark(`${name}-shown`);
  void afterNextPaint().then(() => {
    mark(`${name}-painted`);
  });
}

/** Resolves in the task after the next frame's paint. */
export function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => {
    requestAnimationFrame(() => {
      setTimeout(resolve, 0);
    });
  });
}
