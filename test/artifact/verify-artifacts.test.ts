import { execFileSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { appendFile, mkdir, rename, symlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';

import { beforeEach, describe, expect, it } from 'vitest';

import type { ArtifactCheck } from '../../src/artifact/check.ts';
import { verifyArtifactFile } from '../../src/artifact/verify-artifacts.ts';
import { verifyArtifacts } from '../../src/artifact/verify-artifacts-report.ts';
import { loadManifestFile } from '../../src/manifest/load.ts';
import { loadTrustRoot } from '../../src/manifest/trust-root.ts';
import type { Manifest } from '../../src/manifest/types.ts';
import { artifactFor, baseManifest, workspace, type Workspace } from '../helpers/signed-manifest.ts';

const now = new Date('2026-06-01T00:00:00Z');
const options = { offline: true, evidenceDirs: [], systemRoots: false };
const installer = (version: string) => Buffer.from(`#!/bin/sh\necho acme agent ${version}\n`);
const NAME = 'acme-agent-7.4.2-linux-x64.run';

function manifestWith(extra: Partial<Manifest> = {}): Manifest {
  return baseManifest({
    policy: {
      target: '7.4.2',
      minimum: '>=7.2.0',
      revoked: ['7.3.0'],
      platforms: ['linux-x64', 'windows-x64'],
      advisories: [{ id: 'ACME-2026-001', versions: '>=7.2.0 <7.2.4', severity: 'high' }],
    },
    releases: [
      { version: '7.4.2', artifacts: [artifactFor(NAME, installer('7.4.2'))] },
      { version: '7.3.0', artifacts: [artifactFor('acme-agent-7.3.0-linux-x64.run', installer('7.3.0'))] },
      { version: '7.2.1', artifacts: [artifactFor('acme-agent-7.2.1-linux-x64.run', installer('7.2.1'))] },
      { version: '7.1.0', artifacts: [artifactFor('acme-agent-7.1.0-linux-x64.run', installer('7.1.0'))] },
      {
        version: '7.4.1',
        artifacts: [artifactFor('acme-agent-7.4.1-macos.run', installer('7.4.1'), 'macos-arm64')],
      },
    ],
    ...extra,
  });
}

describe('verifyArtifactFile', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
    await ws.writeManifest(manifestWith());
  });
  const verify = async (path: string, extra: { platform?: string; checks?: readonly ArtifactCheck[] } = {}) =>
    verifyArtifactFile(path, {
      loaded: await loadManifestFile(ws.manifestPath),
      now,
      options,
      checks: [],
      ...extra,
    });

  it('passes the pinned target release with ARTIFACT_VERIFIED only', async () => {
    const result = await verify(await ws.writeFile(NAME, installer('7.4.2')));
    expect(result.subject.result).toBe('pass');
    expect(result.findings.map((f) => f.code)).toEqual(['ARTIFACT_VERIFIED']);
    expect(result.subject.facts['version']).toBe('7.4.2');
  });

  it('identifies by digest, not name: a renamed genuine file passes with a NAME_MISMATCH note', async () => {
    const result = await verify(await ws.writeFile('setup.run', installer('7.4.2')));
    expect(result.findings).toFailWith('NAME_MISMATCH');
    expect(result.subject.facts['version']).toBe('7.4.2');
  });

  it('fails an unknown file with ARTIFACT_UNKNOWN', async () => {
    expect((await verify(await ws.writeFile('other.bin', 'hello'))).findings).toFailWith('ARTIFACT_UNKNOWN');
  });

  it('reports an over-long unknown file as not computed, not with the digest of its first bytes', async () => {
    const result = await verify(await ws.writeFile('big.bin', Buffer.alloc(4096, 1)));
    const unknown = result.findings.find((f) => f.code === 'ARTIFACT_UNKNOWN');
    expect(unknown?.message).toMatch(/longer than every artifact pinned in .*its digest was not computed/);
    expect(unknown?.message).not.toMatch(/[0-9a-f]{64}/);
    expect(unknown?.evidence['sha256']).toBeNull();
    expect(result.subject.facts['sha256']).toBe('not computed');
    // A short unknown file still gets its real digest.
    const small = await verify(await ws.writeFile('small.bin', 'hello'));
    expect(small.subject.facts['sha256']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fails a modified file of the pinned name with DIGEST_MISMATCH', async () => {
    const bytes = installer('7.4.2');
    bytes[5] = 0x41;
    const result = await verify(await ws.writeFile(NAME, bytes));
    expect(result.findings).toFailWith('DIGEST_MISMATCH');
    expect(result.subject.result).toBe('fail');
    // Same size: one mismatch per pinned binding digest, and no size finding.
    expect(result.findings.map((f) => [f.code, f.evidence['algorithm']])).toEqual([
      ['DIGEST_MISMATCH', 'sha256'],
      ['DIGEST_MISMATCH', 'sha512'],
    ]);
  });

  it('checks every pinned digest, not only the strongest one that identified the file', async () => {
    const bytes = installer('7.4.2');
    const pin = artifactFor(NAME, bytes);
    // The sha512 is right (the file is identified by it) but the sha256 pinned beside it is not.
    await ws.writeManifest(
      manifestWith({
        releases: [
          { version: '7.4.2', artifacts: [{ ...pin, digests: { ...pin.digests, sha256: '0'.repeat(64) } }] },
        ],
      }),
    );
    const result = await verify(await ws.writeFile(NAME, bytes));
    expect(result.subject.result).toBe('fail');
    expect(result.subject.facts['version']).toBe('7.4.2');
    const mismatch = result.findings.filter((f) => f.code === 'DIGEST_MISMATCH');
    expect(mismatch.map((f) => f.evidence)).toEqual([
      { algorithm: 'sha256', expected: '0'.repeat(64), actual: pin.digests.sha256 },
    ]);
    expect(result.findings.some((f) => f.code === 'ARTIFACT_VERIFIED')).toBe(false);
  });

  it('fails a longer file with SIZE_MISMATCH and reads only the pinned size + 1 byte', async () => {
    const pinned = installer('7.4.2');
    const path = await ws.writeFile(NAME, Buffer.concat([pinned, Buffer.alloc(10 << 20)]));
    let maxRead = 0;
    const result = await verifyArtifactFile(path, {
      loaded: await loadManifestFile(ws.manifestPath),
      now,
      options,
      checks: [],
      onProgress: (_p, n) => (maxRead = Math.max(maxRead, n)),
    });
    expect(result.findings).toFailWith('SIZE_MISMATCH');
    expect(maxRead).toBe(pinned.length + 1);
    // The digest of the first bytes is not the file's: no digest finding claims one.
    expect(result.findings.map((f) => f.code)).toEqual(['SIZE_MISMATCH']);
    expect(result.findings[0]?.evidence).toEqual({ expected: pinned.length, actual: null, version: '7.4.2' });
  });

  it('fails a shorter file with SIZE_MISMATCH', async () => {
    const result = await verify(await ws.writeFile(NAME, installer('7.4.2').subarray(0, 10)));
    expect(result.findings).toFailWith('SIZE_MISMATCH');
    expect(result.findings.map((f) => f.code)).toEqual([
      'SIZE_MISMATCH',
      'DIGEST_MISMATCH',
      'DIGEST_MISMATCH',
    ]);
    expect(result.findings[0]?.evidence).toMatchObject({ actual: 10 });
  });

  it('fails a revoked version with VERSION_REVOKED', async () => {
    expect((await verify(await ws.writeFile('a.run', installer('7.3.0')))).findings).toFailWith(
      'VERSION_REVOKED',
    );
  });

  it('fails a version below the minimum with VERSION_BELOW_MINIMUM', async () => {
    expect((await verify(await ws.writeFile('a.run', installer('7.1.0')))).findings).toFailWith(
      'VERSION_BELOW_MINIMUM',
    );
  });

  it('fails a version with an advisory with VERSION_VULNERABLE at the advisory severity', async () => {
    const result = await verify(await ws.writeFile('a.run', installer('7.2.1')));
    expect(result.findings).toFailWith('VERSION_VULNERABLE');
    expect(result.findings.find((f) => f.code === 'VERSION_VULNERABLE')?.severity).toBe('high');
  });

  it('flags a pinned release that is not the target with VERSION_NOT_TARGET', async () => {
    expect((await verify(await ws.writeFile('a.run', installer('7.2.1')))).findings).toFailWith(
      'VERSION_NOT_TARGET',
    );
  });

  it('fails a platform outside policy.platforms and one other than --platform with PLATFORM_NOT_ALLOWED', async () => {
    expect((await verify(await ws.writeFile('m.run', installer('7.4.1')))).findings).toFailWith(
      'PLATFORM_NOT_ALLOWED',
    );
    expect(
      (await verify(await ws.writeFile(NAME, installer('7.4.2')), { platform: 'windows-x64' })).findings,
    ).toFailWith('PLATFORM_NOT_ALLOWED');
  });

  it('passes any platform when the policy lists none and no --platform is asked', async () => {
    await ws.writeManifest(manifestWith({ policy: { target: '7.4.2' } }));
    const result = await verify(await ws.writeFile(NAME, installer('7.4.2')));
    expect(result.findings.map((f) => f.code)).toEqual(['ARTIFACT_VERIFIED']);
    const asked = await verify(await ws.writeFile(NAME, installer('7.4.2')), { platform: 'linux-x64' });
    expect(asked.subject.result).toBe('pass');
  });

  it('fails an artifact pinned only by sha1 with DIGEST_WEAK_ONLY', async () => {
    const bytes = installer('9.0.0');
    const { createHash } = await import('node:crypto');
    await ws.writeManifest(
      manifestWith({
        releases: [
          {
            version: '7.4.2',
            artifacts: [
              {
                name: 'weak.run',
                platform: 'linux-x64',
                size: bytes.length,
                digests: { sha1: createHash('sha1').update(bytes).digest('hex') },
              },
            ],
          },
        ],
      }),
    );
    expect((await verify(await ws.writeFile('weak.run', bytes))).findings).toFailWith('DIGEST_WEAK_ONLY');
  });

  it('fails closed with ARTIFACT_UNREADABLE for a missing file', async () => {
    expect((await verify(join(ws.dir, 'missing.run'))).findings).toFailWith('ARTIFACT_UNREADABLE');
  });

  it('runs domain checks on matched artifacts and fails closed when one throws', async () => {
    const seen: string[] = [];
    const recording: ArtifactCheck = {
      name: 'recording',
      run: (context) => {
        seen.push(context.release.version);
        return Promise.resolve({ findings: [], facts: { recorded: true } });
      },
    };
    const throwing: ArtifactCheck = { name: 'broken', run: () => Promise.reject(new Error('boom')) };
    const ok = await verify(await ws.writeFile(NAME, installer('7.4.2')), { checks: [recording] });
    expect(seen).toEqual(['7.4.2']);
    expect(ok.subject.facts['recorded']).toBe(true);
    const failed = await verify(await ws.writeFile(NAME, installer('7.4.2')), { checks: [throwing] });
    expect(failed.findings).toFailWith('ARTIFACT_CHECK_ERROR');
    expect(failed.subject.result).toBe('fail');
  });

  it("fails the artifact with a domain check's failing finding, and keeps its notes", async () => {
    const { finding } = await import('../../src/findings.ts');
    const failing: ArtifactCheck = {
      name: 'authenticode',
      run: ({ subject }) =>
        Promise.resolve({
          findings: [finding('AUTHENTICODE_UNSIGNED', { subject, message: `${subject}: no signature` })],
          facts: {},
        }),
    };
    const result = await verify(await ws.writeFile(NAME, installer('7.4.2')), { checks: [failing] });
    expect(result.subject.result).toBe('fail');
    expect(result.findings.map((f) => f.code)).toEqual(['AUTHENTICODE_UNSIGNED']);
    expect(result.subject.facts['checks']).toEqual(['authenticode']);
  });

  it('runs no domain check on a file that already failed critically (a revoked version)', async () => {
    let ran = 0;
    const counting: ArtifactCheck = {
      name: 'counting',
      run: () => {
        ran++;
        return Promise.resolve({ findings: [], facts: {} });
      },
    };
    const result = await verify(await ws.writeFile('a.run', installer('7.3.0')), { checks: [counting] });
    expect(result.findings).toFailWith('VERSION_REVOKED');
    expect(ran).toBe(0);
    expect(result.subject.facts['checks']).toBeUndefined();
  });
});

