/**
 * Sigstore bundle verification as users run it, whole processes in the same run (issue 15):
 * `rmm-verify attest verify --offline` (vendored public-good trusted root) against sigstore-js's
 * Verifier in its own process (bench/sigstore-peer.ts) on the same real bundles: a v0.1 message
 * signature over a file, and a v0.3 DSSE GitHub attestation checked by digest. The CLI verifies
 * one bundle per run, so each comparison is one verification per process, alternating.
 * Goal: ≤ 1.0×.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { atMost, compare } from './compare.ts';

const fixtures = fileURLToPath(new URL('../test/fixtures/sigstore/', import.meta.url));
const peer = fileURLToPath(new URL('sigstore-peer.ts', import.meta.url));
const ISSUER = 'https://token.actions.githubusercontent.com';

const cases = [
  {
    name: 'Sigstore v0.1 message-signature bundle + file',
    bundle: join(fixtures, 'a.txt.sigstore'),
    artifact: join(fixtures, 'a.txt'),
    identity:
      'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
  },
  {
    name: 'Sigstore v0.3 DSSE GitHub attestation by digest',
    bundle: join(fixtures, 'gh_2.54.0_linux_armv6.tar.gz.sigstore'),
    artifact: 'sha256:cd53809273ad6011fdd98e0244c5c2276b15f3dd1294e4715627ebd4f9c6e0f1',
    identity: 'https://github.com/cli/cli/.github/workflows/deployment.yml@refs/heads/trunk',
  },
];

for (const c of cases) {
  compare({
    name: c.name,
    ours: {
      label: 'rmm-verify attest verify',
      file: process.execPath,
      args: [
        fileURLToPath(new URL('../bin/rmm-verify.js', import.meta.url)),
        'attest',
        'verify',
        c.artifact,
        '--bundle',
        c.bundle,
        '--certificate-identity',
        c.identity,
        '--certificate-oidc-issuer',
        ISSUER,
        '--offline',
      ],
    },
    peer: {
      label: 'sigstore-js Verifier (node)',
      file: process.execPath,
      args: [peer, c.bundle, c.artifact, c.identity, ISSUER],
    },
    goal: atMost(1.0),
  });
}
