import { describe, expect, test } from 'vitest';
import { lazyModule } from './lazyModule';

describe('lazyModule', () => {
  test('loads once and every call answers the same module', async () => {
    let loads = 0;
    const get = lazyModule(() => {
      loads += 1;
      return Promise.resolve({ n: loads });
    });
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(await get()).toBe(a);
    expect(loads).toBe(1);
  });

  test('a failed load is not kept: the next call tries again', async () => {
    let loads = 0;
    const get = lazyModule(() => {
      loads += 1;
      return loads === 1 ? Promise.reject(new Error('chunk unreadable')) : Promise.resolve('module');
    });
    await expect(get()).rejects.toThrow('chunk unreadable');
    expect(await get()).toBe('module');
    expect(loads).toBe(2);
  });
});