describe('verifyArtifactFile invariants', () => {
  let ws: Workspace;
  const sbomPinned = (extra: Partial<Manifest> = {}) =>
    manifestWith({
      releases: [
        {
          version: '7.4.2',
          artifacts: [
            {
              ...artifactFor(NAME, installer('7.4.2')),
              sbom: { format: 'cyclonedx', sha256: '0'.repeat(64) },
            },
          ],
        },
      ],
      ...extra,
    });
  beforeEach(async () => {
    ws = await workspace();
  });
  const verify = async (
    path: string,
    checks: readonly ArtifactCheck[],
    onProgress?: (path: string, bytes: number) => void,
  ) =>
    verifyArtifactFile(path, {
      loaded: await loadManifestFile(ws.manifestPath),
      now,
      options,
      checks,
      ...(onProgress ? { onProgress } : {}),
    });
  const passing = (name: string): ArtifactCheck => ({
    name,
    run: () => Promise.resolve({ findings: [], facts: {} }),
  });
  const notApplicable = (name: string): ArtifactCheck => ({ name, run: () => Promise.resolve(undefined) });

  // [what the manifest requires, the checks run, the code expected]: pass only when every
  // required check ran and reported nothing failing.
  const requirementCases: [string, () => Manifest, () => ArtifactCheck[], string | undefined][] = [
    ['an SBOM pin, the sbom check ran', () => sbomPinned(), () => [passing('sbom')], undefined],
    [
      'an SBOM pin, the sbom check said it does not apply',
      () => sbomPinned(),
      () => [notApplicable('sbom')],
      'ARTIFACT_CHECK_NOT_RUN',
    ],
    ['an SBOM pin, no sbom check registered', () => sbomPinned(), () => [], 'ARTIFACT_CHECK_NOT_RUN'],
    [
      'requireProvenance, no provenance check ran',
      () => manifestWith({ policy: { ...manifestWith().policy, requireProvenance: true } }),
      () => [notApplicable('provenance'), passing('sbom')],
      'ARTIFACT_CHECK_NOT_RUN',
    ],
    [
      'a check that throws synchronously',
      () => manifestWith(),
      () => [
        {
          name: 'sync',
          run: () => {
            throw new TypeError('cannot read properties of undefined');
          },
        },
      ],
      'ARTIFACT_CHECK_ERROR',
    ],
  ];
  it.each(requirementCases)('%s', async (_name, manifest, checks, expected) => {
    await ws.writeManifest(manifest());
    const result = await verify(await ws.writeFile(NAME, installer('7.4.2')), checks());
    if (expected === undefined) {
      expect(result.subject.result).toBe('pass');
      expect(result.findings.map((f) => f.code)).toEqual(['ARTIFACT_VERIFIED']);
    } else {
      expect(result.findings).toFailWith(expected);
      expect(result.subject.result).toBe('fail');
      expect(result.findings.some((f) => f.code === 'ARTIFACT_VERIFIED')).toBe(false);
    }
  });

  it('requires Authenticode only of PE and MSI files when signers are pinned', async () => {
    const signers = { authenticode: [{ subject: 'Acme RMM Inc', roots: ['ca.pem'] }] };
    const pe = Buffer.concat([Buffer.from('MZ'), installer('7.4.2')]);
    await ws.writeManifest(
      manifestWith({ signers, releases: [{ version: '7.4.2', artifacts: [artifactFor(NAME, pe)] }] }),
    );
    const result = await verify(await ws.writeFile(NAME, pe), [notApplicable('authenticode')]);
    expect(result.findings).toFailWith('ARTIFACT_CHECK_NOT_RUN');
    await ws.writeManifest(manifestWith({ signers }));
    const script = await verify(await ws.writeFile(NAME, installer('7.4.2')), [
      notApplicable('authenticode'),
    ]);
    expect(script.subject.result).toBe('pass');
  });

  it('fails a file whose modification time moves while it is hashed', async () => {
    await ws.writeManifest(manifestWith());
    const path = await ws.writeFile(NAME, installer('7.4.2'));
    const old = new Date('2026-01-01T00:00:00Z');
    utimesSync(path, old, old);
    const result = await verify(path, [], () => {
      utimesSync(path, now, now); // same bytes, same size: only the time moves
    });
    expect(result.findings).toFailWith('ARTIFACT_CHANGED_DURING_VERIFY');
    expect(result.findings.find((f) => f.code === 'ARTIFACT_CHANGED_DURING_VERIFY')?.message).toContain(
      'modification time moved',
    );
    expect(result.subject.result).toBe('fail');
  });

  it('fails a file that grows during a later check, and one replaced at its path', async () => {
    await ws.writeManifest(manifestWith());
    const path = await ws.writeFile(NAME, installer('7.4.2'));
    const appending: ArtifactCheck = {
      name: 'appending',
      run: async () => {
        await appendFile(path, 'payload');
        return { findings: [], facts: {} };
      },
    };
    const grown = await verify(path, [appending]);
    expect(grown.findings).toFailWith('ARTIFACT_CHANGED_DURING_VERIFY');
    expect(grown.findings.some((f) => f.code === 'ARTIFACT_VERIFIED')).toBe(false);

    await ws.writeFile(NAME, installer('7.4.2'));
    const evil = await ws.writeFile('evil.run', 'evil');
    let seen = '';
    const swapping: ArtifactCheck = {
      name: 'swapping',
      run: async (context) => {
        await rename(evil, path);
        // A check reads the file that was hashed, not whatever the path names now.
        const file = context.file;
        seen = file ? Buffer.from(await file.read(0, file.size)).toString() : '';
        return { findings: [], facts: {} };
      },
    };
    const swapped = await verify(path, [swapping]);
    expect(seen).toBe(installer('7.4.2').toString());
    expect(swapped.findings.find((f) => f.code === 'ARTIFACT_CHANGED_DURING_VERIFY')?.message).toContain(
      'the path now names another file',
    );
  });
});

