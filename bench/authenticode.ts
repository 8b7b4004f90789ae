/**
 * Authenticode as users run it, whole processes against peers in the same run (issue 15):
 * 1. `rmm-verify authenticode inspect --root ca.pem` over N osslsigncode-signed PE files of mixed
 *    sizes (N = 1,000, about 664 MiB; 100 with BENCH_QUICK=1) against a shell loop of
 *    `osslsigncode verify -ignore-crl` over the same files. Goals: ≥ 15× faster, CPU ≤ 3 s.
 * 2. `rmm-verify verify` of the same files (one run) against a signed manifest pinning
 *    each (size, sha256, sha512, Authenticode signer): every file hashed and its signature
 *    verified, against the same osslsigncode loop (which checks signatures only). Same goals.
 * 3. `authenticode inspect` on one signed 100 MB PE (20 MB quick) against `openssl dgst -sha256`
 *    over the same file. Goal: ≤ 1.5×.
 * BENCH_CASES=inspect,verify,big selects cases (default: all). Inputs: bench/authenticode-data.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { bigSignedPe, ca, corpusFiles, corpusManifest, signedCorpus } from './authenticode-data.ts';
import { atMost, compare, rmmVerify, type Command, type Goal } from './compare.ts';

const cases = new Set((process.env['BENCH_CASES'] ?? 'inspect,verify,big').split(','));

const corpus = await signedCorpus();
const { files, totalBytes } = corpusFiles(corpus);
const mib = (totalBytes / 2 ** 20).toFixed(0);

const loop = `for f in "$@"; do osslsigncode verify -ignore-crl -in "$f" -CAfile '${ca}' -TSA-CAfile '${ca}' >/dev/null || exit 1; done`;
const osslsigncodeLoop: Command = {
  label: 'osslsigncode verify loop',
  file: 'sh',
  args: ['-c', loop, 'sh', ...files],
};
const manyGoal: Goal = {
  text: 'ours/peer <= 0.067x (15x faster) and CPU <= 3 s',
  met: (ratio, ours) => ratio <= 1 / 15 && ours.cpuMs <= 3000,
};

if (cases.has('inspect')) {
  compare({
    name: `Authenticode, ${files.length} signed PEs (${mib} MiB) in one run`,
    ours: rmmVerify('rmm-verify authenticode inspect', ['authenticode', 'inspect', '--root', ca, ...files]),
    peer: osslsigncodeLoop,
    goal: manyGoal,
    // The osslsigncode loop takes minutes; the page cache is already warm from reading the files.
    warmup: false,
  });
}

if (cases.has('verify')) {
  const { manifest, trust } = corpusManifest(corpus);
  compare({
    name: `verify of ${files.length} signed PEs (${mib} MiB), digests + Authenticode`,
    ours: rmmVerify('rmm-verify verify', [
      'verify',
      ...files,
      '--manifest',
      manifest,
      '--trust',
      trust,
      '--no-state',
    ]),
    peer: osslsigncodeLoop,
    goal: manyGoal,
    warmup: false,
  });
}

if (cases.has('big')) {
  const big = await bigSignedPe();
  const bigBytes = readFileSync(big).length;
  spawnSync('openssl', ['dgst', '-sha256', big], { stdio: 'ignore' });
  compare({
    name: `Authenticode, one signed ${(bigBytes / 1e6).toFixed(0)} MB PE`,
    ours: rmmVerify('rmm-verify authenticode inspect', ['authenticode', 'inspect', '--root', ca, big]),
    peer: { label: 'openssl dgst -sha256', file: 'openssl', args: ['dgst', '-sha256', big] },
    goal: atMost(1.5),
  });
}
