/** Small timing helpers shared by the benchmarks. */
import { spawnSync } from 'node:child_process';

export const quick = process.env['BENCH_QUICK'] === '1';

/** Best (minimum) wall time in milliseconds over `runs` runs of an async function. */
export async function bestOf(runs: number, fn: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

/** Best wall time in milliseconds of a command; throws when it fails. */
export function bestOfCommand(runs: number, command: string, args: readonly string[]): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${String(result.status)}`);
    best = Math.min(best, elapsed);
  }
  return best;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

export function row(label: string, ours: number, peer: number, peerName: string, goal: string): void {
  console.log(
    `${label}: rmm-verify ${ours.toFixed(1)} ms, ${peerName} ${peer.toFixed(1)} ms, ratio ${(ours / peer).toFixed(2)}x (${goal})`,
  );
}
