import { FINDING_CODES, failsAt } from '../findings.ts';
import type { Report } from './report.ts';

/** Column order of `--format csv`; stable (new columns are only ever appended). */
export const CSV_COLUMNS = [
  'severity',
  'code',
  'subject',
  'kind',
  'message',
  'file',
  'line',
  'pointer',
  'fails',
  'title',
  'evidence',
] as const;

/**
 * One CSV field (RFC 4180 §2): quoted when it holds a comma, quote, CR or LF, quotes doubled.
 * Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula (CSV
 * injection, OWASP); such a cell gets a leading `'` so it stays text.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvRecord(fields: readonly string[]): string {
  return fields.map(csvField).join(',');
}

/**
 * `--format csv`: one record per finding (worst first) under a header record, CRLF line
 * breaks (RFC 4180). Evidence is one JSON-encoded field.
 */
export function renderCsv(report: Report): string {
  const kinds = new Map(report.subjects.map((s) => [s.subject, s.kind]));
  const records = [csvRecord(CSV_COLUMNS)];
  for (const f of report.findings) {
    records.push(
      csvRecord([
        f.severity,
        f.code,
        f.subject,
        kinds.get(f.subject) ?? '',
        f.message,
        f.location?.file ?? '',
        f.location?.line === undefined ? '' : String(f.location.line),
        f.location?.pointer ?? '',
        failsAt(f, report.failOn) ? 'yes' : 'no',
        FINDING_CODES[f.code].title,
        JSON.stringify(f.evidence),
      ]),
    );
  }
  return `${records.join('\r\n')}\r\n`;
}
