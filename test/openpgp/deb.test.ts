import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { verifyArtifactFile } from '../../src/artifact/verify-artifacts.ts';
import { loadManifestFile } from '../../src/manifest/load.ts';
import { findPackage, parseRelease } from '../../src/openpgp/deb-repository.ts';
import { checkClearSigned, loadOpenPgpKeys } from '../../src/openpgp/signature.ts';
import { fuzzParameters, mutatedText, parsesOrFailsLocated } from '../helpers/fuzz.ts';
import { artifactFor, baseManifest, workspace, type Workspace } from '../helpers/signed-manifest.ts';

// A .deb trusted the way apt trusts it: built by dpkg-deb, listed in a Packages index that a
// Release lists, the Release clear-signed (InRelease) or detached-signed (Release.gpg) by GnuPG.
// And Debian's own chain: its real InRelease, verified with its archive keyring, lists the
// SHA-256 of the real Packages index apt downloaded.

const home = mkdtempSync(join(tmpdir(), 'rmm-verify-deb-'));
const gnupg = join(home, 'gnupg');
const now = new Date('2026-06-01T00:00:00Z');
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
      '20260515T000000!',
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const DEB = 'acme-agent_7.4.2-1_amd64.deb';
let deb: Buffer;
let otherDeb: Buffer;

