import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { AuthenticodeFormatError } from '../../src/authenticode/errors.ts';
import { CFB_MAGIC, openCompoundFile, type CfbEntry } from '../../src/authenticode/compound-file.ts';
import { parseMsi } from '../../src/authenticode/msi.ts';
import { bufferSource, type ByteSource } from '../../src/authenticode/source.ts';
import {
  directoryEntryIndex,
  directoryEntryOffset,
  editEntry,
} from '../fixtures/authenticode/msi-attacks.ts';
import { buildFlatCompoundFile, buildMsi } from '../fixtures/authenticode/msi-builder.ts';
import {
  expectLocatedInputError,
  fuzzParameters,
  mutatedBytes,
  parsesOrFailsLocatedAsync,
} from '../helpers/fuzz.ts';
import { ensureAuthenticodeFixtures } from './helpers.ts';

let dir = '';
beforeAll(async () => {
  dir = await ensureAuthenticodeFixtures();
});

/** A ByteSource that counts the bytes it hands out (the parser's work). */
function countingSource(bytes: Buffer, name: string): ByteSource & { readonly bytesRead: () => number } {
  const inner = bufferSource(bytes, name);
  let read = 0;
  return {
    name: inner.name,
    size: inner.size,
    read: async (offset, length) => {
      const chunk = await inner.read(offset, length);
      read += chunk.length;
      return chunk;
    },
    bytesRead: () => read,
  };
}

/** Opens the compound file and reads every stream reached from the root, as the MSI digest does. */
async function readWhole(source: ByteSource): Promise<number> {
  const cfb = await openCompoundFile(source);
  let streamed = 0;
  const pending: CfbEntry[] = [cfb.root];
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    pending.push(...entry.children);
    if (entry.type === 2) await cfb.readStream(entry, (chunk) => (streamed += chunk.length));
  }
  return streamed;
}

/** Offsets in the structure a reader trusts: the header, and the first FAT and directory sectors. */
function structuralEdits(length: number): fc.Arbitrary<readonly (readonly [number, number])[]> {
  const offset = fc.oneof(
    fc.nat({ max: 511 }), // header
    fc.nat({ max: Math.max(0, length - 1) }),
  );
  const value = fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom(0x00, 0xff, 0xfe, 0xfd, 0x01, 0x02, 0x05, 0x80),
  );
  return fc.array(fc.tuple(offset, value), { minLength: 1, maxLength: 10 });
}

describe('compound file (MS-CFB) reader', () => {
  it('fuzz: random bytes behind the signature end in a parsed file or a located format error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 4096 }), async (tail) => {
        const bytes = Buffer.concat([CFB_MAGIC, tail]);
        await parsesOrFailsLocatedAsync(() => readWhole(bufferSource(bytes, 'random.msi')), 'random.msi');
      }),
      fuzzParameters(300),
    );
  });

  it('fuzz: a mutated MSI (header, FAT, directory, mini stream) ends in a result or a located error, reading at most its size per stream', async () => {
    const originals = [buildMsi(1), readFileSync(join(dir, 'wixl-signed-dse.msi'))];
    for (const original of originals) {
      await fc.assert(
        fc.asyncProperty(
          structuralEdits(original.length),
          fc.option(fc.nat({ max: original.length }), { nil: undefined }),
          async (edits, cut) => {
            let bytes = Buffer.from(original);
            for (const [offset, value] of edits) bytes[offset] = value;
            if (cut !== undefined) bytes = bytes.subarray(0, Math.max(cut, 8));
            const source = countingSource(bytes, 'mutated.msi');
            try {
              const streamed = await readWhole(source);
              // Bounded work: every byte handed out belongs to a stream or the structure, and
              // no stream is read past what the file holds.
              expect(streamed).toBeLessThanOrEqual(source.bytesRead());
            } catch (error: unknown) {
              expectLocatedInputError(error, 'mutated.msi');
              expect(error).toBeInstanceOf(AuthenticodeFormatError);
              expect((error as AuthenticodeFormatError).location.offset).toBeGreaterThanOrEqual(0);
            }
          },
        ),
        fuzzParameters(150),
      );
    }
  });

  it('fuzz: parseMsi (the signature streams and the digest layout) on mutated bytes', async () => {
    const original = readFileSync(join(dir, 'wixl-signed-dse.msi'));
    await fc.assert(
      fc.asyncProperty(mutatedBytes(fc, original), async (mutated) => {
        const bytes = Buffer.concat([CFB_MAGIC, mutated.subarray(CFB_MAGIC.length)]); // keep it a compound file
        await parsesOrFailsLocatedAsync(() => parseMsi(bufferSource(bytes, 'edited.msi')), 'edited.msi');
      }),
      fuzzParameters(150),
    );
  });

  it('reads no byte twice: streams that share one sector chain are refused, naming the entry (work bounded by the file size)', async () => {
    // One 64 KiB stream and 30 streams of 4 KiB, whose entries are then pointed at the big
    // stream's chain with its size: hashing would read the 64 KiB 31 times (about 2 MiB from 190 KiB).
    const streams = [
      { name: 'Big', data: Buffer.alloc(64 << 10, 0x42) },
      ...Array.from({ length: 30 }, (_, i) => ({ name: `S${i}`, data: Buffer.alloc(4096, i) })),
    ];
    let bytes = buildFlatCompoundFile(streams);
    expect(await readWhole(bufferSource(bytes, 'flat.msi'))).toBe((64 << 10) + 30 * 4096);
    // The big stream's start sector (0x74) and size (0x78, 8 bytes), copied into every other entry.
    const bigAt = directoryEntryOffset(bytes, directoryEntryIndex(bytes, 'Big'));
    const startAndSize = Buffer.from(bytes.subarray(bigAt + 0x74, bigAt + 0x80));
    for (let i = 0; i < 30; i++)
      bytes = editEntry(bytes, directoryEntryIndex(bytes, `S${i}`), 0x74, startAndSize);
    const source = countingSource(bytes, 'cross-linked.msi');
    const error: unknown = await readWhole(source).catch((caught: unknown) => caught);
    expectLocatedInputError(error, 'cross-linked.msi');
    expect((error as Error).message).toMatch(
      /directory entry \d+\) brings the streams' sizes to \d+ bytes, more than the \d+ bytes of the file's sectors: streams share sectors/,
    );
    expect(source.bytesRead()).toBeLessThanOrEqual(bytes.length);
  });
});
