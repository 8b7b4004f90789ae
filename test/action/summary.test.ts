import { describe, expect, it } from 'vitest';

import { jobSummary } from '../../src/action/run.ts';
import { finding } from '../../src/findings.ts';
import { buildReport } from '../../src/report/report.ts';

describe('jobSummary', () => {
  it('lists fewer rows when the full report would not fit a 1 MiB job summary', () => {
    const findings = Array.from({ length: 600 }, (_, i) =>
      finding('DIGEST_MISMATCH', { subject: `dist/file-${i}.msi`, message: 'x'.repeat(2000) }),
    );
    const report = buildReport({ command: 'verify', now: new Date(0), subjects: [], findings });
    const summary = jobSummary(report);
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(900 * 1024);
    expect(summary).toContain('| critical | 600 |');
    expect(summary).toMatch(/_\d+ more findings not shown; see the JSON or SARIF report\._/);
  });

  it('keeps a report that fits as it is', () => {
    const report = buildReport({
      command: 'verify',
      now: new Date(0),
      subjects: [],
      findings: [finding('DIGEST_MISMATCH', { subject: 'a.msi', message: 'differs' })],
    });
    expect(jobSummary(report)).not.toContain('not shown');
  });
});
