/**
 * Whole-process comparisons: what a user runs against its peer, as processes, alternating A and
 * B in the same run so that a change in machine load affects both alike. Every run is wrapped
 * in GNU time for its CPU time and peak RSS (of the process and the children it waited for);
 * wall time is measured here. Reports medians, the paired ratio (the median of ours/peer over
 * the pairs) and whether the goal is met, and appends one JSON line per comparison to
 * bench/out/results.jsonl (the README's performance table is written from it).
 *
 * BENCH_RUNS overrides the number of pairs (default 5; never fewer than 5 unless BENCH_QUICK=1).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const quick = process.env['BENCH_QUICK'] === '1';
export const OUT_DIR = fileURLToPath(new URL('out/', import.meta.url));
export const BIN = fileURLToPath(new URL('../bin/rmm-verify.js', import.meta.url));
mkdirSync(OUT_DIR, { recursive: true });

export interface Command {
  /** How the table names it, e.g. `openssl dgst -sha256`. */
  readonly label: string;
  readonly file: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory (default: the benchmark's). */
  readonly cwd?: string;
  /** Exit codes that count as success (default [0]). */
  readonly okExit?: readonly number[];
}

/** `node bin/rmm-verify.js ARGS` with the Node running the benchmark (the dist build). */
export function rmmVerify(label: string, args: readonly string[], okExit: readonly number[] = [0]): Command {
  return { label, file: process.execPath, args: [BIN, ...args], okExit };
}

export interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssMiB: number;
}

export interface Stats {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssMiB: number;
}

export interface Goal {
  /** Shown after the ratio, e.g. `<= 1.00x`. */
  readonly text: string;
  readonly met: (ratio: number, ours: Stats, peer: Stats) => boolean;
}

export const atMost = (limit: number): Goal => ({
  text: `ours/peer <= ${limit.toFixed(2)}x`,
  met: (ratio) => ratio <= limit,
});

export interface Comparison {
  readonly name: string;
  readonly runs: number;
  readonly ours: Stats & { readonly label: string };
  readonly peer: Stats & { readonly label: string };
  readonly ratio: number;
  readonly goal: string;
  readonly met: boolean;
  readonly note?: string;
}

const TIME_FORMAT = '%U %S %M'; // user s, system s, max RSS KiB

/** Runs a command once under GNU time; throws with its stderr when it fails. */
export function runOnce(command: Command): Sample {
  const timeFile = join(OUT_DIR, `time-${process.pid}.txt`);
  const start = process.hrtime.bigint();
  const result = spawnSync(
    '/usr/bin/time',
    ['-f', TIME_FORMAT, '-o', timeFile, command.file, ...command.args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...command.env },
      ...(command.cwd !== undefined ? { cwd: command.cwd } : {}),
      maxBuffer: 64 << 20,
    },
  );
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const ok = command.okExit ?? [0];
  const timeLine = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '';
  rmSync(timeFile, { force: true });
  if (result.status === null || !ok.includes(result.status)) {
    throw new Error(
      `${command.label}: ${command.file} ${command.args.slice(0, 8).join(' ')}… exited ${String(result.status)} (expected ${ok.join('/')}): ${result.stderr.toString().slice(0, 2000)}`,
    );
  }
  const [user, system, rssKiB] = timeLine.split(' ').map(Number);
  if (user === undefined || system === undefined || rssKiB === undefined || Number.isNaN(rssKiB)) {
    throw new Error(`${command.label}: cannot read GNU time's output '${timeLine}'`);
  }
  return { wallMs, cpuMs: (user + system) * 1000, maxRssMiB: rssKiB / 1024 };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

function stats(samples: readonly Sample[]): Stats {
  return {
    wallMs: median(samples.map((s) => s.wallMs)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    maxRssMiB: Math.max(...samples.map((s) => s.maxRssMiB)),
  };
}

export const defaultRuns = Number(process.env['BENCH_RUNS'] ?? (quick ? 3 : 5));

/**
 * Runs ours and peer alternately (one warm-up each first, for the page cache), `runs` pairs,
 * starting with a different side on every other pair. Prints one block and returns the figures.
 */
export function compare(options: {
  readonly name: string;
  readonly ours: Command;
  readonly peer: Command;
  readonly goal: Goal;
  readonly runs?: number;
  readonly warmup?: boolean;
  readonly note?: string;
}): Comparison {
  const runs = options.runs ?? defaultRuns;
  if (options.warmup !== false) {
    runOnce(options.ours);
    runOnce(options.peer);
  }
  const ours: Sample[] = [];
  const peer: Sample[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < runs; i++) {
    let a: Sample;
    let b: Sample;
    if (i % 2 === 0) {
      a = runOnce(options.ours);
      b = runOnce(options.peer);
    } else {
      b = runOnce(options.peer);
      a = runOnce(options.ours);
    }
    ours.push(a);
    peer.push(b);
    ratios.push(a.wallMs / b.wallMs);
  }
  const oursStats = stats(ours);
  const peerStats = stats(peer);
  const ratio = median(ratios);
  const met = options.goal.met(ratio, oursStats, peerStats);
  const result: Comparison = {
    name: options.name,
    runs,
    ours: { label: options.ours.label, ...oursStats },
    peer: { label: options.peer.label, ...peerStats },
    ratio,
    goal: options.goal.text,
    met,
    ...(options.note !== undefined ? { note: options.note } : {}),
  };
  print(result);
  appendFileSync(
    join(OUT_DIR, 'results.jsonl'),
    `${JSON.stringify({ at: new Date().toISOString(), ...result })}\n`,
  );
  return result;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function print(c: Comparison): void {
  const side = (s: Stats & { label: string }): string =>
    `${s.label.padEnd(34)} ${seconds(s.wallMs).padStart(9)} wall  ${seconds(s.cpuMs).padStart(9)} CPU  ${s.maxRssMiB.toFixed(0).padStart(5)} MiB peak RSS`;
  console.log(`\n${c.name} (medians of ${c.runs} alternating runs; ${cpus().length} cores, shared)`);
  console.log(`  ${side(c.ours)}`);
  console.log(`  ${side(c.peer)}`);
  console.log(
    `  paired wall ratio ${c.ratio.toFixed(2)}x (${c.ratio <= 1 ? `${(1 / c.ratio).toFixed(1)}x faster` : `${c.ratio.toFixed(2)}x slower`}), CPU ratio ${(c.ours.cpuMs / c.peer.cpuMs).toFixed(2)}x; goal ${c.goal}: ${c.met ? 'met' : 'NOT met'}${c.note ? `\n  ${c.note}` : ''}`,
  );
}
