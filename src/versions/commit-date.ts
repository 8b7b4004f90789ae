/**
 * Build commit dates as versions. MeshCentral's agent (MeshAgent) has no version number: its
 * Windows version resource (FileVersion, and ProductVersion as `Commit: …`) and the
 * DisplayVersion it writes to its uninstall key (meshcore.js: `process.versions.commitDate`)
 * carry the commit date of the agent's source, `2025-Mar-6 21:44:07+0000` in the agents of
 * meshcentral 1.1.55. Read here: that form (English month abbreviation, day with or without a
 * leading zero, `±hhmm` zone), RFC 3339 / ISO 8601 (`2025-03-06T21:44:07Z`,
 * `2025-03-06 21:44:07.000+00:00`), an optional `Commit:` prefix; no zone means UTC. Canonical
 * form: UTC `YYYY-MM-DDTHH:MM:SSZ` (whole seconds), which orders as text does.
 */
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const NAMED =
  /^(\d{4})-([A-Za-z]{3})-(\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:\.\d{1,9})?\s*(Z|[+-]\d{2}:?\d{2})?$/;
const NUMERIC = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/** Milliseconds since the epoch (whole seconds), or undefined when the text is not a commit date. */
export function parseCommitDate(raw: string): number | undefined {
  const text = raw.replace(/^commit:\s*/i, '');
  const named = NAMED.exec(text);
  const match = named ?? NUMERIC.exec(text);
  if (match === null) return undefined;
  const month = named === null ? Number(match[2]) - 1 : MONTHS.indexOf((match[2] as string).toLowerCase());
  const [year, day, hour, minute, second] = [1, 3, 4, 5, 6].map((i) => Number(match[i]));
  const utc = Date.UTC(year as number, month, day, hour, minute, second);
  const check = new Date(utc);
  // Refuses 2025-02-30, 25:00 and month names that are not months (no silent roll-over).
  if (
    month < 0 ||
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute
  )
    return undefined;
  const zone = (match[7] ?? 'Z').toUpperCase();
  if (zone === 'Z') return utc;
  const digits = zone.replace(':', '');
  const hours = Number(digits.slice(1, 3));
  const minutes = Number(digits.slice(3, 5));
  if (hours > 23 || minutes > 59) return undefined;
  const offset = (hours * 60 + minutes) * 60_000;
  return digits.startsWith('-') ? utc + offset : utc - offset;
}

export function formatCommitDate(time: number): string {
  return `${new Date(time).toISOString().slice(0, 19)}Z`;
}

export function compareCommitDates(a: number, b: number): number {
  return a - b;
}
