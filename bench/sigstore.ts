/**
 * Sigstore and GitHub download benchmarks against peers measured in the same run (issue 5):
 * 1. Offline bundle verification of the committed real bundles (v0.1 message signature over a
 *    file; v0.3 DSSE GitHub attestation by digest), N times each: rmm-verify (strict parse,
 *    prehashed signature, subject and identity checks) vs sigstore-js's own offline path
 *    (bundleFromJSON + toSignedEntity + Verifier with the same trust material).
 * 2. Download of one release asset from a local HTTP server with sha256 + sha512: rmm-verify's
 *    downloadToFile (stream → digests → temp file → rename) vs `curl -o` followed by
 *    `sha256sum` and `sha512sum`. 200 MB (20 MB with BENCH_QUICK=1).
 */
import { execFile } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { bundleFromJSON } from '@sigstore/bundle';
import { Verifier, toSignedEntity } from '@sigstore/verify';

import { downloadToFile } from '../src/github/download.ts';
import {
  exactIdentity,
  loadPublicGoodTrustedRoot,
  parseBundleBytes,
  verifyBundle,
} from '../src/sigstore/index.ts';
import { artifactDigests } from '../src/sigstore/verify-files.ts';
import { bestOf, quick, row } from './timing.ts';

const fixtures = fileURLToPath(new URL('../test/fixtures/sigstore/', import.meta.url));
const out = fileURLToPath(new URL('out/sigstore/', import.meta.url));
mkdirSync(out, { recursive: true });
const ISSUER = 'https://token.actions.githubusercontent.com';
const count = quick ? 50 : 200;
const trust = await loadPublicGoodTrustedRoot();

const cases = [
  {
    label: `verify v0.1 message-signature bundle + file x${count}`,
    bundle: join(fixtures, 'a.txt.sigstore'),
    artifact: join(fixtures, 'a.txt') as string | undefined,
    digest: 'a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf',
    identity:
      'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
  },
  {
    label: `verify v0.3 DSSE GitHub attestation by digest x${count}`,
    bundle: join(fixtures, 'gh_2.54.0_linux_armv6.tar.gz.sigstore'),
    artifact: undefined,
    digest: 'cd53809273ad6011fdd98e0244c5c2276b15f3dd1294e4715627ebd4f9c6e0f1',
    identity: 'https://github.com/cli/cli/.github/workflows/deployment.yml@refs/heads/trunk',
  },
];

for (const c of cases) {
  const bytes = readFileSync(c.bundle);
  const policy = { identities: [{ identity: exactIdentity(c.identity), issuer: ISSUER }], keyBased: false };
  const ours = await bestOf(3, async () => {
    for (let i = 0; i < count; i++) {
      const digests = c.artifact
        ? await artifactDigests({ kind: 'file', path: c.artifact })
        : { sha256: c.digest };
      const [parsed] = parseBundleBytes(bytes, c.bundle);
      if (parsed?.kind !== 'bundle') throw new Error('bundle did not parse');
      if (!verifyBundle(parsed.bundle, digests, trust, policy, { subject: 'x', bundleFile: c.bundle }).ok) {
        throw new Error('rmm-verify did not verify');
      }
    }
  });
  const peerVerifier = new Verifier(trust.material);
  const peer = await bestOf(3, () => {
    for (let i = 0; i < count; i++) {
      const json = JSON.parse(bytes.toString('utf8')) as {
        verificationMaterial: { tlogEntries: { inclusionProof?: { checkpoint?: unknown } }[] };
      };
      // @sigstore/verify 3 throws a TypeError on v0.1 inclusion proofs without a checkpoint;
      // drop them as rmm-verify does (the inclusion promise is verified instead).
      for (const entry of json.verificationMaterial.tlogEntries) {
        if (entry.inclusionProof && !entry.inclusionProof.checkpoint) delete entry.inclusionProof;
      }
      const bundle = bundleFromJSON(json);
      // sigstore-js needs the artifact bytes in memory for message signatures.
      const artifact = c.artifact ? readFileSync(c.artifact) : undefined;
      const entity = toSignedEntity(bundle, artifact);
      peerVerifier.verify(entity, { subjectAlternativeName: c.identity, extensions: { issuer: ISSUER } });
    }
    return Promise.resolve();
  });
  row(
    c.label,
    ours,
    peer,
    'sigstore-js Verifier',
    'goal: within 2x; rmm-verify also checks the in-toto subject',
  );
}

// 2. Download throughput.
const size = (quick ? 20 : 200) * 1_000_000;
const source = join(out, 'asset.bin');
{
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
  const { openSync, writeSync, closeSync } = await import('node:fs');
  const fd = openSync(source, 'w');
  for (let written = 0; written < size; written += chunk.length)
    writeSync(fd, chunk, 0, Math.min(chunk.length, size - written));
  closeSync(fd);
}
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
  createReadStream(source).pipe(res);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/asset.bin`;
const ours = await bestOf(3, async () => {
  rmSync(join(out, 'ours.bin'), { force: true });
  await downloadToFile(url, join(out, 'ours.bin'), {
    maxBytes: size,
    expectedSize: size,
    allowInsecureLoopback: true,
    algorithms: ['sha256', 'sha512'],
  });
});
// The server lives in this process: the peer must run asynchronously (spawnSync would deadlock).
const exec = promisify(execFile);
const curl = await bestOf(3, async () => {
  const peerFile = join(out, 'curl.bin');
  await exec('curl', ['-sS', '-o', peerFile, url]);
  await exec('sha256sum', [peerFile]);
  await exec('sha512sum', [peerFile]);
});
server.close();
row(
  `download ${size / 1e6} MB with sha256+sha512`,
  ours,
  curl,
  'curl + sha256sum + sha512sum',
  'goal: <= 1.0x',
);
rmSync(out, { recursive: true, force: true });
