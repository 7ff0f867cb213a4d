import type { MergeSuggestion } from '../bindings/MergeSuggestion';
import type { PeopleDecision } from '../bindings/PeopleDecision';
import type { PersonDetail } from '../bindings/PersonDetail';
import type { PersonRow } from '../bindings/PersonRow';
import type { TimelineEntry } from '../bindings/TimelineEntry';
import * as ipc from '../ipc';
import { h, uid } from '../lib/dom';
import { formatCount, formatMoney, formatTime, records } from '../lib/format';
import { createErrorAlert } from './errorAlert';
import { personName } from './peopleTable';

export interface PersonPageOptions {
  person: number;
  providerName(id: string): string;
  onBack(): void;
  /** A merge, split or undo changed who is who: the People table is out of date. */
  onChanged(): void;
}

export interface PersonPage {
  el: HTMLElement;
  /** The person shown now (a merge or split may move the page to another). */
  personId(): number;
  load(): Promise<void>;
}

/** A decision the user can take back, and the person to show once it is. */
interface Undoable {
  decision: PeopleDecision;
  showAfter: number;
}

function orDash(text: string | null): string {
  return text === null || text.trim() === '' ? '—' : text;
}

/**
 * One person: who they are, their first touch and totals, every record of theirs from every
 * tool (newest first), people who may be the same (Merge), and Split off for records that are
 * someone else's. A merge or split can be undone from the line that reports it.
 */
