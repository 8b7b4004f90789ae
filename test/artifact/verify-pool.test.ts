import { appendFile, copyFile, open, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import type { ArtifactCheck, ArtifactContext } from '../../src/artifact/check.ts';
import { collectFiles } from '../../src/artifact/collect-files.ts';
import { RunResources } from '../../src/artifact/run-resources.ts';
import {
  checkThreadsFor,
  verifyArtifactFile,
  verifyArtifactFiles,
  type VerifyArtifactOptions,
} from '../../src/artifact/verify-artifacts.ts';
import { authenticodeCheck } from '../../src/authenticode/artifact-check.ts';
import { AuthenticodePool } from '../../src/authenticode/pool.ts';
import { descriptorSource } from '../../src/authenticode/source.ts';
import { loadManifestFile } from '../../src/manifest/load.ts';
import type { Manifest } from '../../src/manifest/types.ts';
import { NOW, ensureAuthenticodeFixtures } from '../authenticode/helpers.ts';
import { artifactFor, baseManifest, workspace, type Workspace } from '../helpers/signed-manifest.ts';

/**
 * `verify` over many files keeps several in flight and verifies Authenticode on worker threads
 * that read the same open file. Its results must be exactly the one-file-at-a-time results on
 * this thread: same findings, same facts, same order.
 */
const DEBIAN_CA = '/usr/share/shim/debian-uefi-ca.der';
const DEBIAN_FILES = [
  '/usr/lib/shim/mmx64.efi.signed',
  '/usr/lib/shim/fbx64.efi.signed',
  '/usr/lib/shim/shimx64.efi.signed', // two entries, not chained to the Debian CA: fails
  '/usr/lib/shim/shimx64.efi', // unsigned: fails (signers are pinned)
  '/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed',
  '/usr/libexec/fwupd/efi/fwupdx64.efi.signed',
];
/** Generated fixtures that pass and that fail in different ways (see test/fixtures/authenticode). */
const GENERATED = [
  'signed.exe',
  'signed32.exe',
  'dual-signed.exe',
  'signed-ts.exe',
  'padding-payload.exe',
  'unauth-blob.exe',
  'tampered-section.exe',
  'wrong-signer.exe',
  'untrusted-root.exe',
  'truncated-table.exe', // malformed: AUTHENTICODE_MALFORMED (an error thrown on the worker)
  'unsigned.exe',
  'signed.msi',
  'tampered.msi',
];

let fixtures = '';
let ws: Workspace;
let files: readonly string[] = [];
beforeAll(async () => {
  fixtures = await ensureAuthenticodeFixtures();
  ws = await workspace();
  const release: string[] = [];
  for (const source of [...DEBIAN_FILES, ...GENERATED.map((name) => join(fixtures, name))]) {
    const target = join(ws.dir, 'release', basename(source));
    await ws.writeFile(join('release', basename(source)), '');
    await copyFile(source, target);
    release.push(target);
  }
  const manifest: Manifest = baseManifest({
    signers: {
      authenticode: [{ subject: 'Acme RMM Inc', roots: [join(fixtures, 'ca.pem')] }, { roots: [DEBIAN_CA] }],
    },
    releases: [
      {
        version: '7.4.2',
        artifacts: await Promise.all(
          release.map(async (path) => artifactFor(basename(path), await readFile(path), 'windows-x64')),
        ),
      },
    ],
  });
  await ws.writeManifest(manifest);
  files = (await collectFiles([join(ws.dir, 'release')], [])).files;
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function options(checks?: readonly ArtifactCheck[]): Promise<VerifyArtifactOptions> {
  return {
    loaded: await loadManifestFile(ws.manifestPath),
    now: NOW,
    options: { offline: true, evidenceDirs: [], systemRoots: false },
    ...(checks ? { checks } : {}),
  };
}

describe('verifyArtifactFiles on worker threads', () => {
  it('gives the serial results for a directory of real signed PEs and generated fixtures', async () => {
    // Each file three times, so threads get several and files finish out of order.
    const input = [...files, ...[...files].reverse(), ...files];
    const opts = await options();
    const serial = [];
    for (const path of input) serial.push(await verifyArtifactFile(path, opts));
    const close = vi.spyOn(AuthenticodePool.prototype, 'close');
    const pooled = await verifyArtifactFiles(input, opts, 2);
    expect(close).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(pooled)).toBe(JSON.stringify(serial));
    const inThread = await verifyArtifactFiles(input, opts, 0);
    expect(JSON.stringify(inThread)).toBe(JSON.stringify(serial));
    // Both outcomes, so the comparison covers failures' findings and thrown format errors too.
    const codes = serial.flatMap((r) => r.findings.map((f) => f.code));
    expect(codes).toContain('ARTIFACT_VERIFIED');
    expect(codes).toContain('AUTHENTICODE_IMAGE_HASH_MISMATCH');
    expect(codes).toContain('AUTHENTICODE_MALFORMED');
    expect(codes).toContain('AUTHENTICODE_UNSIGNED');
    expect(serial.filter((r) => r.subject.result === 'pass').length).toBeGreaterThan(5);
    expect(serial.find((r) => r.subject.subject.endsWith('grubx64.efi.signed'))?.subject.result).toBe('pass');
  });

  it('keeps the open-file invariant: a file that changes during a pooled verification fails', async () => {
    const target = files.find((f) => f.endsWith('signed-ts.exe')) ?? '';
    const copy = await ws.writeFile('grown/signed-ts.exe', await readFile(target));
    const appending: ArtifactCheck = {
      name: 'appending',
      run: async (context) => {
        if (context.path === copy) await appendFile(copy, 'payload');
        return { findings: [], facts: {} };
      },
    };
    const results = await verifyArtifactFiles(
      [...files, copy],
      await options([appending, authenticodeCheck]),
      2,
    );
    const grown = results.at(-1);
    expect(grown?.findings).toFailWith('ARTIFACT_CHANGED_DURING_VERIFY');
    // The worker verified the bytes that were hashed (the open file), not the grown file's tail.
    expect(grown?.subject.facts['authenticode']).toBe('verified');
    expect(grown?.findings.some((f) => f.code === 'ARTIFACT_VERIFIED')).toBe(false);
  });

  it('stops its threads and throws the first error in file order when verifying a file throws', async () => {
    const close = vi.spyOn(AuthenticodePool.prototype, 'close');
    const opts = await options();
    const broken = files[9] ?? '';
    await expect(
      verifyArtifactFiles(
        files,
        {
          ...opts,
          subjectOf: (path) => {
            if (path === broken) throw new Error(`cannot name ${path}`);
            return path;
          },
        },
        2,
      ),
    ).rejects.toThrow(`cannot name ${broken}`);
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('uses no thread for a few files and one per core for many', () => {
    expect(checkThreadsFor(1, 8)).toBe(0);
    expect(checkThreadsFor(7, 8)).toBe(0);
    expect(checkThreadsFor(8, 8)).toBe(1);
    expect(checkThreadsFor(1000, 2)).toBe(2);
  });
});

describe('the Authenticode check on a worker thread', () => {
  it('fails as it does on this thread when the worker cannot read (the pipeline then reports ARTIFACT_CHECK_ERROR)', async () => {
    const signed = join(fixtures, 'signed.exe');
    const directory = await open(fixtures, 'r'); // reads fail with EISDIR, on any thread
    const resources = new RunResources(1);
    try {
      const artifact = artifactFor('signed.exe', await readFile(signed), 'windows-x64');
      const manifest = baseManifest({
        signers: { authenticode: [{ roots: [join(fixtures, 'ca.pem')] }] },
        releases: [{ version: '7.4.2', artifacts: [artifact] }],
      });
      // The check's first read (the file kind) answers MZ; every other read goes to the descriptor.
      const base = descriptorSource(directory.fd, signed, artifact.size);
      const file = {
        ...base,
        read: (offset: number, length: number) =>
          offset === 0 && length <= 8
            ? Promise.resolve(Buffer.from('MZ\0\0\0\0\0\0'))
            : base.read(offset, length),
      };
      const context: ArtifactContext = {
        path: signed,
        subject: 'signed.exe',
        manifest,
        manifestDir: fixtures,
        release: manifest.releases[0] ?? { version: '7.4.2', artifacts: [] },
        artifact,
        digests: artifact.digests,
        file,
        now: NOW,
        options: { offline: true, evidenceDirs: [], systemRoots: false },
      };
      const here = authenticodeCheck.run(context);
      const pooled = authenticodeCheck.run({ ...context, resources });
      await expect(here).rejects.toThrow(/EISDIR/);
      await expect(pooled).rejects.toThrow(/EISDIR/);
      const [a, b] = await Promise.allSettled([here, pooled]);
      expect(b.status === 'rejected' && String(b.reason)).toBe(a.status === 'rejected' && String(a.reason));
    } finally {
      await resources.close();
      await directory.close();
    }
  });
});