describe('verifyArtifacts', () => {
  it('walks directories recursively, skips sidecar evidence, and refuses everything when the manifest is untrusted', async () => {
    const ws = await workspace();
    await ws.writeManifest(manifestWith());
    await ws.writeFile(`out/${NAME}`, installer('7.4.2'));
    await ws.writeFile(`out/${NAME}.sigstore.json`, '{}');
    await ws.writeFile('out/nested/extra.bin', 'not pinned');
    await mkdir(join(ws.dir, 'out', 'loop'));
    await symlink(join(ws.dir, 'out'), join(ws.dir, 'out', 'loop', 'back'));
    const trust = await loadTrustRoot(ws.trustPath);
    const report = await verifyArtifacts([join(ws.dir, 'out')], {
      loaded: await loadManifestFile(ws.manifestPath),
      trust,
      now,
      options,
      checks: [],
    });
    expect(report.subjects.map((s) => [s.kind, s.result])).toEqual([
      ['manifest', 'pass'],
      ['artifact', 'pass'],
      ['artifact', 'fail'],
    ]);
    expect(report.result).toBe('fail');
    expect(report.findings).toFailWith('ARTIFACT_UNKNOWN');

    await ws.writeManifest(manifestWith(), [ws.keys[0]!]);
    const untrusted = await verifyArtifacts([join(ws.dir, 'out', NAME)], {
      loaded: await loadManifestFile(ws.manifestPath),
      trust,
      now,
      options,
      checks: [],
    });
    expect(untrusted.findings).toFailWith('MANIFEST_THRESHOLD_NOT_MET');
    expect(untrusted.findings.some((f) => f.code === 'ARTIFACT_VERIFIED')).toBe(false);
    expect(untrusted.subjects.filter((s) => s.kind === 'artifact').every((s) => s.result === 'fail')).toBe(
      true,
    );
  });
});

