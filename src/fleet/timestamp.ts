/**
 * Fast timestamp parsing for inventory `last_seen` values, without a Date object or a regular
 * expression per row (Date.parse is a measurable share of a 10-million-row scan).
 * Accepts RFC 3339 / ISO 8601 (`2026-11-29`, `2026-11-29T10:00:00Z`, `2026-11-29 10:00:00.123+01:00`,
 * no offset = UTC), Unix time in seconds (up to 11 digits, optionally with a fraction) or
 * milliseconds (12-13 digits), and the console forms of parseConsole.
 * Returns milliseconds since the epoch, NaN for an empty value, and undefined when malformed.
 */
/** Day/month order of numeric console dates (`--date-format`): US month/day or day/month. */
export type DateOrder = 'mdy' | 'dmy';
export const DATE_ORDERS: readonly DateOrder[] = ['mdy', 'dmy'];

/**
 * A date that cannot be read without knowing its day/month order, or that does not fit the
 * order given: an input error, never a silently dropped row.
 */
export class DateOrderError extends Error {}

const MONTHS: Readonly<Record<string, number>> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** ms of a calendar date and time of day, or undefined when out of range. */
function civil(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  return daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + ms;
}

/** `Z`, `UTC`, `GMT`, `+01:00`, `+0100` (none: UTC) as ms to subtract; undefined when malformed. */
function zoneOffset(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === '' || /^(z|utc|gmt)$/i.test(zone)) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (m === null) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[2]) > 23 || Number(m[3]) > 59) return undefined;
  return (m[1] === '+' ? 1 : -1) * minutes * 60_000;
}

const NUMERIC_DATE =
  /^(\d{1,4})([/.-])(\d{1,2})\2(\d{1,4})(?:(?:[ T]|, ?)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?: ?([AaPp][Mm]))?)?(?: ?(Z|UTC|GMT|[+-]\d{2}:?\d{2}))?$/;
const RFC_1123 =
  /^(?:[A-Za-z]{3},? )?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?(?: (GMT|UTC|Z|[+-]\d{2}:?\d{2}))?$/;
const ASCTIME = /^[A-Za-z]{3} ([A-Za-z]{3}) {1,2}(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) (\d{4})(?: (UTC|GMT))?$/;
const DOTNET_DATE = /^\/Date\((-?\d{1,15})(?:[+-]\d{4})?\)\/$/;

/**
 * The common console and export forms that are not RFC 3339: numeric dates (`11/29/2026 6:15:02
 * PM`, `29/11/2026 14:30`, `29.11.2026 07:45:10`, `2026/11/29`), RFC 1123 (`Sun, 29 Nov 2026
 * 08:00:00 GMT`), C asctime as in osquery's calendarTime (`Sun Nov 29 08:00:00 2026 UTC`),
 * .NET JSON (`/Date(1795939200000)/`), Unix seconds with a fraction (`1795939200.123`). No zone
 * means UTC. Slash and dash dates need `order` unless the date shows it (a part above 12);
 * dotted dates are day.month.year.
 */
