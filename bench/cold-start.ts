/**
 * Cold start as users see it: whole `rmm-verify` processes against `node -e 0` on the same Node,
 * alternating A and B run by run (so load on a shared machine hits both), at least 5 pairs,
 * medians of wall and CPU time (user + system), the paired ratio (median of ours/node over the
 * pairs) and peak RSS of both (GNU time).
 * Goals (issue 15): `--version` and any `--help` <= 1.3x; `verify` of a 1-byte pinned file <= 2x.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { median, runOnce, type Sample } from './compare.ts';
import { quick } from './timing.ts';

const bin = fileURLToPath(new URL('../bin/rmm-verify.js', import.meta.url));
const pairs = quick ? 5 : 15;

/** One whole process under GNU time (wall, user+system CPU, peak RSS); its exit must be `status`. */
function once(args: readonly string[], cwd: string, status: number): Sample {
  return runOnce({
    label: `node ${args.slice(1, 3).join(' ')}`,
    file: process.execPath,
    args,
    okExit: [status],
    cwd,
  });
}

function compare(label: string, args: readonly string[], cwd: string, goal: number, status = 0): boolean {
  const ours: Sample[] = [];
  const node: Sample[] = [];
  const ratios: number[] = [];
  once(args, cwd, status); // warm the file cache for both
  once(['-e', '0'], cwd, 0);
  for (let i = 0; i < pairs; i++) {
    // Alternate which goes first, so a burst of load does not always land on the same side.
    let a: Sample;
    let b: Sample;
    if (i % 2 === 0) {
      a = once(args, cwd, status);
      b = once(['-e', '0'], cwd, 0);
    } else {
      b = once(['-e', '0'], cwd, 0);
      a = once(args, cwd, status);
    }
    ours.push(a);
    node.push(b);
    ratios.push(a.wallMs / b.wallMs);
  }
  const wall = (samples: readonly Sample[]): number => median(samples.map((s) => s.wallMs));
  const cpu = (samples: readonly Sample[]): number => median(samples.map((s) => s.cpuMs));
  const rss = (samples: readonly Sample[]): number => Math.round(median(samples.map((s) => s.maxRssMiB)));
  // The paired ratio (median of ours/node over the pairs) is the figure the goal is judged by.
  const ratio = median(ratios);
  const met = ratio <= goal;
  console.log(
    `${label.padEnd(31)} rmm-verify ${wall(ours).toFixed(0).padStart(5)} ms (CPU ${cpu(ours).toFixed(0).padStart(4)}) ${String(rss(ours)).padStart(3)} MiB | ` +
      `node -e 0 ${wall(node).toFixed(0).padStart(4)} ms (CPU ${cpu(node).toFixed(0).padStart(3)}) ${String(rss(node)).padStart(3)} MiB | ` +
      `paired ${ratio.toFixed(2)}x, CPU ${(cpu(ours) / cpu(node)).toFixed(2)}x (goal <= ${goal.toFixed(1)}x: ${met ? 'met' : 'NOT met'})`,
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
