import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import {
  IDENTITY,
  ISSUER,
  generateSigstoreFixtures,
  type SigstoreFixtures,
} from '../fixtures/sigstore/generate.ts';
import { TufRepository, tufKey } from '../fixtures/sigstore/tuf-repo.ts';
import { captureIo } from '../helpers/io.ts';

// `rmm-verify trust update` against a TUF repository built here and served on 127.0.0.1: the
// whole path (@sigstore/tuf → tuf-js updater → trusted_root.json target → cache) with real
// signatures, then a rotated key, a rollback, a freeze, a forged root and a malformed target.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOW = new Date();
const YEAR = 365 * 24 * 3600 * 1000;

let fixtures: SigstoreFixtures;
let repo: TufRepository;
let mirror: string;
let work: string;
let tufRoot: string;
let cache: string;

beforeAll(async () => {
  fixtures = await generateSigstoreFixtures();
  work = await mkdtemp(join(tmpdir(), 'rmm-tuf-'));
  repo = new TufRepository(new Date(NOW.getTime() + YEAR));
  tufRoot = join(work, 'root.json');
  await writeFile(tufRoot, repo.publishRoot());
  repo.publishTarget('trusted_root.json', await readFile(fixtures.trustedRoot), 1);
  mirror = await repo.start();
  cache = join(work, 'cache');
});

afterAll(async () => {
  await repo.stop();
});

async function run(...args: string[]) {
  const captured = captureIo(ROOT, NOW, { XDG_CACHE_HOME: join(work, 'xdg') });
  const code = await main(args, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

const update = () => run('trust', 'update', '--tuf-mirror', mirror, '--tuf-root', tufRoot, '--cache', cache);
const cached = async () =>
  createHash('sha256')
    .update(await readFile(join(cache, 'trusted_root.json')))
    .digest('hex');

describe('rmm-verify trust update (local TUF repository)', () => {
  it('fetches the trusted root through TUF into the cache, and verification uses it', async () => {
    const result = await update();
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(join(cache, 'trusted_root.json'), 'utf8')).toContain('rekor.acme.test');
    const verify = await run(
      'attest',
      'verify',
      fixtures.artifact,
      '--bundle',
      fixtures.provenance.good,
      '--trusted-root',
      join(cache, 'trusted_root.json'),
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
    );
    expect(verify.code, verify.stdout).toBe(0);
  });

  it('is the default root of attest verify --offline once updated', async () => {
    // The update above went to --cache; the default cache is $XDG_CACHE_HOME/rmm-verify/sigstore.
    const xdgCache = join(work, 'xdg', 'rmm-verify', 'sigstore');
    const updated = await run(
      'trust',
      'update',
      '--tuf-mirror',
      mirror,
      '--tuf-root',
      tufRoot,
      '--cache',
      xdgCache,
    );
    expect(updated.code, updated.stderr).toBe(0);
    const verify = await run(
      'attest',
      'verify',
      fixtures.artifact,
      '--bundle',
      fixtures.provenance.good,
      '--offline',
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      '--format',
      'json',
    );
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.stdout).toContain(join(xdgCache, 'trusted_root.json'));
  });

  it('follows a root key rotation (root 2 signed by the old and the new key, new timestamp key)', async () => {
    repo.rotateKeys();
    repo.publishTarget('trusted_root.json', await readFile(fixtures.trustedRoot), 2);
    const result = await update();
    expect(result.code, result.stderr).toBe(0);
    expect(
      await readFile(join(cache, 'tuf', encodeURIComponent(new URL(mirror).host), 'root.json'), 'utf8'),
    ).toContain('"version": 2');
  });

  it('refuses a rollback of the timestamp and keeps the cached root', async () => {
    const before = await cached();
    repo.publishTimestamp(1, new Date(NOW.getTime() + YEAR), 1);
    const result = await update();
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/TUF update .* failed/);
    expect(result.stderr).toMatch(/version/i);
    expect(await cached()).toBe(before);
  });

  it('refuses a frozen (expired) timestamp and keeps the cached root', async () => {
    const before = await cached();
    repo.publishTarget('trusted_root.json', await readFile(fixtures.expiredTrustedRoot), 3, {
      timestampExpires: new Date(NOW.getTime() - 3600_000),
    });
    const result = await update();
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/expired/i);
    expect(await cached()).toBe(before);
  });

  it('refuses a root version signed by a key the current root does not trust', async () => {
    const before = await cached();
    const stranger = tufKey();
    repo.keys.root = stranger;
    repo.rootVersion += 1;
    repo.publishRoot([stranger]);
    repo.publishTarget('trusted_root.json', await readFile(fixtures.trustedRoot), 4);
    const result = await update();
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/signed by 0\/1 keys/);
    expect(await cached()).toBe(before);
  });

  it('exits 2 with usage errors', async () => {
    expect((await run('trust')).code).toBe(2);
    expect((await run('trust', 'refresh')).code).toBe(2);
    expect((await run('trust', 'update', '--tuf-mirror', 'ftp://x')).code).toBe(2);
  });
});

