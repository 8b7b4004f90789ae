import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

import { defaults } from '../defaults.ts';
import { InputError, errorMessage } from '../errors.ts';
import { openRegularFile } from '../fs/regular-file.ts';
import type { DigestAlgorithm } from './algorithms.ts';
import { giveBack, takeBuffer } from './chunk-buffers.ts';

export type Digests = Partial<Record<DigestAlgorithm, string>>;

export interface HashResult {
  /** Bytes hashed. When `exceededCap` is true this is `maxBytes + 1`, not the file's size. */
  readonly bytesRead: number;
  /** True when the input was longer than `maxBytes`: reading stopped one byte past the cap. */
  readonly exceededCap: boolean;
  /** Lower-case hex digest per requested algorithm (over the bytes read). */
  readonly digests: Digests;
}

export interface HashOptions {
  readonly algorithms: readonly DigestAlgorithm[];
  /** Read at most this many bytes; one more byte is read to detect an over-long input. */
  readonly maxBytes?: number;
  /** Called after each chunk with the bytes read so far (progress bars). */
  readonly onProgress?: (bytesRead: number) => void;
}

/** Several hashes updated from the same chunks: one read computes every algorithm. */
export class MultiHash {
  readonly #hashes: [DigestAlgorithm, Hash][];
  #bytes = 0;

  constructor(algorithms: readonly DigestAlgorithm[]) {
    this.#hashes = [...new Set(algorithms)].map((algorithm) => [algorithm, createHash(algorithm)]);
  }

