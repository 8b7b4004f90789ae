/**
 * The peer of `rmm-verify attest verify` in bench/sigstore.ts, run as its own process: sigstore-js
 * verifying one bundle offline the way its own conformance command does (bundleFromJSON,
 * toSignedEntity, toTrustMaterial, Verifier) with the same vendored trusted_root.json.
 *
 *   node bench/sigstore-peer.ts BUNDLE (FILE | sha256:HEX) IDENTITY ISSUER
 *
 * Exits 0 when the bundle verifies (it throws otherwise). For a digest (DSSE attestation)
 * sigstore-js checks the envelope signature only; rmm-verify also checks the in-toto subject.
 */
import { readFileSync } from 'node:fs';

import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const [bundlePath, artifact, identity, issuer] = process.argv.slice(2);
if (!bundlePath || !artifact || !identity || !issuer)
  throw new Error('usage: BUNDLE FILE|sha256:HEX IDENTITY ISSUER');
const root = TrustedRoot.fromJSON(
  JSON.parse(readFileSync(new URL('../keys/sigstore/trusted_root.json', import.meta.url), 'utf8')),
);
const json = JSON.parse(readFileSync(bundlePath, 'utf8')) as {
  verificationMaterial: { tlogEntries: { inclusionProof?: { checkpoint?: unknown } }[] };
};
// @sigstore/verify 3 throws a TypeError on v0.1 inclusion proofs without a checkpoint; drop
// them as rmm-verify does (the inclusion promise is verified instead).
for (const entry of json.verificationMaterial.tlogEntries) {
  if (entry.inclusionProof && !entry.inclusionProof.checkpoint) delete entry.inclusionProof;
}
const bundle = bundleFromJSON(json);
// sigstore-js needs the artifact bytes in memory for message signatures.
const entity = toSignedEntity(bundle, artifact.startsWith('sha256:') ? undefined : readFileSync(artifact));
new Verifier(toTrustMaterial(root)).verify(entity, {
  subjectAlternativeName: identity,
  extensions: { issuer },
});
