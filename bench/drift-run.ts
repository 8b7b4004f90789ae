/**
 * One drift scan of a generated inventory, run as its own process by bench/drift.ts so that
 * its peak RSS is measured alone. Prints one JSON line: wall and CPU time, peak RSS, the fleet
 * counts (compared with DuckDB's by the parent).
 */
import { scanDrift } from '../src/fleet/drift.ts';
import { fileSource } from '../src/fleet/inventory.ts';
import { BENCH_NOW, benchConfig, benchManifests } from './drift-data.ts';
import { uncheckedManifests } from '../src/manifest/trusted.ts';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: drift-run.ts <inventory.csv>');
const cpu = process.cpuUsage();
const start = performance.now();
const { result } = await scanDrift({
  manifests: uncheckedManifests(benchManifests()),
  sources: [fileSource(file)],
  now: BENCH_NOW,
  config: benchConfig(),
  // READER_THREAD=never measures the one-thread path (for comparison).
  readerThread: process.env['READER_THREAD'] === 'never' ? 'never' : 'auto',
});
const ms = performance.now() - start;
const cpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
console.log(
  JSON.stringify({
    ms,
    cpuMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    fleet: result.fleet,
    rollups: result.rollups.length,
  }),
);
