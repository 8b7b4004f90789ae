import { finding, type Finding } from '../../src/findings.ts';
import { buildReport, type Report, type SubjectResult } from '../../src/report/report.ts';

/** Text that has tried to break every format: markup, quotes, separators, controls, a lone surrogate. */
export const HOSTILE = 'evil|name <b>&"\'`*_[x](y)\u0007\u001b[31m,=1+2\r\n@cmd \ud800 ok';

export const NOW = new Date('2026-11-29T12:00:00.000Z');

export function sampleSubjects(): SubjectResult[] {
  return [
    {
      subject: 'dist/acme-agent-7.4.2-x64.msi',
      kind: 'artifact',
      result: 'pass',
      facts: { version: '7.4.2' },
    },
    { subject: 'dist/acme agent tampered.msi', kind: 'artifact', result: 'fail', facts: {} },
    { subject: 'tenant-a/host-01', kind: 'endpoint', result: 'fail', facts: { version: '7.1.0' } },
    { subject: 'https://example.test/acme.msi', kind: 'artifact', result: 'pass', facts: {} },
  ];
}

export function sampleFindings(): Finding[] {
  return [
    finding('ARTIFACT_VERIFIED', {
      subject: 'dist/acme-agent-7.4.2-x64.msi',
      message: 'matches acme-agent 7.4.2',
    }),
    finding('DIGEST_MISMATCH', {
      subject: 'dist/acme agent tampered.msi',
      message: 'sha256 differs from the pinned digest',
      evidence: { expected: 'aa', actual: 'bb' },
    }),
    finding('VERSION_BELOW_MINIMUM', {
      subject: 'tenant-a/host-01',
      message: '7.1.0 does not satisfy >=7.2.0',
    }),
    finding('MANIFEST_LINT_NO_SHA256', {
      subject: 'manifests/acme.json',
      message: 'artifact pinned by sha1 only',
      location: { file: 'manifests/acme.json', line: 12, pointer: '/releases/0/artifacts/0/digests' },
    }),
    finding('VERSION_NOT_TARGET', {
      subject: 'https://example.test/acme.msi',
      message: '7.4.1 is not the target 7.4.2',
    }),
  ];
}

export function sampleReport(overrides: { findings?: Finding[]; subjects?: SubjectResult[] } = {}): Report {
  return buildReport({
    command: 'verify',
    now: NOW,
    subjects: overrides.subjects ?? sampleSubjects(),
    findings: overrides.findings ?? sampleFindings(),
  });
}

export function passingReport(): Report {
  return buildReport({
    command: 'verify',
    now: NOW,
    subjects: [sampleSubjects()[0] as SubjectResult],
    findings: [sampleFindings()[0] as Finding],
  });
}
