import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import type { ArtifactContext } from '../artifact/check.ts';

/** File name suffixes a bundle or attestation next to an artifact may have. */
export const BUNDLE_SUFFIXES = ['.sigstore.json', '.sigstore', '.intoto.jsonl', '.bundle'] as const;

/**
 * Bundle files for an artifact: `<file><suffix>` beside it and in each evidence directory (by
 * the file's name and its pinned name), and `sha256:<hex>.jsonl` as `gh attestation download`
 * names them. Free of the Sigstore libraries, so `verify` can tell whether provenance applies
 * without loading them.
 */
export function findBundleFiles(
  context: Pick<ArtifactContext, 'path' | 'artifact' | 'digests' | 'options'>,
): string[] {
  const names = [...new Set([basename(context.path), context.artifact.name])];
  const candidates: string[] = BUNDLE_SUFFIXES.map((suffix) => `${context.path}${suffix}`);
  const sha256 = context.digests.sha256;
  for (const dir of [dirname(context.path), ...context.options.evidenceDirs]) {
    for (const name of names)
      for (const suffix of BUNDLE_SUFFIXES) candidates.push(join(dir, `${name}${suffix}`));
    if (sha256 !== undefined) candidates.push(join(dir, `sha256:${sha256}.jsonl`));
  }
  return [...new Set(candidates)].filter((file) => existsSync(file));
}
