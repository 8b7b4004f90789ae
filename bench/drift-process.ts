/**
 * `rmm-verify drift` as users run it (the launcher, a whole process) against the DuckDB SQL peer
 * (bench/drift-duckdb.ts: GROUP BY + arg_max, its own process, start-up included) on the same
 * generated CSV, alternating, at 1 M and 10 M rows (1 M only with BENCH_QUICK=1). Goals
 * (issue 15): 10 M rows ≥ 2 M rows/s, ≤ 0.5× DuckDB, peak RSS ≤ 300 MB; 1 M rows ≤ 1.0×.
 * bench/drift.ts checks that both count the same fleet.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { OUT_DIR, compare, quick, rmmVerify } from './compare.ts';
import { benchConfig, benchManifests, generateInventory, inventoryPath } from './drift-data.ts';

const sizes = quick ? [1_000_000] : [1_000_000, 10_000_000];
const manifestDir = join(OUT_DIR, 'drift-manifests');
mkdirSync(manifestDir, { recursive: true });
const manifests = benchManifests().map((manifest) => {
  const path = join(manifestDir, `${manifest.product}.json`);
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
  return path;
});
const config = join(manifestDir, 'drift-config.json');
writeFileSync(config, `${JSON.stringify({ schema: 1, ...benchConfig() }, null, 2)}\n`);
const duckdb = fileURLToPath(new URL('drift-duckdb.ts', import.meta.url));

for (const rows of sizes) {
  const file = inventoryPath(OUT_DIR, rows);
  if (!existsSync(file)) generateInventory(file, rows);
  const large = rows >= 10_000_000;
  compare({
    name: `drift, ${rows.toLocaleString('en-US')} rows (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB CSV)`,
    ours: rmmVerify(
      'rmm-verify drift',
      [
        'drift',
        file,
        ...manifests.flatMap((m) => ['--manifest', m]),
        '--allow-unsigned-manifests',
        '--config',
        config,
        '--format',
        'json',
        '--output',
        '/dev/null',
      ],
      [0, 1],
    ),
    peer: {
      label: 'DuckDB GROUP BY + arg_max (node)',
      file: process.execPath,
      args: [duckdb, file],
      env: { DRIFT_NOW: new Date().toISOString() },
    },
    goal: large
      ? {
          text: '>= 2 M rows/s, ours/peer <= 0.50x, peak RSS <= 300 MB',
          met: (ratio, ours) =>
            rows / ours.wallMs / 1000 >= 2 && ratio <= 0.5 && ours.maxRssMiB * 1.048576 <= 300,
        }
      : { text: 'ours/peer <= 1.00x', met: (ratio) => ratio <= 1 },
  });
}
