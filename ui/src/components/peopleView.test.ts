import { afterEach, describe, expect, test } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import type { FakeBackend } from '../test/fakeBackend';
import { manyPeople } from '../test/fakePeople';
import { mountApp, type Mounted } from '../test/mount';

let m: Mounted | undefined;
afterEach(() => {
  m?.unmount();
  m = undefined;
});

async function openPeople(tune?: (b: FakeBackend) => void): Promise<Mounted> {
  m = await mountApp(tune);
  await page.getByTestId('people').click();
  await expect.element(page.getByTestId('people-view')).toBeVisible();
  return m;
}

function personRows(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('[data-testid="person-row"]')];
}

/** Clicks a row's name cell (in the test's narrow frame a whole row is wider than the view). */
async function clickRow(index: number): Promise<void> {
  await page.getByTestId('person-row').nth(index).getByRole('gridcell').first().click();
}

function rowIds(): string[] {
  return personRows().map((r) => r.dataset.personId ?? '');
}

describe('People screen', () => {
  test('the header button opens People (aria-current), Back returns to the tiles', async () => {
    await openPeople();
    await expect.element(page.getByTestId('people')).toHaveAttribute('aria-current', 'page');
    await expect.element(page.getByRole('heading', { level: 2, name: 'People' })).toBeVisible();
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('5 of 5 people');
    expect(rowIds()).toEqual(['1', '2', '3', '4', '5']);
    await page.getByTestId('back').click();
    await expect.element(page.getByTestId('tiles')).toBeVisible();
    expect(page.getByTestId('people').element().hasAttribute('aria-current')).toBe(false);
  });

  test('the Tools column names each person\'s tools', async () => {
    await openPeople();
    await expect.poll(() => personRows().length).toBe(5);
    expect(personRows()[0]?.textContent).toContain('ClickFunnels, WebinarGeek, WhatConverts');
  });

  test('search sends the text and updates the count', async () => {
    const mounted = await openPeople();
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('5 of 5 people');
    await page.getByRole('searchbox', { name: 'Search people' }).fill('maria');
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('2 of 5 people');
    expect(mounted.backend.lastPeopleQuery()).toMatchObject({ search: 'maria', offset: 0, limit: 50 });
    expect(rowIds()).toEqual(['1', '3']);
  });

  test('a sort header sends the sort and sets aria-sort', async () => {
    const mounted = await openPeople();
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('5 of 5 people');
    const header = page.getByTestId('people-table').getByRole('columnheader', { name: 'Revenue' });
    expect(header.element().hasAttribute('aria-sort')).toBe(false);
    await page.getByRole('button', { name: 'Revenue' }).click();
    await expect.element(header).toHaveAttribute('aria-sort', 'ascending');
    await expect.poll(() => mounted.backend.lastPeopleQuery()?.sort).toEqual({ key: 'revenue', descending: false });
    await page.getByRole('button', { name: 'Revenue' }).click();
    await expect.element(header).toHaveAttribute('aria-sort', 'descending');
    await expect.poll(() => mounted.backend.lastPeopleQuery()?.sort).toEqual({ key: 'revenue', descending: true });
    await expect.poll(() => rowIds()[0]).toBe('4');
    // Tools is not a sort key: no button.
    expect(page.getByTestId('people-table').getByRole('columnheader', { name: 'Tools' }).element().querySelector('button')).toBeNull();
  });

  test('filters send their values: tool, has order, date range', async () => {
    const mounted = await openPeople();
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('5 of 5 people');
    await page.getByRole('combobox', { name: 'Tool' }).selectOptions('WebinarGeek');
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('2 of 5 people');
    expect(mounted.backend.lastPeopleQuery()).toMatchObject({ tool: 'webinargeek', has_order: null });

    await page.getByRole('combobox', { name: 'Orders' }).selectOptions('Without an order');
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('0 of 5 people');
    expect(mounted.backend.lastPeopleQuery()).toMatchObject({ tool: 'webinargeek', has_order: false });
    await expect.element(page.getByTestId('people-empty')).toHaveTextContent('No one matches');

    await page.getByRole('combobox', { name: 'Tool' }).selectOptions('All tools');
    await page.getByRole('combobox', { name: 'Orders' }).selectOptions('All');
    const funnelCalls = mounted.backend.callsOf('funnel').length;
    await page.getByLabelText('From', { exact: true }).fill('2026-03-01');
    await expect.poll(() => mounted.backend.lastPeopleQuery()?.range).toEqual({ from: '2026-03-01', to: null });
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('2 of 5 people');
    // The funnel and attribution follow the range.
    await expect.poll(() => mounted.backend.callsOf('funnel').length).toBe(funnelCalls + 1);
    expect(mounted.backend.callsOf('funnel').at(-1)?.args).toEqual({ range: { from: '2026-03-01', to: null } });
    expect(mounted.backend.callsOf('attribution').at(-1)?.args).toEqual({ range: { from: '2026-03-01', to: null }, by: 'source' });
  });

  test('an empty cache shows a helpful empty state', async () => {
    await openPeople((b) => {
      b.peopleStore.people = [];
    });
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('0 of 0 people');
    await expect.element(page.getByTestId('people-empty')).toHaveTextContent('No people yet: connect a tool and its records appear here.');
    expect(personRows()).toHaveLength(0);
  });

  test('pages of 50: Show more asks for the next page', async () => {
    const mounted = await openPeople((b) => {
      b.peopleStore.people = manyPeople(120);
    });
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('120 of 120 people');
    expect(personRows()).toHaveLength(50);
    await page.getByTestId('people-more').click();
    await expect.poll(() => personRows().length).toBe(100);
    expect(mounted.backend.lastPeopleQuery()).toMatchObject({ offset: 50, limit: 50 });
    await page.getByTestId('people-more').click();
    await expect.poll(() => personRows().length).toBe(120);
    await expect.element(page.getByTestId('people-more')).not.toBeVisible();
    expect(mounted.backend.callsOf('people').every((c) => (c.args.query as { limit: number }).limit === 50)).toBe(true);
  });

  test('the funnel shows the steps, their rates and the orders\' revenue', async () => {
    await openPeople();
    const steps = page.getByTestId('funnel-step');
    await expect.poll(() => steps.elements().length).toBe(4);
    const read = steps.elements().map((e) => [e.getAttribute('data-step'), e.getAttribute('data-people')]);
    expect(read).toEqual([['leads', '120'], ['registrations', '40'], ['attended', '25'], ['orders', '8']]);
    const text = page.getByTestId('funnel').element().querySelector('.funnel-steps')?.textContent ?? '';
    expect(text).toMatch(/^Leads 120→ Registrations 40 \(33%\)→ Attended 25 \(63%\)→ Orders 8 \(32%\) · 2,376\.00 revenue$/);
    const img = page.getByRole('img', { name: /^Funnel: 120 leads, 40 registered \(33%\)/ });
    await expect.element(img).toBeInTheDocument();
    expect(page.getByTestId('funnel').element().querySelectorAll('rect')).toHaveLength(4);
  });

  test('attribution switches between source, medium and campaign', async () => {
    const mounted = await openPeople();
    const rows = (): string[] => [...document.querySelectorAll<HTMLElement>('[data-testid="attribution-row"]')].map((r) => r.dataset.value ?? '');
    await expect.poll(rows).toEqual(['google', 'facebook', '(none)']);
    await page.getByRole('radio', { name: 'Campaign' }).click();
    await expect.poll(rows).toEqual(['Spring Promo', 'Open House']);
    expect(mounted.backend.callsOf('attribution').at(-1)?.args).toMatchObject({ by: 'campaign' });
    await expect.element(page.getByTestId('attribution').getByRole('columnheader', { name: 'Campaign' })).toBeVisible();
  });

  test('a failed attribution switch shows the alert', async () => {
    const mounted = await openPeople();
    await expect.poll(() => document.querySelectorAll('[data-testid="attribution-row"]').length).toBe(3);
    mounted.backend.fail('attribution', 'Patchbay could not read its saved records.', 'cache.damaged');
    await page.getByRole('radio', { name: 'Medium' }).click();
    await expect.element(page.getByTestId('people-view').getByRole('alert')).toHaveTextContent('Patchbay could not read its saved records.');
  });

  test('export sends the current query and shows the path', async () => {
    const mounted = await openPeople();
    await page.getByRole('searchbox', { name: 'Search people' }).fill('maria');
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('2 of 5 people');
    await page.getByTestId('export-people').click();
    await expect.element(page.getByTestId('people-export-result')).toHaveTextContent('Saved 2 people to /home/ana/Downloads/patchbay-people.csv');
    expect(mounted.backend.lastPeopleQuery('export_people_csv')).toMatchObject({ search: 'maria' });
  });

  test('a failed call shows the error alert with its advice', async () => {
    await openPeople((b) => {
      b.fail('people', 'Patchbay could not read its saved records.', 'cache.damaged');
    });
    const alert = page.getByTestId('people-view').getByRole('alert');
    await expect.element(alert).toHaveTextContent('Patchbay could not read its saved records.');
    await expect.element(page.getByTestId('error-advice')).toHaveTextContent('Try again.');
  });
});

