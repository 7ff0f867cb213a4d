// The People side of the fake backend: a few people resolved across the tools, each with a
// timeline, and what Rust's people commands answer about them (a page of the table, one
// person, merge suggestions, the funnel, attribution, merges, splits and undo).
import type { AttributionBy } from '../bindings/AttributionBy';
import type { AttributionRow } from '../bindings/AttributionRow';
import type { DateRange } from '../bindings/DateRange';
import type { Funnel } from '../bindings/Funnel';
import type { MergeSuggestion } from '../bindings/MergeSuggestion';
import type { PeopleDecision } from '../bindings/PeopleDecision';
import type { PeoplePage } from '../bindings/PeoplePage';
import type { PeopleQuery } from '../bindings/PeopleQuery';
import type { PersonDetail } from '../bindings/PersonDetail';
import type { PersonRow } from '../bindings/PersonRow';
import type { RecordRef } from '../bindings/RecordRef';
import type { RecordRole } from '../bindings/RecordRole';
import type { TimelineEntry } from '../bindings/TimelineEntry';

/** Who a person is; their counts, tools and dates come from their timeline. */
export interface FakeIdentity {
  id: number;
  name: string | null;
  email: string | null;
  phone: string | null;
  source: string | null;
  medium: string | null;
  campaign: string | null;
}

export interface FakePerson {
  who: FakeIdentity;
  timeline: TimelineEntry[];
}

const ACCOUNTS: Record<string, string> = {
  whatconverts: 'wc-acme',
  clickfunnels: 'cf-main',
  webinargeek: 'wg-main',
  boomtown: 'bt-harbor',
  emailoctopus: 'eo-octo',
};

const RESOURCES: Record<RecordRole, Record<string, string>> = {
  lead: { whatconverts: 'leads', boomtown: 'leads' },
  registration: { webinargeek: 'registrations' },
  order: { clickfunnels: 'orders' },
  contact: { clickfunnels: 'contacts', emailoctopus: 'contacts' },
};

/** One timeline entry: `Order · 97.00 USD`, `Registration · attended`, ... */
export function entry(provider: string, role: RecordRole, recordId: string, at: string, summary: string): TimelineEntry {
  const record: RecordRef = {
    provider,
    account: ACCOUNTS[provider] ?? `${provider}-main`,
    resource: RESOURCES[role][provider] ?? `${role}s`,
    record_id: recordId,
  };
  return { record, index: 0, role, at, summary };
}

function who(id: number, name: string | null, email: string | null, more: Partial<FakeIdentity> = {}): FakeIdentity {
  return { id, name, email, phone: null, source: null, medium: null, campaign: null, ...more };
}

/** Five people: two Maria Lopez (maybe one person), records from all five tools. */
export function fakePeople(): FakePerson[] {
  return [
    {
      who: who(1, 'Maria Lopez', 'maria@example.com', { phone: '+1 555 0100', source: 'google', medium: 'cpc', campaign: 'Spring Promo' }),
      timeline: [
        entry('clickfunnels', 'order', 'cf-o-1', '2026-03-12T15:00:00Z', 'Order · 97.00 USD'),
        entry('webinargeek', 'registration', 'wg-r-1', '2026-03-05T10:00:00Z', 'Registration · Spring webinar · attended'),
        entry('whatconverts', 'lead', 'wc-l-1', '2026-03-01T09:30:00Z', 'Lead · google / cpc · Spring Promo'),
      ],
    },
    {
      who: who(2, 'Sam Tran', 'sam@example.com', { source: 'facebook', medium: 'social', campaign: 'Open House' }),
      timeline: [
        entry('emailoctopus', 'contact', 'eo-c-2', '2026-02-20T08:00:00Z', 'Contact · Newsletter'),
        entry('whatconverts', 'lead', 'wc-l-2', '2026-02-14T12:00:00Z', 'Lead · facebook / social · Open House'),
      ],
    },
    {
      who: who(3, 'Maria Lopez', 'm.lopez@work.example', { source: 'zillow', medium: 'referral', campaign: null }),
      timeline: [entry('boomtown', 'lead', 'bt-l-3', '2026-01-10T17:45:00Z', 'Lead · zillow / referral')],
    },
    {
      who: who(4, 'Priya Shah', 'priya@example.com', { phone: '+1 555 0199' }),
      timeline: [
        entry('clickfunnels', 'order', 'cf-o-4b', '2026-04-02T11:00:00Z', 'Order · 150.00 USD'),
        entry('clickfunnels', 'order', 'cf-o-4a', '2026-03-20T11:00:00Z', 'Order · 100.00 USD'),
        entry('webinargeek', 'registration', 'wg-r-4', '2026-03-18T19:00:00Z', 'Registration · Spring webinar'),
      ],
    },
    {
      who: who(5, null, 'jo@example.com'),
      timeline: [entry('emailoctopus', 'contact', 'eo-c-5', '2025-12-01T08:00:00Z', 'Contact · Newsletter')],
    },
  ];
}

