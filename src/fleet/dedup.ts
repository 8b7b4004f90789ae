import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Duplicate detection for (tenant, endpoint, product) keys in bounded memory.
 *
 * Keys are 64-bit fingerprints (two independent 32-bit hashes; with 10 million keys the chance
 * of any collision is about 3 in a million, and a collision only merges two rows' counts).
 * Each key remembers the group (cell) its winning row was counted in and that row's last_seen,
 * so a later duplicate can move the count: latest last_seen wins, the later row on a tie.
 *
 * Memory: an open-addressing table holds up to `memoryKeys` keys (32 bytes per slot, load ≤ ½;
 * 64 Ki keys ≈ 4 MB). Keys beyond that are appended (24 bytes each) to one of `partitions` temp
 * files chosen by hash; at the end each partition is deduplicated on its own with a table sized
 * for it. A key is spilled only if it was not in memory, and all occurrences of a spilled key
 * land in the same partition in arrival order, so the result is exact. Disk use is 24 bytes per
 * spilled row; peak memory is the in-memory table plus one partition.
 *
 * Speed: once the table is full, nearly every row of a large fleet is a new key; a 128 KiB bit
 * filter of the keys in memory sends those to disk without a probe that misses the cache. At
 * the end each partition is split (stably) into cache-sized buckets by a second hash.
 */
export interface DedupDecision {
  /**
   * A row counted earlier in `cell` lost to a duplicate: take one count away. `lastSeen` is the
   * losing row's (-Infinity when it had none), for what was recorded about it.
   */
  uncount(cell: number, lastSeen: number): void;
  /** Called for each duplicate; `inMemory` is false for duplicates found in spilled partitions. */
  duplicate(inMemory: boolean, keptCell: number, droppedCell: number): void;
}

class FingerprintTable {
  readonly mask: number;
  size = 0;
  /**
   * Slot i is data[4i .. 4i+3] = hi, lo, cell id + 1 (0: empty), last_seen. One array, so a
   * probe touches one cache line instead of four.
   */
  private readonly data: Float64Array;

  constructor(capacity: number) {
    this.mask = capacity - 1;
    this.data = new Float64Array(capacity * 4);
  }

  /** Slot holding the key, or the bitwise complement of the empty slot where it would go. */
  find(hi: number, lo: number): number {
    const data = this.data;
    let slot = (hi ^ Math.imul(lo, 0x9e3779b1)) & this.mask;
    for (;;) {
      const at = slot * 4;
      if (data[at + 2] === 0) return ~slot;
      if (data[at] === hi && data[at + 1] === lo) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Empties the table for reuse. */
  clear(): void {
    this.data.fill(0);
    this.size = 0;
  }

  cellAt(slot: number): number {
    return (this.data[slot * 4 + 2] as number) - 1;
  }

  seenAt(slot: number): number {
    return this.data[slot * 4 + 3] as number;
  }

  replace(slot: number, cell: number, seen: number): void {
    this.data[slot * 4 + 2] = cell + 1;
    this.data[slot * 4 + 3] = seen;
  }

  put(slot: number, hi: number, lo: number, cell: number, seen: number): void {
    const at = slot * 4;
    this.data[at] = hi;
    this.data[at + 1] = lo;
    this.data[at + 2] = cell + 1;
    this.data[at + 3] = seen;
    this.size++;
  }

  grow(): FingerprintTable {
    const next = new FingerprintTable((this.mask + 1) * 2);
    const data = this.data;
    for (let at = 0; at < data.length; at += 4) {
      const cell = data[at + 2] as number;
      if (cell === 0) continue;
      const hi = data[at] as number;
      const lo = data[at + 1] as number;
      next.put(~next.find(hi, lo), hi, lo, cell - 1, data[at + 3] as number);
    }
    return next;
  }
}

const RECORD_BYTES = 24;
/** Spilled keys deduplicated per table at the end: 16 Ki keys × 2 slots × 32 bytes = 1 MiB. */
const BUCKET_RECORDS = 16_384;
/** log2 of the bits in the in-memory key filter (2^20 bits = 128 KiB, fits in L2). */
const HELD_FILTER_BITS = 20;
const BUFFER_RECORDS = 2730; // ~64 KiB per partition buffer

export class Deduplicator {
  private table = new FingerprintTable(1 << 16);
  /**
   * One bit per hash of (hi, lo), set for every key in the table: once the table is full, most
   * rows are new keys, and a clear bit sends them to disk without probing the table.
   */
  private readonly held = new Int32Array((1 << HELD_FILTER_BITS) / 32);
  private readonly maxKeys: number;
  private readonly partitions: number;
  private readonly decision: DedupDecision;
  private spillDir: string | undefined;
  private spillFds: number[] = [];
  private buffers: { bytes: Buffer; ints: Int32Array; floats: Float64Array; count: number }[] = [];
  spilled = 0;

  constructor(options: { memoryKeys: number; partitions: number }, decision: DedupDecision) {
    this.maxKeys = options.memoryKeys;
    this.partitions = options.partitions;
    this.decision = decision;
  }

  /**
   * Records one row. Returns true when the row counts now (a new key, a spilled key, or a
   * duplicate that wins); false when an earlier row of the same key wins.
   */
  add(hi: number, lo: number, cell: number, lastSeen: number): boolean {
    const seen = Number.isNaN(lastSeen) ? Number.NEGATIVE_INFINITY : lastSeen;
    let table = this.table;
    const bit = Math.imul(hi ^ lo, 0x27d4eb2d) >>> (32 - HELD_FILTER_BITS);
    const flag = 1 << (bit & 31);
    if (table.size >= this.maxKeys && ((this.held[bit >>> 5] as number) & flag) === 0) {
      // Not in memory (the filter has no false negatives): skip a probe that would miss the cache.
      this.spill(hi, lo, cell, seen);
      return true;
    }
    const slot = table.find(hi, lo);
    if (slot >= 0) {
      const previousCell = table.cellAt(slot);
      const previousSeen = table.seenAt(slot);
      if (seen >= previousSeen) {
        table.replace(slot, cell, seen);
        this.decision.uncount(previousCell, previousSeen);
        this.decision.duplicate(true, cell, previousCell);
        return true;
      }
      this.decision.duplicate(true, previousCell, cell);
      return false;
    }
    if (table.size < this.maxKeys) {
      if ((table.size + 1) * 2 > table.mask + 1) {
        table = this.table = table.grow();
        table.put(~table.find(hi, lo), hi, lo, cell, seen);
      } else {
        table.put(~slot, hi, lo, cell, seen);
      }
      this.held[bit >>> 5] = (this.held[bit >>> 5] as number) | flag;
      return true;
    }
    this.spill(hi, lo, cell, seen);
    return true;
  }

  private spill(hi: number, lo: number, cell: number, seen: number): void {
    if (this.spillDir === undefined) {
      this.spillDir = mkdtempSync(join(tmpdir(), 'rmm-verify-dedup-'));
      for (let i = 0; i < this.partitions; i++) {
        this.spillFds.push(openSync(join(this.spillDir, `p${i}`), 'w+'));
        const bytes = Buffer.allocUnsafe(BUFFER_RECORDS * RECORD_BYTES);
        this.buffers.push({
          bytes,
          ints: new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4),
          floats: new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8),
          count: 0,
        });
      }
    }
    const partition = ((hi >>> 0) * 31 + (lo >>> 0)) % this.partitions;
    const buffer = this.buffers[partition] as (typeof this.buffers)[number];
    const at = buffer.count * (RECORD_BYTES / 4);
    buffer.ints[at] = hi;
    buffer.ints[at + 1] = lo;
    buffer.ints[at + 2] = cell;
    buffer.floats[at / 2 + 2] = seen;
    buffer.count++;
    this.spilled++;
    if (buffer.count === BUFFER_RECORDS) this.flush(partition);
  }

  private flush(partition: number): void {
    const buffer = this.buffers[partition] as (typeof this.buffers)[number];
    if (buffer.count === 0) return;
    const length = buffer.count * RECORD_BYTES;
    let written = 0;
    while (written < length)
      written += writeSync(this.spillFds[partition] as number, buffer.bytes, written, length - written);
    buffer.count = 0;
  }

  /** Resolves duplicates among spilled keys, then frees the memory and the temp files. */
  finish(): void {
    try {
      if (this.spillDir === undefined) return;
      this.table = new FingerprintTable(1);
      for (let partition = 0; partition < this.partitions; partition++) {
        this.flush(partition);
        closeSync(this.spillFds[partition] as number);
        const bytes = readFileSync(join(this.spillDir, `p${partition}`));
        const records = bytes.length / RECORD_BYTES;
        if (records === 0) continue;
        // readFileSync buffers may share a pool with an unaligned offset: copy to aligned memory.
        const aligned = new ArrayBuffer(bytes.length);
        new Uint8Array(aligned).set(bytes);
        const ints = new Int32Array(aligned);
        const floats = new Float64Array(aligned);
        this.deduplicatePartition(ints, floats, records);
      }
      this.spillFds = [];
    } finally {
      this.close();
    }
  }

  /** Resolves duplicates among the spilled rows of one partition. */
  private deduplicatePartition(ints: Int32Array, floats: Float64Array, records: number): void {
    // Split the partition into buckets of about BUCKET_RECORDS keys by another hash, stably
    // (every row of a key lands in one bucket, in arrival order): a table sized for one
    // bucket stays in cache, where one sized for the whole partition misses on every probe.
    let buckets = 1;
    while (buckets * BUCKET_RECORDS < records) buckets *= 2;
    const shift = 32 - Math.log2(buckets);
    const starts = new Int32Array(buckets + 1);
    const bucketOf = new Int32Array(records);
    for (let r = 0; r < records; r++) {
      const at = r * (RECORD_BYTES / 4);
      const bucket =
        buckets === 1 ? 0 : Math.imul((ints[at] as number) ^ (ints[at + 1] as number), 0x85ebca6b) >>> shift;
      bucketOf[r] = bucket;
      starts[bucket + 1] = (starts[bucket + 1] as number) + 1;
    }
    for (let b = 0; b < buckets; b++) starts[b + 1] = (starts[b + 1] as number) + (starts[b] as number);
    const order = new Int32Array(records);
    const next = starts.slice(0, buckets);
    for (let r = 0; r < records; r++) {
      const bucket = bucketOf[r] as number;
      order[next[bucket] as number] = r;
      next[bucket] = (next[bucket] as number) + 1;
    }
    let largest = 0;
    for (let b = 0; b < buckets; b++)
      largest = Math.max(largest, (starts[b + 1] as number) - (starts[b] as number));
    let capacity = 1;
    while (capacity < largest * 2) capacity *= 2;
    const table = new FingerprintTable(capacity);
    for (let b = 0; b < buckets; b++) {
      if (b > 0) table.clear();
      for (let i = starts[b] as number; i < (starts[b + 1] as number); i++) {
        const at = (order[i] as number) * (RECORD_BYTES / 4);
        const hi = ints[at] as number;
        const lo = ints[at + 1] as number;
        const cell = ints[at + 2] as number;
        const seen = floats[at / 2 + 2] as number;
        const slot = table.find(hi, lo);
        if (slot < 0) {
          table.put(~slot, hi, lo, cell, seen);
          continue;
        }
        // Every spilled row was counted when it arrived: a duplicate removes one count.
        const previousCell = table.cellAt(slot);
        const previousSeen = table.seenAt(slot);
        if (seen >= previousSeen) {
          table.replace(slot, cell, seen);
          this.decision.uncount(previousCell, previousSeen);
          this.decision.duplicate(false, cell, previousCell);
        } else {
          this.decision.uncount(cell, seen);
          this.decision.duplicate(false, previousCell, cell);
        }
      }
    }
  }

  /** Removes temp files; safe to call more than once (and after an error). */
  close(): void {
    for (const fd of this.spillFds) {
      try {
        closeSync(fd);
      } catch {
        // Already closed by finish(); nothing else to release.
      }
    }
    this.spillFds = [];
    this.buffers = [];
    if (this.spillDir !== undefined) rmSync(this.spillDir, { recursive: true, force: true });
    this.spillDir = undefined;
  }
}

/**
 * Two independent 32-bit hashes of `text[start, end)` (an endpoint id), as [h1, h2]: FNV-1a and
 * a multiplicative hash with another multiplier. `keyFingerprint` mixes them with the tenant
 * and product, so the reader thread can hash endpoints without knowing either.
 */
export function stringHash(text: string, start: number, end: number, out: Int32Array): void {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ (end - start);
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  out[0] = h1;
  out[1] = h2;
}

/** murmur3's 32-bit finaliser: a bijection that spreads every input bit over the output. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The 64-bit dedup key of (tenant, endpoint, product), as [hi, lo], from the endpoint's
 * `stringHash` and the tenant's and product's small indexes.
 */
export function keyFingerprint(
  h1: number,
  h2: number,
  tenant: number,
  product: number,
  out: Int32Array,
): void {
  out[0] = mix32(h1 ^ Math.imul(tenant + 1, 0x9e3779b1) ^ Math.imul(product + 1, 0x85ebca6b));
  out[1] = mix32(h2 ^ Math.imul(tenant + 1, 0xc2b2ae35) ^ Math.imul(product + 1, 0x27d4eb2d));
}
