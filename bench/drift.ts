/**
 * `node bench/drift.ts` (BENCH_QUICK=1 for 1 M rows, BENCH_ROWS=N for N): rmm-verify drift
 * against `wc -l` and DuckDB on the same generated CSV (1,000 tenants, 20 products, 200
 * versions), at two sizes so that peak RSS can be compared (it must not grow with the row
 * count). Each scan runs in its own process; the fleet counts of rmm-verify and DuckDB must
 * agree: every primary status, the overlapping classes, tools, stale and unapproved.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { generateInventory, inventoryPath } from './drift-data.ts';

const quick = process.env['BENCH_QUICK'] === '1';
const rowsOverride = Number(process.env['BENCH_ROWS'] ?? '');
const large =
  Number.isSafeInteger(rowsOverride) && rowsOverride > 0 ? rowsOverride : quick ? 1_000_000 : 10_000_000;
const sizes = [large / 5, large];
const outDir = fileURLToPath(new URL('out/', import.meta.url));
mkdirSync(outDir, { recursive: true });

interface RunResult {
  ms: number;
  cpuMs: number;
  maxRssMb: number;
}

function child(
  script: string,
  args: readonly string[],
  nodeFlags: readonly string[] = [],
  env: Record<string, string> = {},
): unknown {
  const result = spawnSync(
    process.execPath,
    [...nodeFlags, fileURLToPath(new URL(script, import.meta.url)), ...args],
    {
      encoding: 'utf8',
      maxBuffer: 16 << 20,
      env: { ...process.env, ...env },
    },
  );
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
}

const fmt = (n: number) => n.toFixed(0).padStart(7);
let failed = false;
for (const rows of sizes) {
  const file = inventoryPath(outDir, rows);
  if (!existsSync(file)) {
    const started = performance.now();
    generateInventory(file, rows);
    console.log(
      `generated ${file} (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  const wcStart = performance.now();
  const wc = spawnSync('wc', ['-l', file], { encoding: 'utf8' });
  const wcMs = performance.now() - wcStart;
  if (wc.status !== 0) throw new Error(`wc -l failed: ${wc.stderr}`);
  // Run as the rmm-verify launcher runs drift (bin/rmm-verify.js): a small young generation and
  // two malloc arenas keep peak RSS down; the scan allocates many short-lived strings.
  const ours = child('drift-run.ts', [file], ['--max-semi-space-size=4'], {
    MALLOC_ARENA_MAX: '2',
  }) as RunResult & {
    fleet: Record<string, number | Record<string, number>>;
  };
  const duck = child('drift-duckdb.ts', [file]) as RunResult & { counts: Record<string, string> };
  const fleet = ours.fleet as {
    agents: number;
    tools: number;
    onTarget: number;
    status: Record<string, number>;
    classes: Record<string, number>;
  };
  // Primary statuses (they add up to the agents) and classes (overlapping), by DuckDB's names.
  const expected: Record<string, number | undefined> = {
    agents: fleet.agents,
    tools: fleet.tools,
    on_target: fleet.onTarget,
    stale: fleet.classes['stale'],
    unapproved: fleet.classes['unapproved-tool'],
  };
  for (const [status, n] of Object.entries(fleet.status))
    expected[`status_${status.replaceAll('-', '_')}`] = n;
  for (const [driftClass, n] of Object.entries(fleet.classes))
    expected[`class_${driftClass.replaceAll('-', '_')}`] = n;
  const mismatches = Object.entries(expected).filter(([k, v]) => String(v) !== duck.counts[k]);
  if (fleet.onTarget === fleet.agents || (fleet.status['hash-mismatch'] ?? 0) === 0)
    throw new Error('the generated inventory must exercise more than on-target (generator changed?)');
  if (mismatches.length > 0) {
    failed = true;
    console.log(`MISMATCH with DuckDB: ${JSON.stringify(mismatches)} vs ${JSON.stringify(duck.counts)}`);
  }
  console.log(`\n${rows.toLocaleString('en-US')} rows (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB)`);
  console.log(`  wc -l          ${fmt(wcMs)} ms`);
  console.log(
    `  rmm-verify     ${fmt(ours.ms)} ms  (cpu ${fmt(ours.cpuMs)} ms)  ${(rows / ours.ms / 1000).toFixed(2)} M rows/s  peak RSS ${ours.maxRssMb.toFixed(0)} MB`,
  );
  console.log(
    `  duckdb         ${fmt(duck.ms)} ms  (cpu ${fmt(duck.cpuMs)} ms)  peak RSS ${duck.maxRssMb.toFixed(0)} MB`,
  );
  console.log(
    `  ratio to wc -l ${(ours.ms / wcMs).toFixed(1)}x   ratio to duckdb ${(ours.ms / duck.ms).toFixed(2)}x (cpu ${(ours.cpuMs / duck.cpuMs).toFixed(2)}x)`,
  );
  console.log(`  counts agree with duckdb: ${mismatches.length === 0 ? 'yes' : 'NO'}`);
  if (rows === 10_000_000) {
    const rate = rows / ours.ms / 1000;
    console.log(
      `  goals: >= 1 M rows/s ${rate >= 1 ? 'met' : 'NOT met'} (${rate.toFixed(2)}); peak RSS <= 300 MB ${ours.maxRssMb <= 300 ? 'met' : 'NOT met'}; within 2x of duckdb ${ours.ms <= 2 * duck.ms ? 'met' : 'NOT met'}`,
    );
  }
}
process.exitCode = failed ? 1 : 0;
