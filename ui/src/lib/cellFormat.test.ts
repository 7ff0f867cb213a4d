import { describe, expect, test } from 'vitest';
import { column } from '../test/fakeBackend';
import { currencyOf, detailValues, formatCell, parseWhen, type CellLocale } from './cellFormat';

const NEW_YORK: CellLocale = { locale: 'en-US', timeZone: 'America/New_York' };
const TOKYO: CellLocale = { locale: 'en-US', timeZone: 'Asia/Tokyo' };
const BERLIN: CellLocale = { locale: 'de-DE', timeZone: 'Europe/Berlin' };

function shown(cell: ReturnType<typeof formatCell>): string {
  if (cell.kind === 'empty') throw new Error('expected a value');
  return cell.text;
}
function full(cell: ReturnType<typeof formatCell>): string {
  if (cell.kind === 'empty') throw new Error('expected a value');
  return cell.full;
}

describe('date and time cells', () => {
  const created = column('created', 'Created', 'date_time');

  test('a time without a zone is UTC, shown in the user zone (Tokyo is 9 hours ahead: the next day)', () => {
    const cell = formatCell(created, '2024-07-12 23:30:00', TOKYO);
    expect(shown(cell)).toBe('Jul 13, 2024, 8:30 AM');
    expect(full(cell)).toMatch(/^Saturday, July 13, 2024 at 8:30:00 AM GMT\+9$/);
  });

  test('across the spring-forward boundary in New York the clock skips from 2 to 3 AM', () => {
    // 06:30Z is 1:30 EST; one hour later, 07:30Z, is 3:30 EDT (2:30 never happens that day).
    const before = formatCell(created, '2024-03-10T06:30:00Z', NEW_YORK);
    const after = formatCell(created, '2024-03-10T07:30:00Z', NEW_YORK);
    expect(shown(before)).toBe('Mar 10, 2024, 1:30 AM');
    expect(shown(after)).toBe('Mar 10, 2024, 3:30 AM');
    expect(full(before)).toContain('EST');
    expect(full(after)).toContain('EDT');
  });

  test('an offset in the value is honoured', () => {
    expect(shown(formatCell(created, '2024-11-03T01:30:00-04:00', NEW_YORK))).toBe('Nov 3, 2024, 1:30 AM');
    // Fall back: the same 1:30 an hour later is EST.
    expect(full(formatCell(created, '2024-11-03T01:30:00-05:00', NEW_YORK))).toContain('EST');
  });

  test('a calendar day stays the same day in every zone', () => {
    const day = column('day', 'Day', 'date');
    expect(shown(formatCell(day, '2024-07-12', { locale: 'en-US', timeZone: 'Pacific/Honolulu' }))).toBe('Jul 12, 2024');
    expect(shown(formatCell(day, '07/12/2024', TOKYO))).toBe('Jul 12, 2024');
    expect(full(formatCell(day, '2024-07-12', TOKYO))).toBe('Friday, July 12, 2024');
    expect(shown(formatCell(day, '2024-07-12', BERLIN))).toBe('12.07.2024');
  });

  test('what is not a date is shown as the provider sent it', () => {
    expect(shown(formatCell(created, 'next Tuesday', NEW_YORK))).toBe('next Tuesday');
    expect(parseWhen('2024-02-30')).toBeNull();
  });
});

describe('numbers and money', () => {
  test('numbers are grouped in the user locale and aligned right; whole numbers (ids) are not grouped', () => {
    const n = formatCell(column('n', 'N', 'number'), '1234567', NEW_YORK);
    expect(n).toMatchObject({ text: '1,234,567', align: 'end' });
    expect(formatCell(column('id', 'Lead', 'integer'), '1000302', NEW_YORK)).toMatchObject({ text: '1000302', align: 'end' });
    expect(shown(formatCell(column('n', 'N', 'number'), '1234.5', BERLIN))).toBe('1.234,5');
  });

  test('money carries the currency of the definition', () => {
    const quote = column('quote', 'Quote', 'money', { currency: 'USD' });
    expect(formatCell(quote, '1,234.50', NEW_YORK)).toMatchObject({ text: '$1,234.50', align: 'end' });
    expect(shown(formatCell(quote, '1,234.50', BERLIN, 'USD'))).toBe('1.234,50\u00a0$');
    expect(shown(formatCell(column('m', 'M', 'money'), '1,234.50', NEW_YORK))).toBe('1,234.50');
  });

  test('or of each record, from its currency column', () => {
    const columns = [column('total', 'Total', 'money', { currency_column: 'currency' }), column('currency', 'Currency', 'text')];
    const [total] = columns;
    if (!total) throw new Error('no column');
    expect(currencyOf(total, columns, ['10.00', 'eur'])).toBe('EUR');
    expect(currencyOf(total, columns, ['10.00', 'euros'])).toBeNull();
    expect(shown(formatCell(total, '10.00', NEW_YORK, 'EUR'))).toBe('€10.00');
    expect(detailValues(columns, ['99.90', 'GBP'], NEW_YORK)).toEqual(['£99.90', 'GBP']);
  });
});

describe('phones, badges, links and empty cells', () => {
  const phone = column('phone', 'Phone', 'phone');

  test('a local number reads nationally, a foreign one with its country code', () => {
    expect(formatCell(phone, '2125550100', NEW_YORK)).toMatchObject({ text: '(212) 555-0100', full: '+1 212 555 0100' });
    expect(shown(formatCell(phone, '+442079460958', NEW_YORK))).toBe('+44 20 7946 0958');
    expect(shown(formatCell(phone, '+12125550100', { locale: 'en-GB', timeZone: 'Europe/London' }))).toBe('+1 212 555 0100');
    expect(shown(formatCell(phone, 'ask at desk', NEW_YORK))).toBe('ask at desk');
  });

  test('booleans and statuses are badges with a tone', () => {
    expect(formatCell(column('b', 'B', 'boolean'), 'Yes', NEW_YORK)).toMatchObject({ text: 'Yes', badge: 'positive' });
    expect(formatCell(column('b', 'B', 'boolean'), 'No', NEW_YORK)).toMatchObject({ badge: 'negative' });
    const status = column('status', 'Status', 'text', { badge: true });
    expect(formatCell(status, 'Unsubscribed', NEW_YORK)).toMatchObject({ badge: 'negative' });
    expect(formatCell(status, 'pending', NEW_YORK)).toMatchObject({ badge: 'neutral' });
    expect(formatCell(column('name', 'Name', 'text'), 'Yes', NEW_YORK)).toMatchObject({ badge: null });
  });

  test('a URL is text with something to copy', () => {
    expect(formatCell(column('u', 'Page', 'url'), 'https://example.com/a?b=1', NEW_YORK))
      .toMatchObject({ text: 'https://example.com/a?b=1', copy: 'https://example.com/a?b=1' });
  });

  test('blank cells are empty whatever the kind', () => {
    for (const kind of ['text', 'money', 'date_time', 'phone', 'url'] as const) {
      expect(formatCell(column('x', 'X', kind), '  ', NEW_YORK)).toEqual({ kind: 'empty' });
    }
  });
});
