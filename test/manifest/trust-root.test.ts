import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseSignatureFile } from '../../src/manifest/signature-file.ts';
import { parseTrustRoot } from '../../src/manifest/trust-root.ts';
import { fuzzParameters, mutatedBytes, mutatedText, parsesOrFailsLocated } from '../helpers/fuzz.ts';
import { makeKey, signatureFile, trustDocument } from '../helpers/signed-manifest.ts';

const keys = [makeKey('ed25519'), makeKey('ecdsa-p256')];
const TRUST_ROOT = JSON.stringify(
  trustDocument(
    keys.map((key) => ({ key })),
    2,
  ),
  null,
  2,
);
const SIGNATURES = JSON.stringify(signatureFile(Buffer.from('{"schema":1}'), keys), null, 2);

describe('trust root and signature file parsers under fuzzing', () => {
  it('fuzz: mutated trust roots and signature files parse or fail with a located input error', () => {
    for (const [text, parse] of [
      [TRUST_ROOT, parseTrustRoot],
      [SIGNATURES, parseSignatureFile],
    ] as const) {
      expect(() => parse(Buffer.from(text), 'trust.json')).not.toThrow();
      fc.assert(
        fc.property(mutatedText(fc, text), (mutated) => {
          parsesOrFailsLocated(() => parse(Buffer.from(mutated), 'trust.json'), 'trust.json');
        }),
        fuzzParameters(200),
      );
      fc.assert(
        fc.property(mutatedBytes(fc, Buffer.from(text)), (mutated) => {
          parsesOrFailsLocated(() => parse(mutated, 'trust.json'), 'trust.json');
        }),
        fuzzParameters(100),
      );
    }
  });
});
