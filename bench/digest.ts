/**
 * `rmm-verify verify` of a 1 GiB file (256 MiB with BENCH_QUICK=1) against a signed manifest, as
 * a whole process, against `openssl dgst` over the same file in the same run.
 * Goals (issue 15): sha256 pinned ≤ 1.0× `openssl dgst -sha256`; sha256 + sha512 pinned
 * (one pass, the second algorithm on a worker) ≤ 1.1× `openssl dgst -sha512`.
 * The file, keys and manifests are made once with rmm-verify's own commands under bench/out/.
 */
import { randomFillSync } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

import { OUT_DIR, atMost, compare, quick, rmmVerify, runOnce } from './compare.ts';

const size = quick ? 256 << 20 : 1 << 30;
const dir = join(OUT_DIR, `digest-${size}`);
const file = join(dir, 'agent.bin');
const trust = join(dir, 'trust', 'trust.json');
const both = join(dir, 'both.json');
const sha256Only = join(dir, 'sha256.json');

if (!existsSync(join(dir, 'DONE'))) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'trust'), { recursive: true });
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(8 << 20);
  for (let written = 0; written < size; written += chunk.length) writeSync(fd, randomFillSync(chunk));
  closeSync(fd);
  const cli = (args: string[]): void => {
    runOnce(rmmVerify('setup', args));
  };
  cli(['keys', 'generate', '--name', 'bench', '--out', join(dir, 'keys'), '--add-to', trust]);
  cli([
    'pin',
    file,
    '--manifest',
    both,
    '--version',
    '1.0.0',
    '--platform',
    'linux-x64',
    '--product',
    'bench-agent',
    '--vendor',
    'Bench',
    '--target',
  ]);
  // The same pin with sha256 only.
  const manifest = JSON.parse(readFileSync(both, 'utf8')) as {
    releases: { artifacts: { digests: Record<string, string> }[] }[];
  };
  for (const release of manifest.releases)
    for (const artifact of release.artifacts) delete artifact.digests['sha512'];
  writeFileSync(sha256Only, `${JSON.stringify(manifest, null, 2)}\n`);
  for (const m of [both, sha256Only]) cli(['manifest', 'sign', m, '--key', join(dir, 'keys', 'bench.key')]);
  writeFileSync(join(dir, 'DONE'), '');
}

const mib = (size / 2 ** 20).toFixed(0);
const verify = (manifest: string) =>
  rmmVerify(`rmm-verify verify`, ['verify', file, '--manifest', manifest, '--trust', trust, '--no-state']);
compare({
  name: `verify a ${mib} MiB file, sha256 pinned`,
  ours: verify(sha256Only),
  peer: { label: 'openssl dgst -sha256', file: 'openssl', args: ['dgst', '-sha256', file] },
  goal: atMost(1.0),
});
compare({
  name: `verify a ${mib} MiB file, sha256 + sha512 pinned`,
  ours: verify(both),
  peer: { label: 'openssl dgst -sha512', file: 'openssl', args: ['dgst', '-sha512', file] },
  goal: atMost(1.1),
});
