// How a cached cell reads to a marketer, by its column's kind. The cache keeps each cell as the
// display text Rust made (dates as the provider sent them, money as "1,234.50", booleans as
// "Yes"/"No"); the window turns that into the user's own locale and time zone here.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { ColumnView } from '../bindings/ColumnView';

/** The user's locale and time zone; tests pass fixed ones, the app the system's. */
export interface CellLocale {
  locale: string;
  timeZone: string;
}

export function systemLocale(): CellLocale {
  const resolved = new Intl.DateTimeFormat().resolvedOptions();
  return { locale: resolved.locale, timeZone: resolved.timeZone };
}

/** How a badge looks: statuses that read as good, bad, or neither. */
export type BadgeTone = 'positive' | 'negative' | 'neutral';

/** One cell as shown. */
export type CellText =
  | { kind: 'empty' }
  | {
    kind: 'value';
    /** What the cell shows. */
    text: string;
    /** The whole value (tooltip and detail panel): the full date and time with its zone. */
    full: string;
    align: 'start' | 'end';
    /** Shown as a small badge with this tone. */
    badge: BadgeTone | null;
    /** A link shown as text with a copy button: what the button copies. */
    copy: string | null;
  };

const POSITIVE = new Set([
  'yes', 'true', 'active', 'subscribed', 'paid', 'completed', 'complete', 'won', 'attended',
  'sent', 'published', 'unique', 'confirmed', 'success', 'succeeded',
]);
const NEGATIVE = new Set([
  'no', 'false', 'unsubscribed', 'failed', 'refunded', 'cancelled', 'canceled', 'lost', 'spam',
  'bounced', 'inactive', 'declined', 'archived', 'deleted', 'expired',
]);

export function badgeTone(value: string): BadgeTone {
  const v = value.trim().toLowerCase();
  if (POSITIVE.has(v)) return 'positive';
  if (NEGATIVE.has(v)) return 'negative';
  return 'neutral';
}

type ValueCell = Extract<CellText, { kind: 'value' }>;

// Building an Intl formatter costs far more than using one (WebKit builds one per
// `toLocaleString` call too): a screen of rows needs a few hundred cells, every keystroke of a
// search, so each formatter is built once per locale and options and kept.
const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    numberFormats.set(key, format);
  }
  return format;
}

function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    dateFormats.set(key, format);
  }
  return format;
}

function plain(text: string, align: 'start' | 'end' = 'start'): ValueCell {
  return { kind: 'value', text, full: text, align, badge: null, copy: null };
}

/**
 * The currency of a money cell: the definition's fixed code, or the code in the row's
 * currency column; `null` when neither is known.
 */
export function currencyOf(column: ColumnView, columns: ColumnView[], cells: string[]): string | null {
  if (column.currency) return column.currency;
  if (!column.currency_column) return null;
  const at = columns.findIndex((c) => c.key === column.currency_column);
  const code = at >= 0 ? cells[at]?.trim().toUpperCase() : undefined;
  return code && /^[A-Z]{3}$/.test(code) ? code : null;
}

/**
 * Formats one cell's display text as its column's kind reads. `currency` is the record's own
 * (from [`currencyOf`]); without it a money column uses its definition's.
 */
export function formatCell(column: ColumnView, raw: string, where: CellLocale, currency: string | null = null): CellText {
  const value = raw.trim();
  if (value === '') return { kind: 'empty' };
  const cell = byKind(column, value, where, currency ?? column.currency);
  if (column.badge) return { ...cell, badge: badgeTone(value), align: 'start' };
  return cell;
}

function byKind(column: ColumnView, value: string, where: CellLocale, currency: string | null): ValueCell {
  switch (column.kind) {
    case 'integer':
    case 'number': {
      const n = parseNumber(value);
      // Whole numbers are mostly ids ("Lead 1000302"), which read wrong as "1,000,302".
      const grouped = column.kind === 'number';
      return n === null ? plain(value) : plain(numberFormat(where.locale, { useGrouping: grouped }).format(n), 'end');
    }
    case 'money':
      return formatMoney(value, where, currency);
    case 'boolean':
      return { ...plain(value), badge: badgeTone(value) };
    case 'date':
    case 'date_time':
      return formatDate(column.kind, value, where);
    case 'phone':
      return formatPhone(value, where);
    case 'url':
      return { ...plain(value), copy: value };
    case 'text':
    case 'email':
      return plain(value);
  }
}

