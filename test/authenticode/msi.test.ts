import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { AuthenticodeFormatError } from '../../src/authenticode/errors.ts';
import { msiPrehash, parseMsi } from '../../src/authenticode/msi.ts';
import { bufferSource } from '../../src/authenticode/source.ts';
import { verifyAuthenticode } from '../../src/authenticode/verifier.ts';
import { NOW, acmeSigner, ensureAuthenticodeFixtures, verifyFile } from './helpers.ts';

let dir = '';
beforeAll(async () => {
  dir = await ensureAuthenticodeFixtures();
});

describe('MSI', () => {
  it('finds DigitalSignature and MsiDigitalSignatureEx and checks the metadata pre-hash', () => {
    const layout = parseMsi(readFileSync(join(dir, 'signed-dse.msi')), 'signed-dse.msi');
    expect(layout.signature?.length).toBeGreaterThan(0);
    expect(layout.signatureEx).toEqual(msiPrehash(layout, 'sha256'));
    const plain = parseMsi(readFileSync(join(dir, 'signed.msi')), 'signed.msi');
    expect(plain.signatureEx).toBeUndefined();
  });

  it('fails when only the metadata covered by MsiDigitalSignatureEx changes', async () => {
    const bytes = readFileSync(join(dir, 'signed-dse.msi'));
    // Change the state bits (directory entry + 0x60) of the stream named Binary.Icon.
    const name = Buffer.concat([Buffer.from('Binary.Icon', 'utf16le'), Buffer.alloc(2)]);
    const record = bytes.indexOf(name);
    expect(record % 128).toBe(0);
    const tampered = Buffer.from(bytes);
    tampered[record + 0x60] = 1;
    const result = await verifyAuthenticode(bufferSource(tampered), {
      trust: { signers: [acmeSigner(dir)], systemRoots: [] },
      now: NOW,
    });
    expect(result.findings).toFailWith('AUTHENTICODE_IMAGE_HASH_MISMATCH');
  });

  it('signed MSI content digests match what osslsigncode signed', async () => {
    const result = await verifyFile(join(dir, 'signed.msi'), [acmeSigner(dir)]);
    expect(result.format).toBe('msi');
    expect(result.signatures[0]?.computedDigest).toBe(result.signatures[0]?.signedDigest);
  });

  it('never crashes on random corruption: findings or a located input error', async () => {
    const signed = readFileSync(join(dir, 'signed.msi'));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: signed.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        async (edits) => {
          const bytes = Buffer.from(signed);
          for (const [offset, value] of edits) bytes[offset] = value;
          bytes.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 0); // keep it an MSI
          try {
            const result = await verifyAuthenticode(bufferSource(bytes), {
              trust: { signers: [acmeSigner(dir)], systemRoots: [] },
              now: NOW,
            });
            expect(typeof result.passed).toBe('boolean');
          } catch (error: unknown) {
            expect(error).toBeInstanceOf(AuthenticodeFormatError);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
