import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { FINDING_CODES, SEVERITIES, finding, type FindingCode } from '../../src/findings.ts';
import { buildReport } from '../../src/report/report.ts';
import { renderReport } from '../../src/report/render.ts';
import { SARIF_LEVEL, pathToSarifUri, renderSarif, renderSarifLog } from '../../src/report/sarif.ts';
import { HOSTILE, NOW, passingReport, sampleReport } from './sample-report.ts';
import { sarifValidator } from './sarif-schema.ts';

const validate = sarifValidator();

function expectValid(text: string): void {
  const log: unknown = JSON.parse(text);
  const ok = validate(log);
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
  expect(ok).toBe(true);
}

const BASE = '/work/repo';

describe('renderSarif', () => {
  it('writes a log that validates against the SARIF 2.1.0 schema, for failing, passing and empty reports', () => {
    expectValid(renderSarif(sampleReport(), { baseDir: BASE }));
    expectValid(renderSarif(passingReport(), { baseDir: BASE }));
    expectValid(renderSarif(sampleReport({ findings: [], subjects: [] }), { baseDir: BASE }));
    expectValid(renderReport(sampleReport(), 'sarif', { color: false }));
  });

  it('the schema check is real: a log without a tool or with a bad level is rejected', () => {
    const log = renderSarifLog(sampleReport(), { baseDir: BASE });
    const run = log.runs[0];
    if (!run) throw new Error('no run');
    expect(validate({ ...log, runs: [{ ...run, tool: undefined }] })).toBe(false);
    const [result] = run.results;
    expect(validate({ ...log, runs: [{ ...run, results: [{ ...result, level: 'fatal' }] }] })).toBe(false);
  });

  it('has one rule per finding code used, with the registry title, help, level and security-severity', () => {
    const log = renderSarifLog(sampleReport(), { baseDir: BASE });
    const run = log.runs[0];
    if (!run) throw new Error('no run');
    const rules = run.tool.driver.rules;
    // Failures only by default: passed checks (info) have neither results nor rules.
    const used = [
      ...new Set(
        sampleReport()
          .findings.filter((f) => f.severity !== 'info')
          .map((f) => f.code),
      ),
    ].sort();
    expect(rules.map((r) => r.id)).toEqual(used);
    const digest = rules.find((r) => r.id === 'DIGEST_MISMATCH');
    expect(digest?.shortDescription.text).toBe(FINDING_CODES.DIGEST_MISMATCH.title);
    expect(digest?.help.text).toBe(FINDING_CODES.DIGEST_MISMATCH.help);
    expect(digest?.defaultConfiguration.level).toBe('error');
    expect(digest?.properties['security-severity']).toBe('9.5');
    const byId = (id: string) => rules.find((r) => r.id === id)?.properties['security-severity'];
    expect(byId('VERSION_BELOW_MINIMUM')).toBe('8.0');
    expect(byId('MANIFEST_LINT_NO_SHA256')).toBe('5.5');
    expect(byId('VERSION_NOT_TARGET')).toBe('3.0');
    expect(byId('ARTIFACT_VERIFIED')).toBeUndefined();
    for (const result of run.results) expect(rules[result.ruleIndex]?.id).toBe(result.ruleId);
  });

  it('rates a rule by the worst severity its findings have, so an info finding is never a critical alert', () => {
    const report = buildReport({
      command: 'verify',
      now: NOW,
      subjects: [],
      findings: [
        finding('MANIFEST_THRESHOLD_NOT_MET', { subject: 'm.json', message: 'met', severity: 'info' }),
        finding('VERSION_VULNERABLE', { subject: 'a.msi', message: 'CVE-1', severity: 'critical' }),
        finding('VERSION_VULNERABLE', { subject: 'b.msi', message: 'CVE-2', severity: 'low' }),
      ],
    });
    const rules = renderSarifLog(report, { baseDir: BASE, include: 'all' }).runs[0]?.tool.driver.rules ?? [];
    const threshold = rules.find((r) => r.id === 'MANIFEST_THRESHOLD_NOT_MET');
    expect(threshold?.properties['security-severity']).toBeUndefined();
    expect(threshold?.defaultConfiguration.level).toBe('note');
    const vulnerable = rules.find((r) => r.id === 'VERSION_VULNERABLE');
    expect(vulnerable?.properties['security-severity']).toBe('9.5');
    expect(vulnerable?.defaultConfiguration.level).toBe('error');
  });

  it('maps severities to levels: critical/high error, medium/low warning, info note', () => {
    expect(SEVERITIES.map((s) => SARIF_LEVEL[s])).toEqual(['error', 'error', 'warning', 'warning', 'note']);
    const run = renderSarifLog(sampleReport(), { baseDir: BASE, include: 'all' }).runs[0];
    const level = (code: string) => run?.results.find((r) => r.ruleId === code)?.level;
    expect(level('DIGEST_MISMATCH')).toBe('error');
    expect(level('VERSION_BELOW_MINIMUM')).toBe('error');
    expect(level('MANIFEST_LINT_NO_SHA256')).toBe('warning');
    expect(level('VERSION_NOT_TARGET')).toBe('warning');
    expect(level('ARTIFACT_VERIFIED')).toBe('note');
  });

  it('locates a finding at its file and line, or at its subject when that is a path, and nowhere otherwise', () => {
    const run = renderSarifLog(sampleReport(), { baseDir: BASE }).runs[0];
    const location = (code: string) =>
      run?.results.find((r) => r.ruleId === code)?.locations?.[0]?.physicalLocation;
    expect(location('MANIFEST_LINT_NO_SHA256')).toEqual({
      artifactLocation: { uri: 'manifests/acme.json', uriBaseId: '%SRCROOT%' },
      region: { startLine: 12 },
    });
    // A path subject with a space: percent-encoded, relative to the base directory.
    expect(location('DIGEST_MISMATCH')).toEqual({
      artifactLocation: { uri: 'dist/acme%20agent%20tampered.msi', uriBaseId: '%SRCROOT%' },
    });
    // An endpoint and a URL are not files in the repository.
    expect(location('VERSION_BELOW_MINIMUM')).toBeUndefined();
    expect(location('VERSION_NOT_TARGET')).toBeUndefined();
  });

  it('uses the fallback file for findings without a place, and file: URIs outside the base directory', () => {
    const run = renderSarifLog(sampleReport(), { baseDir: BASE, fallbackFile: 'manifests/acme.json' })
      .runs[0];
    const endpoint = run?.results.find((r) => r.ruleId === 'VERSION_BELOW_MINIMUM');
    expect(endpoint?.locations?.[0]?.physicalLocation.artifactLocation.uri).toBe('manifests/acme.json');
    expect(pathToSarifUri('/elsewhere/a b.msi', BASE)).toEqual({ uri: 'file:///elsewhere/a%20b.msi' });
    expect(pathToSarifUri('../up.msi', BASE)).toEqual({ uri: 'file:///work/up.msi' });
    expect(pathToSarifUri(`${BASE}/x/y.msi`, BASE)).toEqual({ uri: 'x/y.msi', uriBaseId: '%SRCROOT%' });
    expect(pathToSarifUri('..hidden/a.msi', BASE)).toEqual({ uri: '..hidden/a.msi', uriBaseId: '%SRCROOT%' });
  });

  it('places findings about no file at the manifest subject by default, so code scanning accepts them', () => {
    const subjects = [
      ...sampleReport().subjects,
      { subject: 'manifests/acme.json', kind: 'manifest', result: 'pass' as const, facts: {} },
    ];
    const run = renderSarifLog(sampleReport({ subjects }), { baseDir: BASE }).runs[0];
    for (const result of run?.results ?? []) expect(result.locations).toHaveLength(1);
    const endpoint = run?.results.find((r) => r.ruleId === 'VERSION_BELOW_MINIMUM');
    expect(endpoint?.locations?.[0]?.physicalLocation.artifactLocation.uri).toBe('manifests/acme.json');
  });

  it('carries only failures by default; include all adds passed checks as notes', () => {
    const failures = renderSarifLog(sampleReport(), { baseDir: BASE }).runs[0]?.results ?? [];
    const all = renderSarifLog(sampleReport(), { baseDir: BASE, include: 'all' }).runs[0]?.results ?? [];
    const infos = sampleReport().findings.filter((f) => f.severity === 'info').length;
    expect(infos).toBeGreaterThan(0);
    expect(failures.map((r) => r.level)).not.toContain('note');
    expect(all).toHaveLength(failures.length + infos);
  });

  it('gives distinct findings distinct fingerprints: two tools on one endpoint, two digests of one file', () => {
    const report = buildReport({
      command: 'drift',
      now: NOW,
      subjects: [],
      findings: [
        finding('DRIFT_UNAPPROVED_TOOL', {
          subject: 'acme/pc-1',
          message: 'AnyDesk',
          evidence: { tool: 'AnyDesk', line: 4 },
        }),
        finding('DRIFT_UNAPPROVED_TOOL', {
          subject: 'acme/pc-1',
          message: 'TeamViewer',
          evidence: { tool: 'TeamViewer', line: 5 },
        }),
        finding('DIGEST_MISMATCH', {
          subject: 'a.msi',
          message: 'sha256',
          evidence: { algorithm: 'sha256', expected: 'aa', actual: 'bb' },
          location: { file: 'a.msi' },
        }),
        finding('DIGEST_MISMATCH', {
          subject: 'a.msi',
          message: 'sha512',
          evidence: { algorithm: 'sha512', expected: 'cc', actual: 'dd' },
          location: { file: 'a.msi' },
        }),
        // Identical twins still get their own fingerprint (an occurrence number).
        finding('DRIFT_DUPLICATE', { subject: 'acme/pc-2', message: 'dup', severity: 'low' }),
        finding('DRIFT_DUPLICATE', { subject: 'acme/pc-2', message: 'dup', severity: 'low' }),
      ],
    });
    const prints = (renderSarifLog(report, { baseDir: BASE }).runs[0]?.results ?? []).map(
      (r) => r.partialFingerprints['rmmVerifyFinding/v2'],
    );
    expect(prints).toHaveLength(6);
    expect(new Set(prints).size).toBe(6);
  });

  it('keeps a fingerprint when only counts, ages, times or message wording change', () => {
    const at = (days: number, seen: string) =>
      buildReport({
        command: 'drift',
        now: NOW,
        subjects: [],
        findings: [
          finding('DRIFT_STALE', {
            subject: 'acme/pc-1',
            message: `not seen for ${days} days`,
            evidence: { days, lastSeen: seen, version: '7.4.2' },
          }),
        ],
      });
    const print = (days: number, seen: string, version?: string) => {
      const report = at(days, seen);
      const shown = version
        ? {
            ...report,
            findings: report.findings.map((f) => ({ ...f, evidence: { ...f.evidence, version } })),
          }
        : report;
      return renderSarifLog(shown, { baseDir: BASE }).runs[0]?.results[0]?.partialFingerprints;
    };
    expect(print(20, '2026-05-01T00:00:00Z')).toEqual(print(31, '2026-05-12T08:00:00Z'));
    expect(print(20, '2026-05-01T00:00:00Z')).not.toEqual(print(20, '2026-05-01T00:00:00Z', '7.3.0'));
  });

  it('keeps fingerprints stable across runs and distinct across findings', () => {
    const a = renderSarifLog(sampleReport(), { baseDir: BASE }).runs[0]?.results ?? [];
    const b = renderSarifLog(sampleReport(), { baseDir: '/other' }).runs[0]?.results ?? [];
    expect(a.map((r) => r.partialFingerprints)).toEqual(b.map((r) => r.partialFingerprints));
    expect(new Set(a.map((r) => Object.values(r.partialFingerprints)[0])).size).toBe(a.length);
  });

  it('carries hostile text as data and still validates', () => {
    const report = buildReport({
      command: 'verify',
      now: NOW,
      subjects: [{ subject: HOSTILE, kind: 'artifact', result: 'fail', facts: {} }],
      findings: [
        finding('DIGEST_MISMATCH', { subject: HOSTILE, message: HOSTILE, evidence: { x: HOSTILE } }),
      ],
    });
    const text = renderSarif(report, { baseDir: BASE });
    expectValid(text);
    const log = JSON.parse(text) as { runs: { results: { message: { text: string } }[] }[] };
    expect(log.runs[0]?.results[0]?.message.text).toContain('evil|name <b>');
  });

  it('validates for any mix of codes, severities, subjects and locations (property)', () => {
    const codes = Object.keys(FINDING_CODES) as FindingCode[];
    const findingArb = fc.record({
      code: fc.constantFrom(...codes),
      severity: fc.constantFrom(...SEVERITIES),
      subject: fc.string({ unit: 'binary' }),
      message: fc.string({ unit: 'binary' }),
      file: fc.option(fc.string({ minLength: 1, unit: 'binary' }), { nil: undefined }),
      line: fc.option(fc.integer({ min: -5, max: 100_000 }), { nil: undefined }),
      kind: fc.constantFrom('artifact', 'endpoint', 'manifest'),
    });
    fc.assert(
      fc.property(fc.array(findingArb, { maxLength: 12 }), (items) => {
        const report = buildReport({
          command: 'verify',
          now: NOW,
          subjects: items.map((i) => ({
            subject: i.subject,
            kind: i.kind,
            result: 'fail' as const,
            facts: {},
          })),
          findings: items.map((i) =>
            finding(i.code, {
              subject: i.subject,
              message: i.message,
              severity: i.severity,
              ...(i.file === undefined
                ? {}
                : { location: { file: i.file, ...(i.line === undefined ? {} : { line: i.line }) } }),
            }),
          ),
        });
        const log: unknown = JSON.parse(renderSarif(report, { baseDir: BASE }));
        return validate(log);
      }),
      { numRuns: 200 },
    );
  });
});