  update(chunk: Uint8Array): void {
    this.#bytes += chunk.byteLength;
    for (const [, hash] of this.#hashes) hash.update(chunk);
  }

  get bytes(): number {
    return this.#bytes;
  }

  digest(): Digests {
    const out: Digests = {};
    for (const [algorithm, hash] of this.#hashes) out[algorithm] = hash.digest('hex');
    return out;
  }
}

/**
 * Inputs at least this large hash their second and later algorithms on a worker thread, so
 * sha256 + sha512 take about as long as sha512 alone on two cores.
 */
const PARALLEL_THRESHOLD = 32 << 20; // bytes
const RING_SLOTS = 8; // chunks in flight between the reader and the worker

// Evaluated worker: no separate file to locate from dist/, src/ or a bundle.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = workerData.algorithms.map((a) => [a, createHash(a)]);
const slots = workerData.slots.map((s) => new Uint8Array(s));
parentPort.on('message', (m) => {
  if (m.done) {
    const out = {};
    for (const [a, h] of hashes) out[a] = h.digest('hex');
    parentPort.postMessage({ digests: out });
    return;
  }
  const view = slots[m.slot].subarray(0, m.length);
  for (const [, h] of hashes) h.update(view);
  parentPort.postMessage({ slot: m.slot });
});
`;

/**
 * Hashes a regular file in one streaming pass, never reading more than `maxBytes + 1` bytes.
 * Reading overlaps hashing: chunk n + 1 is read (in libuv's thread pool) while chunk n is
 * hashed here, into buffers reused for the whole file. Throws InputError when the file cannot
 * be opened or is not a regular file (a FIFO is refused at once, never waited on).
 */
export async function hashFile(path: string, options: HashOptions): Promise<HashResult> {
  const { handle, stat } = await openRegularFile(path);
  try {
    return await hashFileHandle(handle, Number(stat.size), path, options);
  } finally {
    await handle.close();
  }
}

/**
 * Hashes through a handle the caller opened (and keeps open: later checks read the same file,
 * so what was hashed is what they inspect). `size` is the size at open, used only to choose
 * the parallel path; reading goes to the end of the file or the cap.
 */
export async function hashFileHandle(
  handle: FileHandle,
  size: number,
  path: string,
  options: HashOptions,
): Promise<HashResult> {
  const algorithms = [...new Set(options.algorithms)];
  if (algorithms.length === 0) throw new InputError('INPUT_INVALID', 'no digest algorithm requested');
  const maxBytes = options.maxBytes ?? defaults.maxUnpinnedReadBytes;
  try {
    const limit = maxBytes + 1;
    // Reads at an explicit position (the bytes hashed so far), so a read issued ahead never
    // depends on the file position of another read in flight.
    const read = async (buffer: Uint8Array, position: number): Promise<number> => {
      const want = Math.min(buffer.byteLength, limit - position);
      if (want <= 0) return 0;
      const { bytesRead } = await handle.read(buffer, 0, want, position);
      return bytesRead;
    };
    const expected = Math.min(size, limit);
    const result =
      algorithms.length > 1 && expected >= PARALLEL_THRESHOLD
        ? await hashParallel(algorithms, read, options.onProgress)
        : await hashInline(algorithms, read, options.onProgress);
    return { ...result, exceededCap: result.bytesRead > maxBytes };
  } catch (error: unknown) {
    if (error instanceof InputError) throw error;
    throw new InputError('INPUT_UNREADABLE', `read failed: ${errorMessage(error)}`, {
      file: path,
      cause: error,
    });
  }
}

/** Reads into `buffer` at `position`; resolves to the bytes read, 0 at the end (or the cap). */
type ChunkReader = (buffer: Uint8Array, position: number) => Promise<number>;

async function hashInline(
  algorithms: readonly DigestAlgorithm[],
  read: ChunkReader,
  onProgress?: (bytes: number) => void,
): Promise<Omit<HashResult, 'exceededCap'>> {
  const hash = new MultiHash(algorithms);
  // Two reused buffers: the next read runs into one while the other is hashed.
  const buffers = [takeBuffer(defaults.readChunkBytes), takeBuffer(defaults.readChunkBytes)] as const;
  let [buffer, spare] = buffers;
  let pending: Promise<number> | undefined = read(buffer, 0);
  try {
    for (;;) {
      const n = await pending;
      if (n === 0) break;
      // The next read runs (into the spare buffer) while this chunk is hashed.
      pending = read(spare, hash.bytes + n);
      pending.catch(() => undefined); // awaited on the next turn; this only marks it handled
      hash.update(buffer.subarray(0, n));
      [buffer, spare] = [spare, buffer];
      onProgress?.(hash.bytes);
    }
    pending = undefined;
  } finally {
    // A read still in flight (after a failure) would write into the buffers: keep them out.
    if (pending === undefined) for (const each of buffers) giveBack(each);
  }
  return { bytesRead: hash.bytes, digests: hash.digest() };
}

async function hashParallel(
  algorithms: readonly DigestAlgorithm[],
  read: ChunkReader,
  onProgress?: (bytes: number) => void,
): Promise<Omit<HashResult, 'exceededCap'>> {
  // The cheapest algorithm stays on this thread with the reads; the rest go to the worker.
  const [local, ...remote] = [...algorithms].sort((a, b) => cost(a) - cost(b));
  if (!local) throw new InputError('INPUT_INVALID', 'no digest algorithm requested');
  const slots = Array.from({ length: RING_SLOTS }, () => new SharedArrayBuffer(defaults.readChunkBytes));
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { algorithms: remote, slots } });
  const free: number[] = slots.map((_, i) => i);
  let waiting: ((slot: number) => void) | undefined;
  let finished: ((digests: Digests) => void) | undefined;
  let failure: Error | undefined;
  let failed: ((error: Error) => void) | undefined;
  worker.on('message', (message: { slot?: number; digests?: Digests }) => {
    if (message.digests) finished?.(message.digests);
    else if (message.slot !== undefined) {
      if (waiting) {
        const resolve = waiting;
        waiting = undefined;
        resolve(message.slot);
      } else free.push(message.slot);
    }
  });
  worker.on('error', (error: Error) => {
    failure = error;
    failed?.(error);
  });
  const whenFailed = new Promise<never>((_, reject) => {
    failed = reject;
  });
  whenFailed.catch(() => undefined);
  const nextFree = (): Promise<number> | number =>
    free.pop() ?? Promise.race([new Promise<number>((r) => (waiting = r)), whenFailed]);
  const readInto = async (slot: number, position: number): Promise<{ slot: number; n: number }> => ({
    slot,
    n: await read(new Uint8Array(slots[slot] as SharedArrayBuffer), position),
  });
  try {
    const hash = new MultiHash([local]);
    let pending = readInto(await nextFree(), 0);
    for (;;) {
      if (failure) throw failure;
      const { slot, n } = await pending;
      if (n === 0) {
        free.push(slot);
        break;
      }
      // Read the next chunk into another slot while this one is hashed here and on the worker.
      const next = await nextFree();
      pending = readInto(next, hash.bytes + n);
      pending.catch(() => undefined); // awaited on the next turn, unless the worker failed first
      hash.update(new Uint8Array(slots[slot] as SharedArrayBuffer, 0, n));
      worker.postMessage({ slot, length: n });
      onProgress?.(hash.bytes);
    }
    const remoteDigests = await Promise.race([
      new Promise<Digests>((resolve) => {
        finished = resolve;
        worker.postMessage({ done: true });
      }),
      whenFailed,
    ]);
    return { bytesRead: hash.bytes, digests: { ...hash.digest(), ...remoteDigests } };
  } finally {
    await worker.terminate();
  }
}

function cost(algorithm: DigestAlgorithm): number {
  // Relative cost on x86-64 with SHA extensions: sha1/sha256 are hardware-accelerated.
  return { sha1: 1, sha256: 1, sha384: 2, sha512: 2 }[algorithm];
}
