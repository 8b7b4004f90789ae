/**
 * Fast timestamp parsing for inventory `last_seen` values, without a Date object or a regular
 * expression per row (Date.parse is a measurable share of a 10-million-row scan).
 * Accepts RFC 3339 / ISO 8601 (`2026-11-29`, `2026-11-29T10:00:00Z`, `2026-11-29 10:00:00.123+01:00`,
 * no offset = UTC) and Unix time in seconds (up to 11 digits) or milliseconds (12-13 digits).
 * Returns milliseconds since the epoch, NaN for an empty value, and undefined when malformed.
 */
/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

export function parseTimestamp(text: string): number | undefined {
  return parseTimestampAt(text, 0, text.length);
}

/** parseTimestamp over `text.slice(start, end)` without slicing. */
export function parseTimestampAt(whole: string, start: number, end: number): number | undefined {
  const length = end - start;
  if (length === 0) return Number.NaN;
  if (start !== 0 || end !== whole.length) {
    // Short-lived slice: cheaper than threading offsets through every helper.
    return parseWhole(whole.slice(start, end));
  }
  return parseWhole(whole);
}

function parseWhole(text: string): number | undefined {
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
  if (first < 48 || first > 57) return undefined;
  if (length >= 10 && text.charCodeAt(4) === 45 /* - */) return parseIso(text);
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
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
