/** Cold start: `rmm-verify --version` against `node -e 0`, same Node, same run. Goal ≤ 2×. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { median, quick, row } from './timing.ts';

const bin = fileURLToPath(new URL('../bin/rmm-verify.js', import.meta.url));
const runs = quick ? 10 : 30;
const time = (args: string[]) => {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${String(result.status)}`);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
};
time(['-e', '0']); // warm the file cache
const node = time(['-e', '0']);
const ours = time([bin, '--version']);
row(`cold start (median of ${runs})`, ours, node, 'node -e 0', 'goal <= 2.00x');
