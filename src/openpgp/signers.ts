import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import type { ArtifactContext } from '../artifact/check.ts';
import type { Artifact, Manifest, OpenPgpSigner } from '../manifest/types.ts';

/** File name suffixes of a detached OpenPGP signature beside the file it signs. */
export const OPENPGP_SIGNATURE_SUFFIXES = ['.asc', '.sig', '.gpg'] as const;

/**
 * The manifest's OpenPGP signers that sign this artifact (by platform). Free of OpenPGP.js, so
 * `verify` can tell whether the check applies without loading it.
 */
export function openPgpSignersFor(manifest: Manifest, artifact: Artifact): readonly OpenPgpSigner[] {
  return (manifest.signers.openpgp ?? []).filter(
    (signer) => signer.platforms === undefined || signer.platforms.includes(artifact.platform),
  );
}

/** Detached signatures for the artifact: `<file>.asc|.sig|.gpg` beside it and in each evidence directory. */
export function findOpenPgpSignatureFiles(
  context: Pick<ArtifactContext, 'path' | 'artifact' | 'options'>,
): string[] {
  const names = [...new Set([basename(context.path), context.artifact.name])];
  const candidates: string[] = [];
  for (const dir of [dirname(context.path), ...context.options.evidenceDirs]) {
    for (const name of names)
      for (const suffix of OPENPGP_SIGNATURE_SUFFIXES) candidates.push(join(dir, `${name}${suffix}`));
  }
  return [...new Set(candidates)].filter((file) => existsSync(file));
}