/** `n` people with one WhatConverts lead each (for paging). */
export function manyPeople(n: number): FakePerson[] {
  return Array.from({ length: n }, (_, i) => ({
    who: who(100 + i, `Person ${String(i).padStart(3, '0')}`, `person${i.toString()}@example.com`, { source: 'google' }),
    timeline: [entry('whatconverts', 'lead', `wc-l-${(100 + i).toString()}`, '2026-01-05T09:00:00Z', 'Lead · google / cpc')],
  }));
}

/** "Order · 97.00 USD" → 97. */
function amount(e: TimelineEntry): number {
  if (e.role !== 'order') return 0;
  const m = /([0-9]+(?:\.[0-9]+)?)/.exec(e.summary);
  return m ? Number(m[1]) : 0;
}

export function personRow(p: FakePerson): PersonRow {
  const count = (role: RecordRole): number => p.timeline.filter((e) => e.role === role).length;
  const dates = p.timeline.map((e) => e.at).filter((d): d is string => d !== null).sort();
  return {
    ...p.who,
    first_seen: dates[0] ?? null,
    last_seen: dates.at(-1) ?? null,
    tools: [...new Set(p.timeline.map((e) => e.record.provider))].sort(),
    records: p.timeline.length,
    leads: count('lead'),
    registrations: count('registration'),
    attended: p.timeline.filter((e) => e.role === 'registration' && e.summary.includes('attended')).length,
    orders: count('order'),
    revenue: p.timeline.reduce((n, e) => n + amount(e), 0),
  };
}

function inRange(at: string | null, range: DateRange): boolean {
  if (range.from === null && range.to === null) return true;
  if (at === null) return false;
  const day = at.slice(0, 10);
  return (range.from === null || day >= range.from) && (range.to === null || day <= range.to);
}

