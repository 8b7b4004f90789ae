import type { Severity } from '../findings.ts';
import { escapeText } from './escape-text.ts';
import type { Report } from './report.ts';

export interface TextOptions {
  readonly color: boolean;
}

const SEVERITY_COLOR: Record<Severity, string> = {
  critical: '\u001b[1;31m',
  high: '\u001b[31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  info: '\u001b[2m',
};
const RESET = '\u001b[0m';
const GREEN = '\u001b[32m';
const RED = '\u001b[31m';

/** Escapes untrusted text for a text output: the same function as escapeText (kept for the API). */
export const sanitizeForTerminal = escapeText;

/**
 * `--format text`: one line per subject, then findings worst first, then a summary line. Every
 * piece of input text goes through escapeText; colour codes are added after it.
 */
export function renderText(report: Report, options: TextOptions): string {
  // Untrusted text (file names, subjects, messages) is escaped first; colour codes are added
  // after, around our own labels only, so they reach the terminal as colour, not as `\x1b[…`.
  const paint = (code: string, text: string) => (options.color ? `${code}${text}${RESET}` : text);
  const lines: string[] = [];
  for (const subject of report.subjects) {
    const mark = subject.result === 'pass' ? paint(GREEN, 'PASS') : paint(RED, 'FAIL');
    const facts = Object.entries(subject.facts)
      .filter(([, v]) => v !== null && v !== '')
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
      .join(' ');
    lines.push(`${mark} ${escapeText(`${subject.kind} ${subject.subject}${facts ? `  ${facts}` : ''}`)}`);
  }
  if (report.findings.length > 0) {
    if (lines.length > 0) lines.push('');
    for (const f of report.findings) {
      const severity = paint(SEVERITY_COLOR[f.severity], f.severity.toUpperCase().padEnd(8));
      lines.push(`${severity} ${escapeText(`${f.code}  ${f.subject}`)}`);
      const prefix = `${f.subject}: `;
      const message = f.message.startsWith(prefix) ? f.message.slice(prefix.length) : f.message;
      lines.push(`         ${escapeText(message)}`);
    }
  }
  const counts = Object.entries(report.summary.findings)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const verdict = report.result === 'pass' ? paint(GREEN, 'PASS') : paint(RED, 'FAIL');
  lines.push('');
  for (const notice of report.notices ?? []) lines.push(escapeText(`NOTICE: ${notice}`));
  lines.push(
    `${verdict}: ${report.summary.passed} of ${report.summary.subjects}${report.summary.subjectNoun === undefined ? '' : ` ${report.summary.subjectNoun}`} passed` +
      (report.summary.counted !== undefined ? `; ${report.summary.counted}` : '') +
      (counts ? `; findings: ${counts}` : '; no findings'),
  );
  return `${lines.join('\n')}\n`;
}