function buildDeb(version: string): Buffer {
  const root = mkdtempSync(join(home, 'pkg-'));
  mkdirSync(join(root, 'DEBIAN'));
  mkdirSync(join(root, 'opt', 'acme'), { recursive: true });
  writeFileSync(join(root, 'opt', 'acme', 'agent.sh'), `#!/bin/sh\necho acme agent ${version}\n`);
  writeFileSync(
    join(root, 'DEBIAN', 'control'),
    `Package: acme-agent\nVersion: ${version}\nArchitecture: amd64\nMaintainer: Acme <release@acme.example>\nDescription: Acme RMM agent (test package)\n`,
  );
  const out = join(home, `acme-agent_${version}_amd64.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, out], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SOURCE_DATE_EPOCH: '1780000000' },
  });
  return readFileSync(out);
}

function stanza(bytes: Buffer, version: string): string {
  return [
    'Package: acme-agent',
    `Version: ${version}`,
    'Architecture: amd64',
    `Filename: pool/main/a/acme-agent/acme-agent_${version}_amd64.deb`,
    `Size: ${bytes.length}`,
    `SHA256: ${sha256(bytes)}`,
    'Description: Acme RMM agent (test package)',
    '',
  ].join('\n');
}

function releaseText(indexes: Record<string, Buffer>, validUntil = 'Mon, 01 Jun 2026 12:00:00 UTC'): string {
  return [
    'Origin: Acme',
    'Suite: stable',
    'Codename: acme-stable',
    'Date: Fri, 15 May 2026 00:00:00 UTC',
    `Valid-Until: ${validUntil}`,
    'SHA256:',
    ...Object.entries(indexes).map(
      ([path, bytes]) => ` ${sha256(bytes)} ${String(bytes.length).padStart(8)} ${path}`,
    ),
    '',
  ].join('\n');
}

beforeAll(() => {
  mkdirSync(gnupg, { mode: 0o700 });
  gpg(
    '--faked-system-time',
    '20260101T000000!',
    '--quick-gen-key',
    'Acme Archive <archive@acme.example>',
    'ed25519',
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
  writeFileSync(join(home, 'acme-archive.asc'), gpg('--armor', '--export', 'archive@acme.example'));
  deb = buildDeb('7.4.2-1');
  otherDeb = buildDeb('7.4.1-1');
}, 120_000);

interface Repo {
  packages?: string;
  /** Index files written, by name. */
  indexes?: 'gz' | 'plain';
  signer?: string;
  detached?: boolean;
  validUntil?: string;
  tamper?: (inRelease: string) => string;
}

/** A workspace pinning the .deb with the archive key, and an evidence folder holding the repository's metadata. */
async function setUp(repo: Repo = {}): Promise<{ ws: Workspace; file: string; evidence: string }> {
  const ws = await workspace();
  await mkdir(join(ws.dir, 'keys'), { recursive: true });
  await writeFile(join(ws.dir, 'keys', 'acme-archive.asc'), readFileSync(join(home, 'acme-archive.asc')));
  await ws.writeManifest(
    baseManifest({
      versionScheme: 'debian',
      policy: { target: '7.4.2-1' },
      signers: { openpgp: [{ keys: ['../keys/acme-archive.asc'], platforms: ['linux-x64'] }] },
      releases: [{ version: '7.4.2-1', artifacts: [artifactFor(DEB, deb)] }],
    }),
  );
  const file = await ws.writeFile(`downloads/${DEB}`, deb);
  const evidence = join(ws.dir, 'repo');
  await mkdir(evidence);
  const packages = Buffer.from(repo.packages ?? `${stanza(otherDeb, '7.4.1-1')}\n${stanza(deb, '7.4.2-1')}`);
  const gz = gzipSync(packages);
  const release = releaseText(
    { 'main/binary-amd64/Packages': packages, 'main/binary-amd64/Packages.gz': gz },
    repo.validUntil,
  );
  if (repo.indexes === 'plain') await writeFile(join(evidence, 'Packages'), packages);
  else await writeFile(join(evidence, 'Packages.gz'), gz);
  const signer = repo.signer ?? 'archive@acme.example';
  const releasePath = join(evidence, 'Release');
  await writeFile(releasePath, release);
  if (repo.detached === true) {
    gpg('--local-user', signer, '--detach-sign', '--output', `${releasePath}.gpg`, releasePath);
  } else {
    gpg('--local-user', signer, '--clearsign', '--output', join(evidence, 'InRelease'), releasePath);
    await writeFile(releasePath, ''); // only the InRelease is meant; a Release without .gpg is ignored
    if (repo.tamper) {
      const inRelease = join(evidence, 'InRelease');
      await writeFile(inRelease, repo.tamper(readFileSync(inRelease, 'utf8')));
    }
  }
  return { ws, file, evidence };
}

async function verify(ws: Workspace, file: string, evidence: string) {
  return verifyArtifactFile(file, {
    loaded: await loadManifestFile(ws.manifestPath),
    now,
    options: { offline: true, evidenceDirs: [evidence], systemRoots: false },
  });
}

describe('verify: a .deb through its signed repository (InRelease → Packages → .deb)', () => {
  it('passes a package listed in a Packages.gz that the clear-signed InRelease lists', async () => {
    const { ws, file, evidence } = await setUp();
    const result = await verify(ws, file, evidence);
    expect(result.subject.result).toBe('pass');
    expect(result.findings.map((f) => f.code).sort()).toEqual(['ARTIFACT_VERIFIED', 'OPENPGP_VERIFIED']);
    expect(result.subject.facts['deb']).toBe('acme-agent 7.4.2-1 amd64');
    expect(result.findings.find((f) => f.code === 'OPENPGP_VERIFIED')?.message).toContain(
      "listed in main/binary-amd64/Packages.gz of acme-stable's Release",
    );
  });

  it('passes with Release + Release.gpg and a plain Packages index', async () => {
    const { ws, file, evidence } = await setUp({ detached: true, indexes: 'plain' });
    const result = await verify(ws, file, evidence);
    expect(result.subject.result).toBe('pass');
  });

  it('fails DEB_NOT_IN_REPOSITORY when the signed index does not list this package', async () => {
    const { ws, file, evidence } = await setUp({ packages: stanza(otherDeb, '7.4.1-1') });
    const result = await verify(ws, file, evidence);
    expect(result.findings).toFailWith('DEB_NOT_IN_REPOSITORY');
  });

  it('fails DEB_INDEX_UNLISTED when the Packages index was changed after the Release was signed', async () => {
    const { ws, file, evidence } = await setUp({ indexes: 'plain' });
    // The attacker adds their own build's stanza to the index; the signed Release lists the old one.
    writeFileSync(
      join(evidence, 'Packages'),
      `${readFileSync(join(evidence, 'Packages'), 'utf8')}\n${stanza(Buffer.from('evil'), '7.4.3-1')}`,
    );
    const result = await verify(ws, file, evidence);
    expect(result.findings).toFailWith('DEB_INDEX_UNLISTED');
  });

  it('fails OPENPGP_SIGNER_UNTRUSTED when another key signed the Release', async () => {
    const { ws, file, evidence } = await setUp({ signer: 'mallory@example.test' });
    const result = await verify(ws, file, evidence);
    expect(result.findings).toFailWith('OPENPGP_SIGNER_UNTRUSTED');
  });

  it('fails OPENPGP_SIGNATURE_INVALID when the signed Release text was edited', async () => {
    const { ws, file, evidence } = await setUp({
      tamper: (text) => text.replace('Suite: stable', 'Suite: stab1e'),
    });
    const result = await verify(ws, file, evidence);
    expect(result.findings).toFailWith('OPENPGP_SIGNATURE_INVALID');
  });

  it('fails DEB_RELEASE_EXPIRED past Valid-Until, as apt does (a replayed old snapshot)', async () => {
    const { ws, file, evidence } = await setUp({ validUntil: 'Sun, 31 May 2026 00:00:00 UTC' });
    const result = await verify(ws, file, evidence);
    expect(result.findings).toFailWith('DEB_RELEASE_EXPIRED');
  });

  it('fails OPENPGP_SIGNATURE_MISSING without repository metadata or a detached signature', async () => {
    const { ws, file } = await setUp();
    const result = await verify(ws, file, join(ws.dir, 'downloads'));
    expect(result.findings).toFailWith('OPENPGP_SIGNATURE_MISSING');
  });
});

describe("Debian's real chain: InRelease → Packages", () => {
  it("verifies bookworm's InRelease with the archive keyring, and it lists the Packages index apt downloaded", async () => {
    const lists = '/var/lib/apt/lists';
    const inRelease = join(lists, 'deb.debian.org_debian_dists_bookworm_InRelease');
    const checked = await checkClearSigned(
      readFileSync(inRelease),
      inRelease,
      [await loadOpenPgpKeys('/usr/share/keyrings/debian-archive-keyring.gpg')],
      new Date(),
    );
    expect(checked.ok).toBe(true);
    const release = parseRelease(checked.text, inRelease);
    expect(release.codename).toBe('bookworm');
    // apt stores the index as its configuration says: plain, lz4, gz or xz (lz4 here).
    const base = join(lists, 'deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages');
    const stored = ['', '.lz4', '.gz', '.xz'].map((suffix) => base + suffix).find((f) => existsSync(f));
    expect(stored, `apt's bookworm main Packages list under ${lists}`).toBeDefined();
    const path = stored ?? '';
    const packages = path.endsWith('.lz4')
      ? execFileSync('lz4', ['-dc', path], { maxBuffer: 1 << 30 })
      : path.endsWith('.gz')
        ? gunzipSync(readFileSync(path))
        : path.endsWith('.xz')
          ? execFileSync('xz', ['-dc', path], { maxBuffer: 1 << 30 })
          : readFileSync(path);
    const listed = release.sha256.get(sha256(packages));
    expect(listed).toEqual([{ path: 'main/binary-amd64/Packages', size: packages.length }]);
  });
});

