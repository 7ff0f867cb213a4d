import type { Condition } from '../bindings/Condition';
import type { RecordPage } from '../bindings/RecordPage';
import type { RecordQuery } from '../bindings/RecordQuery';
import type { RecordRow } from '../bindings/RecordRow';
import type { SortSpec } from '../bindings/SortSpec';

export const PAGE_SIZE = 100;
/** Pages kept per query; the oldest are dropped beyond this. */
const MAX_PAGES = 60;

export type FetchPage = (query: RecordQuery) => Promise<RecordPage>;

export interface SourceEvents {
  /** A page arrived: counts may have changed and rows can be drawn. */
  onPage(counts: { matched: number; total: number }): void;
  onError(error: unknown): void;
}

/**
 * The rows of one resource under the current search and sort, fetched from
 * Rust one page at a time as the table scrolls, and cached. Answers to an
 * older search or sort are dropped.
 */
export class RecordSource {
  private search = '';
  private sortSpec: SortSpec | null = null;
  private filter: Condition[] = [];
  private pages = new Map<number, RecordRow[]>();
  private inFlight = new Set<number>();
  private generation = 0;
  matched: number | null = null;
  total: number | null = null;

  constructor(
    private readonly fetchPage: FetchPage,
    private readonly events: SourceEvents,
  ) {}

  /** The current view as a query (for export): every matched row. */
  query(offset = 0, limit = this.matched ?? PAGE_SIZE): RecordQuery {
    return { search: this.search, filter: this.filter, sort: this.sortSpec, offset, limit };
  }

  /** Starts over with a new search, sort and filters, and loads the first page. */
  setQuery(search: string, sort: SortSpec | null, filter: Condition[] = this.filter): Promise<void> {
    this.search = search;
    this.sortSpec = sort;
    this.filter = filter;
    return this.reload();
  }

  /** Forgets every page (after a sync) and loads the first page again. */
  reload(): Promise<void> {
    this.generation += 1;
    this.pages.clear();
    this.inFlight.clear();
    return this.load(0);
  }

  get(position: number): RecordRow | undefined {
    return this.pages.get(Math.floor(position / PAGE_SIZE))?.[position % PAGE_SIZE];
  }

  /** Makes sure the pages covering positions start..end (inclusive) are loaded or loading. */
  ensure(start: number, end: number): void {
    if (this.matched === null) return;
    const last = Math.min(end, this.matched - 1);
    for (let page = Math.floor(start / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page += 1) {
      const rows = this.pages.get(page);
      if (rows) {
        // Most recently used last, so eviction drops pages out of view.
        this.pages.delete(page);
        this.pages.set(page, rows);
      } else if (!this.inFlight.has(page)) {
        void this.load(page);
      }
    }
  }

  private async load(page: number): Promise<void> {
    const generation = this.generation;
    this.inFlight.add(page);
    try {
      const result = await this.fetchPage(this.query(page * PAGE_SIZE, PAGE_SIZE));
      if (generation !== this.generation) return;
      this.pages.set(page, result.rows);
      while (this.pages.size > MAX_PAGES) {
        const oldest = this.pages.keys().next().value;
        if (oldest === undefined) break;
        this.pages.delete(oldest);
      }
      this.matched = result.matched;
      this.total = result.total;
      this.events.onPage({ matched: result.matched, total: result.total });
    } catch (error) {
      if (generation === this.generation) this.events.onError(error);
    } finally {
      if (generation === this.generation) this.inFlight.delete(page);
    }
  }
}
