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
 * older search or sort are dropped. After a reload (a sync stored more), an
 * answer asked for before it still shows while the page's newer answer is on
 * its way, never over it: a sync's first page is drawn as soon as either comes.
 */
export class RecordSource {
  private search = '';
  private sortSpec: SortSpec | null = null;
  private filter: Condition[] = [];
  private pages = new Map<number, RecordRow[]>();
  private inFlight = new Set<number>();
  /** Bumped when the search, sort or filters change: older answers are to another question. */
  private question = 0;
  /** Bumped by every load from scratch: older answers are older data for the same question. */
  private version = 0;
  /** Which version each cached page came from. */
  private pageVersion = new Map<number, number>();
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
    this.question += 1;
    return this.reload();
  }

  /** Forgets every page (after a sync) and loads the first page again. */
  reload(): Promise<void> {
    this.version += 1;
    this.pages.clear();
    this.pageVersion.clear();
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
    const question = this.question;
    const version = this.version;
    const current = (): boolean => question === this.question && version === this.version;
    this.inFlight.add(page);
    try {
      const result = await this.fetchPage(this.query(page * PAGE_SIZE, PAGE_SIZE));
      if (question !== this.question) return;
      // An answer from before a reload stands in only for a page whose newer answer is
      // being fetched (so it is replaced), and never replaces a newer one.
      if (version !== this.version && !this.inFlight.has(page)) return;
      if ((this.pageVersion.get(page) ?? -1) > version) return;
      this.pages.delete(page);
      this.pages.set(page, result.rows);
      this.pageVersion.set(page, version);
      while (this.pages.size > MAX_PAGES) {
        const oldest = this.pages.keys().next().value;
        if (oldest === undefined) break;
        this.pages.delete(oldest);
        this.pageVersion.delete(oldest);
      }
      this.matched = result.matched;
      this.total = result.total;
      this.events.onPage({ matched: result.matched, total: result.total });
    } catch (error) {
      if (current()) this.events.onError(error);
    } finally {
      if (current()) this.inFlight.delete(page);
    }
  }
}