describe('nothing verified is never a pass', () => {
  const run = async (ws: Workspace, inputs: string[]) =>
    verifyArtifacts(inputs, {
      loaded: await loadManifestFile(ws.manifestPath),
      trust: await loadTrustRoot(ws.trustPath),
      now,
      options,
      checks: [],
    });
  const mkfifo = (path: string) => execFileSync('mkfifo', [path]);
  const listenOn = async (path: string): Promise<Server> => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return server;
  };

  // Each case: a directory whose content yields no artifact; the run must fail, never pass.
  const cases: [string, (dir: string, ws: Workspace) => Promise<(() => Promise<void>) | undefined>][] = [
    ['an empty directory', () => Promise.resolve(undefined)],
    [
      'a directory with only evidence files',
      async (_dir, ws) => {
        await ws.writeFile(`out/${NAME}.sigstore.json`, '{}');
        await ws.writeFile(`out/${NAME}.cdx.json`, '{}');
        return undefined;
      },
    ],
    [
      'a directory with only a FIFO',
      (dir) => {
        mkfifo(join(dir, 'agent.run'));
        return Promise.resolve(undefined);
      },
    ],
    [
      'a directory with only a socket',
      async (dir) => {
        const server = await listenOn(join(dir, 'agent.sock'));
        return () =>
          new Promise<void>((resolve) =>
            server.close(() => {
              resolve();
            }),
          );
      },
    ],
    [
      'a directory with only a dangling link',
      async (dir) => {
        await symlink(join(dir, 'gone.run'), join(dir, 'agent.run'));
        return undefined;
      },
    ],
  ];
  it.each(cases)('fails %s with ARTIFACT_NOTHING_VERIFIED', async (_name, populate) => {
    const ws = await workspace();
    await ws.writeManifest(manifestWith());
    const dir = join(ws.dir, 'out');
    await mkdir(dir, { recursive: true });
    const cleanup = await populate(dir, ws);
    try {
      const report = await run(ws, [dir]);
      expect(report.result).toBe('fail');
      expect(report.findings).toFailWith('ARTIFACT_NOTHING_VERIFIED');
      expect(report.findings.some((f) => f.code === 'ARTIFACT_VERIFIED')).toBe(false);
    } finally {
      await cleanup?.();
    }
  });

  it('reports a FIFO beside a genuine artifact as not verified, without opening it', async () => {
    const ws = await workspace();
    await ws.writeManifest(manifestWith());
    await ws.writeFile(`out/${NAME}`, installer('7.4.2'));
    mkfifo(join(ws.dir, 'out', 'pipe.run'));
    const report = await run(ws, [join(ws.dir, 'out')]);
    expect(report.findings).toFailWith('ARTIFACT_NOT_REGULAR_FILE');
    expect(report.findings.find((f) => f.code === 'ARTIFACT_NOT_REGULAR_FILE')?.message).toContain(
      'a FIFO (named pipe)',
    );
    expect(report.findings.some((f) => f.code === 'ARTIFACT_NOTHING_VERIFIED')).toBe(false);
    expect(report.result).toBe('fail');
  });

  it('refuses a FIFO named on the command line at once instead of waiting for a writer', async () => {
    const ws = await workspace();
    await ws.writeManifest(manifestWith());
    const fifo = join(ws.dir, NAME);
    mkfifo(fifo);
    const report = await run(ws, [fifo]);
    const unreadable = report.findings.find((f) => f.code === 'ARTIFACT_UNREADABLE');
    expect(unreadable?.message).toContain('not a regular file: it is a FIFO (named pipe)');
    expect(report.result).toBe('fail');
  });
});
