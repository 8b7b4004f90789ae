/**
 * What a process loads (cold start, issues 14 and 15): each command loads its modules only
 * after its arguments are understood, `--help` loads no dependency, `attest --offline` never the
 * TUF client, and importing the library loads no Sigstore, TUF, HTTP or SQLite code until a
 * function that needs it is called. Runs the build (dist/) in child processes whose every
 * loaded module is recorded by a module.registerHooks hook.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/rmm-verify.js');
const GH_BUNDLE = join(ROOT, 'test/fixtures/sigstore/gh_2.54.0_linux_armv6.tar.gz.sigstore');
const GH_DIGEST = 'sha256:cd53809273ad6011fdd98e0244c5c2276b15f3dd1294e4715627ebd4f9c6e0f1';

let dir: string;
let hook: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rmm-verify-lazy-'));
  hook = join(dir, 'record-loads.mjs');
  writeFileSync(
    hook,
    [
      "import { registerHooks } from 'node:module';",
      "import { writeFileSync } from 'node:fs';",
      'const loaded = [];',
      'registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });',
      "process.on('exit', () => writeFileSync(process.env.LOADED_OUT, loaded.join('\\n')));",
    ].join('\n'),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let runs = 0;

/** Runs node with the hook; returns its exit status and the URLs of every module it loaded. */
function loads(args: readonly string[]): { status: number | null; stderr: string; modules: string[] } {
  const out = join(dir, `loaded-${runs++}.txt`);
  const result = spawnSync(process.execPath, ['--import', hook, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, LOADED_OUT: out, NO_COLOR: '1' },
  });
  return { status: result.status, stderr: result.stderr, modules: readFileSync(out, 'utf8').split('\n') };
}

/** The npm packages among the loaded modules, by name. */
function packages(modules: readonly string[]): string[] {
  const names = new Set<string>();
  for (const url of modules) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match?.[1] !== undefined) names.add(match[1]);
  }
  return [...names].sort();
}

describe('cold start: what each command loads', () => {
  it.each(
    [
      ['--version'],
      ['--help'],
      ['verify', '--help'],
      ['drift', '--help'],
      ['sbom', 'validate', '--help'],
      ['sbom', 'check', '--help'],
      ['attest', 'verify', '--help'],
      ['authenticode', 'inspect', '--help'],
      ['trust', 'update', '--help'],
    ].map((args) => [args.join(' '), args] as const),
  )('rmm-verify %s loads no dependency', (_label, args) => {
    const run = loads([BIN, ...args]);
    expect(run.status, run.stderr).toBe(0);
    expect(packages(run.modules)).toEqual([]);
    expect(run.modules).not.toContain('node:sqlite');
    // An ESM import of these builtins loads dozens of Node's own modules (child_process: net,
    // streams; fs and util: every lazily loaded part); help needs none of them.
    for (const builtin of ['node:child_process', 'node:fs', 'node:util', 'node:worker_threads'])
      expect(run.modules).not.toContain(builtin);
  });

  it.each([['--help'], ['verify', '--help'], ['drift', '--help']])(
    'rmm-verify %s creates no stdin stream and loads no networking code',
    (...args) => {
      // Node builds process.stdin (and a pipe's net.Socket) on first access: only commands that read it may touch it.
      const probe = join(dir, 'builtins.cjs');
      const out = join(dir, `builtins-${runs++}.txt`);
      writeFileSync(
        probe,
        "process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_OUT, process.moduleLoadList.join('\\n')));",
      );
      // stdin a pipe (touching it would make a net.Socket); output to /dev/null, which needs no stream code.
      const result = spawnSync(process.execPath, ['--require', probe, BIN, ...args], {
        cwd: ROOT,
        env: { ...process.env, LOADED_OUT: out },
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      expect(result.status).toBe(0);
      const loaded = readFileSync(out, 'utf8');
      expect(loaded).not.toMatch(/^NativeModule (net|child_process|readline|internal\/fs\/promises)$/m);
    },
  );

  it('attest verify --offline verifies without loading the TUF client or an HTTP stack', () => {
    const run = loads([
      BIN,
      'attest',
      'verify',
      GH_DIGEST,
      '--bundle',
      GH_BUNDLE,
      '--offline',
      '--certificate-identity',
      'https://github.com/cli/cli/.github/workflows/deployment.yml@refs/heads/trunk',
      '--certificate-oidc-issuer',
      'https://token.actions.githubusercontent.com',
    ]);
    expect(run.status, run.stderr).toBe(0);
    const loaded = packages(run.modules);
    expect(loaded).toContain('@sigstore/verify');
    for (const name of ['@sigstore/tuf', 'tuf-js', 'make-fetch-happen', 'undici']) {
      expect(loaded).not.toContain(name);
    }
  });
});

describe('the library entry point', () => {
  const entry = join(ROOT, 'dist/index.js');

  it('loads no Sigstore, TUF, HTTP, GitHub or SQLite code on import', () => {
    const run = loads(['--input-type=module', '-e', `await import(${JSON.stringify(entry)});`]);
    expect(run.status, run.stderr).toBe(0);
    const loaded = packages(run.modules);
    for (const name of [
      '@sigstore/bundle',
      '@sigstore/core',
      '@sigstore/protobuf-specs',
      '@sigstore/tuf',
      '@sigstore/verify',
      'sigstore',
      'tuf-js',
      'make-fetch-happen',
      'undici',
      'snappyjs',
      'ajv-formats',
    ]) {
      expect(loaded).not.toContain(name);
    }
    expect(run.modules).not.toContain('node:sqlite');
    // The large CycloneDX and SPDX validators load with the first SBOM of their kind.
    expect(run.modules.filter((url) => /\/dist\/validators\/(cyclonedx|spdx)/.test(url))).toEqual([]);
  });

  it('loads a Sigstore library when a function that needs it is called, and only then', () => {
    const script = [
      `const { parseBundleBytes, loadPublicGoodTrustedRoot } = await import(${JSON.stringify(entry)});`,
      `const { readFileSync } = await import('node:fs');`,
      `const bundles = parseBundleBytes(readFileSync(${JSON.stringify(GH_BUNDLE)}), 'gh.sigstore');`,
      `if (bundles.length !== 1) throw new Error('expected one bundle');`,
      `await loadPublicGoodTrustedRoot();`,
    ].join('\n');
    const run = loads(['--input-type=module', '-e', script]);
    expect(run.status, run.stderr).toBe(0);
    const loaded = packages(run.modules);
    expect(loaded).toEqual(expect.arrayContaining(['@sigstore/bundle', '@sigstore/verify']));
    expect(loaded).not.toContain('@sigstore/tuf');
    expect(loaded).not.toContain('undici');
  });
});
