/**
 * Authenticode as users run it, whole processes against peers in the same run (issue 15):
 * 1. `rmm-verify authenticode inspect --root ca.pem` over N osslsigncode-signed PE files of mixed
 *    sizes (N = 1,000, about 664 MiB; 100 with BENCH_QUICK=1) against a shell loop of
 *    `osslsigncode verify -ignore-crl` over the same files. Goals: ≥ 15× faster, CPU ≤ 3 s.
 * 2. The same command on one signed 100 MB PE (20 MB quick) against `openssl dgst -sha256` over
 *    the same file. Goal: ≤ 1.5×.
 * The files are signed once with osslsigncode and kept in bench/out/ (re-signed when the test
 * PKI is regenerated).
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ensureAuthenticodeFixtures } from '../test/fixtures/authenticode/generate.ts';
import { buildPe } from '../test/fixtures/authenticode/pe-builder.ts';
import { OUT_DIR, atMost, compare, quick, rmmVerify } from './compare.ts';

const run = promisify(execFile);
const count = quick ? 100 : 1000;
const bigSize = (quick ? 20 : 100) * 1_000_000;
const SIZES = [4 << 10, 32 << 10, 256 << 10, 1 << 20, 2 << 20]; // section bytes, cycled

const fixtures = await ensureAuthenticodeFixtures();
const ca = join(fixtures, 'ca.pem');
const pki = createHash('sha256').update(readFileSync(ca)).digest('hex');

async function sign(unsigned: string, signed: string): Promise<void> {
  await run('osslsigncode', [
    'sign',
    '-certs',
    join(fixtures, 'leaf.pem'),
    '-key',
    join(fixtures, 'leaf.key'),
    '-h',
    'sha256',
    '-TSA-certs',
    join(fixtures, 'tsa-chain.pem'),
    '-TSA-key',
    join(fixtures, 'tsa.key'),
    '-TSA-time',
    '1767225600',
    '-in',
    unsigned,
    '-out',
    signed,
  ]);
  rmSync(unsigned);
}

/** N signed PEs, made once and kept in bench/out/ (gitignored). */
async function signedCorpus(): Promise<string> {
  const dir = join(OUT_DIR, `authenticode-${count}`);
  // Re-sign when the fixture PKI was regenerated (new keys), or the corpus would not verify.
  const stamp = join(dir, 'DONE');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === pki) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.log(`signing ${count} PE files with osslsigncode (once; kept in ${dir}) ...`);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const size = SIZES[index % SIZES.length] ?? 4096;
      const unsigned = join(dir, `u${index}.tmp`);
      writeFileSync(
        unsigned,
        buildPe({
          kind: index % 2 ? 'pe32' : 'pe32+',
          sections: [size, 2000],
          overlay: index % 3 ? 0 : 500,
          seed: index + 1,
        }),
      );
      await sign(unsigned, join(dir, `f${String(index).padStart(4, '0')}.exe`));
    }
  };
  await Promise.all([worker(), worker()]);
  writeFileSync(stamp, pki);
  return dir;
}

/** One signed PE of about `bigSize` bytes: a single section of pseudo-random bytes. */
async function bigSignedPe(): Promise<string> {
  const big = join(OUT_DIR, `authenticode-big-${bigSize}.exe`);
  const stamp = `${big}.pki`;
  if (existsSync(big) && existsSync(stamp) && readFileSync(stamp, 'utf8') === pki) return big;
  const pe = Buffer.from(buildPe({ kind: 'pe32+', sections: [4096], seed: 99 }));
  const optional = pe.readUInt32LE(0x3c) + 24;
  const section = optional + 240;
  const raw = Math.ceil(bigSize / 512) * 512;
  pe.writeUInt32LE(raw, section + 8);
  pe.writeUInt32LE(raw, section + 16);
  const headers = pe.readUInt32LE(section + 20);
  const unsigned = `${big}.tmp`;
  const fd = openSync(unsigned, 'w');
  writeSync(fd, pe.subarray(0, headers));
  const chunk = Buffer.alloc(8 << 20);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let written = 0; written < raw; written += chunk.length)
    writeSync(fd, chunk.subarray(0, Math.min(chunk.length, raw - written)));
  closeSync(fd);
  await sign(unsigned, big);
  writeFileSync(stamp, pki);
  return big;
}

const corpus = await signedCorpus();
const files = readdirSync(corpus)
  .filter((f) => f.endsWith('.exe'))
  .sort()
  .map((f) => join(corpus, f));
let totalBytes = 0;
for (const file of files) totalBytes += readFileSync(file).length; // also warms the page cache
const mib = (totalBytes / 2 ** 20).toFixed(0);

const loop = `for f in "$@"; do osslsigncode verify -ignore-crl -in "$f" -CAfile '${ca}' -TSA-CAfile '${ca}' >/dev/null || exit 1; done`;
compare({
  name: `Authenticode, ${files.length} signed PEs (${mib} MiB) in one run`,
  ours: rmmVerify('rmm-verify authenticode inspect', ['authenticode', 'inspect', '--root', ca, ...files]),
  peer: { label: 'osslsigncode verify loop', file: 'sh', args: ['-c', loop, 'sh', ...files] },
  goal: {
    text: 'ours/peer <= 0.067x (15x faster) and CPU <= 3 s',
    met: (ratio, ours) => ratio <= 1 / 15 && ours.cpuMs <= 3000,
  },
  // The osslsigncode loop takes minutes; the page cache is already warm from reading the files.
  warmup: false,
});

const big = await bigSignedPe();
const bigBytes = readFileSync(big).length;
spawnSync('openssl', ['dgst', '-sha256', big], { stdio: 'ignore' });
compare({
  name: `Authenticode, one signed ${(bigBytes / 1e6).toFixed(0)} MB PE`,
  ours: rmmVerify('rmm-verify authenticode inspect', ['authenticode', 'inspect', '--root', ca, big]),
  peer: { label: 'openssl dgst -sha256', file: 'openssl', args: ['dgst', '-sha256', big] },
  goal: atMost(1.5),
});
