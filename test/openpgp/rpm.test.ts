import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { verifyArtifactFile } from '../../src/artifact/verify-artifacts.ts';
import { bufferSource } from '../../src/authenticode/source.ts';
import { loadManifestFile } from '../../src/manifest/load.ts';
import { parseRpm } from '../../src/openpgp/rpm.ts';
import { fuzzParameters, mutatedBytes, parsesOrFailsLocatedAsync } from '../helpers/fuzz.ts';
import { artifactFor, baseManifest, workspace } from '../helpers/signed-manifest.ts';

// RPM packages built by Debian's rpmbuild and signed by rpmsign (with GnuPG), checked by
// `verify` against pinned OpenPGP keys and, for every verdict, by rpm's own `rpmkeys -K`.

const home = mkdtempSync(join(tmpdir(), 'rmm-verify-rpm-'));
const gnupg = join(home, 'gnupg');
const now = new Date('2026-06-01T00:00:00Z');
const SIGNED_AT = '20260515T000000!';
const gpg = (...args: string[]) =>
  execFileSync(
    'gpg',
    [
      '--homedir',
      gnupg,
      '--batch',
      '--yes',
      '--quiet',
      '--faked-system-time',
      SIGNED_AT,
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
const NAME = 'acme-agent-7.4.2-1.noarch.rpm';
let unsigned: Buffer;
let signed: Buffer;
let signedByOther: Buffer;

function rpmsign(path: string, uid: string) {
  execFileSync(
    'rpmsign',
    [
      '--define',
      `_gpg_name ${uid}`,
      '--define',
      '__gpg /usr/bin/gpg',
      '--define',
      `__gpg_sign_cmd %{__gpg} gpg --homedir ${gnupg} --batch --no-verbose --no-armor --faked-system-time ${SIGNED_AT} --pinentry-mode loopback --passphrase '' -u "%{_gpg_name}" -sbo %{__signature_filename} %{__plaintext_filename}`,
      '--addsign',
      path,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** rpm's own verdict with a keyring of the vendor key only (0 = every digest and signature OK). */
function rpmkeysAccepts(bytes: Buffer): boolean {
  const file = join(home, `check-${Math.random().toString(16).slice(2)}.rpm`);
  writeFileSync(file, bytes);
  return spawnSync('rpmkeys', ['--dbpath', join(home, 'rpmdb'), '-K', file]).status === 0;
}

beforeAll(() => {
  mkdirSync(gnupg, { mode: 0o700 });
  gpg(
    '--faked-system-time',
    '20260101T000000!',
    '--quick-gen-key',
    'Acme RPM <rpm@acme.example>',
    'rsa3072',
    'sign',
    'never',
  );
  gpg(
    '--faked-system-time',
    '20260101T000000!',
    '--quick-gen-key',
    'Mallory <mallory@example.test>',
    'ed25519',
    'sign',
    'never',
  );
  writeFileSync(join(home, 'acme-rpm.asc'), gpg('--armor', '--export', 'rpm@acme.example'));
  execFileSync('rpmkeys', ['--dbpath', join(home, 'rpmdb'), '--import', join(home, 'acme-rpm.asc')]);
  mkdirSync(join(home, 'SPECS'));
  writeFileSync(
    join(home, 'SPECS', 'acme.spec'),
    [
      'Name: acme-agent',
      'Version: 7.4.2',
      'Release: 1',
      'Summary: Acme RMM agent (test package)',
      'License: MIT',
      'BuildArch: noarch',
      '%description',
      'A test package.',
      '%install',
      'mkdir -p %{buildroot}/opt/acme',
      'head -c 200000 /dev/zero | tr "\\0" "a" > %{buildroot}/opt/acme/agent.sh',
      '%files',
      '/opt/acme/agent.sh',
      '',
    ].join('\n'),
  );
  execFileSync('rpmbuild', ['--define', `_topdir ${home}`, '-bb', join(home, 'SPECS', 'acme.spec')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const built = join(home, 'RPMS', 'noarch', readdirSync(join(home, 'RPMS', 'noarch'))[0] ?? '');
  unsigned = readFileSync(built);
  for (const [uid, name] of [
    ['rpm@acme.example', 'signed.rpm'],
    ['mallory@example.test', 'other.rpm'],
  ] as const) {
    copyFileSync(built, join(home, name));
    rpmsign(join(home, name), uid);
  }
  signed = readFileSync(join(home, 'signed.rpm'));
  signedByOther = readFileSync(join(home, 'other.rpm'));
}, 120_000);

/** A manifest pinning exactly these bytes (as a vendor's pipeline would), with the vendor's RPM key. */
async function verifyPinned(bytes: Buffer) {
  const ws = await workspace();
  await mkdir(join(ws.dir, 'keys'), { recursive: true });
  await writeFile(join(ws.dir, 'keys', 'acme-rpm.asc'), readFileSync(join(home, 'acme-rpm.asc')));
  await ws.writeManifest(
    baseManifest({
      signers: { openpgp: [{ keys: ['../keys/acme-rpm.asc'], platforms: ['linux-x64'] }] },
      releases: [{ version: '7.4.2', artifacts: [artifactFor(NAME, bytes)] }],
    }),
  );
  const file = await ws.writeFile(NAME, bytes);
  return verifyArtifactFile(file, {
    loaded: await loadManifestFile(ws.manifestPath),
    now,
    options: { offline: true, evidenceDirs: [], systemRoots: false },
  });
}

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

describe('verify: RPM packages signed by rpmsign', () => {
  it('reads the package as rpm does: name, version, header signature, digests', async () => {
    const rpm = await parseRpm(bufferSource(signed, NAME));
    expect([rpm.name, rpm.version, rpm.release]).toEqual(['acme-agent', '7.4.2', '1']);
    expect(rpm.signatures.map((s) => s.scope)).toContain('header');
    expect(rpm.payloadDigest?.algorithm).toBe('sha256');
    expect(rpm.headerSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('passes a package signed with the pinned key, as rpmkeys -K does', async () => {
    expect(rpmkeysAccepts(signed)).toBe(true);
    const result = await verifyPinned(signed);
    expect(result.subject.result).toBe('pass');
    expect(result.findings.map((f) => f.code).sort()).toEqual(['ARTIFACT_VERIFIED', 'OPENPGP_VERIFIED']);
    expect(result.subject.facts['rpm']).toBe('acme-agent 7.4.2 1');
  });

  it('fails an unsigned package with RPM_UNSIGNED (rpmkeys -K accepts it: digests only)', async () => {
    expect(rpmkeysAccepts(unsigned)).toBe(true);
    const result = await verifyPinned(unsigned);
    expect(result.findings).toFailWith('RPM_UNSIGNED');
  });

  it('fails a package signed by another key with OPENPGP_SIGNER_UNTRUSTED, as rpmkeys -K does', async () => {
    expect(rpmkeysAccepts(signedByOther)).toBe(false);
    const result = await verifyPinned(signedByOther);
    expect(result.findings).toFailWith('OPENPGP_SIGNER_UNTRUSTED');
  });

  it('fails one changed payload byte with RPM_DIGEST_MISMATCH, as rpmkeys -K does', async () => {
    const tampered = flip(signed, signed.length - 100);
    expect(rpmkeysAccepts(tampered)).toBe(false);
    const result = await verifyPinned(tampered);
    expect(result.findings).toFailWith('RPM_DIGEST_MISMATCH');
    expect(result.findings.find((f) => f.code === 'RPM_DIGEST_MISMATCH')?.evidence['part']).toBe('payload');
  });

  it('fails one changed byte in the signed header (its summary) with the digest and the signature, as rpmkeys -K does', async () => {
    const at = signed.indexOf('Acme RMM agent (test package)');
    expect(at).toBeGreaterThan(0);
    const tampered = flip(signed, at);
    expect(rpmkeysAccepts(tampered)).toBe(false);
    const result = await verifyPinned(tampered);
    expect(result.findings).toFailWith('RPM_DIGEST_MISMATCH');
    expect(result.findings).toFailWith('OPENPGP_SIGNATURE_INVALID');
  });

  it('fails bytes appended after the payload', async () => {
    const longer = Buffer.concat([signed, Buffer.from('appended')]);
    const result = await verifyPinned(longer);
    expect(result.subject.result).toBe('fail');
    expect(result.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['RPM_DIGEST_MISMATCH']));
  });

  it('fails hostile headers with RPM_MALFORMED, located and bounded', async () => {
    const truncated = await verifyPinned(signed.subarray(0, 200));
    expect(truncated.findings).toFailWith('RPM_MALFORMED');

    const huge = Buffer.from(signed);
    huge.writeUInt32BE(0x7fffffff, 96 + 8); // signature header index count
    const result = await verifyPinned(huge);
    expect(result.findings).toFailWith('RPM_MALFORMED');
    expect(result.findings.find((f) => f.code === 'RPM_MALFORMED')?.message).toContain('index entries');
    expect(result.findings.find((f) => f.code === 'RPM_MALFORMED')?.evidence['offset']).toBe(104);

    const badMagic = Buffer.from(signed);
    badMagic[96] = 0;
    const magic = await verifyPinned(badMagic);
    expect(magic.findings.find((f) => f.code === 'RPM_MALFORMED')?.message).toContain('no header magic');
  });

  it('fuzz: a mutated signed package ends in a parsed package or a located input error', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedBytes(fc, signed.subarray(0, 8192)), async (mutated) => {
        await parsesOrFailsLocatedAsync(() => parseRpm(bufferSource(mutated, NAME)), NAME);
      }),
      fuzzParameters(200),
    );
  });
});
