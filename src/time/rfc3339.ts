import { quoteUntrusted } from '../text/truncate.ts';

/**
 * The one strict RFC 3339 date-time parser for signed documents and state (manifest `issued`,
 * `expires` and `published`, rollback state `acceptedAt`). It accepts only what it can turn into
 * a finite instant: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` with real calendar dates. A leap
 * second (`:60`) is refused: JavaScript time has no such instant, and reading it as NaN made
 * every comparison false (a manifest that never expires). Inventory `last_seen` values, which
 * are more lenient by design, are parsed by fleet/timestamp.ts.
 */
const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Milliseconds since the epoch, or undefined when `text` is not a valid RFC 3339 date-time. */
export function parseRfc3339(text: string): number | undefined {
  const match = PATTERN.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, oh, om] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (zulu === undefined) {
    const offsetHours = Number(oh);
    const offsetMinutes = Number(om);
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    offset = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  }
  const milliseconds = fraction === undefined ? 0 : Math.floor(Number(`0${fraction}`) * 1000);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, milliseconds);
  // Date.UTC maps years 0-99 to 1900-1999; set the year explicitly.
  const date = new Date(utc);
  date.setUTCFullYear(year, month - 1, day);
  const instant = date.getTime() - offset;
  return Number.isFinite(instant) ? instant : undefined;
}

/** Like parseRfc3339 for values a schema has already accepted; throws if that was not so. */
export function instantOf(text: string): number {
  const instant = parseRfc3339(text);
  if (instant === undefined) throw new Error(`not an RFC 3339 date-time: ${quoteUntrusted(text)}`);
  return instant;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