describe('a person\'s page', () => {
  test('a row opens the person with their timeline from two tools; Back keeps the search', async () => {
    const mounted = await openPeople();
    await page.getByRole('searchbox', { name: 'Search people' }).fill('maria');
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('2 of 5 people');
    await clickRow(0);
    await expect.element(page.getByTestId('person-page')).toBeVisible();
    await expect.element(page.getByRole('heading', { level: 2, name: 'Maria Lopez' })).toBeVisible();
    expect(mounted.backend.callsOf('person').at(-1)?.args).toEqual({ person: 1 });
    const entries = page.getByTestId('timeline-entry');
    await expect.poll(() => entries.elements().length).toBe(3);
    expect(entries.elements().map((e) => [e.getAttribute('data-provider'), e.getAttribute('data-resource')])).toEqual([
      ['clickfunnels', 'orders'], ['webinargeek', 'registrations'], ['whatconverts', 'leads'],
    ]);
    expect(entries.elements()[2]?.textContent).toContain('WhatConverts');
    expect(entries.elements()[2]?.textContent).toContain('Lead · google / cpc · Spring Promo');
    await expect.element(page.getByTestId('person-contact')).toHaveTextContent('maria@example.com · +1 555 0100');
    await expect.element(page.getByTestId('person-facts')).toHaveTextContent('Spring Promo');
    await expect.element(page.getByTestId('person-totals')).toHaveTextContent('97.00');

    await page.getByTestId('people-back').click();
    await expect.element(page.getByTestId('people-view')).toBeVisible();
    await expect.element(page.getByRole('searchbox', { name: 'Search people' })).toHaveValue('maria');
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('2 of 5 people');
    // Focus returns to the row that was opened.
    expect(document.activeElement?.getAttribute('data-person-id')).toBe('1');
  });

  test('rows are reachable and open with the keyboard', async () => {
    await openPeople();
    await expect.poll(() => personRows().length).toBe(5);
    // One row in the Tab order; arrows move between rows.
    expect(personRows().filter((r) => r.tabIndex === 0)).toHaveLength(1);
    personRows()[0]?.focus();
    await userEvent.keyboard('{ArrowDown}');
    expect(document.activeElement?.getAttribute('data-person-id')).toBe('2');
    await userEvent.keyboard('{End}');
    expect(document.activeElement?.getAttribute('data-person-id')).toBe('5');
    await userEvent.keyboard('{Enter}');
    await expect.element(page.getByTestId('person-page')).toBeVisible();
    // No name: the email is the heading.
    await expect.element(page.getByRole('heading', { level: 2, name: 'jo@example.com' })).toBeVisible();
  });

  test('Tab reaches the rows after the sort headers', async () => {
    await openPeople();
    await expect.poll(() => personRows().length).toBe(5);
    const sortButton = page.getByRole('button', { name: 'Revenue' }).element() as HTMLElement;
    sortButton.focus();
    await userEvent.tab();
    expect(document.activeElement?.getAttribute('data-testid')).toBe('person-row');
  });

  test('merge calls mergePeople and shows the merged person, then Undo takes it back', async () => {
    const mounted = await openPeople();
    await clickRow(0);
    await expect.element(page.getByTestId('merge-suggestion')).toHaveTextContent('May be the same person: Maria Lopez (m.lopez@work.example)');
    await page.getByRole('button', { name: 'Merge Maria Lopez (m.lopez@work.example) into this person' }).click();
    await expect.poll(() => mounted.backend.callsOf('merge_people').map((c) => c.args)).toEqual([{ a: 1, b: 3 }]);
    await expect.poll(() => page.getByTestId('timeline-entry').elements().length).toBe(4);
    expect(page.getByTestId('timeline-entry').elements().map((e) => e.getAttribute('data-provider'))).toContain('boomtown');
    await expect.element(page.getByTestId('people-decision')).toHaveTextContent('Merged Maria Lopez into this person.');
    await expect.element(page.getByTestId('merge-suggestions')).not.toBeVisible();

    await page.getByTestId('people-undo').click();
    await expect.poll(() => mounted.backend.callsOf('undo_people_decision').map((c) => c.args)).toEqual([{ decision: 1 }]);
    await expect.poll(() => page.getByTestId('timeline-entry').elements().length).toBe(3);
    await expect.element(page.getByTestId('people-decision')).toHaveTextContent('Undone.');
    await expect.element(page.getByTestId('merge-suggestion')).toBeVisible();

    // The table shows the change too.
    await page.getByTestId('people-back').click();
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('5 of 5 people');
  });

  test('split off the selected records into a new person', async () => {
    const mounted = await openPeople();
    await clickRow(0);
    await expect.poll(() => page.getByTestId('timeline-entry').elements().length).toBe(3);
    const split = page.getByTestId('split-off');
    await expect.element(split).toBeDisabled();
    await page.getByRole('checkbox', { name: /Order · 97\.00 USD \(ClickFunnels\)/ }).click();
    await expect.element(split).toBeEnabled();
    await split.click();
    await expect.poll(() => mounted.backend.callsOf('split_person').map((c) => c.args)).toEqual([{
      person: 1,
      records: [{ provider: 'clickfunnels', account: 'cf-main', resource: 'orders', record_id: 'cf-o-1' }],
    }]);
    await expect.poll(() => page.getByTestId('timeline-entry').elements().length).toBe(2);
    await expect.element(page.getByTestId('people-decision')).toHaveTextContent('Split off 1 record into a new person.');
    await page.getByTestId('people-back').click();
    await expect.element(page.getByTestId('people-count')).toHaveTextContent('6 of 6 people');
    await clickRow(0);
    await expect.poll(() => page.getByTestId('timeline-entry').elements().length).toBe(2);
  });

  test('undo after a split restores the person', async () => {
    const mounted = await openPeople();
    await clickRow(0);
    await expect.poll(() => page.getByTestId('timeline-entry').elements().length).toBe(3);
    await page.getByRole('checkbox', { name: /WhatConverts/ }).click();
    await page.getByTestId('split-off').click();
    await expect.poll(() => page.getByTestId('timeline-entry').elements().length).toBe(2);
    await page.getByTestId('people-undo').click();
    await expect.poll(() => page.getByTestId('timeline-entry').elements().length).toBe(3);
    expect(mounted.backend.callsOf('undo_people_decision').map((c) => c.args)).toEqual([{ decision: 1 }]);
  });

  test('a failed merge shows the error alert and leaves the person as they were', async () => {
    await openPeople((b) => {
      b.fail('merge_people', 'These are already the same person.', 'people.same_person');
    });
    await clickRow(0);
    await page.getByTestId('merge').click();
    const alert = page.getByTestId('person-page').getByRole('alert');
    await expect.element(alert).toHaveTextContent('These are already the same person.');
    await expect.element(alert).toHaveAttribute('data-code', 'people.same_person');
    expect(page.getByTestId('timeline-entry').elements()).toHaveLength(3);
    await expect.element(page.getByTestId('merge')).toBeEnabled();
  });

  test('a person that is gone shows the error with its advice', async () => {
    await openPeople((b) => {
      b.fail('person', 'This person is no longer in Patchbay.', 'people.unknown_person');
    });
    await clickRow(0);
    await expect.element(page.getByTestId('person-page').getByRole('alert')).toHaveTextContent('This person is no longer in Patchbay.');
  });
});