function parseConsole(text: string, order: DateOrder | undefined): number | undefined {
  const t = text.trim();
  let m = /^(\d{9,11})\.(\d{1,9})$/.exec(t);
  if (m !== null) return Number(m[1]) * 1000 + Math.floor(Number(`0.${m[2] as string}`) * 1000);
  m = DOTNET_DATE.exec(t);
  if (m !== null) return Number(m[1]);
  m = RFC_1123.exec(t);
  if (m !== null) {
    const month = MONTHS[(m[2] as string).toLowerCase()];
    const offset = zoneOffset(m[7]);
    if (month === undefined || offset === undefined) return undefined;
    const ms = civil(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), 0);
    return ms === undefined ? undefined : ms - offset;
  }
  m = ASCTIME.exec(t);
  if (m !== null) {
    const month = MONTHS[(m[1] as string).toLowerCase()];
    if (month === undefined) return undefined;
    return civil(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), 0);
  }
  m = NUMERIC_DATE.exec(t);
  if (m === null) return undefined;
  const [, a = '', separator, b = '', c = ''] = m;
  let year: number;
  let month: number;
  let day: number;
  if (a.length === 4 && c.length <= 2) {
    year = Number(a);
    month = Number(b);
    day = Number(c);
  } else if (c.length === 4 && a.length <= 2) {
    year = Number(c);
    const first = Number(a);
    const second = Number(b);
    let dayFirst: boolean;
    if (separator === '.') dayFirst = true;
    else if (order !== undefined) {
      dayFirst = order === 'dmy';
      const monthPart = dayFirst ? second : first;
      if (monthPart > 12)
        throw new DateOrderError(
          `last_seen '${t}' does not fit --date-format ${order} (month ${monthPart}); is it ${order === 'mdy' ? 'day/month (dmy)' : 'month/day (mdy)'}?`,
        );
    } else if (first > 12 && second <= 12) dayFirst = true;
    else if (second > 12 && first <= 12) dayFirst = false;
    else if (first === second) dayFirst = true;
    else if (first <= 12 && second <= 12)
      throw new DateOrderError(
        `last_seen '${t}' is ambiguous: month/day (US) or day/month; give --date-format mdy or dmy`,
      );
    else return undefined;
    day = dayFirst ? first : second;
    month = dayFirst ? second : first;
  } else return undefined;
  let hour = m[5] === undefined ? 0 : Number(m[5]);
  const meridiem = m[9]?.toLowerCase();
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem === 'pm' ? 12 : 0);
  }
  const fraction = m[8] === undefined ? 0 : Math.floor(Number(`0.${m[8]}`) * 1000);
  const offset = zoneOffset(m[10]);
  if (offset === undefined) return undefined;
  const ms = civil(year, month, day, hour, Number(m[6] ?? 0), Number(m[7] ?? 0), fraction);
  return ms === undefined ? undefined : ms - offset;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Also reads the common console forms (see parseConsole); `order` says how to read numeric
 * dates whose day/month order they do not show themselves. Throws DateOrderError for such a
 * date without `order`, or one that does not fit it.
 */
export function parseTimestamp(text: string, order?: DateOrder): number | undefined {
  return parseTimestampAt(text, 0, text.length, order);
}

/** parseTimestamp over `text.slice(start, end)` without slicing. */
export function parseTimestampAt(
  whole: string,
  start: number,
  end: number,
  order?: DateOrder,
): number | undefined {
  const length = end - start;
  if (length === 0) return Number.NaN;
  if (start !== 0 || end !== whole.length) {
    // Short-lived slice: cheaper than threading offsets through every helper.
    return parseWhole(whole.slice(start, end), order);
  }
  return parseWhole(whole, order);
}

function parseWhole(text: string, order: DateOrder | undefined): number | undefined {
  const length = text.length;
  // Fast path for the most common export form, `YYYY-MM-DDTHH:MM:SS[.mmm]Z`, on a cached date.
  if ((length === 24 || length === 20) && text.charCodeAt(length - 1) === 90 && text.charCodeAt(4) === 45) {
    const year = digits(text, 0, 4);
    const month = digits(text, 5, 2);
    const day = digits(text, 8, 2);
    const fast = fastTime(text, length);
    if (
      fast >= 0 &&
      year >= 0 &&
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= 31 &&
      text.charCodeAt(7) === 45
    ) {
      return daysFromCivil(year, month, day) * 86_400_000 + fast;
    }
  }
  const first = text.charCodeAt(0);
  if (first < 48 || first > 57) return parseConsole(text, order);
  if (length >= 10 && text.charCodeAt(4) === 45 /* - */) return parseIso(text);
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return parseConsole(text, order);
  }
  const value = Number(text);
  if (length <= 11) return value * 1000;
  if (length <= 13) return value;
  return undefined;
}

function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