/** Digits, sign and point, as Rust reads money ("$1,234.50" is 1234.5). */
function parseNumber(value: string): number | null {
  const cleaned = value.replace(/[^0-9.-]/g, '');
  if (cleaned === '' || cleaned === '-' || cleaned === '.') return null;
  const n = Number(cleaned);
  return Number.isFinite(n) ? n : null;
}

function formatMoney(value: string, where: CellLocale, currency: string | null): ValueCell {
  const n = parseNumber(value);
  if (n === null) return plain(value);
  if (currency) {
    try {
      const text = numberFormat(where.locale, { style: 'currency', currency }).format(n);
      return plain(text, 'end');
    } catch {
      // A code Intl does not know (a provider's typo): the amount with the code after it.
      const text = `${numberFormat(where.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n)} ${currency}`;
      return plain(text, 'end');
    }
  }
  return plain(numberFormat(where.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n), 'end');
}

/** A point in time, or a calendar day that belongs to no time zone. */
type When = { day: true; date: Date } | { day: false; date: Date };

const DAY_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const US_DAY = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const NAIVE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;
const WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** Reads the date formats the cache keeps (those `extract.rs` parses); times without a zone are UTC. */
export function parseWhen(value: string): When | null {
  const day = DAY_ONLY.exec(value);
  if (day) return utcDay(Number(day[1]), Number(day[2]), Number(day[3]));
  const us = US_DAY.exec(value);
  if (us) return utcDay(Number(us[3]), Number(us[1]), Number(us[2]));
  const naive = NAIVE.exec(value);
  if (naive) return instant(`${naive[1] ?? ''}T${naive[2] ?? ''}Z`);
  if (WITH_ZONE.test(value)) return instant(value.replace(' ', 'T'));
  return null;
}

function utcDay(year: number, month: number, day: number): When | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  // 2024-02-30 would roll over to March: not a date.
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return { day: true, date };
}

function instant(iso: string): When | null {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : { day: false, date };
}

function formatDate(kind: 'date' | 'date_time', value: string, where: CellLocale): ValueCell {
  const when = parseWhen(value);
  if (!when) return plain(value);
  if (when.day) {
    // A calendar day is the same day everywhere: formatted in UTC, where it was built.
    const text = dateFormat(where.locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(when.date);
    const full = dateFormat(where.locale, { dateStyle: 'full', timeZone: 'UTC' }).format(when.date);
    return { ...plain(text), full };
  }
  const { locale, timeZone } = where;
  const full = dateFormat(locale, { dateStyle: 'full', timeStyle: 'long', timeZone }).format(when.date);
  const text = kind === 'date'
    ? dateFormat(locale, { dateStyle: 'medium', timeZone }).format(when.date)
    : dateFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(when.date);
  return { ...plain(text), full };
}

/** The region of the user's locale ("en-GB" → GB): numbers without a country code are read as local. */
const regions = new Map<string, CountryCode | undefined>();
function regionOf(locale: string): CountryCode | undefined {
  if (regions.has(locale)) return regions.get(locale);
  let region: CountryCode | undefined;
  try {
    const found = new Intl.Locale(locale).maximize().region;
    region = found && /^[A-Z]{2}$/.test(found) ? (found as CountryCode) : undefined;
  } catch {
    region = undefined;
  }
  regions.set(locale, region);
  return region;
}

function formatPhone(value: string, where: CellLocale): ValueCell {
  const region = regionOf(where.locale);
  const phone = parsePhoneNumberFromString(value, region);
  if (!phone?.isPossible()) return plain(value);
  // A local number reads as people dial it at home; others with their country code.
  const text = phone.country !== undefined && phone.country === region ? phone.formatNational() : phone.formatInternational();
  return { ...plain(text), full: phone.formatInternational() };
}

/**
 * A record's fields (in column order, as the detail panel gets them) with each value read in
 * full: dates with their weekday, time and zone, money with its currency.
 */
export function detailValues(columns: ColumnView[], values: string[], where: CellLocale): string[] {
  return values.map((value, i) => {
    const column = columns[i];
    if (!column) return value;
    const cell = formatCell(column, value, where, currencyOf(column, columns, values));
    return cell.kind === 'empty' ? '' : cell.full;
  });
}