export function createPersonPage(options: PersonPageOptions): PersonPage {
  let current = options.person;
  let detail: PersonDetail | null = null;
  let undoable: Undoable | null = null;
  let request = 0;

  const back = h('button', { type: 'button', class: 'secondary back', 'data-testid': 'people-back' }, '← People');
  back.addEventListener('click', () => {
    options.onBack();
  });
  const headingId = uid('person-title');
  const heading = h('h2', { id: headingId, tabindex: -1, class: 'view-title' }, 'Person');
  const contact = h('p', { class: 'muted person-contact', 'data-testid': 'person-contact' });
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'person-status' });
  const error = createErrorAlert();

  const decisionText = h('span', { 'data-testid': 'people-decision' });
  const undoButton = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'people-undo' }, 'Undo');
  const decisionBar = h('div', { class: 'decision-bar', role: 'status', hidden: true }, decisionText, undoButton);
  undoButton.addEventListener('click', () => {
    void undo();
  });

  const facts = h('dl', { class: 'detail-fields person-facts', 'data-testid': 'person-facts' });
  const totals = h('dl', { class: 'person-totals', 'data-testid': 'person-totals' });
  const suggestions = h('ul', { class: 'merge-list' });
  const suggestionsBlock = h('section', { class: 'person-block', 'data-testid': 'merge-suggestions', hidden: true },
    h('h3', {}, 'Possible matches'),
    suggestions,
  );

  const timelineId = uid('timeline-title');
  const timeline = h('ol', { class: 'timeline', 'data-testid': 'timeline', 'aria-labelledby': timelineId });
  const splitButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'split-off', disabled: true }, 'Split off selected');
  const splitHint = h('p', { class: 'muted hint', id: uid('split-hint') },
    'Tick the records that belong to someone else, then split them off into a new person.');
  splitButton.setAttribute('aria-describedby', splitHint.id);
  splitButton.addEventListener('click', () => {
    void split();
  });

  const el = h('section', { class: 'person-page', 'data-testid': 'person-page', 'aria-labelledby': headingId },
    h('div', { class: 'view-head' }, back, h('div', { class: 'view-title-block' }, heading, contact)),
    status,
    error.el,
    decisionBar,
    h('div', { class: 'person-summary' },
      h('section', { class: 'person-block' }, h('h3', {}, 'Details'), facts),
      h('section', { class: 'person-block' }, h('h3', {}, 'Totals'), totals),
    ),
    suggestionsBlock,
    h('section', { class: 'person-block' },
      h('div', { class: 'timeline-head' }, h('h3', { id: timelineId }, 'Timeline'), splitButton),
      splitHint,
      timeline,
    ),
  );

  function checked(): TimelineEntry[] {
    const entries = detail?.timeline ?? [];
    return [...timeline.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')]
      .flatMap((box, i) => (box.checked && entries[i] ? [entries[i]] : []));
  }

  function updateSplit(): void {
    const n = checked().length;
    // Splitting off every record would leave no one behind: Rust refuses it.
    splitButton.disabled = n === 0 || n === (detail?.timeline.length ?? 0);
    splitButton.textContent = n > 0 ? `Split off selected (${formatCount(n)})` : 'Split off selected';
  }

  function renderPerson(d: PersonDetail): void {
    const p = d.person;
    heading.textContent = personName(p);
    contact.textContent = [p.email, p.phone].filter((x): x is string => x !== null).join(' · ');
    const fact = (label: string, value: string | null, field: string): HTMLElement[] => [
      h('dt', {}, label),
      h('dd', { 'data-field': field }, orDash(value)),
    ];
    facts.replaceChildren(
      ...fact('Email', p.email, 'email'),
      ...fact('Phone', p.phone, 'phone'),
      ...fact('First seen', p.first_seen === null ? null : formatTime(p.first_seen), 'first_seen'),
      ...fact('Last seen', p.last_seen === null ? null : formatTime(p.last_seen), 'last_seen'),
      ...fact('Source', p.source, 'source'),
      ...fact('Medium', p.medium, 'medium'),
      ...fact('Campaign', p.campaign, 'campaign'),
    );
    const total = (label: string, value: string, field: string): HTMLElement =>
      h('div', { class: 'person-total', 'data-field': field }, h('dt', {}, label), h('dd', {}, value));
    totals.replaceChildren(
      total('Leads', formatCount(p.leads), 'leads'),
      total('Registrations', formatCount(p.registrations), 'registrations'),
      total('Attended', formatCount(p.attended), 'attended'),
      total('Orders', formatCount(p.orders), 'orders'),
      total('Revenue', formatMoney(p.revenue), 'revenue'),
    );
    timeline.replaceChildren(...d.timeline.map((entry) => {
      const provider = options.providerName(entry.record.provider);
      const box = h('input', { type: 'checkbox', class: 'timeline-check', 'aria-label': `Select ${entry.summary} (${provider})` });
      box.addEventListener('change', updateSplit);
      return h('li', {
        class: 'timeline-entry',
        'data-testid': 'timeline-entry',
        'data-provider': entry.record.provider,
        'data-resource': entry.record.resource,
        'data-role': entry.role,
      },
      box,
      h('div', { class: 'timeline-text' },
        h('span', { class: 'timeline-provider' }, provider),
        h('span', { class: 'timeline-summary' }, entry.summary),
      ),
      entry.at === null
        ? h('span', { class: 'muted timeline-at' }, 'No date')
        : h('time', { class: 'muted timeline-at', datetime: entry.at }, formatTime(entry.at)));
    }));
    if (d.timeline.length === 0) timeline.append(h('li', { class: 'muted' }, 'No records.'));
    updateSplit();
  }

  function renderSuggestions(list: MergeSuggestion[]): void {
    suggestionsBlock.hidden = list.length === 0;
    suggestions.replaceChildren(...list.map((s) => {
      const other = s.person;
      const who = other.email !== null && other.name !== null ? `${other.name} (${other.email})` : personName(other);
      const merge = h('button', {
        type: 'button',
        class: 'small',
        'data-testid': 'merge',
        'aria-label': `Merge ${who} into this person`,
      }, 'Merge');
      merge.addEventListener('click', () => {
        void mergeWith(other);
      });
      return h('li', { class: 'merge-suggestion', 'data-testid': 'merge-suggestion', 'data-person-id': other.id },
        h('span', {}, `May be the same person: ${who}`, h('span', { class: 'muted' }, ` · ${s.reason} · ${records(other.records)}`)),
        merge,
      );
    }));
  }

  async function load(): Promise<void> {
    request += 1;
    const mine = request;
    error.show(null);
    status.textContent = 'Loading…';
    try {
      const [d, list] = await Promise.all([ipc.person(current), ipc.mergeSuggestions(current)]);
      if (mine !== request) return;
      detail = d;
      status.textContent = '';
      renderPerson(d);
      renderSuggestions(list);
    } catch (e) {
      if (mine !== request) return;
      status.textContent = '';
      error.showError(e, "We couldn't load this person. Please go back and try again.");
    }
  }

  function busy(on: boolean): void {
    for (const b of el.querySelectorAll<HTMLButtonElement>('button[data-testid="merge"], button[data-testid="people-undo"]')) b.disabled = on;
    if (on) splitButton.disabled = true;
    else updateSplit();
  }

  function decided(decision: PeopleDecision, text: string, showAfter: number): void {
    undoable = { decision, showAfter };
    decisionText.textContent = `${text} `;
    undoButton.hidden = false;
    decisionBar.hidden = false;
    current = decision.person;
    options.onChanged();
  }

  /** One merge or split: the decision is made, kept for Undo, and the page shows its result. */
  async function decide(run: () => Promise<PeopleDecision>, done: string, failure: string): Promise<void> {
    error.show(null);
    busy(true);
    const before = current;
    try {
      const decision = await run();
      decided(decision, done, before);
      await load();
      heading.focus();
    } catch (e) {
      error.showError(e, failure);
    } finally {
      busy(false);
    }
  }

  async function mergeWith(other: PersonRow): Promise<void> {
    await decide(
      () => ipc.mergePeople(current, other.id),
      `Merged ${personName(other)} into this person.`,
      "We couldn't merge these people. Please try again.",
    );
  }

  async function split(): Promise<void> {
    const entries = checked();
    if (entries.length === 0) return;
    await decide(
      () => ipc.splitPerson(current, entries.map((e) => e.record)),
      `Split off ${records(entries.length)} into a new person.`,
      "We couldn't split these records off. Please try again.",
    );
  }

  async function undo(): Promise<void> {
    const u = undoable;
    if (!u) return;
    error.show(null);
    busy(true);
    try {
      await ipc.undoPeopleDecision(u.decision.decision);
      undoable = null;
      current = u.showAfter;
      decisionText.textContent = 'Undone.';
      undoButton.hidden = true;
      options.onChanged();
      await load();
      heading.focus();
    } catch (e) {
      error.showError(e, "We couldn't undo that. Please try again.");
    } finally {
      busy(false);
    }
  }

  return {
    el,
    personId: () => current,
    async load() {
      await load();
      heading.focus();
    },
  };
}

