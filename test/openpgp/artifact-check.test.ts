import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { verifyArtifactFile } from '../../src/artifact/verify-artifacts.ts';
import { loadManifestFile } from '../../src/manifest/load.ts';
import type { Manifest, OpenPgpSigner } from '../../src/manifest/types.ts';
import { artifactFor, baseManifest, workspace, type Workspace } from '../helpers/signed-manifest.ts';

// `verify` of artifacts a vendor signs with OpenPGP (Linux tarballs, AppImages): detached
// signatures made by GnuPG, an independent implementation, with keys created and used at fixed
// past times (--faked-system-time), so the run's reference time is fixed too.

const now = new Date('2026-06-01T00:00:00Z');
const options = { offline: true, evidenceDirs: [], systemRoots: false };
const home = mkdtempSync(join(tmpdir(), 'rmm-verify-gpg-'));
const gpg = (time: string, ...args: string[]) =>
  execFileSync(
    'gpg',
    [
      '--homedir',
      home,
      '--batch',
      '--yes',
      '--quiet',
      '--faked-system-time',
      `${time}!`,
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
const KEYS_MADE = '20260101T000000';
const SIGNED = '20260515T000000';
const TARBALL = 'acme-agent-7.4.2-linux-x64.tar.gz';
const tarball = Buffer.from('a tarball of the Linux agent, 7.4.2\n'.repeat(50_000));
const MSI = 'acme-agent-7.4.2-x64.msi';
let vendor: string;
let vendorKeyFile: string;
let otherKeyFile: string;

function fingerprintOf(uid: string): string {
  const line = gpg(SIGNED, '--with-colons', '--fingerprint', uid)
    .toString('utf8')
    .split('\n')
    .find((l) => l.startsWith('fpr:'));
  return (line ?? '').split(':')[9] ?? '';
}

beforeAll(async () => {
  gpg(KEYS_MADE, '--quick-gen-key', 'Acme Release <release@acme.example>', 'rsa3072', 'sign', 'never');
  gpg(KEYS_MADE, '--quick-gen-key', 'Mallory <mallory@example.test>', 'ed25519', 'sign', 'never');
  // A key that expired before the release was signed.
  gpg(KEYS_MADE, '--quick-gen-key', 'Old Release <old@acme.example>', 'ed25519', 'sign', '2026-03-01');
  vendor = fingerprintOf('release@acme.example');
  gpg(KEYS_MADE, '--quick-gen-key', 'Revoked <revoked@acme.example>', 'ed25519', 'sign', 'never');
  vendorKeyFile = join(home, 'acme-release.asc');
  otherKeyFile = join(home, 'mallory.gpg');
  await writeFile(
    vendorKeyFile,
    gpg(SIGNED, '--armor', '--export', 'release@acme.example', 'old@acme.example'),
  );
  await writeFile(otherKeyFile, gpg(SIGNED, '--export', 'mallory@example.test'));
}, 120_000);

async function release(signer: Partial<OpenPgpSigner> = {}): Promise<{ ws: Workspace; file: string }> {
  const ws = await workspace();
  await mkdir(join(ws.dir, 'keys'), { recursive: true });
  await writeFile(
    join(ws.dir, 'keys', 'acme-release.asc'),
    gpg(SIGNED, '--armor', '--export', 'release@acme.example', 'old@acme.example'),
  );
  const manifest: Manifest = baseManifest({
    signers: { openpgp: [{ keys: ['../keys/acme-release.asc'], platforms: ['linux-x64'], ...signer }] },
    releases: [
      {
        version: '7.4.2',
        artifacts: [artifactFor(TARBALL, tarball), artifactFor(MSI, Buffer.from('MSI bytes'), 'windows-x64')],
      },
    ],
  });
  await ws.writeManifest(manifest);
  return { ws, file: await ws.writeFile(`dist/${TARBALL}`, tarball) };
}

const verify = async (ws: Workspace, path: string, evidenceDirs: string[] = []) =>
  verifyArtifactFile(path, {
    loaded: await loadManifestFile(ws.manifestPath),
    now,
    options: { ...options, evidenceDirs },
  });

const sign = (file: string, uid: string, out: string, ...how: string[]) =>
  gpg(SIGNED, '--local-user', uid, ...how, '--detach-sign', '--output', out, file);

describe('verify: detached OpenPGP signatures (signers.openpgp)', () => {
  it('passes a tarball whose .asc verifies with the pinned key, and names the signer', async () => {
    const { ws, file } = await release();
    sign(file, 'release@acme.example', `${file}.asc`, '--armor');
    const result = await verify(ws, file);
    expect(result.subject.result).toBe('pass');
    expect(result.findings.map((f) => f.code).sort()).toEqual(['ARTIFACT_VERIFIED', 'OPENPGP_VERIFIED']);
    expect(result.subject.facts['openpgp']).toBe('verified');
    expect(result.subject.facts['openpgpSigner']).toBe(vendor);
  });

  it('finds a binary .sig in an evidence directory, and checks only the pinned fingerprint', async () => {
    const { ws, file } = await release({ fingerprints: [vendor.toLowerCase()] });
    const evidence = join(ws.dir, 'evidence');
    await mkdir(evidence);
    sign(file, 'release@acme.example', join(evidence, `${TARBALL}.sig`));
    const result = await verify(ws, file, [evidence]);
    expect(result.subject.result).toBe('pass');
  });

  it('fails with OPENPGP_SIGNATURE_MISSING when nothing signs it (the check is required)', async () => {
    const { ws, file } = await release();
    const result = await verify(ws, file);
    expect(result.subject.result).toBe('fail');
    expect(result.findings).toFailWith('OPENPGP_SIGNATURE_MISSING');
  });

  it('fails with OPENPGP_SIGNATURE_INVALID for a signature over other bytes (the file pinned, the signature swapped)', async () => {
    const { ws, file } = await release();
    const other = await ws.writeFile('other.bin', 'something else');
    sign(other, 'release@acme.example', `${file}.asc`, '--armor');
    const result = await verify(ws, file);
    expect(result.findings).toFailWith('OPENPGP_SIGNATURE_INVALID');
    expect(result.findings.find((f) => f.code === 'OPENPGP_SIGNATURE_INVALID')?.message).toContain(
      'does not verify',
    );
  });

  it('fails with OPENPGP_SIGNER_UNTRUSTED when signed by a key the manifest does not pin', async () => {
    const { ws, file } = await release();
    sign(file, 'mallory@example.test', `${file}.asc`, '--armor');
    const result = await verify(ws, file);
    expect(result.findings).toFailWith('OPENPGP_SIGNER_UNTRUSTED');
    expect(result.subject.result).toBe('fail');
  });

  it('fails when a key in the pinned file signs but is not a pinned fingerprint', async () => {
    const { ws, file } = await release({ fingerprints: [vendor] });
    sign(file, 'old@acme.example', `${file}.asc`, '--armor', '--faked-system-time', '20260201T000000!');
    const result = await verify(ws, file);
    expect(result.findings).toFailWith('OPENPGP_SIGNER_UNTRUSTED');
  });

  it('passes a signature made while the key was valid, though it has expired since (as gpgv)', async () => {
    const { ws, file } = await release();
    sign(file, 'old@acme.example', `${file}.asc`, '--armor', '--faked-system-time', '20260201T000000!');
    const result = await verify(ws, file);
    expect(result.subject.result).toBe('pass');
  });

  it('fails a signature by a key that its owner revoked', async () => {
    const { ws, file } = await release({ keys: ['../keys/revoked.asc'] });
    sign(file, 'revoked@acme.example', `${file}.asc`, '--armor');
    // Then the owner revokes it: gpg's own revocation certificate for the key, imported.
    const fingerprint = fingerprintOf('revoked@acme.example');
    const certificate = join(home, `${fingerprint}.rev`);
    await writeFile(
      certificate,
      readFileSync(join(home, 'openpgp-revocs.d', `${fingerprint}.rev`), 'utf8').replace(
        /^:-----BEGIN/m,
        '-----BEGIN',
      ),
    );
    gpg(SIGNED, '--import', certificate);
    await writeFile(
      join(ws.dir, 'keys', 'revoked.asc'),
      gpg(SIGNED, '--armor', '--export', 'revoked@acme.example'),
    );
    const result = await verify(ws, file);
    expect(result.subject.result).toBe('fail');
    expect(result.findings).toFailWith('OPENPGP_SIGNATURE_INVALID');
  });

  it('fails when a pinned key has a bad signature beside a good one', async () => {
    const { ws, file } = await release();
    sign(file, 'release@acme.example', `${file}.asc`, '--armor');
    const other = await ws.writeFile('other.bin', 'something else');
    sign(other, 'release@acme.example', `${file}.sig`);
    const result = await verify(ws, file);
    expect(result.findings).toFailWith('OPENPGP_SIGNATURE_INVALID');
  });

  it('fails with OPENPGP_SIGNATURE_MALFORMED for a signature file that is not one', async () => {
    const { ws, file } = await release();
    await writeFile(`${file}.asc`, 'this is not a signature');
    const result = await verify(ws, file);
    expect(result.findings).toFailWith('OPENPGP_SIGNATURE_MALFORMED');
  });

  it('fails with OPENPGP_TRUST_UNAVAILABLE when the pinned key file lacks a pinned fingerprint', async () => {
    const { ws, file } = await release({ fingerprints: ['A'.repeat(40)] });
    sign(file, 'release@acme.example', `${file}.asc`, '--armor');
    const result = await verify(ws, file);
    expect(result.findings).toFailWith('OPENPGP_TRUST_UNAVAILABLE');
  });

  it('does not ask a signature of a platform the signer does not cover', async () => {
    const { ws } = await release();
    const msi = await ws.writeFile(`dist/${MSI}`, 'MSI bytes');
    const result = await verify(ws, msi);
    expect(result.subject.result).toBe('pass');
    expect(result.findings.map((f) => f.code)).toEqual(['ARTIFACT_VERIFIED']);
  });

  it('verifies the bytes that were pinned: a file with a byte appended is refused before the signature matters', async () => {
    const { ws, file } = await release();
    sign(file, 'release@acme.example', `${file}.asc`, '--armor');
    await appendFile(file, 'x');
    const result = await verify(ws, file);
    expect(result.subject.result).toBe('fail');
  });
});
