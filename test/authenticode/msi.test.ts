import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { AuthenticodeFormatError } from '../../src/authenticode/errors.ts';
import { msiPrehash, parseMsi } from '../../src/authenticode/msi.ts';
import { directoryEntryOffset, editEntry, firstStreamIndex } from '../fixtures/authenticode/msi-attacks.ts';
import { bufferSource } from '../../src/authenticode/source.ts';
import { verifyAuthenticode } from '../../src/authenticode/verifier.ts';
import { NOW, acmeSigner, ensureAuthenticodeFixtures, osslsigncodeAccepts, verifyFile } from './helpers.ts';
import { fuzzParameters } from '../helpers/fuzz.ts';

let dir = '';
beforeAll(async () => {
  dir = await ensureAuthenticodeFixtures();
});

describe('MSI', () => {
  it('finds DigitalSignature and MsiDigitalSignatureEx and checks the metadata pre-hash', async () => {
    const layout = await parseMsi(bufferSource(readFileSync(join(dir, 'signed-dse.msi')), 'signed-dse.msi'));
    expect(layout.signature?.length).toBeGreaterThan(0);
    expect(layout.signatureEx).toEqual(msiPrehash(layout, 'sha256'));
    const plain = await parseMsi(bufferSource(readFileSync(join(dir, 'signed.msi')), 'signed.msi'));
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

  it('fuzz: never crashes on random corruption: findings or a located input error', async () => {
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
      fuzzParameters(200),
    );
  });
});

const verifyBytes = (bytes: Buffer) =>
  verifyAuthenticode(bufferSource(bytes, 'edited.msi'), {
    trust: { signers: [acmeSigner(dir)], systemRoots: [] },
    now: NOW,
  });

const u32 = (value: number): Buffer => {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
};

describe('MSI directory read by index (stale directory copies, hostile trees)', () => {
  it('verifies wixl packages signed by osslsigncode, as osslsigncode does', async () => {
    for (const file of ['wixl-signed.msi', 'wixl-signed-dse.msi', 'wixl-moved.msi']) {
      const result = await verifyFile(join(dir, file), [acmeSigner(dir)]);
      expect(result.passed, file).toBe(true);
      expect(result.signatures[0]?.computedDigest, file).toBe(result.signatures[0]?.signedDigest);
      expect(osslsigncodeAccepts(join(dir, file), dir), file).toBe(true);
    }
  });

  it('hashes the live directory, not a stale copy of it left in free sectors (root CLSID changed)', async () => {
    const file = join(dir, 'wixl-stale-clsid.msi');
    expect(osslsigncodeAccepts(file, dir)).toBe(false);
    const result = await verifyFile(file, [acmeSigner(dir)]);
    expect(result.passed).toBe(false);
    expect(result.findings).toFailWith('AUTHENTICODE_IMAGE_HASH_MISMATCH');
  });

  it('checks MsiDigitalSignatureEx against the live directory (stream modification time changed)', async () => {
    const file = join(dir, 'wixl-stale-mtime-dse.msi');
    expect(osslsigncodeAccepts(file, dir)).toBe(false);
    const result = await verifyFile(file, [acmeSigner(dir)]);
    expect(result.passed).toBe(false);
    expect(result.findings).toFailWith('AUTHENTICODE_IMAGE_HASH_MISMATCH');
  });

  it('verifies a signed package that embeds another compound file as a stream', async () => {
    const file = join(dir, 'wixl-embedded-signed.msi');
    expect(osslsigncodeAccepts(file, dir)).toBe(true);
    const result = await verifyFile(file, [acmeSigner(dir)]);
    expect(result.findings.filter((f) => f.severity === 'critical')).toEqual([]);
    expect(result.passed).toBe(true);
  });

  it('says (info) that the metadata is not covered when there is no MsiDigitalSignatureEx', async () => {
    const plain = await verifyFile(join(dir, 'wixl-signed.msi'), [acmeSigner(dir)]);
    const advisory = plain.findings.find((f) => f.code === 'AUTHENTICODE_MSI_METADATA_UNSIGNED');
    expect(advisory?.severity).toBe('info');
    expect(plain.findings.map((f) => f.code)).toContain('AUTHENTICODE_VERIFIED');
    const dse = await verifyFile(join(dir, 'wixl-signed-dse.msi'), [acmeSigner(dir)]);
    expect(dse.findings.map((f) => f.code)).not.toContain('AUTHENTICODE_MSI_METADATA_UNSIGNED');
  });

  it('verifies 16,000 empty streams (linear in entries)', async () => {
    const file = join(dir, 'many-streams-signed.msi');
    const layout = await parseMsi(bufferSource(readFileSync(file), file));
    expect(layout.file.entryCount).toBe(16_003); // root, 16,000 empty streams, big, DigitalSignature
    const result = await verifyFile(file, [acmeSigner(dir)]);
    expect(result.passed).toBe(true);
  });

  /** Each edit of the signed package's live directory, and what the error must say. */
  const HOSTILE: ReadonlyArray<readonly [what: string, edit: (bytes: Buffer) => Buffer, message: RegExp]> = [
    [
      'an entry that is its own left sibling',
      (bytes) => {
        const index = firstStreamIndex(bytes);
        return editEntry(bytes, index, 0x44, u32(index));
      },
      /reached twice/,
    ],
    [
      'an entry whose right sibling is the root',
      (bytes) => editEntry(bytes, firstStreamIndex(bytes), 0x48, u32(0)),
      /reached twice/,
    ],
    [
      "a stream that is its own storage's child and sibling (the root's child points to it twice)",
      (bytes) => {
        const child = bytes.readUInt32LE(directoryEntryOffset(bytes, 0) + 0x4c);
        return editEntry(bytes, child, 0x48, u32(child));
      },
      /reached twice/,
    ],
    [
      'a sibling index past the directory',
      (bytes) => editEntry(bytes, firstStreamIndex(bytes), 0x44, u32(100_000)),
      /past the \d+ entries of the directory/,
    ],
    [
      'a second root entry in the tree',
      (bytes) => editEntry(bytes, firstStreamIndex(bytes), 0x42, Buffer.from([5])),
      /second root entry/,
    ],
    [
      'a directory chain that loops',
      (bytes) => {
        const out = Buffer.from(bytes);
        const directory = out.readUInt32LE(0x30);
        const fatSector = out.readUInt32LE(0x4c);
        out.writeUInt32LE(directory, (fatSector + 1) * 512 + directory * 4);
        return out;
      },
      /directory: sector chain loops back/,
    ],
  ];

  it.each(HOSTILE)('rejects %s with a located input error', async (_what, edit, message) => {
    const bytes = edit(readFileSync(join(dir, 'wixl-signed.msi')));
    const error = await verifyBytes(bytes).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticodeFormatError);
    expect((error as AuthenticodeFormatError).message).toMatch(message);
    expect((error as AuthenticodeFormatError).location.offset).toBeTypeOf('number');
  });
});
