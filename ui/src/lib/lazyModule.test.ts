import { describe, expect, test } from 'vitest';
import { lazyModule } from './lazyModule';

describe('lazyModule', () => {
  test('loads once and every call answers the same module', async () => {
    let loads = 0;
    const get = lazyModule(() => {
      loads += 1;
      return Promise.resolve({ n: loads });
    });
    expect(get.loaded()).toBeUndefined();
    const [a, b] = await Promise.all([get.load(), get.load()]);
    expect(a).toBe(b);
    expect(await get.load()).toBe(a);
    expect(get.loaded()).toBe(a);
    expect(loads).toBe(1);
  });

  test('a failed load is not kept: the next call tries again', async () => {
    let loads = 0;
    const get = lazyModule(() => {
      loads += 1;
      return loads === 1 ? Promise.reject(new Error('chunk unreadable')) : Promise.resolve('module');
    });
    await expect(get.load()).rejects.toThrow('chunk unreadable');
    expect(get.loaded()).toBeUndefined();
    expect(await get.load()).toBe('module');
    expect(loads).toBe(2);
  });
});
