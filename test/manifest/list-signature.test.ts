import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import { signManifestKeyless, writeBundle } from '../../src/manifest/sigstore-sign.ts';
import type { Manifest } from '../../src/manifest/types.ts';
import { checkClearSigned, loadOpenPgpKeys } from '../../src/openpgp/signature.ts';
import { captureIo } from '../helpers/io.ts';
import { identityToken, startMockSigstore, type MockSigstore } from '../helpers/sigstore-mock.ts';
import { baseManifest, workspace, type Workspace } from '../helpers/signed-manifest.ts';

// `pin --from LIST` with the list's own signature: detached and clear-signed OpenPGP signatures
// made by GnuPG (an independent implementation) with a fresh key, a Sigstore bundle made against
// a local Fulcio/Rekor/TSA, and Debian's real clear-signed InRelease files checked with Debian's
// archive keyring.

const gnupgHome = mkdtempSync(join(tmpdir(), 'rmm-verify-gpg-'));
const gpg = (...args: string[]) =>
  execFileSync(
    'gpg',
    [
      '--homedir',
      gnupgHome,
      '--batch',
      '--yes',
      '--quiet',
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );

let vendorFingerprint: string;
let vendorKey: string;
let otherKey: string;
let mock: MockSigstore;
let trustedRoot: string;
const ISSUER = 'https://accounts.example.test';
const SIGNER = 'release@vendor.example';

function fingerprintOf(uid: string): string {
  const listing = gpg('--with-colons', '--fingerprint', uid).toString('utf8');
  const line = listing.split('\n').find((l) => l.startsWith('fpr:'));
  return (line ?? '').split(':')[9] ?? '';
}

beforeAll(async () => {
  gpg('--quick-gen-key', 'Vendor Release <release@vendor.example>', 'ed25519', 'sign', 'never');
  gpg('--quick-gen-key', 'Someone Else <else@example.test>', 'ed25519', 'sign', 'never');
  vendorFingerprint = fingerprintOf('release@vendor.example');
  vendorKey = join(gnupgHome, 'vendor.asc');
  otherKey = join(gnupgHome, 'other.gpg');
  await writeFile(vendorKey, gpg('--armor', '--export', 'release@vendor.example'));
  await writeFile(otherKey, gpg('--export', 'else@example.test'));
  mock = await startMockSigstore();
}, 60_000);

afterAll(async () => {
  await mock.close();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function run(cwd: string, argv: string[]) {
  // Signatures are made during the test: verify at the real time.
  const captured = captureIo(cwd, new Date());
  const code = await main(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

/** A release folder with two agents and their SHA256SUMS; the manifest has no release yet. */
async function release(): Promise<{ ws: Workspace; list: string; manifestBefore: Buffer }> {
  const ws = await workspace();
  const files = { 'agent-setup.msi': 'MSI bytes', 'agent-linux-x64.tar.gz': 'tarball bytes' };
  const lines: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    await ws.writeFile(`dist/${name}`, content);
    lines.push(`${sha256(Buffer.from(content))}  ${name}`);
  }
  const list = await ws.writeFile('dist/SHA256SUMS', `${lines.join('\n')}\n`);
  const manifestBefore = await ws.writeManifest(baseManifest({ releases: [] }));
  return { ws, list, manifestBefore };
}

const pin = (ws: Workspace, list: string, ...more: string[]) =>
  run(ws.dir, [
    'pin',
    '--from',
    list,
    '--manifest',
    ws.manifestPath,
    '--version',
    '7.5.0',
    '--platform',
    'windows-x64',
    ...more,
  ]);

async function pinnedFrom(ws: Workspace) {
  const manifest = JSON.parse(await readFile(ws.manifestPath, 'utf8')) as Manifest;
  const release = manifest.releases.find((r) => r.version === '7.5.0');
  return release?.artifacts.map((a) => a.pinnedFrom);
}

describe('pin --from with an OpenPGP-signed list (signed by GnuPG)', () => {
  it('pins when the detached armored signature beside the list verifies, and records the signer', async () => {
    const { ws, list } = await release();
    gpg('--local-user', vendorFingerprint, '--armor', '--detach-sign', '--output', `${list}.asc`, list);
    const result = await pin(ws, list, '--list-key', vendorKey);
    expect(result.stderr).toContain(`good openpgp signature (SHA256SUMS.asc) by ${vendorFingerprint}`);
    expect(result.code).toBe(0);
    const sources = await pinnedFrom(ws);
    expect(sources).toHaveLength(2);
    expect(sources?.[0]).toEqual({
      list: 'SHA256SUMS',
      format: 'sums',
      sha256: sha256(await readFile(list)),
      signature: { format: 'openpgp', file: 'SHA256SUMS.asc', signers: [vendorFingerprint] },
    });
  });

  it('takes a binary detached signature named with --list-signature', async () => {
    const { ws, list } = await release();
    const sig = join(ws.dir, 'elsewhere.bin');
    gpg('--local-user', vendorFingerprint, '--detach-sign', '--output', sig, list);
    const result = await pin(ws, list, '--list-key', vendorKey, '--list-signature', sig);
    expect(result.code).toBe(0);
    expect((await pinnedFrom(ws))?.[0]?.signature?.file).toBe('elsewhere.bin');
  });

  it('fails, writing nothing, when the list changed after it was signed', async () => {
    const { ws, list, manifestBefore } = await release();
    gpg('--local-user', vendorFingerprint, '--armor', '--detach-sign', '--output', `${list}.asc`, list);
    // An attacker adds a line for their own file (the listed files themselves are unchanged).
    await writeFile(list, `${'0'.repeat(64)}  evil.exe\n`, { flag: 'a' });
    const result = await pin(ws, list, '--list-key', vendorKey, '--skip-missing');
    expect(result.stderr).toMatch(
      /FAIL SHA256SUMS\.asc: the signature by key [0-9A-F]{16} \([0-9A-F]{40}\) does not verify/,
    );
    expect(result.stderr).toContain("the list's signature does not verify; the manifest is unchanged");
    expect(result.code).toBe(1);
    expect(await readFile(ws.manifestPath)).toEqual(manifestBefore);
  });

  it('fails when the list is signed by a key that was not given', async () => {
    const { ws, list, manifestBefore } = await release();
    gpg('--local-user', 'else@example.test', '--armor', '--detach-sign', '--output', `${list}.asc`, list);
    const result = await pin(ws, list, '--list-key', vendorKey);
    expect(result.stderr).toMatch(
      /no signature is by a given key \(signed by key id [0-9A-F]{16}; given: .*vendor\.asc\)/,
    );
    expect(result.code).toBe(1);
    expect(await readFile(ws.manifestPath)).toEqual(manifestBefore);
  });

  it('passes with a binary keyring holding several keys, the signer among them', async () => {
    const { ws, list } = await release();
    gpg('--local-user', vendorFingerprint, '--detach-sign', '--output', `${list}.sig`, list);
    const keyring = join(ws.dir, 'keyring.gpg');
    await writeFile(keyring, gpg('--export', 'else@example.test', 'release@vendor.example'));
    const result = await pin(ws, list, '--list-key', keyring);
    expect(result.code).toBe(0);
    expect((await pinnedFrom(ws))?.[0]?.signature).toEqual({
      format: 'openpgp',
      file: 'SHA256SUMS.sig',
      signers: [vendorFingerprint],
    });
  });

  it('reads a clear-signed list only through its signature, and refuses a tampered one', async () => {
    const { ws, list } = await release();
    const signed = `${list}.txt`;
    gpg('--local-user', vendorFingerprint, '--clearsign', '--output', signed, list);
    const ok = await pin(ws, signed, '--list-key', vendorKey, '--dir', join(ws.dir, 'dist'));
    expect(ok.stderr).toContain(`good openpgp signature (SHA256SUMS.txt) by ${vendorFingerprint}`);
    expect(ok.code).toBe(0);
    expect((await pinnedFrom(ws))?.map((s) => s?.sha256)).toEqual([
      sha256(await readFile(signed)),
      sha256(await readFile(signed)),
    ]);

    // Without a key a clear-signed list is refused, as before.
    const unkeyed = await pin(ws, signed, '--dir', join(ws.dir, 'dist'));
    expect(unkeyed.stderr).toContain('give --list-key KEY to check its signature');
    expect(unkeyed.code).toBe(2);

    const text = await readFile(signed, 'utf8');
    await writeFile(signed, text.replace(/^[0-9a-f]{64}/m, '0'.repeat(64)));
    const tampered = await pin(ws, signed, '--list-key', vendorKey, '--dir', join(ws.dir, 'dist'));
    expect(tampered.stderr).toContain('does not verify');
    expect(tampered.code).toBe(1);
  });

  it('is an input error (exit 2) when the signature is missing, unreadable, or the key is private', async () => {
    const { ws, list, manifestBefore } = await release();
    const missing = await pin(ws, list, '--list-key', vendorKey);
    expect(missing.stderr).toContain(
      'no OpenPGP signature beside the list (looked for SHA256SUMS.asc, SHA256SUMS.sig, SHA256SUMS.gpg, SHA256SUMS.sign); give --list-signature FILE',
    );
    expect(missing.code).toBe(2);

    await writeFile(
      `${list}.asc`,
      '-----BEGIN PGP SIGNATURE-----\n\nnot base64 at all\n-----END PGP SIGNATURE-----\n',
    );
    const garbage = await pin(ws, list, '--list-key', vendorKey);
    expect(garbage.stderr).toContain('SHA256SUMS.asc: expected a detached OpenPGP signature');
    expect(garbage.code).toBe(2);

    const secret = join(ws.dir, 'secret.asc');
    await writeFile(secret, gpg('--armor', '--export-secret-keys', 'release@vendor.example'));
    const privateKey = await pin(ws, list, '--list-key', secret);
    expect(privateKey.stderr).toContain('this is an OpenPGP private key; give the public key');
    expect(privateKey.code).toBe(2);

    const notAKey = await pin(ws, list, '--list-key', list);
    expect(notAKey.stderr).toContain('expected OpenPGP public keys');
    expect(notAKey.code).toBe(2);
    expect(await readFile(ws.manifestPath)).toEqual(manifestBefore);
  });

  it('names a signature beside the list that nobody asked to check, and records none', async () => {
    const { ws, list } = await release();
    gpg('--local-user', vendorFingerprint, '--armor', '--detach-sign', '--output', `${list}.asc`, list);
    const result = await pin(ws, list);
    expect(result.stderr).toContain('pin: note: SHA256SUMS.asc is not checked; give --list-key KEY');
    expect(result.code).toBe(0);
    expect((await pinnedFrom(ws))?.[0]?.signature).toBeUndefined();

    const usage = await pin(ws, list, '--list-signature', `${list}.asc`);
    expect(usage.stderr).toContain('--list-signature needs --list-key KEY (OpenPGP)');
    expect(usage.code).toBe(2);
  });
});

describe('pin --from with a Sigstore-signed list (local Fulcio, Rekor and TSA)', () => {
  async function signList(list: string, subject = SIGNER): Promise<string> {
    const signed = await signManifestKeyless(await readFile(list), {
      identityToken: identityToken({ sub: subject, iss: ISSUER }),
      fulcioUrl: mock.url,
      rekorUrl: mock.url,
      timestampServerUrl: mock.url,
    });
    const path = `${list}.sigstore.json`;
    await writeBundle(path, signed.bundle);
    return path;
  }

  it('pins when the bundle beside the list verifies for the identity, and fails for another identity or a changed list', async () => {
    const { ws, list, manifestBefore } = await release();
    trustedRoot = await ws.writeFile('trusted_root.json', JSON.stringify(mock.trustedRoot));
    await signList(list);
    const identityFlags = ['--certificate-oidc-issuer', ISSUER, '--trusted-root', trustedRoot];

    const wrong = await pin(ws, list, '--certificate-identity', 'someone@else.example', ...identityFlags);
    expect(wrong.stderr).toContain('FAIL SHA256SUMS.sigstore.json');
    expect(wrong.code).toBe(1);
    expect(await readFile(ws.manifestPath)).toEqual(manifestBefore);

    const ok = await pin(ws, list, '--certificate-identity', SIGNER, ...identityFlags);
    expect(ok.stderr).toContain(`good sigstore signature (SHA256SUMS.sigstore.json) by ${SIGNER}`);
    expect(ok.code).toBe(0);
    expect((await pinnedFrom(ws))?.[0]?.signature).toEqual({
      format: 'sigstore',
      file: 'SHA256SUMS.sigstore.json',
      signers: [SIGNER],
      issuer: ISSUER,
    });

    await writeFile(list, `${'1'.repeat(64)}  evil.exe\n`, { flag: 'a' });
    const changed = await pin(ws, list, '--certificate-identity', SIGNER, '--skip-missing', ...identityFlags);
    expect(changed.stderr).toContain('FAIL SHA256SUMS.sigstore.json');
    expect(changed.code).toBe(1);
  }, 30_000);

  it('asks for an identity, and does not mix OpenPGP and Sigstore', async () => {
    const { ws, list } = await release();
    const noIdentity = await pin(ws, list, '--certificate-oidc-issuer', ISSUER);
    expect(noIdentity.stderr).toContain('needs --certificate-identity or --certificate-identity-regexp');
    expect(noIdentity.code).toBe(2);
    const both = await pin(
      ws,
      list,
      '--list-key',
      vendorKey,
      '--certificate-identity',
      SIGNER,
      '--certificate-oidc-issuer',
      ISSUER,
    );
    expect(both.stderr).toContain('not both');
    expect(both.code).toBe(2);
    const stray = await run(ws.dir, [
      'pin',
      'x',
      '--manifest',
      ws.manifestPath,
      '--version',
      '1.0.0',
      '--platform',
      'any',
      '--list-key',
      vendorKey,
    ]);
    expect(stray.stderr).toContain('--list-key goes with --from LIST, not with files');
    expect(stray.code).toBe(2);
  });
});

describe("OpenPGP signatures on real files: Debian's clear-signed InRelease", () => {
  const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
  const inRelease = '/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease';

  it('verifies with the archive keyring, and fails for one changed byte or the wrong keyring', async () => {
    const bytes = await readFile(inRelease);
    const keys = await loadOpenPgpKeys(keyring);
    const good = await checkClearSigned(bytes, inRelease, [keys], new Date());
    expect(good.problems).toEqual([]);
    expect(good.ok).toBe(true);
    expect(good.signers.length).toBeGreaterThanOrEqual(1);
    expect(good.text).toMatch(/^Origin: Debian\n/);

    const changed = Buffer.from(bytes);
    const at = changed.indexOf('SHA256:') + 40;
    changed[at] = changed[at] === 0x30 ? 0x31 : 0x30;
    const bad = await checkClearSigned(changed, inRelease, [keys], new Date());
    expect(bad.ok).toBe(false);
    expect(bad.problems.join('\n')).toContain('does not verify');

    const bullseye = await loadOpenPgpKeys('/usr/share/keyrings/debian-archive-bullseye-stable.gpg');
    const wrong = await checkClearSigned(bytes, inRelease, [bullseye], new Date());
    expect(wrong.ok).toBe(false);
    expect(wrong.problems[0]).toContain('no signature is by a given key');
  });
});
