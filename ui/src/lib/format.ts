const numberFormat = new Intl.NumberFormat();

export function formatCount(n: number): string {
  return numberFormat.format(n);
}

/** "5 records" / "1 record". */
export function records(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'record' : 'records'}`;
}

/** A timestamp from Rust (RFC 3339) as a short local date and time. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A "YYYY-MM-DD" day as a short local date, without time-zone shifts. */
export function formatDay(day: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** "5 people" / "1 person". */
export function people(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'person' : 'people'}`;
}

const moneyFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Revenue as Rust sums it (no currency: the tools' own), with two decimals: "2,376.00". */
export function formatMoney(n: number): string {
  return moneyFormat.format(n);
}

/** A rate between 0 and 1 as a whole percentage: "33%". */
export function formatPercent(rate: number): string {
  return `${Math.round(rate * 100).toString()}%`;
}

/** A timestamp from Rust (RFC 3339) as a short local date. */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}
