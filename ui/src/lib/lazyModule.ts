/**
 * A module loaded on first use and kept: every call answers the same import. A failed import
 * is not kept, so the next call tries again (a chunk that could not be read once may be read
 * the next time).
 */
export function lazyModule<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    pending ??= load().catch((e: unknown) => {
      pending = null;
      throw e;
    });
    return pending;
  };
}