describe('trusted root age and out-of-date roots', () => {
  const GH = join(ROOT, 'test', 'fixtures', 'sigstore', 'gh_2.54.0_linux_armv6.tar.gz.sigstore');
  const GH_DIGEST = 'sha256:cd53809273ad6011fdd98e0244c5c2276b15f3dd1294e4715627ebd4f9c6e0f1';
  const ghArgs = [
    'attest',
    'verify',
    GH_DIGEST,
    '--bundle',
    GH,
    '--offline',
    '--certificate-identity',
    'https://github.com/cli/cli/.github/workflows/deployment.yml@refs/heads/trunk',
    '--certificate-oidc-issuer',
    ISSUER,
    '--format',
    'json',
  ];
  const at = async (now: Date, ...extra: string[]) => {
    const captured = captureIo(ROOT, now, { XDG_CACHE_HOME: join(tmpdir(), 'rmm-no-cache-here') });
    const code = await main([...ghArgs, ...extra], captured.io);
    return {
      code,
      codes: (JSON.parse(captured.stdout()) as { findings: { code: string }[] }).findings.map((f) => f.code),
    };
  };

  it('reports the vendored root as stale past --max-root-age, and not before', async () => {
    expect((await at(new Date('2027-01-01T00:00:00Z'))).codes).toEqual(['SIGSTORE_VERIFIED']);
    const old = await at(new Date('2027-12-01T00:00:00Z'));
    expect([...old.codes].sort()).toEqual(['SIGSTORE_ROOT_STALE', 'SIGSTORE_VERIFIED']);
    expect(old.code).toBe(1); // low severity fails at the default --fail-on low
    expect((await at(new Date('2027-12-01T00:00:00Z'), '--fail-on', 'medium')).code).toBe(0);
    expect((await at(new Date('2027-12-01T00:00:00Z'), '--max-root-age', '0')).codes).toEqual([
      'SIGSTORE_VERIFIED',
    ]);
    expect((await at(new Date('2027-01-01T00:00:00Z'), '--max-root-age', '30')).codes).toContain(
      'SIGSTORE_ROOT_STALE',
    );
  });

  it('says so when a bundle signed after the root was current fails on an unknown authority', async () => {
    // The generated bundle's CA is not in the vendored root; it was signed after 2026-11-05.
    const fixtures = await generateSigstoreFixtures();
    const captured = captureIo(ROOT, NOW, { XDG_CACHE_HOME: join(tmpdir(), 'rmm-no-cache-here') });
    const code = await main(
      [
        'attest',
        'verify',
        fixtures.artifact,
        '--bundle',
        fixtures.provenance.good,
        '--offline',
        '--certificate-identity',
        IDENTITY,
        '--certificate-oidc-issuer',
        ISSUER,
      ],
      captured.io,
    );
    expect(code).toBe(1);
    expect(captured.stdout()).toContain('SIGSTORE_CERTIFICATE_UNTRUSTED');
    expect(captured.stdout()).toContain('is out of date');
    expect(captured.stdout()).toContain("run 'rmm-verify trust update'");
    // The same failure with an explicit --trusted-root (no known date) makes no such claim.
    const explicit = captureIo(ROOT, NOW);
    await main(
      [
        'attest',
        'verify',
        GH_DIGEST,
        '--bundle',
        GH,
        '--trusted-root',
        fixtures.trustedRoot,
        '--certificate-identity',
        'x',
        '--certificate-oidc-issuer',
        ISSUER,
      ],
      explicit.io,
    );
    expect(explicit.stdout()).not.toContain('out of date');
  });
});

describe('several Sigstore instances in one JSON-lines trusted root (gh attestation trusted-root)', () => {
  it('verifies bundles of either instance and reports the instance that knew the signer', async () => {
    const fixtures = await generateSigstoreFixtures();
    const dir = await mkdtemp(join(tmpdir(), 'rmm-roots-'));
    const lines = join(dir, 'roots.jsonl');
    const compact = async (file: string) => JSON.stringify(JSON.parse(await readFile(file, 'utf8')));
    await writeFile(
      lines,
      `${await compact(fixtures.trustedRoot)}\n${await compact(join(ROOT, 'keys', 'sigstore', 'trusted_root.json'))}\n`,
    );
    const GH = join(ROOT, 'test', 'fixtures', 'sigstore', 'gh_2.54.0_linux_armv6.tar.gz.sigstore');
    const GH_DIGEST = 'sha256:cd53809273ad6011fdd98e0244c5c2276b15f3dd1294e4715627ebd4f9c6e0f1';
    const gh = (identity: string) =>
      run(
        'attest',
        'verify',
        GH_DIGEST,
        '--bundle',
        GH,
        '--trusted-root',
        lines,
        '--certificate-identity',
        identity,
        '--certificate-oidc-issuer',
        ISSUER,
      );
    expect(
      (await gh('https://github.com/cli/cli/.github/workflows/deployment.yml@refs/heads/trunk')).code,
    ).toBe(0);
    const wrong = await gh('https://github.com/cli/cli/.github/workflows/other.yml@refs/heads/trunk');
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('SIGSTORE_IDENTITY_MISMATCH');
    const generated = await run(
      'attest',
      'verify',
      fixtures.artifact,
      '--bundle',
      fixtures.provenance.good,
      '--trusted-root',
      lines,
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
    );
    expect(generated.code, generated.stdout).toBe(0);
    // A malformed line is an input error naming the line.
    await writeFile(lines, `${await compact(fixtures.trustedRoot)}\n{"mediaType": 1}\n`);
    const bad = await gh('x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('line 2');
  });
});
