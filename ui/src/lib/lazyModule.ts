/** A module loaded on first use and kept. */
export interface LazyModule<T> {
  /** Every call answers the same import. A failed import is not kept: the next call tries again (a chunk that could not be read once may be read the next time). */
  load(): Promise<T>;
  /** The module once loaded, so that a screen already loaded opens without a wait. */
  loaded(): T | undefined;
}

export function lazyModule<T>(importIt: () => Promise<T>): LazyModule<T> {
  let pending: Promise<T> | null = null;
  let module: T | undefined;
  return {
    load() {
      pending ??= importIt().then(
        (m) => {
          module = m;
          return m;
        },
        (e: unknown) => {
          pending = null;
          throw e;
        },
      );
      return pending;
    },
    loaded: () => module,
  };
}
