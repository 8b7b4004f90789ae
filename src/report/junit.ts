import { failsAt, type Finding } from '../findings.ts';
import type { Report, SubjectResult } from './report.ts';

/**
 * Characters XML 1.0 §2.2 does not allow at all (C0 controls other than tab, LF and CR, lone
 * surrogates, U+FFFE and U+FFFF). They cannot be escaped, only removed.
 */
const XML_FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Escapes text for an XML element body and drops characters XML cannot carry. */
export function xmlText(value: string): string {
  return value.replace(XML_FORBIDDEN, '').replace(/[&<>]/g, (c) => XML_ENTITIES[c] ?? c);
}

/** Escapes text for a double-quoted attribute; tab, LF and CR become references so parsers keep them. */
export function xmlAttribute(value: string): string {
  return value.replace(XML_FORBIDDEN, '').replace(/[&<>"'\t\n\r]/g, (c) => XML_ENTITIES[c] ?? c);
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

function attributes(values: Readonly<Record<string, string | number>>): string {
  return Object.entries(values)
    .map(([name, value]) => ` ${name}="${xmlAttribute(String(value))}"`)
    .join('');
}

function findingLine(f: Finding): string {
  const where = f.location
    ? ` (${f.location.file}${f.location.line === undefined ? '' : `:${f.location.line}`}${f.location.pointer === undefined ? '' : ` at ${f.location.pointer}`})`
    : '';
  return `${f.severity.toUpperCase()} ${f.code}: ${f.message}${where}`;
}

interface TestCase {
  readonly subject: string;
  readonly kind: string;
  readonly failed: boolean;
  readonly failing: readonly Finding[];
  readonly other: readonly Finding[];
  readonly facts: SubjectResult['facts'];
}

/** One test case per subject, plus one for each subject that has findings but no result entry. */
function testCases(report: Report): TestCase[] {
  // A finding belongs to its subject's test case; one about something inside a subject (an
  // endpoint of a tenant: evidence.tenant) to that subject's, so each failure is counted once.
  const subjects = new Set(report.subjects.map((s) => s.subject));
  const bySubject = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const tenant = f.evidence['tenant'];
    const owner =
      subjects.has(f.subject) || typeof tenant !== 'string' || !subjects.has(tenant) ? f.subject : tenant;
    const list = bySubject.get(owner);
    if (list) list.push(f);
    else bySubject.set(owner, [f]);
  }
  const cases: TestCase[] = [];
  const make = (
    subject: string,
    kind: string,
    result: 'pass' | 'fail' | undefined,
    facts: SubjectResult['facts'],
  ) => {
    const findings = bySubject.get(subject) ?? [];
    const failing = findings.filter((f) => failsAt(f, report.failOn));
    cases.push({
      subject,
      kind,
      failed: result === 'fail' || failing.length > 0,
      failing,
      other: findings.filter((f) => !failing.includes(f)),
      facts,
    });
  };
  const seen = new Set<string>();
  for (const s of report.subjects) {
    if (seen.has(s.subject)) continue;
    seen.add(s.subject);
    make(s.subject, s.kind, s.result, s.facts);
  }
  for (const subject of bySubject.keys()) {
    if (!seen.has(subject)) {
      seen.add(subject);
      make(subject, 'finding', undefined, {});
    }
  }
  return cases;
}

/** The Ant JUnit schema's timestamp: `YYYY-MM-DDTHH:MM:SS`, no fraction or zone (ours is UTC). */
function antTimestamp(iso: string): string {
  return iso.slice(0, 19);
}

/**
 * `--format junit`: JUnit XML as CI systems read it (Jenkins, GitLab, Azure Pipelines). One
 * `<testcase>` per subject; its `<failure>` lists the findings at or above `failOn`, and
 * findings below it go to `<system-out>` with the subject's facts.
 */
export function renderJunit(report: Report): string {
  const cases = testCases(report);
  const failures = cases.filter((c) => c.failed).length;
  const suiteName = `rmm-verify ${report.command}`;
  const counts = { tests: cases.length, failures, errors: 0, skipped: 0, time: '0' };
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({ name: suiteName, ...counts })}>`,
    `  <testsuite${attributes({ name: suiteName, ...counts, timestamp: antTimestamp(report.generatedAt) })}>`,
    '    <properties>',
    `      <property${attributes({ name: 'tool', value: `${report.tool.name} ${report.tool.version}` })}/>`,
    `      <property${attributes({ name: 'result', value: report.result })}/>`,
    `      <property${attributes({ name: 'failOn', value: report.failOn })}/>`,
    ...(report.notices ?? []).map(
      (notice) => `      <property${attributes({ name: 'notice', value: notice })}/>`,
    ),
    '    </properties>',
  ];
  for (const c of cases) {
    const open = `    <testcase${attributes({ classname: `rmm-verify.${report.command.replace(/\s+/g, '-')}.${c.kind}`, name: c.subject, time: '0' })}`;
    const factLines = Object.entries(c.facts)
      .filter(([, v]) => v !== null && v !== '')
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
    const out = [...factLines, ...c.other.map(findingLine)];
    if (!c.failed && out.length === 0) {
      lines.push(`${open}/>`);
      continue;
    }
    lines.push(`${open}>`);
    if (c.failed) {
      const first = c.failing[0];
      const message = first
        ? `${first.code}: ${first.message}${c.failing.length > 1 ? ` (+${c.failing.length - 1} more)` : ''}`
        : `${c.subject} failed`;
      const body = c.failing.map(findingLine).join('\n');
      lines.push(
        `      <failure${attributes({ message, type: first?.code ?? 'FAILED' })}>${xmlText(body)}</failure>`,
      );
    }
    if (out.length > 0) lines.push(`      <system-out>${xmlText(out.join('\n'))}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>');
  return `${lines.join('\n')}\n`;
}
