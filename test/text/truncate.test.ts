import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { beforeAll, describe, expect, it } from 'vitest';

import { buildChain } from '../../src/authenticode/chain.ts';
import { parseCertificateFile } from '../../src/authenticode/certificate.ts';
import { RmmVerifyError } from '../../src/errors.ts';
import { scanDrift } from '../../src/fleet/drift.ts';
import { streamSource } from '../../src/fleet/inventory.ts';
import { checkUrl } from '../../src/github/url-policy.ts';
import { parseHashList } from '../../src/manifest/hash-list.ts';
import { uncheckedManifests } from '../../src/manifest/trusted.ts';
import { parseSbom, validateSbom } from '../../src/sbom/index.ts';
import { parseBundleJson } from '../../src/sigstore/bundle.ts';
import { parseStatement } from '../../src/sigstore/statement.ts';
import { instantOf } from '../../src/time/rfc3339.ts';
import { quoteUntrusted, truncateUntrusted } from '../../src/text/truncate.ts';
import { acmeManifest, csvOf, NOW } from '../fixtures/fleet/make-fixtures.ts';

/** Far longer than any message should be: a hostile field must not make a message as large. */
const HUGE = 'A'.repeat(100_000);
const BOUND = 1_000;

function thrownMessage(action: () => unknown): string {
  try {
    action();
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(Error);
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('untrusted text in messages is quoted shortened, in every domain', () => {
  it('truncateUntrusted and quoteUntrusted', () => {
    expect(truncateUntrusted('short')).toBe('short');
    expect(truncateUntrusted(HUGE)).toBe(`${'A'.repeat(197)}... (100000 characters)`);
    expect(quoteUntrusted('a"b')).toBe('"a\\"b"');
    expect(quoteUntrusted(HUGE).length).toBeLessThan(240);
    expect(quoteUntrusted({ value: HUGE }).length).toBeLessThan(240);
    expect(quoteUntrusted(null)).toBe('null');
  });

  it('sigstore: a bundle mediaType and a statement _type', () => {
    const bundle = parseBundleJson({ mediaType: HUGE }, 'b.sigstore.json');
    expect(bundle.kind === 'invalid' && bundle.reason.length).toBeLessThan(BOUND);
    const statement = parseStatement(
      'application/vnd.in-toto+json',
      Buffer.from(JSON.stringify({ _type: HUGE })),
    );
    expect(statement.kind === 'invalid' && statement.reason.length).toBeLessThan(BOUND);
    expect(parseStatement(HUGE, Buffer.from('{}')).kind === 'invalid').toBe(true);
  });

  it('sbom: an unsupported bomFormat and a duplicate bom-ref', async () => {
    const document = parseSbom(
      Buffer.from(JSON.stringify({ bomFormat: HUGE, specVersion: '1.6' })),
      's.json',
    );
    expect(document.kind.format).toBe('unsupported');
    expect(document.kind.format === 'unsupported' && document.kind.reason.length).toBeLessThan(BOUND);
    const duplicate = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [
        { type: 'library', name: 'a', 'bom-ref': HUGE },
        { type: 'library', name: 'b', 'bom-ref': HUGE },
      ],
    };
    const result = await validateSbom(parseSbom(Buffer.from(JSON.stringify(duplicate)), 's.json'));
    expect(result.findings.length).toBeGreaterThan(0);
    for (const finding of result.findings) expect(finding.message.length, finding.code).toBeLessThan(BOUND);
  });

  it('manifest: a hash list entry', () => {
    // Under the list's record limit (65,536 characters), not a size.
    const csv = `name,sha256,size\nagent.msi,${'ab'.repeat(32)},${'9'.repeat(60_000)}\n`;
    expect(thrownMessage(() => parseHashList(Buffer.from(csv), 'list.csv')).length).toBeLessThan(BOUND);
  });

  it('github: a URL that is refused', () => {
    expect(thrownMessage(() => checkUrl(`not a url ${HUGE}`, false)).length).toBeLessThan(BOUND);
  });

  it('time: a date that is not RFC 3339', () => {
    expect(thrownMessage(() => instantOf(HUGE)).length).toBeLessThan(BOUND);
  });

  describe('authenticode: a certificate subject', () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'rmm-verify-long-subject-'));
    });

    it('quotes a 6,000-character subject shortened', () => {
      const certificate = (name: string, subject: string) => {
        const made = spawnSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:P-256',
            '-nodes',
            '-keyout',
            join(dir, `${name}.key`),
            '-out',
            join(dir, `${name}.pem`),
            '-days',
            '30',
            '-subj',
            subject,
          ],
          { encoding: 'utf8' },
        );
        expect(made.status, made.stderr).toBe(0);
        const [parsed] = parseCertificateFile(readFileSync(join(dir, `${name}.pem`)), `${name}.pem`);
        if (parsed === undefined) throw new Error(`no certificate in ${name}.pem`);
        return parsed;
      };
      // 100 organisational units of 60 characters: OpenSSL caps each attribute, not their number.
      const units = Array.from(
        { length: 100 },
        (_, i) => `/OU=${String(i).padStart(3, '0')}${'x'.repeat(57)}`,
      );
      const leaf = certificate('long', `/CN=long${units.join('')}`);
      const root = certificate('root', '/CN=Pinned Root');
      expect(leaf.subject.length).toBeGreaterThan(6_000);
      const result = buildChain(leaf, [], { purpose: 'codeSigning', at: new Date(), anchors: [root] });
      expect(result.problems.map((p) => p.code)).toContain('AUTHENTICODE_UNTRUSTED_ROOT');
      for (const problem of result.problems) expect(problem.message.length).toBeLessThan(BOUND);
      expect(result.problems.map((p) => p.message).join(' ')).toContain('... (');
    });
  });

  it('fleet: a tenant, endpoint, product and version in drift findings', async () => {
    const rows = [
      [
        `contoso${HUGE}`,
        `e${HUGE}`,
        'h',
        'Acme RMM Agent',
        `7.4.0${HUGE}`,
        '',
        'windows-x64',
        '2026-01-01T00:00:00Z',
      ],
      [
        `contoso${HUGE}`,
        'e2',
        `h${HUGE}`,
        'Acme RMM Agent',
        '7.4.0',
        '',
        'windows-x64',
        '2026-11-28T00:00:00Z',
      ],
    ];
    const report = await scanDrift({
      manifests: uncheckedManifests([acmeManifest()]),
      sources: [streamSource('inventory.csv', Readable.from([Buffer.from(csvOf(rows))]))],
      now: NOW,
    });
    expect(report.findings.length).toBeGreaterThan(1);
    for (const finding of report.findings) expect(finding.message.length, finding.code).toBeLessThan(BOUND);
    // The subject and the evidence keep the exact values: only the message is shortened.
    expect(report.findings.some((f) => f.subject.length > HUGE.length)).toBe(true);
  });

  it('errors stay located input errors', () => {
    const error = (() => {
      try {
        parseHashList(
          Buffer.from(`name,sha256,size\nagent.msi,${'ab'.repeat(32)},${'9'.repeat(60_000)}\n`),
          'list.csv',
        );
      } catch (caught: unknown) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RmmVerifyError);
    expect((error as RmmVerifyError).location.line).toBe(2);
  });
});
