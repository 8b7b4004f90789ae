import { isAuthenticodeFile } from '../authenticode/file-kind.ts';
import type { Artifact, Manifest } from '../manifest/types.ts';
import { openPgpSignersFor } from '../openpgp/signers.ts';

/**
 * The domain checks the manifest requires of one artifact, decided here and nowhere else: the
 * pipeline fails an artifact when one of them did not run (or returned "does not apply").
 *
 * - `authenticode`: the manifest pins Authenticode signers or sets policy.requireAuthenticode,
 *   and the file is a PE or an MSI (by its first bytes, read from the hashed file).
 * - `openpgp`: the manifest pins an OpenPGP signer for the artifact's platform.
 * - `provenance`: policy.requireProvenance.
 * - `sbom`: the artifact pins an SBOM.
 */
export function requiredChecks(manifest: Manifest, artifact: Artifact, head: Uint8Array): Set<string> {
  const required = new Set<string>();
  const authenticode =
    (manifest.signers.authenticode ?? []).length > 0 || manifest.policy.requireAuthenticode === true;
  if (authenticode && isAuthenticodeFile(head)) required.add('authenticode');
  if (openPgpSignersFor(manifest, artifact).length > 0) required.add('openpgp');
  if (manifest.policy.requireProvenance === true) required.add('provenance');
  if (artifact.sbom !== undefined) required.add('sbom');
  return required;
}
