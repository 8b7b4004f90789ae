import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  exactIdentity,
  loadPublicGoodTrustedRoot,
  parseBundleBytes,
  parseTrustedRoot,
  verifyBundle,
  type SigstoreTrust,
} from '../../src/sigstore/index.ts';
import { parseStatement } from '../../src/sigstore/statement.ts';
import { fuzzParameters, mutatedBytes, mutatedText, parsesOrFailsLocated } from '../helpers/fuzz.ts';

const REAL = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/sigstore/${name}`, import.meta.url));
// sigstore-conformance's a.txt and its v0.1 message-signature bundle (see the fixtures' README).
const A_TXT_BUNDLE = readFileSync(REAL('a.txt.sigstore'), 'utf8');
const A_TXT_SHA256 = 'a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf';
// gh 2.54.0's DSSE provenance bundle from GitHub's attestations API.
const GH_BUNDLE = readFileSync(REAL('gh_2.54.0_linux_armv6.tar.gz.sigstore'), 'utf8');
const GH_SHA256 = 'cd53809273ad6011fdd98e0244c5c2276b15f3dd1294e4715627ebd4f9c6e0f1';
const TRUSTED_ROOT = readFileSync(
  fileURLToPath(new URL('../../keys/sigstore/trusted_root.json', import.meta.url)),
  'utf8',
);

let trust: SigstoreTrust;
beforeAll(async () => {
  trust = await loadPublicGoodTrustedRoot();
});

/** Parses, then verifies every parsed bundle: a result (findings) or a located input error. */
function parseAndVerify(text: string | Buffer, file: string, sha256: string): void {
  parsesOrFailsLocated(() => {
    for (const parsed of parseBundleBytes(Buffer.from(text), file)) {
      if (parsed.kind === 'invalid') {
        expect(parsed.reason).not.toBe('');
        continue;
      }
      const result = verifyBundle(
        parsed.bundle,
        { sha256 },
        trust,
        {
          identities: [{ identity: exactIdentity('https://example.com/x'), issuer: 'https://example.com' }],
          keyBased: false,
        },
        { subject: 'artifact', bundleFile: file },
      );
      // The identity never matches: whatever else held, the result must not be a pass.
      expect(result.ok).toBe(false);
      expect(result.findings.length).toBeGreaterThan(0);
    }
  }, file);
}

describe('Sigstore bundle parser and verifier under fuzzing', () => {
  it('fuzz: mutated real bundles (text and bytes) end in findings or a located input error, never a pass', () => {
    for (const [text, sha256] of [
      [A_TXT_BUNDLE, A_TXT_SHA256],
      [GH_BUNDLE, GH_SHA256],
    ] as const) {
      fc.assert(
        fc.property(mutatedText(fc, text), (mutated) => {
          parseAndVerify(mutated, 'b.sigstore.json', sha256);
        }),
        fuzzParameters(100),
      );
      fc.assert(
        fc.property(mutatedBytes(fc, Buffer.from(text)), (mutated) => {
          parseAndVerify(mutated, 'b.sigstore.json', sha256);
        }),
        fuzzParameters(60),
      );
    }
  });

  it('fuzz: JSON Lines of bundles and random JSON', () => {
    const line = JSON.stringify(JSON.parse(GH_BUNDLE));
    fc.assert(
      fc.property(mutatedText(fc, `${line}\n${line}\n`), (mutated) => {
        parseAndVerify(mutated, 'b.intoto.jsonl', GH_SHA256);
      }),
      fuzzParameters(60),
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        parseAndVerify(JSON.stringify(value), 'random.sigstore.json', GH_SHA256);
      }),
      fuzzParameters(200),
    );
  });

  it('fuzz: in-toto statements (DSSE payloads) parse or are reported invalid, never thrown', () => {
    const envelope = (JSON.parse(GH_BUNDLE) as { dsseEnvelope: { payload: string } }).dsseEnvelope;
    const payload = Buffer.from(envelope.payload, 'base64').toString('utf8');
    expect(parseStatement('application/vnd.in-toto+json', Buffer.from(payload)).kind).toBe('statement');
    fc.assert(
      fc.property(mutatedText(fc, payload), (mutated) => {
        const result = parseStatement('application/vnd.in-toto+json', Buffer.from(mutated));
        expect(['statement', 'invalid']).toContain(result.kind);
      }),
      fuzzParameters(200),
    );
  });

  it('fuzz: mutated trusted roots parse or fail with a located input error', () => {
    expect(parseTrustedRoot(Buffer.from(TRUSTED_ROOT), 'trusted_root.json').source).toBe('trusted_root.json');
    fc.assert(
      fc.property(mutatedText(fc, TRUSTED_ROOT), (mutated) => {
        parsesOrFailsLocated(() => parseTrustedRoot(Buffer.from(mutated), 'trusted_root.json'));
      }),
      fuzzParameters(100),
    );
  });
});