function parseIso(text: string): number | undefined {
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || text.charCodeAt(7) !== 45)
    return undefined;
  let ms = daysFromCivil(year, month, day) * 86_400_000;
  if (text.length === 10) return ms;
  const separator = text.charCodeAt(10);
  if ((separator !== 84 && separator !== 116 && separator !== 32) || text.length < 16) return undefined; // T t space
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || text.charCodeAt(13) !== 58) return undefined;
  ms += (hour * 60 + minute) * 60_000;
  let i = 16;
  if (text.charCodeAt(i) === 58 /* : */) {
    const second = digits(text, 17, 2);
    if (second < 0 || second > 60) return undefined;
    ms += second * 1000;
    i = 19;
    if (text.charCodeAt(i) === 46 || text.charCodeAt(i) === 44) {
      // fraction: keep milliseconds, skip the rest
      let scale = 100;
      i++;
      const fractionStart = i;
      while (i < text.length) {
        const c = text.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        ms += c * scale;
        scale /= 10;
        i++;
      }
      if (i === fractionStart) return undefined;
      ms = Math.floor(ms);
    }
  }
  if (i === text.length) return ms;
  const zone = text.charCodeAt(i);
  if ((zone === 90 || zone === 122) && i + 1 === text.length) return ms; // Z z
  if ((zone === 43 || zone === 45) && i + 6 === text.length && text.charCodeAt(i + 3) === 58) {
    const offsetHour = digits(text, i + 1, 2);
    const offsetMinute = digits(text, i + 4, 2);
    if (offsetHour < 0 || offsetHour > 23 || offsetMinute < 0 || offsetMinute > 59) return undefined;
    const offset = (offsetHour * 60 + offsetMinute) * 60_000;
    return zone === 43 ? ms - offset : ms + offset;
  }
  return undefined;
}

/** `THH:MM:SS[.mmm]Z` after a date, in ms; -1 when the text does not have exactly that shape. */
function fastTime(text: string, length: number): number {
  const h1 = text.charCodeAt(11) - 48;
  const h2 = text.charCodeAt(12) - 48;
  const m1 = text.charCodeAt(14) - 48;
  const m2 = text.charCodeAt(15) - 48;
  const s1 = text.charCodeAt(17) - 48;
  const s2 = text.charCodeAt(18) - 48;
  if (
    text.charCodeAt(10) !== 84 ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58 ||
    (h1 | h2 | m1 | m2 | s1 | s2) < 0 ||
    h2 > 9 ||
    m1 > 5 ||
    m2 > 9 ||
    s1 > 5 ||
    s2 > 9 ||
    h1 * 10 + h2 > 23
  ) {
    return -1;
  }
  let ms = ((h1 * 10 + h2) * 3600 + (m1 * 10 + m2) * 60 + s1 * 10 + s2) * 1000;
  if (length === 24) {
    const f1 = text.charCodeAt(20) - 48;
    const f2 = text.charCodeAt(21) - 48;
    const f3 = text.charCodeAt(22) - 48;
    if (text.charCodeAt(19) !== 46 || (f1 | f2 | f3) < 0 || f1 > 9 || f2 > 9 || f3 > 9) return -1;
    ms += f1 * 100 + f2 * 10 + f3;
  }
  return ms;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.mmm]Z` at `text[start, end)` without slicing; -1 when the text has any
 * other shape (the caller then uses parseTimestamp, which accepts every supported form).
 */
export function parseIsoUtcAt(text: string, start: number, end: number): number {
  const length = end - start;
  if (
    (length !== 24 && length !== 20) ||
    text.charCodeAt(end - 1) !== 90 ||
    text.charCodeAt(start + 4) !== 45 ||
    text.charCodeAt(start + 7) !== 45
  ) {
    return -1;
  }
  const year = digitsAt(text, start, 4);
  const month = digitsAt(text, start + 5, 2);
  const day = digitsAt(text, start + 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31) return -1;
  const h = digitsAt(text, start + 11, 2);
  const m = digitsAt(text, start + 14, 2);
  const s = digitsAt(text, start + 17, 2);
  if (
    text.charCodeAt(start + 10) !== 84 ||
    text.charCodeAt(start + 13) !== 58 ||
    text.charCodeAt(start + 16) !== 58
  )
    return -1;
  if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60) return -1;
  let ms = daysFromCivil(year, month, day) * 86_400_000 + ((h * 60 + m) * 60 + s) * 1000;
  if (length === 24) {
    if (text.charCodeAt(start + 19) !== 46) return -1;
    const fraction = digitsAt(text, start + 20, 3);
    if (fraction < 0) return -1;
    ms += fraction;
  }
  return ms;
}

function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}
