/**
 * Streaming digest throughput against openssl on the same file, in the same run.
 * Goals (issue 3): sha256 ≥ 0.9× openssl's throughput (time ratio ≤ 1.11);
 * sha256 + sha512 in one pass ≤ 1.15× the time of `openssl dgst -sha512` alone.
 */
import { randomFillSync } from 'node:crypto';
import { openSync, writeSync, closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { hashFile } from '../src/digest/multi-hash.ts';
import { bestOf, bestOfCommand, quick, row } from './timing.ts';

const size = quick ? 256 << 20 : 1 << 30;
const dir = mkdtempSync(join(tmpdir(), 'rmm-bench-digest-'));
const file = join(dir, 'input.bin');
try {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(8 << 20);
  for (let written = 0; written < size; written += chunk.length) writeSync(fd, randomFillSync(chunk));
  closeSync(fd);
  const runs = 3;
  console.log(`input: ${(size / 2 ** 20).toFixed(0)} MiB random bytes (page cache warm), best of ${runs}`);
  bestOfCommand(1, 'openssl', ['dgst', '-sha256', file]); // warm the page cache
  const openssl256 = bestOfCommand(runs, 'openssl', ['dgst', '-sha256', file]);
  const ours256 = await bestOf(runs, () => hashFile(file, { algorithms: ['sha256'] }));
  row(
    'sha256',
    ours256,
    openssl256,
    'openssl dgst -sha256',
    `throughput ${(openssl256 / ours256).toFixed(2)}x of openssl; goal >= 0.90x`,
  );
  const openssl512 = bestOfCommand(runs, 'openssl', ['dgst', '-sha512', file]);
  const oursBoth = await bestOf(runs, () => hashFile(file, { algorithms: ['sha256', 'sha512'] }));
  row('sha256+sha512 one pass', oursBoth, openssl512, 'openssl dgst -sha512 alone', 'goal <= 1.15x');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
