import { describe, expect, test } from 'vitest';
import type { RecordPage } from '../bindings/RecordPage';
import type { RecordQuery } from '../bindings/RecordQuery';
import { PAGE_SIZE, RecordSource } from './recordSource';

interface Pending {
  query: RecordQuery;
  resolve(page: RecordPage): void;
  reject(error: unknown): void;
}

function controlled(): { source: RecordSource; pending: Pending[]; pages: number[]; errors: unknown[] } {
  const pending: Pending[] = [];
  const pages: number[] = [];
  const errors: unknown[] = [];
  const source = new RecordSource(
    (query) => new Promise<RecordPage>((resolve, reject) => {
      pending.push({ query, resolve, reject });
    }),
    {
      onPage: ({ matched }) => pages.push(matched),
      onError: (e) => errors.push(e),
    },
  );
  return { source, pending, pages, errors };
}

const page = (matched: number, offset: number, label: string): RecordPage => ({
  total: 1000,
  matched,
  rows: Array.from({ length: Math.min(PAGE_SIZE, matched - offset) }, (_, i) => ({ index: offset + i, cells: [`${label}${offset + i}`] })),
});

describe('RecordSource', () => {
  test('an answer to an older search is dropped', async () => {
    const { source, pending, pages } = controlled();
    const first = source.setQuery('a', null);
    const second = source.setQuery('ab', { key: 'name', descending: true });
    expect(pending.map((p) => p.query)).toEqual([
      { search: 'a', filter: [], sort: null, offset: 0, limit: PAGE_SIZE },
      { search: 'ab', filter: [], sort: { key: 'name', descending: true }, offset: 0, limit: PAGE_SIZE },
    ]);
    pending[1]?.resolve(page(5, 0, 'new'));
    pending[0]?.resolve(page(500, 0, 'old'));
    await Promise.all([first, second]);
    expect(pages).toEqual([5]);
    expect(source.matched).toBe(5);
    expect(source.get(0)?.cells).toEqual(['new0']);
  });

  test('after a reload, the first page answered before it shows until the newer one comes', async () => {
    const { source, pending, pages } = controlled();
    const opened = source.setQuery('', null);
    const reloaded = source.reload(); // a sync stored its first page while the first query ran
    expect(pending.map((p) => p.query.offset)).toEqual([0, 0]);
    pending[0]?.resolve(page(250, 0, 'old'));
    await opened;
    expect(pages).toEqual([250]);
    expect(source.get(0)?.cells).toEqual(['old0']);
    pending[1]?.resolve(page(500, 0, 'new'));
    await reloaded;
    expect(pages).toEqual([250, 500]);
    expect(source.get(0)?.cells).toEqual(['new0']);
  });

  test('an answer from before a reload never replaces a newer one, nor fills a page no one asked for again', async () => {
    const { source, pending, pages } = controlled();
    const opened = source.setQuery('', null);
    pending[0]?.resolve(page(300, 0, 'old'));
    await opened;
    source.ensure(150, 160); // page 1, still on its way when the sync reloads
    const reloaded = source.reload();
    expect(pending.map((p) => p.query.offset)).toEqual([0, 100, 0]);
    pending[2]?.resolve(page(400, 0, 'new'));
    await reloaded;
    pending[1]?.resolve(page(300, 100, 'old'));
    await Promise.resolve();
    await Promise.resolve();
    expect(pages).toEqual([300, 400]);
    expect(source.get(150)).toBeUndefined();
    // So the next ensure asks for page 1 again, under the new data.
    source.ensure(150, 160);
    expect(pending.slice(3).map((p) => p.query.offset)).toEqual([100]);
  });

  test('ensure fetches each missing page once, only within matched rows', async () => {
    const { source, pending } = controlled();
    const loading = source.setQuery('', null);
    pending[0]?.resolve(page(250, 0, 'r'));
    await loading;
    source.ensure(90, 260);
    source.ensure(95, 230);
    expect(pending.slice(1).map((p) => p.query.offset)).toEqual([100, 200]);
    expect(source.get(150)).toBeUndefined();
    pending[1]?.resolve(page(250, 100, 'r'));
    await Promise.resolve();
    await Promise.resolve();
    expect(source.get(150)?.cells).toEqual(['r150']);
    expect(source.query()).toEqual({ search: '', filter: [], sort: null, offset: 0, limit: 250 });
  });

  test('errors are reported, and a failed page can be asked for again', async () => {
    const { source, pending, errors } = controlled();
    const loading = source.setQuery('', null);
    pending[0]?.resolve(page(300, 0, 'r'));
    await loading;
    source.ensure(150, 160);
    pending[1]?.reject({ code: 'db', message: 'Disk is full.' });
    await new Promise((r) => setTimeout(r, 0));
    expect(errors).toEqual([{ code: 'db', message: 'Disk is full.' }]);
    source.ensure(150, 160);
    expect(pending).toHaveLength(3);
    expect(pending[2]?.query.offset).toBe(100);
  });
});
