/**
 * Cold start as users see it: whole `rmm-verify` processes against `node -e 0` on the same Node,
 * alternating A and B run by run (so load on a shared machine hits both), at least 5 pairs,
 * medians, the ratio of medians, and peak RSS of both (GNU time's %M).
 * Goals (issue 15): `--version` and any `--help` <= 1.3x; `verify` of a 1-byte pinned file <= 2x.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { median, quick } from './timing.ts';

const bin = fileURLToPath(new URL('../bin/rmm-verify.js', import.meta.url));
const pairs = quick ? 5 : 15;
const TIME = '/usr/bin/time';

interface Sample {
  readonly ms: number;
  readonly rssKiB: number;
}

/** One whole process under GNU time: wall time (ms) and peak RSS (KiB); exits must be `status`. */
function once(args: readonly string[], cwd: string, status: number): Sample {
  const start = process.hrtime.bigint();
  const result = spawnSync(TIME, ['-f', '%M', process.execPath, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== status) {
    throw new Error(`node ${args.join(' ')} exited ${String(result.status)}: ${result.stderr}`);
  }
  const rssKiB = Number(result.stderr.trim().split('\n').pop());
  return { ms, rssKiB };
}

function compare(label: string, args: readonly string[], cwd: string, goal: number, status = 0): boolean {
  const ours: Sample[] = [];
  const node: Sample[] = [];
  once(args, cwd, status); // warm the file cache for both
  once(['-e', '0'], cwd, 0);
  for (let i = 0; i < pairs; i++) {
    // Alternate which goes first, so a burst of load does not always land on the same side.
    if (i % 2 === 0) {
      ours.push(once(args, cwd, status));
      node.push(once(['-e', '0'], cwd, 0));
    } else {
      node.push(once(['-e', '0'], cwd, 0));
      ours.push(once(args, cwd, status));
    }
  }
  const a = median(ours.map((s) => s.ms));
  const b = median(node.map((s) => s.ms));
  const ratio = a / b;
  const met = ratio <= goal;
  console.log(
    `${label.padEnd(34)} rmm-verify ${a.toFixed(0).padStart(5)} ms ${String(Math.round(median(ours.map((s) => s.rssKiB)) / 1024)).padStart(4)} MiB | ` +
      `node -e 0 ${b.toFixed(0).padStart(4)} ms ${String(Math.round(median(node.map((s) => s.rssKiB)) / 1024)).padStart(3)} MiB | ` +
      `ratio ${ratio.toFixed(2)}x (goal <= ${goal.toFixed(1)}x: ${met ? 'met' : 'NOT met'})`,
  );
  return met;
}

/** A signed manifest pinning a 1-byte file, made with the CLI itself in a temp directory. */
function pinnedOneByteFile(dir: string): void {
  writeFileSync(join(dir, 'one.bin'), 'x');
  const steps: string[][] = [
    ['keys', 'generate', '--name', 'k', '--out', 'private', '--add-to', 'keys/trust.json'],
    [
      'pin',
      'one.bin',
      '--manifest',
      'm.json',
      '--version',
      '1.0.0',
      '--platform',
      'linux-x64',
      '--product',
      'p',
      '--vendor',
      'V',
    ],
    ['manifest', 'sign', 'm.json', '--key', 'private/k.key'],
  ];
  for (const step of steps) once([bin, ...step], dir, 0);
}

console.log(`cold start: median of ${pairs} alternating pairs, ${process.version}`);
const dir = mkdtempSync(join(tmpdir(), 'rmm-verify-cold-'));
try {
  pinnedOneByteFile(dir);
  const results = [
    compare('--version', [bin, '--version'], dir, 1.3),
    compare('--help', [bin, '--help'], dir, 1.3),
    compare('verify --help', [bin, 'verify', '--help'], dir, 1.3),
    compare('drift --help', [bin, 'drift', '--help'], dir, 1.3),
    compare('sbom validate --help', [bin, 'sbom', 'validate', '--help'], dir, 1.3),
    compare(
      'verify of a 1-byte pinned file',
      [bin, 'verify', 'one.bin', '--manifest', 'm.json', '--trust', 'keys/trust.json', '--no-state'],
      dir,
      2,
    ),
  ];
  console.log(`cold-start goals met: ${results.filter(Boolean).length} of ${results.length}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
