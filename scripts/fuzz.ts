/**
 * `npm run fuzz`: the parsers' fuzz properties (tests named `fuzz: …`, fixed seed and modest
 * runs under `npm test`) run long, from a random seed that is printed first.
 *
 *   FUZZ_SCALE  cases per property, as a multiple of its `npm test` count (default 100)
 *   FUZZ_SEED   the seed (default: random); a failure prints fast-check's seed and path
 *   extra arguments go to vitest (e.g. a test file to fuzz only that parser)
 *
 * The tests read FUZZ_SEED and FUZZ_SCALE through test/helpers/fuzz.ts.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const seed = process.env['FUZZ_SEED'] || String(randomInt(1, 2 ** 31 - 1));
const scale = process.env['FUZZ_SCALE'] || '100';
if (!/^\d+$/.test(seed) || !/^[1-9]\d*$/.test(scale)) {
  console.error(`fuzz: FUZZ_SEED (${seed}) and FUZZ_SCALE (${scale}) must be positive integers`);
  process.exit(2);
}

/** Test files that hold fuzz properties (they use the shared parameters). */
function fuzzFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'fixtures' && entry.name !== 'generated')
      found.push(...fuzzFiles(path));
    else if (entry.name.endsWith('.test.ts') && readFileSync(path, 'utf8').includes('fuzzParameters(')) {
      found.push(relative(root, path));
    }
  }
  return found;
}

const extra = process.argv.slice(2);
const files = extra.some((a) => !a.startsWith('-')) ? [] : fuzzFiles(join(root, 'test'));
console.log(
  `fuzz: seed ${seed}, ${scale} times the npm test cases per property (replay: FUZZ_SEED=${seed} FUZZ_SCALE=${scale} npm run fuzz)`,
);
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const result = spawnSync(
  process.execPath,
  [vitest, 'run', '--testTimeout=0', '--testNamePattern', '^.*fuzz: ', ...files, ...extra],
  { cwd: root, stdio: 'inherit', env: { ...process.env, FUZZ_SEED: seed, FUZZ_SCALE: scale } },
);
console.log(`fuzz: seed ${seed} (FUZZ_SCALE=${scale}) ${result.status === 0 ? 'found nothing' : 'FAILED'}`);
process.exit(result.status ?? 1);
