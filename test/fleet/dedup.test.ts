import { describe, expect, it } from 'vitest';

import { Deduplicator } from '../../src/fleet/dedup.ts';

interface Row {
  readonly hi: number;
  readonly lo: number;
  readonly cell: number;
  readonly lastSeen: number;
}

/** xorshift32: deterministic rows without a fixture file. */
function rows(count: number, keys: number, seed: number): Row[] {
  let x = seed;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const keyHi = Array.from({ length: keys }, () => next() | 0);
  const keyLo = Array.from({ length: keys }, () => next() | 0);
  return Array.from({ length: count }, () => {
    const key = next() % keys;
    const r = next();
    return {
      hi: keyHi[key] as number,
      lo: keyLo[key] as number,
      cell: r % 50,
      // A few equal timestamps (the later row wins a tie) and a few missing ones.
      lastSeen: r % 97 === 0 ? Number.NaN : 1_700_000_000_000 + (r % 1000) * 1000,
    };
  });
}

/** The specification: per key, the row with the latest last_seen wins, the later row on a tie. */
function expectedCounts(input: readonly Row[]): { cells: Map<number, number>; duplicates: number } {
  const winners = new Map<string, Row>();
  for (const row of input) {
    const key = `${row.hi}:${row.lo}`;
    const seen = (r: Row) => (Number.isNaN(r.lastSeen) ? Number.NEGATIVE_INFINITY : r.lastSeen);
    const previous = winners.get(key);
    if (previous === undefined || seen(row) >= seen(previous)) winners.set(key, row);
  }
  const cells = new Map<number, number>();
  for (const row of winners.values()) cells.set(row.cell, (cells.get(row.cell) ?? 0) + 1);
  return { cells, duplicates: input.length - winners.size };
}

function deduplicate(
  input: readonly Row[],
  options: { memoryKeys: number; partitions: number },
): { cells: Map<number, number>; duplicates: number } {
  const cells = new Map<number, number>();
  let duplicates = 0;
  const dedup = new Deduplicator(options, {
    uncount: (cell) => cells.set(cell, (cells.get(cell) ?? 0) - 1),
    duplicate: () => duplicates++,
  });
  for (const row of input) {
    if (dedup.add(row.hi, row.lo, row.cell, row.lastSeen))
      cells.set(row.cell, (cells.get(row.cell) ?? 0) + 1);
  }
  dedup.finish();
  for (const [cell, count] of cells) if (count === 0) cells.delete(cell);
  return { cells, duplicates };
}

describe('Deduplicator', () => {
  // [rows, distinct keys, memoryKeys, partitions]: each case must match the specification.
  const cases: readonly [number, number, number, number][] = [
    [5_000, 2_000, 1 << 16, 4], // everything in memory
    [5_000, 2_000, 100, 4], // mostly spilled, small partitions (one bucket each)
    [80_000, 50_000, 1_000, 2], // spilled partitions larger than one bucket
    [80_000, 5_000, 1_000, 1], // many duplicates per key across buckets of one partition
  ];
  it.each(cases)(
    '%i rows of %i keys (memory %i keys, %i partitions) match the specification',
    (count, keys, memoryKeys, partitions) => {
      const input = rows(count, keys, 0x5eed + count + keys);
      expect(deduplicate(input, { memoryKeys, partitions })).toEqual(expectedCounts(input));
    },
  );
});
