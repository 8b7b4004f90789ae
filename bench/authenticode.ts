/**
 * Authenticode benchmarks against peers measured in the same run (issue 4):
 * 1. Verify N generated signed PE files of mixed sizes in one process vs a shell loop of
 *    `osslsigncode verify` over the same files (goal: >= 2x faster). N = 1,000 (100 quick).
 * 2. Image hash of one large PE vs `openssl dgst -sha256` over the same bytes
 *    (goal: >= 0.9x openssl's throughput). 500 MB (50 MB quick).
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
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { parseCertificateFile } from '../src/authenticode/certificate.ts';
import { peImageHash } from '../src/authenticode/image-hash.ts';
import { parsePe } from '../src/authenticode/pe.ts';
import { openFileSource } from '../src/authenticode/source.ts';
import { verifyAuthenticode } from '../src/authenticode/verifier.ts';
import { ensureAuthenticodeFixtures } from '../test/fixtures/authenticode/generate.ts';
import { buildPe } from '../test/fixtures/authenticode/pe-builder.ts';
import { bestOf, quick, row } from './timing.ts';

const run = promisify(execFile);
const out = fileURLToPath(new URL('out/', import.meta.url));
const count = quick ? 100 : 1000;
const bigSize = (quick ? 50 : 500) * 1_000_000;
const SIZES = [4 << 10, 32 << 10, 256 << 10, 1 << 20, 2 << 20]; // section bytes, cycled

const fixtures = await ensureAuthenticodeFixtures();
const ca = join(fixtures, 'ca.pem');

/** N signed PEs, made once and kept in bench/out/ (gitignored). */
async function signedCorpus(): Promise<string> {
  const dir = join(out, `authenticode-${count}`);
  // Re-sign when the fixture PKI was regenerated (new keys), or the corpus would not verify.
  const stamp = join(dir, 'DONE');
  const pki = createHash('sha256').update(readFileSync(ca)).digest('hex');
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
        join(dir, `f${String(index).padStart(4, '0')}.exe`),
      ]);
      rmSync(unsigned);
    }
  };
  await Promise.all([worker(), worker()]);
  writeFileSync(stamp, pki);
  return dir;
}

const corpus = await signedCorpus();
const files = readdirSync(corpus)
  .filter((f) => f.endsWith('.exe'))
  .map((f) => join(corpus, f));
const totalBytes = files.reduce((sum, f) => sum + readFileSync(f).length, 0);
console.log(
  `input: ${files.length} signed PE files, ${(totalBytes / 2 ** 20).toFixed(0)} MiB in total, sizes ${SIZES.map((s) => `${s >> 10}K`).join('/')} + headers`,
);

const roots = parseCertificateFile(readFileSync(ca), ca);
const trust = {
  signers: [{ label: 'bench', subject: 'Acme RMM Inc', roots, timestampRoots: roots }],
  systemRoots: [],
};
const now = new Date();
const ours = await bestOf(1, async () => {
  for (const file of files) {
    const source = await openFileSource(file);
    try {
      const result = await verifyAuthenticode(source, { trust, now });
      if (!result.passed)
        throw new Error(`${file} did not verify: ${result.findings.map((f) => f.message).join('; ')}`);
    } finally {
      await source.close();
    }
  }
});
const loop = `for f in "$@"; do osslsigncode verify -in "$f" -CAfile '${ca}' -TSA-CAfile '${ca}' >/dev/null || exit 1; done`;
const start = process.hrtime.bigint();
const peerRun = spawnSync('sh', ['-c', loop, 'sh', ...files], { stdio: ['ignore', 'ignore', 'inherit'] });
const peer = Number(process.hrtime.bigint() - start) / 1e6;
if (peerRun.status !== 0) throw new Error(`osslsigncode loop exited ${String(peerRun.status)}`);
row(
  `verify ${files.length} signed PEs`,
  ours,
  peer,
  'osslsigncode verify loop',
  `${(peer / ours).toFixed(1)}x faster; goal >= 2x`,
);

// Image hash of one large PE.
const big = join(out, `authenticode-big-${bigSize}.exe`);
if (!existsSync(big)) {
  const headerAndSections = buildPe({ kind: 'pe32+', sections: [4096], seed: 99 });
  // Grow the single section to bigSize by writing pseudo-random chunks after the headers.
  const pe = Buffer.from(headerAndSections);
  const optional = pe.readUInt32LE(0x3c) + 24;
  const section = optional + 240;
  const raw = Math.ceil(bigSize / 512) * 512;
  pe.writeUInt32LE(raw, section + 8);
  pe.writeUInt32LE(raw, section + 16);
  const headers = pe.readUInt32LE(section + 20);
  const fd = openSync(big, 'w');
  writeSync(fd, pe.subarray(0, headers));
  const chunk = Buffer.alloc(8 << 20);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let written = 0; written < raw; written += chunk.length)
    writeSync(fd, chunk.subarray(0, Math.min(chunk.length, raw - written)));
  closeSync(fd);
}
const bigBytes = readFileSync(big).length; // also warms the page cache
// Alternate the two so a change in machine load affects both alike; best of 5 each.
let hashOurs = Infinity;
let hashPeer = Infinity;
for (let i = 0; i < 5; i++) {
  hashOurs = Math.min(
    hashOurs,
    await bestOf(1, async () => {
      const source = await openFileSource(big);
      try {
        await peImageHash(source, await parsePe(source), ['sha256']);
      } finally {
        await source.close();
      }
    }),
  );
  const t = process.hrtime.bigint();
  const r = spawnSync('openssl', ['dgst', '-sha256', big], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('openssl dgst failed');
  hashPeer = Math.min(hashPeer, Number(process.hrtime.bigint() - t) / 1e6);
}
row(
  `image hash of a ${(bigBytes / 1e6).toFixed(0)} MB PE`,
  hashOurs,
  hashPeer,
  'openssl dgst -sha256',
  `throughput ${(hashPeer / hashOurs).toFixed(2)}x of openssl; goal >= 0.90x`,
);
