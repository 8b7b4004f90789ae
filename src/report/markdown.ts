import { escapeText } from './escape-text.ts';
import { FINDING_CODES, SEVERITIES, failsAt, type EvidenceValue, type Finding } from '../findings.ts';
import type { Report } from './report.ts';

export interface MarkdownOptions {
  /**
   * Rows shown in the findings table; the rest are counted, not listed. GitHub caps a job
   * summary at 1 MiB, so the default keeps a report of any size well under that.
   */
  readonly maxFindings?: number;
  /** Rows shown in the subjects table (inside a collapsed block). */
  readonly maxSubjects?: number;
}

const DEFAULT_MAX_FINDINGS = 500;
const DEFAULT_MAX_SUBJECTS = 1000;

/**
 * Makes untrusted text inert inside a GitHub-flavoured Markdown table cell: control characters
 * and line breaks become spaces, bidirectional and invisible format characters are escaped as
 * escapeText does (shown as `\u202e`), and every character that could start markup (emphasis, links,
 * autolinks, HTML, code spans, math, @mentions, #references, table pipes) is backslash-escaped
 * (CommonMark §2.4: any ASCII punctuation may be escaped).
 */
export function escapeMarkdown(text: string): string {
  return escapeText(
    // eslint-disable-next-line no-control-regex -- the point is to match control characters
    text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' '),
  ).replace(/[\\`*_{}[\]()<>#!|~&@:$]/g, (c) => `\\${c}`);
}

function cell(text: string): string {
  return escapeMarkdown(text);
}

function factText(value: EvidenceValue): string {
  if (value === null) return '';
  if (typeof value === 'object') return value.map(factText).join(', ');
  return String(value);
}

function where(f: Finding): string {
  if (!f.location) return '';
  const line = f.location.line === undefined ? '' : `:${f.location.line}`;
  const pointer = f.location.pointer === undefined ? '' : ` ${f.location.pointer}`;
  return `${f.location.file}${line}${pointer}`;
}

/**
 * `--format markdown`: fits a GitHub job summary ($GITHUB_STEP_SUMMARY) or a pull-request
 * comment: a result line, counts by severity, a findings table (worst first) and collapsible
 * details (subjects and what each finding code means).
 */
export function renderMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const maxFindings = options.maxFindings ?? DEFAULT_MAX_FINDINGS;
  const maxSubjects = options.maxSubjects ?? DEFAULT_MAX_SUBJECTS;
  const pass = report.result === 'pass';
  const failing = report.findings.filter((f) => failsAt(f, report.failOn)).length;
  const out: string[] = [];

  out.push(`## ${pass ? '✅' : '❌'} rmm-verify ${cell(report.command)}: ${pass ? 'PASS' : 'FAIL'}`);
  out.push('');
  out.push(
    `**Result: ${report.result}**: ${report.summary.passed} of ${report.summary.subjects} ${report.summary.subjectNoun ?? 'subjects'} passed; ` +
      (report.summary.counted !== undefined ? `${escapeMarkdown(report.summary.counted)}; ` : '') +
      `${failing} finding${failing === 1 ? '' : 's'} at or above \`${report.failOn}\` ` +
      `(rmm-verify ${report.tool.version}, ${report.generatedAt})`,
  );
  out.push('');
  for (const notice of report.notices ?? []) out.push(`> **Notice:** ${escapeMarkdown(notice)}`, '');
  out.push('| Severity | Findings |', '| --- | ---: |');
  for (const severity of SEVERITIES) out.push(`| ${severity} | ${report.summary.findings[severity]} |`);
  out.push(`| **total** | **${report.findings.length}** |`);

  if (report.findings.length > 0) {
    out.push('', '### Findings', '');
    out.push('| Severity | Code | Subject | Message | Location |', '| --- | --- | --- | --- | --- |');
    for (const f of report.findings.slice(0, maxFindings)) {
      out.push(
        `| ${f.severity} | ${cell(f.code)} | ${cell(f.subject)} | ${cell(f.message)} | ${cell(where(f))} |`,
      );
    }
    if (report.findings.length > maxFindings) {
      const rest = report.findings.length - maxFindings;
      out.push('', `_${rest} more finding${rest === 1 ? '' : 's'} not shown; see the JSON or SARIF report._`);
    }
  }

  if (report.subjects.length > 0) {
    out.push('', `<details><summary>Subjects (${report.subjects.length})</summary>`, '');
    out.push('| Result | Kind | Subject | Facts |', '| --- | --- | --- | --- |');
    for (const s of report.subjects.slice(0, maxSubjects)) {
      const facts = Object.entries(s.facts)
        .filter(([, v]) => v !== null && v !== '')
        .map(([k, v]) => `${k}: ${factText(v)}`)
        .join('; ');
      out.push(
        `| ${s.result === 'pass' ? '✅ pass' : '❌ fail'} | ${cell(s.kind)} | ${cell(s.subject)} | ${cell(facts)} |`,
      );
    }
    if (report.subjects.length > maxSubjects) {
      out.push('', `_${report.subjects.length - maxSubjects} more subjects not shown._`);
    }
    out.push('', '</details>');
  }

  const codes = [...new Set(report.findings.map((f) => f.code))].sort();
  if (codes.length > 0) {
    out.push('', `<details><summary>What the finding codes mean (${codes.length})</summary>`, '');
    out.push('| Code | Title | What to do |', '| --- | --- | --- |');
    for (const code of codes) {
      const info = FINDING_CODES[code];
      out.push(`| ${cell(code)} | ${cell(info.title)} | ${cell(info.help)} |`);
    }
    out.push('', '</details>');
  }
  return `${out.join('\n')}\n`;
}
