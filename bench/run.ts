/**
 * `npm run bench`: runs every benchmark in sequence. Each prints our time, its peer's time
 * measured in the same run on the same input, and the ratio.
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
  'sbom.ts',
  'sigstore.ts',
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
