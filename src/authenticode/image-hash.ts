import { createHash, type Hash } from 'node:crypto';

import { defaults } from '../defaults.ts';
import { giveBack, takeBuffer } from '../digest/chunk-buffers.ts';

import type { HashName } from './oids.ts';
import { imageHashRanges, type PeLayout } from './pe.ts';
import type { ByteSource } from './source.ts';

/**
 * Hashes the given byte ranges of a source with every algorithm in one pass, reading at most
 * `chunkBytes` at a time, so memory does not grow with the file size.
 */
export async function hashRanges(
  source: ByteSource,
  ranges: ReadonlyArray<readonly [number, number]>,
  algorithms: readonly HashName[],
  chunkBytes: number = defaults.readChunkBytes,
): Promise<Map<HashName, Buffer>> {
  const hashes = new Map<HashName, Hash>();
  for (const algorithm of algorithms) hashes.set(algorithm, createHash(algorithm));
  const chunks: Array<readonly [number, number]> = [];
  for (const [start, end] of ranges) {
    for (let offset = start; offset < end; offset += chunkBytes)
      chunks.push([offset, Math.min(chunkBytes, end - offset)]);
  }
  // Read the next chunk while hashing this one (the read runs in libuv's pool, the hash here),
  // alternating between two reused buffers; a small file takes the chunk size of a full one
  // so that every buffer fits every file.
  const buffers =
    source.readInto && chunks.length > 0 ? [takeBuffer(chunkBytes), takeBuffer(chunkBytes)] : [];
  const read = (index: number): Promise<Uint8Array> | undefined => {
    const chunk = chunks[index];
    if (!chunk) return undefined;
    const buffer = buffers[index % 2];
    return buffer && source.readInto
      ? source.readInto(buffer.subarray(0, chunk[1]), chunk[0])
      : source.read(chunk[0], chunk[1]);
  };
  let pending = read(0);
  try {
    for (let index = 0; pending; index++) {
      const data = await pending;
      pending = read(index + 1);
      pending?.catch(() => undefined); // awaited on the next turn; this only marks it handled
      for (const hash of hashes.values()) hash.update(data);
    }
  } finally {
    // A read still in flight (after a failure) would write into the buffers: keep them out.
    if (pending === undefined) for (const buffer of buffers) giveBack(buffer);
  }
  const digests = new Map<HashName, Buffer>();
  for (const [algorithm, hash] of hashes) digests.set(algorithm, hash.digest());
  return digests;
}

/** The Authenticode image hash of a PE file (see imageHashRanges for what it covers). */
export function peImageHash(
  source: ByteSource,
  layout: PeLayout,
  algorithms: readonly HashName[],
): Promise<Map<HashName, Buffer>> {
  return hashRanges(source, imageHashRanges(layout), algorithms);
}
