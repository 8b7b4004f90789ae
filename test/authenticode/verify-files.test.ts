import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { AuthenticodeFormatError } from '../../src/authenticode/errors.ts';
import { DEFAULT_AUTHENTICODE_POLICY, type PinnedSigner } from '../../src/authenticode/verifier.ts';
import {
  threadsFor,
  verifyAuthenticodeFiles,
  type AuthenticodeFile,
} from '../../src/authenticode/verify-files.ts';
import { InputError } from '../../src/errors.ts';
import { certificates, ensureAuthenticodeFixtures } from './helpers.ts';

/**
 * The worker pool must give exactly the results of verifying the files one after another on
 * this thread: same results, same findings, same order, and the same first input error.
 */
const DEBIAN_CA = '/usr/share/shim/debian-uefi-ca.der';
const DEBIAN_FILES = [
  '/usr/lib/shim/mmx64.efi.signed',
  '/usr/lib/shim/fbx64.efi.signed',
  '/usr/lib/shim/shimx64.efi.signed', // two entries, not chained to the Debian CA: fails
  '/usr/lib/shim/shimx64.efi', // unsigned
  '/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed',
  '/usr/libexec/fwupd/efi/fwupdx64.efi.signed',
];
/** Generated fixtures that pass and that fail in different ways (see test/fixtures/authenticode). */
const GENERATED = [
  'signed.exe',
  'signed32.exe',
  'dual-signed.exe',
  'dual-mixed.exe',
  'signed-ts.exe',
  'signed-legacy-ts.exe',
  'padding-payload.exe',
  'unauth-blob.exe',
  'tampered-section.exe',
  'tampered-signature.exe',
  'wrong-signer.exe',
  'untrusted-root.exe',
  'expired-ts.exe',
  'sha1-only.exe',
  'unsigned.exe',
  'signed.msi',
  'tampered.msi',
];
const NOW = new Date('2026-11-29T12:00:00Z');

let dir = '';
let signers: PinnedSigner[] = [];
beforeAll(async () => {
  dir = await ensureAuthenticodeFixtures();
  const acme = certificates(join(dir, 'ca.pem'));
  const debian = certificates(DEBIAN_CA);
  signers = [
    { label: 'acme', roots: acme, timestampRoots: acme },
    { label: 'debian', roots: debian, timestampRoots: debian },
  ];
});

function files(names: readonly string[]): AuthenticodeFile[] {
  // Each file three times, so every thread gets several and files finish out of order.
  const list = names.map((name) => ({ path: name.startsWith('/') ? name : join(dir, name), subject: name }));
  return [...list, ...list.reverse(), ...list];
}

const options = (threads: number) => ({
  signers,
  systemRoots: false,
  policy: DEFAULT_AUTHENTICODE_POLICY,
  now: NOW,
  threads,
});

describe('verifyAuthenticodeFiles', () => {
  it('gives the single-thread results with worker threads: real Debian EFI files and generated fixtures', async () => {
    const input = files([...DEBIAN_FILES, ...GENERATED]);
    const single = await verifyAuthenticodeFiles(input, options(1));
    const pooled = await verifyAuthenticodeFiles(input, options(3));
    expect(single).toHaveLength(input.length);
    expect(pooled).toEqual(single);
    expect(pooled.map((r) => r.subject)).toEqual(input.map((f) => f.subject));
    // Both outcomes are present, so the comparison covers findings of failures too.
    expect(single.filter((r) => r.passed).length).toBeGreaterThan(5);
    expect(single.filter((r) => !r.passed).length).toBeGreaterThan(5);
    expect(single.find((r) => r.subject === 'tampered-section.exe')?.findings).toFailWith(
      'AUTHENTICODE_IMAGE_HASH_MISMATCH',
    );
  });

  it('throws the first input error in file order, as the sequential loop does', async () => {
    const input = files(GENERATED);
    input.splice(20, 0, { path: join(dir, 'truncated-table.exe'), subject: 'truncated-table.exe' });
    input.splice(30, 0, { path: join(dir, 'missing.exe'), subject: 'missing.exe' });
    const single = verifyAuthenticodeFiles(input, options(1));
    const pooled = verifyAuthenticodeFiles(input, options(3));
    await expect(single).rejects.toBeInstanceOf(AuthenticodeFormatError);
    await expect(pooled).rejects.toBeInstanceOf(AuthenticodeFormatError);
    const [a, b] = await Promise.allSettled([single, pooled]);
    expect(a.status === 'rejected' && b.status === 'rejected' && b.reason).toEqual(
      a.status === 'rejected' && a.reason,
    );
    expect(String((b as PromiseRejectedResult).reason)).toMatch(/truncated-table\.exe at byte offset \d+/);
    // A missing file first: an InputError naming it.
    const missingFirst = [{ path: join(dir, 'missing.exe'), subject: 'missing.exe' }, ...files(GENERATED)];
    await expect(verifyAuthenticodeFiles(missingFirst, options(3))).rejects.toBeInstanceOf(InputError);
    await expect(verifyAuthenticodeFiles(missingFirst, options(3))).rejects.toThrow(/missing\.exe/);
  });

  it('uses one thread for a few files and one per core for many', () => {
    expect(threadsFor(1, 8)).toBe(1);
    expect(threadsFor(7, 8)).toBe(1);
    expect(threadsFor(1000, 2)).toBe(2);
    expect(threadsFor(1000, 64)).toBe(64);
  });
});
