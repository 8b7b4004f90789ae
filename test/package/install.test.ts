/**
 * The package as a user gets it: packed from a fresh copy of the sources (so `prepare` must
 * build), installed globally into a temporary prefix with production dependencies only, and run
 * from there under the oldest supported Node line (22.22, from the registry) and the pinned one
 * (the Node running the tests, 24). Needs the npm registry; everything else stays local.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registryNode } from '../helpers/registry-node.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  engines: { node: string };
};

let work: string;
let prefix: string;
let tarballFiles: string[];

function sh(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  return result;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'rmm-verify-package-'));
  // A fresh clone: the tracked (and new, unignored) files, no dist/; node_modules shared.
  const clone = join(work, 'clone');
  const listed = sh('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], ROOT);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    try {
      cpSync(join(ROOT, file), join(clone, file));
    } catch (error: unknown) {
      // A file deleted in the working tree but still in the index is not part of the clone.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const packed = sh('npm', ['pack', '--json', '--pack-destination', work], clone);
  expect(packed.status, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [
    { filename: string; files: { path: string }[] },
  ];
  tarballFiles = info.files.map((f) => f.path);
  prefix = join(work, 'prefix');
  const installed = sh(
    'npm',
    ['install', '-g', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', join(work, info.filename)],
    work,
  );
  expect(installed.status, installed.stderr).toBe(0);
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('carries the build and everything the installed commands read, and no build leftovers', () => {
    for (const file of [
      'bin/rmm-verify.js',
      'dist/cli/main.js',
      'dist/index.js',
      'dist/index.d.ts',
      'examples/fleet/inventory.csv',
      'examples/demo/releases/acme-agent-7.4.2-linux-x64.run',
      'data/rmm-tools.json',
      'keys/sigstore/trusted_root.json',
      'manifests/schema/manifest.schema.json',
    ]) {
      expect(tarballFiles).toContain(file);
    }
    expect(tarballFiles.filter((f) => f.startsWith('dist/action/') || f.endsWith('.map'))).toEqual([]);
    expect(tarballFiles.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('states the same supported Node releases in engines and in the launcher', () => {
    const launcher = readFileSync(join(ROOT, 'bin/rmm-verify.js'), 'utf8');
    const table = /const SUPPORTED_NODE = \[([\s\S]*?)\];/.exec(launcher)?.[1] ?? '';
    const lines = [...table.matchAll(/\[(\d+), (\d+), (\d+)\]/g)].map((m) => m.slice(1).map(Number));
    const ranges = lines.map(([major, minor, patch], i) =>
      i === lines.length - 1 ? `>=${major}.${minor}.${patch}` : `^${major}.${minor}.${patch}`,
    );
    expect(ranges.join(' || ')).toBe(pkg.engines.node);
  });
});

for (const [label, range] of [
  ['Node 24 (the pinned one)', undefined],
  ['Node 22.22 (the oldest supported)', '22.22'],
] as const) {
  describe(`the global install under ${label}`, () => {
    let node: string;
    let home: string;
    const run = (args: readonly string[], cwd = home): SpawnSyncReturns<string> =>
      sh(join(prefix, 'bin', 'rmm-verify'), args, cwd, {
        ...process.env,
        // The launcher's `#!/usr/bin/env node` must find this Node first.
        PATH: `${dirname(node)}:${process.env['PATH'] ?? ''}`,
        RMM_VERIFY_STATE: join(home, 'state.json'),
        NO_COLOR: '1',
      });
    beforeAll(() => {
      node = range === undefined ? process.execPath : registryNode(range);
      home = mkdtempSync(join(work, 'home-'));
    }, 600_000);

    it('runs under the expected Node', () => {
      const version = sh(node, ['--version'], home).stdout.trim();
      expect(version.startsWith(range === undefined ? 'v24.' : `v${range}.`)).toBe(true);
    });

    it('--version, and help without warnings', () => {
      const version = run(['--version']);
      expect(version.status).toBe(0);
      expect(version.stdout.trim()).toBe(pkg.version);
      for (const command of [
        'verify',
        'drift',
        'attest',
        'authenticode',
        'sbom',
        'manifest',
        'keys',
        'pin',
      ]) {
        const help = run([command, '--help']);
        expect(help.status, help.stderr).toBe(0);
        expect(help.stdout).toMatch(new RegExp(`^Usage: rmm-verify ${command}`));
        expect(help.stderr).toBe('');
      }
    });

    it('demo, then a verify and a drift of its files as separate commands', () => {
      const demo = run(['demo', '--keep']);
      expect(demo.status, demo.stdout + demo.stderr).toBe(0);
      expect(demo.stdout).toContain('Demo completed');
      const kept = /Files kept in (\S+)/.exec(demo.stdout)?.[1] ?? '';
      expect(kept).not.toBe('');
      try {
        const verify = run(
          [
            'verify',
            'releases/acme-agent-7.4.2-linux-x64.run',
            '--manifest',
            'manifests/acme-agent.json',
            '--trust',
            'keys/trust.json',
            '--state',
            'state/manifest-state.json',
          ],
          kept,
        );
        expect(verify.status, verify.stdout + verify.stderr).toBe(0);
        expect(verify.stdout).toMatch(/^PASS: 2 of 2 passed/m);
        const drift = run(
          [
            'drift',
            'fleet/inventory.csv',
            '--manifest',
            'fleet/acme-agent.manifest.json',
            '--trust',
            'keys/trust.json',
            '--config',
            'fleet/drift-config.json',
            '--format',
            'json',
          ],
          kept,
        );
        expect(drift.status, drift.stderr).toBe(1);
        const report = JSON.parse(drift.stdout) as { drift: { fleet: { rows: number; tenants: number } } };
        expect(report.drift.fleet.rows).toBeGreaterThan(0);
        expect(report.drift.fleet.tenants).toBe(3);
      } finally {
        rmSync(kept, { recursive: true, force: true });
      }
    });

    it('the library loads from the installed files', () => {
      const entry = join(prefix, 'lib', 'node_modules', 'rmm-verify', 'dist', 'index.js');
      const result = sh(
        node,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(entry)}); console.log(typeof m.verifyArtifacts, typeof m.scanDrift)`,
        ],
        home,
      );
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe('function function');
      expect(result.stderr).toBe('');
    });
  });
}

describe('the global install under Node 20 (unsupported)', () => {
  it('says in one line which Node it needs and why, exit 2, for every command', () => {
    const node = registryNode('20');
    const home = mkdtempSync(join(work, 'home-'));
    mkdirSync(home, { recursive: true });
    for (const args of [['--version'], ['verify', '--help'], ['drift', 'x.csv', '-m', 'm.json']]) {
      const result = sh(join(prefix, 'bin', 'rmm-verify'), args, home, {
        ...process.env,
        PATH: `${dirname(node)}:${process.env['PATH'] ?? ''}`,
      });
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^rmm-verify: needs Node\.js 22\.22\.2\+ \(22\.x\), 24\.15\+ \(24\.x\) or 26\+ \(this is v20\.\d+\.\d+\): /,
      );
    }
  }, 600_000);
});

describe('the library as a TypeScript consumer sees it', () => {
  /** The README's API examples, each compiled as a module of a scratch package. */
  function readmeExamples(): string[] {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('## Library API');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  }

  it.each([
    ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }],
    ['bundler', { module: 'preserve', moduleResolution: 'bundler' }],
  ])('the README examples compile under %s resolution', (_, resolution) => {
    const examples = readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(4);
    const scratch = mkdtempSync(join(work, 'consumer-'));
    writeFileSync(
      join(scratch, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    mkdirSync(join(scratch, 'node_modules', '@types'), { recursive: true });
    symlinkSync(
      join(prefix, 'lib', 'node_modules', 'rmm-verify'),
      join(scratch, 'node_modules', 'rmm-verify'),
      'dir',
    );
    symlinkSync(
      join(ROOT, 'node_modules', '@types', 'node'),
      join(scratch, 'node_modules', '@types', 'node'),
      'dir',
    );
    examples.forEach((code, i) => {
      writeFileSync(join(scratch, `example-${i}.ts`), code);
    });
    // A misuse must fail to compile: a raw manifest is not a trusted one.
    writeFileSync(
      join(scratch, 'misuse.ts'),
      [
        "import { loadManifestFile, scanDrift } from 'rmm-verify';",
        "const loaded = await loadManifestFile('m.json');",
        '// @ts-expect-error scanDrift takes trusted manifests only',
        'await scanDrift({ manifests: [loaded.manifest], sources: [], now: new Date() });',
      ].join('\n'),
    );
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          ...resolution,
          target: 'es2023',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        include: ['*.ts'],
      }),
    );
    const tsc = sh(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', scratch],
      scratch,
    );
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  });
});
