import fc from 'fast-check';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { finding } from '../../src/findings.ts';
import { renderJunit, xmlAttribute, xmlText } from '../../src/report/junit.ts';
import { buildReport } from '../../src/report/report.ts';
import { HOSTILE, NOW, passingReport, sampleReport } from './sample-report.ts';

interface ParsedCase {
  readonly name: string;
  readonly classname: string;
  readonly failure: { readonly type: string; readonly message: string; readonly body: string } | null;
  readonly out: string | null;
}

interface ParsedSuite {
  readonly error: string | null;
  readonly tests: string | null;
  readonly failures: string | null;
  readonly cases: readonly ParsedCase[];
}

// A real XML parser (Chromium's DOMParser) decides whether the output is well-formed.
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  page = await browser.newPage();
});

afterAll(async () => {
  await browser.close();
});

/** Runs in the page (plain JavaScript: the test's TypeScript has no DOM types). */
const PARSE_IN_PAGE = `(text) => {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const error = doc.getElementsByTagName('parsererror')[0];
  const suite = doc.getElementsByTagName('testsuite')[0];
  return {
    error: error ? error.textContent : null,
    tests: suite ? suite.getAttribute('tests') : null,
    failures: suite ? suite.getAttribute('failures') : null,
    cases: [...doc.getElementsByTagName('testcase')].map((c) => {
      const failure = c.getElementsByTagName('failure')[0];
      const out = c.getElementsByTagName('system-out')[0];
      return {
        name: c.getAttribute('name'),
        classname: c.getAttribute('classname'),
        failure: failure
          ? { type: failure.getAttribute('type'), message: failure.getAttribute('message'), body: failure.textContent }
          : null,
        out: out ? out.textContent : null,
      };
    }),
  };
}`;

async function parse(xml: string): Promise<ParsedSuite> {
  return page.evaluate<ParsedSuite>(`(${PARSE_IN_PAGE})(${JSON.stringify(xml)})`);
}

describe('renderJunit', () => {
  it('writes one test case per subject, failing those with findings at or above fail-on', async () => {
    const parsed = await parse(renderJunit(sampleReport()));
    expect(parsed.error).toBeNull();
    // 4 subjects plus the manifest, which has a finding but no subject entry.
    expect(parsed.tests).toBe('5');
    expect(parsed.cases.map((c) => c.name)).toEqual([
      'dist/acme-agent-7.4.2-x64.msi',
      'dist/acme agent tampered.msi',
      'tenant-a/host-01',
      'https://example.test/acme.msi',
      'manifests/acme.json',
    ]);
    const byName = new Map(parsed.cases.map((c) => [c.name, c]));
    expect(byName.get('dist/acme-agent-7.4.2-x64.msi')?.failure).toBeNull();
    expect(byName.get('dist/acme-agent-7.4.2-x64.msi')?.out).toContain('INFO ARTIFACT_VERIFIED');
    expect(byName.get('dist/acme agent tampered.msi')?.failure?.type).toBe('DIGEST_MISMATCH');
    expect(byName.get('tenant-a/host-01')?.classname).toBe('rmm-verify.verify.endpoint');
    expect(byName.get('manifests/acme.json')?.failure?.body).toContain('manifests/acme.json:12');
    expect(parsed.failures).toBe('4');
  });

  it('stamps the suite in the Ant JUnit schema form (UTC, no fraction or zone)', () => {
    expect(renderJunit(sampleReport())).toContain('timestamp="2026-11-29T12:00:00"');
  });

  it('a passing report has no failures', async () => {
    const parsed = await parse(renderJunit(passingReport()));
    expect(parsed.error).toBeNull();
    expect(parsed.failures).toBe('0');
    expect(parsed.cases).toHaveLength(1);
  });

  it('findings below fail-on are output, not failures', async () => {
    const report = buildReport({
      command: 'verify',
      now: NOW,
      failOn: 'critical',
      subjects: [{ subject: 'a.msi', kind: 'artifact', result: 'pass', facts: {} }],
      findings: [finding('VERSION_NOT_TARGET', { subject: 'a.msi', message: 'old' })],
    });
    const parsed = await parse(renderJunit(report));
    expect(parsed.failures).toBe('0');
    expect(parsed.cases[0]?.out).toContain('LOW VERSION_NOT_TARGET: old');
  });

  it('stays well-formed with hostile names and messages: escaped, XML-forbidden characters removed', async () => {
    const report = buildReport({
      command: 'verify',
      now: NOW,
      subjects: [{ subject: HOSTILE, kind: 'artifact', result: 'fail', facts: { note: HOSTILE } }],
      findings: [
        finding('DIGEST_MISMATCH', { subject: HOSTILE, message: HOSTILE }),
        finding('ARTIFACT_VERIFIED', { subject: HOSTILE, message: ']]> </testcase>' }),
      ],
    });
    const xml = renderJunit(report);
    const parsed = await parse(xml);
    expect(parsed.error).toBeNull();
    const expected = 'evil|name <b>&"\'`*_[x](y)[31m,=1+2\r\n@cmd  ok';
    expect(parsed.cases).toHaveLength(1);
    expect(parsed.cases[0]?.name).toBe(expected);
    expect(parsed.cases[0]?.failure?.message).toBe(`DIGEST_MISMATCH: ${expected}`);
    expect(parsed.cases[0]?.out).toContain(']]> </testcase>');
  });

  it('escapes the five XML specials and drops what XML 1.0 cannot carry', () => {
    expect(xmlText('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
    expect(xmlAttribute('"\'\t\n\r')).toBe('&quot;&apos;&#9;&#10;&#13;');
    expect(xmlText('x\u0000\u0008\u000b\u001f\ufffe\uffff\udc00y')).toBe('xy');
    expect(xmlText('😀\u00e9\t\n')).toBe('😀\u00e9\t\n');
  });

  it('keeps any subject name exactly, minus what XML cannot carry (property, one parse for many names)', async () => {
    const names = fc.sample(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), {
      numRuns: 300,
      seed: 42,
    });
    const unique = [...new Set(names)];
    const report = buildReport({
      command: 'verify',
      now: NOW,
      subjects: unique.map((subject) => ({ subject, kind: 'artifact', result: 'pass' as const, facts: {} })),
      findings: [],
    });
    const parsed = await parse(renderJunit(report));
    expect(parsed.error).toBeNull();
    const forbidden = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
    expect(parsed.cases.map((c) => c.name)).toEqual(unique.map((n) => n.replace(forbidden, '')));
  });
});
