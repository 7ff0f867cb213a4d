import type { AttributionBy } from '../bindings/AttributionBy';
import type { DateRange } from '../bindings/DateRange';
import type { PeopleQuery } from '../bindings/PeopleQuery';
import type { PeopleSort } from '../bindings/PeopleSort';
import type { PersonRow } from '../bindings/PersonRow';
import type { ProviderTile } from '../bindings/ProviderTile';
import * as ipc from '../ipc';
import { h } from '../lib/dom';
import { formatCount, people } from '../lib/format';
import { createAttributionChart } from './attributionChart';
import { createErrorAlert } from './errorAlert';
import { createFunnelChart } from './funnelChart';
import { createPeopleFilters, type PeopleFilterValues } from './peopleFilters';
import { createPeopleTable } from './peopleTable';
import { createPersonPage, type PersonPage } from './personPage';
import { createSearchBox } from './searchBox';
import { markShownAndPainted } from '../lib/timing';

/** Rows asked for at a time; "Show more" asks for the next page. */
export const PEOPLE_PAGE = 50;

export interface PeopleViewOptions {
  /** The tiles as the window knows them (for the tools' names). */
  providers(): ProviderTile[];
  onBack(): void;
}

export interface PeopleView {
  el: HTMLElement;
  /** Loads the first page, the funnel and attribution. */
  start(): Promise<void>;
}

/**
 * Everyone across the tools: search, filters, the funnel and attribution for the date range,
 * and a table paged 50 at a time. A row opens the person's page in place of the table; Back
 * brings the table back as it was (search, filters, sort).
 */