function compare(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

export const FUNNEL: Funnel = {
  steps: [
    { step: 'leads', people: 120, rate: null, revenue: 0 },
    { step: 'registrations', people: 40, rate: 40 / 120, revenue: 0 },
    { step: 'attended', people: 25, rate: 25 / 40, revenue: 0 },
    { step: 'orders', people: 8, rate: 8 / 25, revenue: 2376 },
  ],
};

export const ATTRIBUTION: Record<AttributionBy, AttributionRow[]> = {
  source: [
    { value: 'google', people: 60, revenue: 1500 },
    { value: 'facebook', people: 40, revenue: 876 },
    { value: '(none)', people: 20, revenue: 0 },
  ],
  medium: [
    { value: 'cpc', people: 70, revenue: 1800 },
    { value: 'social', people: 30, revenue: 576 },
  ],
  campaign: [
    { value: 'Spring Promo', people: 55, revenue: 2000 },
    { value: 'Open House', people: 25, revenue: 376 },
  ],
};

/** The people the fake holds, and Rust's answers about them. */
export class FakePeopleStore {
  people: FakePerson[] = fakePeople();
  funnel: Funnel = FUNNEL;
  attribution: Record<AttributionBy, AttributionRow[]> = ATTRIBUTION;
  private nextDecision = 1;
  private decisions = new Map<number, FakePerson[]>();

  private find(id: number): FakePerson | undefined {
    return this.people.find((p) => p.who.id === id);
  }

  matching(q: PeopleQuery): PersonRow[] {
    const needle = q.search.trim().toLowerCase();
    let rows = this.people
      .filter((p) => needle === '' || [p.who.name, p.who.email, p.who.phone, ...p.timeline.map((e) => e.summary)]
        .some((text) => text?.toLowerCase().includes(needle)))
      .filter((p) => q.range.from === null && q.range.to === null ? true : p.timeline.some((e) => inRange(e.at, q.range)))
      .map(personRow)
      .filter((r) => q.tool === null || r.tools.includes(q.tool))
      .filter((r) => q.source === null || r.source === q.source)
      .filter((r) => q.has_order === null || (r.orders > 0) === q.has_order);
    const sort = q.sort;
    if (sort) {
      rows = [...rows].sort((a, b) => compare(a[sort.key], b[sort.key]) * (sort.descending ? -1 : 1));
    }
    return rows;
  }

  page(q: PeopleQuery): PeoplePage {
    const rows = this.matching(q);
    return { total: this.people.length, matched: rows.length, rows: rows.slice(q.offset, q.offset + q.limit) };
  }

  detail(id: number): PersonDetail | null {
    const p = this.find(id);
    if (!p) return null;
    const timeline = [...p.timeline].sort((a, b) => compare(b.at, a.at));
    return { person: personRow(p), timeline };
  }

  suggestions(id: number): MergeSuggestion[] | null {
    const p = this.find(id);
    if (!p) return null;
    const name = p.who.name?.toLowerCase();
    if (name === undefined) return [];
    return this.people
      .filter((o) => o.who.id !== id && o.who.name?.toLowerCase() === name)
      .map((o) => ({ person: personRow(o), reason: `Same name: ${o.who.name ?? ''}` }));
  }

  private decide(person: number, before: FakePerson[]): PeopleDecision {
    const decision = this.nextDecision;
    this.nextDecision += 1;
    this.decisions.set(decision, before);
    return { decision, person };
  }

  /** `b` joins `a`; null when either is unknown. */
  merge(a: number, b: number): PeopleDecision | null {
    const pa = this.find(a);
    const pb = this.find(b);
    if (!pa || !pb) return null;
    const before = this.people;
    const merged: FakePerson = {
      who: {
        ...pa.who,
        name: pa.who.name ?? pb.who.name,
        email: pa.who.email ?? pb.who.email,
        phone: pa.who.phone ?? pb.who.phone,
      },
      timeline: [...pa.timeline, ...pb.timeline],
    };
    this.people = this.people.filter((p) => p !== pb).map((p) => (p === pa ? merged : p));
    return this.decide(a, before);
  }

  /** The records go to a new person; null when unknown, 'empty' when nothing (or all) would move. */
  split(id: number, records: RecordRef[]): PeopleDecision | null | 'empty' {
    const p = this.find(id);
    if (!p) return null;
    const same = (e: TimelineEntry): boolean => records.some((r) => r.provider === e.record.provider
      && r.account === e.record.account && r.resource === e.record.resource && r.record_id === e.record.record_id);
    const moved = p.timeline.filter(same);
    if (moved.length === 0 || moved.length === p.timeline.length) return 'empty';
    const before = this.people;
    const newId = Math.max(...this.people.map((q) => q.who.id)) + 1;
    this.people = [
      ...this.people.map((q) => (q === p ? { ...p, timeline: p.timeline.filter((e) => !same(e)) } : q)),
      { who: { ...p.who, id: newId, phone: null }, timeline: moved },
    ];
    return this.decide(id, before);
  }

  undo(decision: number): boolean {
    const before = this.decisions.get(decision);
    if (!before) return false;
    this.decisions.delete(decision);
    this.people = before;
    return true;
  }
}
