import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmm-verify-bundle-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dist/action/index.js', () => {
  it('is exactly what the sources build (run `npm run build:action` and commit the result)', async () => {
    const fresh = join(dir, 'index.js');
    await run(process.execPath, [resolve(ROOT, 'scripts/build-action.ts'), '--out', fresh], {
      cwd: ROOT,
      timeout: 120_000,
    });
    const committed = await readFile(resolve(ROOT, 'dist/action/index.js'));
    const built = await readFile(fresh);
    // Compare bytes; on a mismatch say so plainly rather than dumping a megabyte diff.
    expect(built.equals(committed), 'dist/action/index.js is stale: run `npm run build:action`').toBe(true);
  });

  it('builds deterministically: two builds give the same bytes', async () => {
    const { buildActionBundle } = await import('../../scripts/build-action.ts');
    const [first, second] = await Promise.all([buildActionBundle(), buildActionBundle()]);
    expect(first === second).toBe(true);
    expect(first).not.toContain(ROOT);
  });

  it('finds every data file it locates relative to itself (keys/, data/) from dist/action/', async () => {
    const bundle = await readFile(resolve(ROOT, 'dist/action/index.js'), 'utf8');
    const base = pathToFileURL(resolve(ROOT, 'dist/action/index.js'));
    const relative = [...bundle.matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)].map((m) => m[1] ?? '');
    for (const path of relative) expect(existsSync(fileURLToPath(new URL(path, base))), path).toBe(true);
  });

  it('loads no package at run time: a runner has no node_modules beside the action', async () => {
    const bundle = await readFile(resolve(ROOT, 'dist/action/index.js'), 'utf8');
    // `createRequire(import.meta.url)('pkg')` is invisible to the bundler and fails in a checkout.
    const dynamic = [...bundle.matchAll(/createRequire\w*\(import\.meta\.url\)\(\s*["']([^"']+)["']/g)].map(
      (m) => m[1],
    );
    expect(dynamic.filter((name) => !name?.startsWith('node:'))).toEqual([]);
  });
});