export function createPeopleView(options: PeopleViewOptions): PeopleView {
  let search = '';
  let sort: PeopleSort | null = null;
  let filters: PeopleFilterValues = { tool: null, hasOrder: null, range: { from: null, to: null } };
  let shown: PersonRow[] = [];
  let matched = 0;
  /** Each new query (search, sort, filter) outdates the answers of earlier ones. */
  let generation = 0;
  let chartsRequest = 0;
  let stale = false;
  let personPage: PersonPage | null = null;

  function providerName(id: string): string {
    return options.providers().find((p) => p.id === id)?.display_name ?? id;
  }

  const back = h('button', { type: 'button', class: 'secondary back', 'data-testid': 'back' }, '← Your tools');
  back.addEventListener('click', () => {
    options.onBack();
  });
  const heading = h('h2', { id: 'people-title', tabindex: -1, class: 'view-title' }, 'People');
  const intro = h('p', { class: 'muted' }, 'Everyone in your tools, matched by email and phone.');

  const count = h('p', { class: 'row-count', role: 'status', 'data-testid': 'people-count' }, 'Loading people…');
  const queryError = createErrorAlert();
  const searchBox = createSearchBox(async (text) => {
    search = text;
    await reload();
    // For bench/: keystroke (`search-input`) to the answer in the table and on screen.
    markShownAndPainted('people-search');
  }, { label: 'Search people', testId: 'people-search' });
  const filterBar = createPeopleFilters((values) => {
    const rangeChanged = values.range.from !== filters.range.from || values.range.to !== filters.range.to;
    filters = values;
    void reload();
    if (rangeChanged) void loadCharts();
  });

  const exportButton = h('button', { type: 'button', 'data-testid': 'export-people' }, 'Export CSV');
  const exportStatus = h('p', { class: 'muted export-status', role: 'status', 'data-testid': 'people-export-result' });
  const exportError = createErrorAlert();
  exportButton.addEventListener('click', () => {
    void exportPeople();
  });

  const table = createPeopleTable({
    providerName,
    onSort(next) {
      sort = next;
      void reload();
    },
    onOpen(row) {
      openPerson(row.id);
    },
  });
  const empty = h('div', { class: 'empty-state', 'data-testid': 'people-empty', hidden: true });
  const moreButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'people-more', hidden: true }, 'Show more');
  moreButton.addEventListener('click', () => {
    void more();
  });

  const funnel = createFunnelChart();
  const attribution = createAttributionChart((by) => {
    chartsError.show(null);
    loadAttribution(by).catch((error: unknown) => {
      if (by === attribution.by()) chartsError.showError(error, "We couldn't show where people came from. Please try again.");
    });
  });
  const chartsError = createErrorAlert();

  const listEl = h('div', { class: 'people-list' },
    h('div', { class: 'view-head' }, back, h('div', { class: 'view-title-block' }, heading, intro)),
    h('div', { class: 'toolbar' },
      searchBox.el,
      filterBar.el,
      h('div', { class: 'toolbar-end' }, exportButton),
    ),
    exportStatus,
    exportError.el,
    h('div', { class: 'people-charts' }, funnel.el, attribution.el),
    chartsError.el,
    count,
    queryError.el,
    empty,
    h('div', { class: 'table-wrap' }, table.el),
    h('div', { class: 'more-row' }, moreButton),
  );
  const el = h('section', { class: 'people-view', 'data-testid': 'people-view', 'aria-labelledby': 'people-title' }, listEl);

  function query(offset: number): PeopleQuery {
    return {
      search,
      sort,
      tool: filters.tool,
      source: null,
      range: filters.range,
      has_order: filters.hasOrder,
      offset,
      limit: PEOPLE_PAGE,
    };
  }

  function showCount(total: number): void {
    count.textContent = `${formatCount(matched)} of ${people(total)}`;
    moreButton.hidden = shown.length >= matched;
    moreButton.textContent = `Show more (${formatCount(shown.length)} of ${formatCount(matched)} shown)`;
    const nobody = total === 0;
    empty.hidden = matched > 0;
    empty.replaceChildren(nobody
      ? h('p', {}, 'No people yet: connect a tool and its records appear here.')
      : h('p', {}, 'No one matches this search and these filters.'));
    table.el.hidden = matched === 0;
  }

  async function reload(): Promise<void> {
    generation += 1;
    const mine = generation;
    try {
      const page = await ipc.people(query(0));
      if (mine !== generation) return;
      queryError.show(null);
      shown = page.rows;
      matched = page.matched;
      table.setRows(page.rows);
      showCount(page.total);
    } catch (error) {
      if (mine !== generation) return;
      queryError.showError(error, "We couldn't show the people. Please try again.");
    }
  }

  async function more(): Promise<void> {
    const mine = generation;
    moreButton.disabled = true;
    try {
      const page = await ipc.people(query(shown.length));
      if (mine !== generation) return;
      queryError.show(null);
      const first = page.rows[0];
      shown = [...shown, ...page.rows];
      matched = page.matched;
      table.setRows(page.rows, true);
      showCount(page.total);
      if (first) table.focusPerson(first.id);
    } catch (error) {
      if (mine !== generation) return;
      queryError.showError(error, "We couldn't show more people. Please try again.");
    } finally {
      moreButton.disabled = false;
    }
  }

  async function loadAttribution(by: AttributionBy, range: DateRange = filters.range, mine = chartsRequest): Promise<void> {
    const rows = await ipc.attribution(range, by);
    if (mine !== chartsRequest || by !== attribution.by()) return;
    attribution.update(by, rows);
  }

  async function loadCharts(): Promise<void> {
    chartsRequest += 1;
    const mine = chartsRequest;
    const range = filters.range;
    chartsError.show(null);
    try {
      await Promise.all([
        ipc.funnel(range).then((f) => {
          if (mine === chartsRequest) funnel.update(f);
        }),
        loadAttribution(attribution.by(), range, mine),
      ]);
    } catch (error) {
      if (mine !== chartsRequest) return;
      chartsError.showError(error, "We couldn't draw the funnel and attribution. Please try again.");
    }
  }

  async function exportPeople(): Promise<void> {
    exportError.show(null);
    exportStatus.textContent = 'Exporting…';
    exportButton.disabled = true;
    try {
      const result = await ipc.exportPeopleCsv(query(0));
      exportStatus.textContent = `Saved ${people(result.rows)} to ${result.path}`;
    } catch (error) {
      exportStatus.textContent = '';
      exportError.showError(error, "We couldn't export these people. Please try again.");
    } finally {
      exportButton.disabled = false;
    }
  }

  function openPerson(id: number): void {
    const page = createPersonPage({
      person: id,
      providerName,
      onBack: closePerson,
      onChanged() {
        stale = true;
      },
    });
    personPage = page;
    el.replaceChildren(page.el);
    void page.load();
  }

  function closePerson(): void {
    const last = personPage?.personId();
    personPage = null;
    el.replaceChildren(listEl);
    const refocus = (): void => {
      if (last === undefined || !table.focusPerson(last)) heading.focus();
    };
    if (!stale) {
      refocus();
      return;
    }
    heading.focus();
    // A merge or split changed who is who: the table and charts show it, under the same search.
    stale = false;
    void Promise.all([reload(), loadCharts()]).then(refocus);
  }

  return {
    el,
    async start() {
      heading.focus();
      filterBar.setTools(options.providers().map((p) => ({ id: p.id, name: p.display_name })));
      await Promise.all([reload(), loadCharts()]);
    },
  };
}
