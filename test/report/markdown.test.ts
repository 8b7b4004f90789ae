import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { FINDING_CODES, finding } from '../../src/findings.ts';
import { escapeMarkdown, renderMarkdown } from '../../src/report/markdown.ts';
import { buildReport } from '../../src/report/report.ts';
import { VERSION } from '../../src/version.ts';
import { HOSTILE, NOW, passingReport, sampleReport } from './sample-report.ts';

/** Splits a GFM table row into cells on pipes that are not backslash-escaped. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

function tableRows(markdown: string, header: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  const rows: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  return rows;
}

describe('renderMarkdown', () => {
  it('starts with the result line and has a count per severity', () => {
    const md = renderMarkdown(sampleReport());
    expect(md.split('\n')[0]).toBe('## ❌ rmm-verify verify: FAIL');
    expect(md).toContain(
      `**Result: fail**: 2 of 4 subjects passed; 4 findings at or above \`low\` (rmm-verify ${VERSION}, 2026-11-29T12:00:00.000Z)`,
    );
    const counts = tableRows(md, '| Severity | Findings |').map(cells);
    expect(counts).toEqual([
      ['critical', '1'],
      ['high', '1'],
      ['medium', '1'],
      ['low', '1'],
      ['info', '1'],
      ['**total**', '**5**'],
    ]);
  });

  it('a passing report says so and has no findings table', () => {
    const md = renderMarkdown(passingReport());
    expect(md.split('\n')[0]).toBe('## ✅ rmm-verify verify: PASS');
    expect(md).toContain('### Findings');
    const empty = renderMarkdown(sampleReport({ findings: [] }));
    expect(empty).not.toContain('### Findings');
    expect(empty).not.toContain('What the finding codes mean');
  });

  it('lists findings worst first with five cells each, and collapsible details', () => {
    const md = renderMarkdown(sampleReport());
    const rows = tableRows(md, '| Severity | Code | Subject |').map(cells);
    expect(rows.map((r) => r[0])).toEqual(['critical', 'high', 'medium', 'low', 'info']);
    for (const row of rows) expect(row).toHaveLength(5);
    expect(rows[2]?.[4]).toBe('manifests/acme.json\\:12 /releases/0/artifacts/0/digests');
    expect(md).toContain('<details><summary>Subjects (4)</summary>');
    expect(md).toContain('<details><summary>What the finding codes mean (5)</summary>');
    expect(md).toContain(escapeMarkdown(FINDING_CODES.DIGEST_MISMATCH.help));
  });

  it('keeps hostile text inside its cell: pipes, markup, HTML, mentions and line breaks are inert', () => {
    const report = buildReport({
      command: 'verify',
      now: NOW,
      subjects: [{ subject: HOSTILE, kind: 'artifact', result: 'fail', facts: { note: HOSTILE } }],
      findings: [
        finding('DIGEST_MISMATCH', { subject: HOSTILE, message: `${HOSTILE}\n| x | y |\n<details>` }),
      ],
    });
    const md = renderMarkdown(report);
    const rows = tableRows(md, '| Severity | Code | Subject |');
    expect(rows).toHaveLength(1);
    expect(cells(rows[0] ?? '')).toHaveLength(5);
    expect(md).not.toContain('<b>');
    expect(md).not.toMatch(/(?<!\\)@cmd/);
    // eslint-disable-next-line no-control-regex -- the point is to find control characters
    expect(md).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(md.split('\n').filter((l) => l === '<details>')).toHaveLength(0);
    expect(escapeMarkdown('a|b')).toBe('a\\|b');
    expect(escapeMarkdown('[x](javascript:alert(1))')).toBe('\\[x\\]\\(javascript\\:alert\\(1\\)\\)');
    expect(escapeMarkdown('line1\r\nline2')).toBe('line1 line2');
  });

  it('caps the findings table and says how many were left out', () => {
    const findings = Array.from({ length: 30 }, (_, i) =>
      finding('DIGEST_MISMATCH', { subject: `f${String(i).padStart(2, '0')}.msi`, message: 'x' }),
    );
    const md = renderMarkdown(sampleReport({ findings }), { maxFindings: 10 });
    expect(tableRows(md, '| Severity | Code | Subject |')).toHaveLength(10);
    expect(md).toContain('_20 more findings not shown; see the JSON or SARIF report._');
  });

  it('gives every finding row exactly five cells whatever the text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (subject, message) => {
        const report = buildReport({
          command: 'verify',
          now: NOW,
          subjects: [],
          findings: [finding('DIGEST_MISMATCH', { subject, message })],
        });
        const rows = tableRows(renderMarkdown(report), '| Severity | Code | Subject |');
        return rows.length === 1 && cells(rows[0] ?? '').length === 5;
      }),
      { numRuns: 300 },
    );
  });
});
