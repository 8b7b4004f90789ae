/**
 * `npm run bench`: runs every benchmark in sequence. Each runs the real command and its peer as
 * whole processes, alternating, and prints medians, the paired ratio, CPU, peak RSS and whether
 * the goal is met (bench/compare.ts; results also go to bench/out/results.jsonl).
 * Set BENCH_ONLY=name to run one; BENCH_QUICK=1 for smaller inputs.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS: readonly string[] = [
  'digest.ts',
  'cold-start.ts',
  'install-size.ts',
  'authenticode.ts',
  'drift.ts',
  'drift-process.ts',
  'sbom.ts',
  'sigstore.ts',
  'openpgp.ts',
  // one line per benchmark file
];

const only = process.env['BENCH_ONLY'];
let failed = 0;
for (const file of BENCHMARKS) {
  if (only && !file.startsWith(only)) continue;
  console.log(`\n== ${file}`);
  const result = spawnSync(process.execPath, [fileURLToPath(new URL(file, import.meta.url))], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
