import type { Severity } from '../findings.ts';
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

/** Strips terminal control characters from untrusted text (file names, certificate subjects). */
export function sanitizeForTerminal(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- the point is to match control characters
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** `--format text`: one line per subject, then findings worst first, then a summary line. */
export function renderText(report: Report, options: TextOptions): string {
  const paint = (code: string, text: string) => (options.color ? `${code}${text}${RESET}` : text);
  const lines: string[] = [];
  for (const subject of report.subjects) {
    const mark = subject.result === 'pass' ? paint(GREEN, 'PASS') : paint(RED, 'FAIL');
    const facts = Object.entries(subject.facts)
      .filter(([, v]) => v !== null && v !== '')
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
      .join(' ');
    lines.push(sanitizeForTerminal(`${mark} ${subject.kind} ${subject.subject}${facts ? `  ${facts}` : ''}`));
  }
  if (report.findings.length > 0) {
    if (lines.length > 0) lines.push('');
    for (const f of report.findings) {
      const severity = paint(SEVERITY_COLOR[f.severity], f.severity.toUpperCase().padEnd(8));
      lines.push(sanitizeForTerminal(`${severity} ${f.code}  ${f.subject}`));
      const prefix = `${f.subject}: `;
      const message = f.message.startsWith(prefix) ? f.message.slice(prefix.length) : f.message;
      lines.push(sanitizeForTerminal(`         ${message}`));
    }
  }
  const counts = Object.entries(report.summary.findings)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const verdict = report.result === 'pass' ? paint(GREEN, 'PASS') : paint(RED, 'FAIL');
  lines.push('');
  lines.push(
    `${verdict}: ${report.summary.passed} of ${report.summary.subjects} passed` +
      (counts ? `; findings: ${counts}` : '; no findings'),
  );
  return `${lines.join('\n')}\n`;
}
