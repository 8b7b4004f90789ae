import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import { FINDING_CODES } from '../../src/findings.ts';
import type { Report } from '../../src/report/report.ts';
import { VERSION } from '../../src/version.ts';
import { readmeWithCodes } from '../../scripts/readme-codes.ts';
import { captureIo } from '../helpers/io.ts';
import { artifactFor, baseManifest, workspace } from '../helpers/signed-manifest.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const content = Buffer.from('#!/bin/sh\necho agent 7.4.2\n');

async function signedWorkspace() {
  const ws = await workspace();
  await ws.writeManifest(
    baseManifest({ releases: [{ version: '7.4.2', artifacts: [artifactFor('agent.run', content)] }] }),
  );
  await ws.writeFile('agent.run', content);
  return ws;
}

async function run(cwd: string, argv: string[]) {
  const captured = captureIo(cwd);
  const code = await main(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe('rmm-verify CLI', () => {
  it('prints its version and help, and rejects unknown commands with exit 2', async () => {
    expect((await run(ROOT, ['--version'])).stdout.trim()).toBe(VERSION);
    expect((await run(ROOT, ['--help'])).stdout).toContain('verify');
    const unknown = await run(ROOT, ['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  it('keeps VERSION equal to package.json', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('verify exits 0 on a pass and 1 on a failure, with a stable JSON report', async () => {
    const ws = await signedWorkspace();
    const pass = await run(ws.dir, [
      'verify',
      'agent.run',
      '--manifest',
      ws.manifestPath,
      '--trust',
      ws.trustPath,
      '--no-state',
      '--format',
      'json',
    ]);
    expect(pass.code).toBe(0);
    const report = JSON.parse(pass.stdout) as Report;
    expect(report).toMatchObject({
      reportVersion: 1,
      command: 'verify',
      result: 'pass',
      summary: { subjects: 2, passed: 2, failed: 0 },
    });
    expect(report.subjects[1]).toMatchObject({
      subject: 'agent.run',
      kind: 'artifact',
      result: 'pass',
      facts: { version: '7.4.2' },
    });

    await ws.writeFile('agent.run', Buffer.concat([content, Buffer.from('evil')]));
    const fail = await run(ws.dir, [
      'verify',
      'agent.run',
      '--manifest',
      ws.manifestPath,
      '--trust',
      ws.trustPath,
      '--no-state',
    ]);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain('SIZE_MISMATCH');
    expect(fail.stdout).toMatch(/FAIL: 1 of 2 passed/);
  });

  it('verify of an empty directory exits 1 (nothing verified), of a missing one exits 2', async () => {
    const ws = await signedWorkspace();
    await mkdir(join(ws.dir, 'empty'));
    const args = [
      '--manifest',
      ws.manifestPath,
      '--trust',
      ws.trustPath,
      '--no-state',
      '--fail-on',
      'critical',
    ];
    const empty = await run(ws.dir, ['verify', 'empty', ...args]);
    expect(empty.code).toBe(1);
    expect(empty.stdout).toContain('ARTIFACT_NOTHING_VERIFIED');
    expect((await run(ws.dir, ['verify', 'missing', ...args])).code).toBe(2);
  });

  it('--fail-on raises the bar: a low finding passes with --fail-on medium', async () => {
    const ws = await signedWorkspace();
    await ws.writeFile('renamed.run', content);
    const args = [
      'verify',
      'renamed.run',
      '--manifest',
      ws.manifestPath,
      '--trust',
      ws.trustPath,
      '--no-state',
    ];
    expect((await run(ws.dir, args)).code).toBe(1);
    expect((await run(ws.dir, [...args, '--fail-on', 'medium'])).code).toBe(0);
  });

  it.each([
    [['verify', 'agent.run'], /--manifest is required/],
    [['verify', 'agent.run', '--manifest', 'm.json', '--format', 'yaml'], /--format must be one of/],
    [['verify', 'agent.run', '--manifest', 'm.json', '--fail-on', 'severe'], /--fail-on must be one of/],
    [
      ['verify', '--bogus'],
      /^rmm-verify verify: error: unknown option --bogus \(see 'rmm-verify verify --help'\)/,
    ],
    [
      ['verify', 'agent.run', '--manifest', 'missing.json', '--trust', 'keys/trust.json'],
      /missing\.json: cannot read manifest/,
    ],
    [['manifest', 'explode', 'x.json'], /unknown action 'explode'/],
    [
      [
        'pin',
        'agent.run',
        '--manifest',
        'new.json',
        '--version',
        '7.four',
        '--platform',
        'linux-x64',
        '--product',
        'p',
        '--vendor',
        'v',
      ],
      /must be a semver version such as 7.4.2/,
    ],
  ])('exits 2 with a clear message for %j', async (argv, message) => {
    const ws = await signedWorkspace();
    const result = await run(ws.dir, argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('exits 2 and names the JSON pointer for a malformed manifest', async () => {
    const ws = await signedWorkspace();
    await writeFile(
      ws.manifestPath,
      (await readFile(ws.manifestPath, 'utf8')).replace('"serial": 5', '"serial": "five"'),
    );
    const result = await run(ws.dir, [
      'verify',
      'agent.run',
      '--manifest',
      ws.manifestPath,
      '--trust',
      ws.trustPath,
      '--no-state',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/acme-agent\.json:\d+:\d+ at \/serial: manifest: expected integer/);
  });

  it('pin creates a manifest, bumps the serial on each pin, and leaves nothing half-written on error', async () => {
    const ws = await workspace();
    await ws.writeFile('a.run', 'one');
    await ws.writeFile('b.run', 'two');
    const manifest = join(ws.dir, 'new.json');
    const first = await run(ws.dir, [
      'pin',
      'a.run',
      '--manifest',
      manifest,
      '--version',
      '1.0.0',
      '--platform',
      'linux-x64',
      '--product',
      'demo-agent',
      '--vendor',
      'Demo',
    ]);
    expect(first.code).toBe(0);
    const second = await run(ws.dir, [
      'pin',
      'b.run',
      '--manifest',
      manifest,
      '--version',
      '1.1.0',
      '--platform',
      'linux-x64',
      '--target',
    ]);
    expect(second.code).toBe(0);
    const written = JSON.parse(await readFile(manifest, 'utf8')) as {
      serial: number;
      policy: { target: string };
      releases: { version: string }[];
    };
    expect(written.serial).toBe(2);
    expect(written.policy.target).toBe('1.1.0');
    expect(written.releases.map((r) => r.version)).toEqual(['1.1.0', '1.0.0']);
    const before = await readFile(manifest, 'utf8');
    const bad = await run(ws.dir, [
      'pin',
      'missing.run',
      '--manifest',
      manifest,
      '--version',
      '1.2.0',
      '--platform',
      'linux-x64',
    ]);
    expect(bad.code).toBe(2);
    expect(await readFile(manifest, 'utf8')).toBe(before);
  });

  it('keys generate checks its inputs before writing a key: an input error leaves no key files behind', async () => {
    const ws = await workspace();
    await ws.writeFile('bad-trust.json', '{"schema": 1, "threshold": 1, "keys": [');
    const bad = await run(ws.dir, [
      'keys',
      'generate',
      '--name',
      'k',
      '--out',
      'private',
      '--add-to',
      'bad-trust.json',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).not.toMatch(/wrote/);
    expect(existsSync(join(ws.dir, 'private', 'k.key'))).toBe(false);
    expect(existsSync(join(ws.dir, 'private', 'k.pub'))).toBe(false);
    // The public key's name is taken: nothing is written, and the private key is not left alone.
    await ws.writeFile('private/j.pub', 'someone else');
    const taken = await run(ws.dir, ['keys', 'generate', '--name', 'j', '--out', 'private']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/already exists/);
    expect(existsSync(join(ws.dir, 'private', 'j.key'))).toBe(false);
    // Nothing half-done blocks generating again.
    expect((await run(ws.dir, ['keys', 'generate', '--name', 'k', '--out', 'private'])).code).toBe(0);
    expect((await readdir(join(ws.dir, 'private'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keys generate writes a 0600 private key outside keys/, refuses keys/, and manifest sign + verify round-trip', async () => {
    const ws = await workspace();
    const refused = await run(ws.dir, ['keys', 'generate', '--name', 'k', '--out', 'keys/private']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to write a private key inside the trust directory/);
    expect(existsSync(join(ws.dir, 'keys', 'private', 'k.key'))).toBe(false);

    const trust = join(ws.dir, 'trust', 'trust.json');
    expect(
      (
        await run(ws.dir, [
          'keys',
          'generate',
          '--name',
          'k1',
          '--out',
          'private',
          '--add-to',
          trust,
          '--product',
          'demo-agent',
        ])
      ).code,
    ).toBe(0);
    expect((await stat(join(ws.dir, 'private', 'k1.key'))).mode & 0o777).toBe(0o600);
    expect((await run(ws.dir, ['keys', 'generate', '--name', 'k1', '--out', 'private'])).code).toBe(2); // never overwrites a key
    const listed = await run(ws.dir, ['keys', 'list', '--trust', trust, '--format', 'json']);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      threshold: 1,
      keys: [{ name: 'k1', algorithm: 'ed25519', products: ['demo-agent'] }],
    });

    await ws.writeFile('a.run', 'one');
    await run(ws.dir, [
      'pin',
      'a.run',
      '--manifest',
      'm.json',
      '--version',
      '1.0.0',
      '--platform',
      'linux-x64',
      '--product',
      'demo-agent',
      '--vendor',
      'Demo',
    ]);
    const unsigned = await run(ws.dir, [
      'manifest',
      'verify',
      'm.json',
      '--trust',
      trust,
      '--state',
      'state.json',
    ]);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stdout).toContain('MANIFEST_SIGNATURE_MISSING');
    expect((await run(ws.dir, ['manifest', 'sign', 'm.json', '--key', 'private/k1.key'])).code).toBe(0);
    const verified = await run(ws.dir, [
      'manifest',
      'verify',
      'm.json',
      '--trust',
      trust,
      '--state',
      'state.json',
    ]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('MANIFEST_VERIFIED');
  });

  it('manifest lint reports policy problems with their codes', async () => {
    const ws = await workspace();
    await ws.writeManifest(
      baseManifest({
        expires: '2026-06-05T00:00:00Z',
        policy: { target: '7.3.0', minimum: '>=7.4.0', revoked: ['7.3.0'] },
        releases: [
          {
            version: '7.4.2',
            artifacts: [
              { name: 'a', platform: 'x', size: 1, digests: { sha512: 'a'.repeat(128) } },
              artifactFor('b', content),
              artifactFor('c', content),
            ],
          },
        ],
      }),
    );
    const result = await run(ws.dir, ['manifest', 'lint', ws.manifestPath, '--format', 'json']);
    expect(result.code).toBe(1);
    const codes = (JSON.parse(result.stdout) as Report).findings.map((f) => f.code).sort();
    expect(codes).toEqual([
      'MANIFEST_LINT_DUPLICATE_ARTIFACT',
      'MANIFEST_LINT_EXPIRES_SOON',
      'MANIFEST_LINT_MINIMUM_ABOVE_TARGET',
      'MANIFEST_LINT_NO_SHA256',
      'MANIFEST_LINT_TARGET_NOT_RELEASED',
      'MANIFEST_LINT_TARGET_REVOKED',
    ]);
    await ws.writeManifest(
      baseManifest({ releases: [{ version: '7.4.2', artifacts: [artifactFor('b', content)] }] }),
    );
    expect((await run(ws.dir, ['manifest', 'lint', ws.manifestPath])).code).toBe(0);
  });

  it('the built launcher runs as a real process (npm test builds first)', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'rmm-verify.js'), '--version'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(VERSION);
  });

  it('the demo shows one pass and one fail and exits 0', async () => {
    const result = await run(ROOT, ['demo']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('PASS: 2 of 2 passed');
    expect(result.stdout).toContain('DIGEST_MISMATCH');
    expect(result.stdout).toContain(
      'Demo completed: one pass and one fail, and a fleet with drift, as expected.',
    );
    expect(result.stdout).toContain('DRIFT_UNAPPROVED_TOOL');
  });

  it('README documents every finding code (regenerate with npm run docs)', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const missing = Object.keys(FINDING_CODES).filter((code) => !readme.includes(`\`${code}\``));
    expect(missing).toEqual([]);
    expect(readme).toBe(readmeWithCodes(readme));
  });
});
