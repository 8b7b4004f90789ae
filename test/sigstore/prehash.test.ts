import { createHash, generateKeyPairSync, sign } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { verifyPrehashed } from '../../src/sigstore/prehash.ts';

// Invariant: a signature node:crypto makes over a message verifies from the message's digest
// alone, and any change to the digest or the signature makes it fail.
const KEYS = [
  ['P-256 / sha256', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), 'sha256'],
  ['P-384 / sha384', generateKeyPairSync('ec', { namedCurve: 'secp384r1' }), 'sha384'],
  [
    'P-256 / sha512 (digest longer than the order)',
    generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
    'sha512',
  ],
  ['RSA-2048 / sha256', generateKeyPairSync('rsa', { modulusLength: 2048 }), 'sha256'],
] as const;

describe('verifyPrehashed', () => {
  for (const [name, pair, algorithm] of KEYS) {
    it(`agrees with node:crypto for ${name}`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), fc.nat(), (message, flip) => {
          const digest = createHash(algorithm).update(message).digest();
          const signature = sign(algorithm, message, pair.privateKey);
          expect(verifyPrehashed(pair.publicKey, algorithm, digest, signature).kind).toBe('valid');
          // Only the leftmost bits the curve order can hold count (FIPS 186-5 6.4.2): flip one of those.
          const badDigest = Buffer.from(digest);
          const byte = flip % Math.min(badDigest.length, 32);
          badDigest[byte] = (badDigest[byte] ?? 0) ^ 1;
          expect(verifyPrehashed(pair.publicKey, algorithm, badDigest, signature).kind).toBe('invalid');
          const badSignature = Buffer.from(signature);
          const at = badSignature.length - 1 - (flip % 8);
          badSignature[at] = (badSignature[at] ?? 0) ^ 0x40;
          expect(verifyPrehashed(pair.publicKey, algorithm, digest, badSignature).kind).toBe('invalid');
        }),
        { numRuns: 10 },
      );
    });
  }

  it('rejects malformed DER signatures and reports unsupported key types', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const digest = createHash('sha256').update('x').digest();
    for (const der of ['', '30', '3006020100020100', '300602010102010', '3008020101020101ff']) {
      expect(verifyPrehashed(publicKey, 'sha256', digest, Buffer.from(der, 'hex')).kind).toBe('invalid');
    }
    const ed = generateKeyPairSync('ed25519');
    expect(verifyPrehashed(ed.publicKey, 'sha256', digest, Buffer.alloc(64)).kind).toBe('unsupported');
    const p521 = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
    expect(verifyPrehashed(p521.publicKey, 'sha256', digest, Buffer.alloc(64)).kind).toBe('unsupported');
  });
});