describe('Release and Packages parsers on hostile text', () => {
  it('fuzz: a mutated Release ends in a parsed Release or a located input error', () => {
    const text = releaseText({
      'main/binary-amd64/Packages': Buffer.from('x'),
      'main/binary-amd64/Packages.gz': Buffer.from('y'),
    });
    fc.assert(
      fc.property(mutatedText(fc, text), (mutated) => {
        parsesOrFailsLocated(() => parseRelease(mutated, 'Release'), 'Release');
      }),
      fuzzParameters(200),
    );
  });

  it('fuzz: a mutated Packages index ends in a lookup result or a located input error', () => {
    const text = `${stanza(Buffer.from('a'), '1-1')}\n${stanza(Buffer.from('b'), '2-1')}`;
    fc.assert(
      fc.property(mutatedText(fc, text), (mutated) => {
        parsesOrFailsLocated(() => findPackage(mutated, sha256(Buffer.from('b')), 1, 'Packages'), 'Packages');
      }),
      fuzzParameters(200),
    );
  });

  it('refuses a Release without its SHA256 listing or with a malformed line, naming the file', () => {
    expect(() => parseRelease('Origin: x\nSuite: y\n', 'R')).toThrow(
      /R: the Release file has no SHA256 field/,
    );
    expect(() => parseRelease('SHA256:\n nothex 12 main/Packages\n', 'R')).toThrow(
      /R: expected 'SHA256 SIZE PATH'/,
    );
    expect(() => parseRelease(`Valid-Until: someday\nSHA256:\n ${'a'.repeat(64)} 1 p\n`, 'R')).toThrow(
      /Valid-Until is not a date/,
    );
  });
});
