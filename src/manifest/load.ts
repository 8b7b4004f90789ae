import { dirname, resolve } from 'node:path';

import { defaults } from '../defaults.ts';
import { decodeUtf8, parseStrictJson } from '../json/strict-json.ts';
import { readBoundedFile } from '../json/read-bounded.ts';
import { instantOf } from '../time/rfc3339.ts';
import { ManifestError } from './errors.ts';
import type { Manifest } from './types.ts';
import { assertValid } from './validate-json.ts';
import { validateManifestDocument } from './validators.ts';
import { versionScheme } from '../versions/index.ts';

/** A manifest with the exact bytes it was parsed from (signatures cover these bytes). */
export interface LoadedManifest {
  readonly manifest: Manifest;
  readonly bytes: Buffer;
  readonly path: string;
  /** Relative paths inside the manifest (roots, SBOMs) resolve against this directory. */
  readonly dir: string;
}

/**
 * Turns untrusted manifest bytes into a typed, read-only Manifest, or throws a ManifestError
 * naming the file, the JSON pointer (with line and column), what was expected and what was found.
 */
export function parseManifest(bytes: Uint8Array, file: string): Manifest {
  if (bytes.byteLength > defaults.maxManifestBytes) {
    throw new ManifestError(
      'MANIFEST_INVALID',
      `manifest is larger than the limit of ${defaults.maxManifestBytes} bytes`,
      {
        file,
      },
    );
  }
  const parsed = parseStrictJson(decodeUtf8(bytes, file), file);
  const manifest = assertValid(validateManifestDocument, parsed, file, 'MANIFEST_INVALID', 'manifest');
  const fail = (pointer: string, message: string): never => {
    throw new ManifestError('MANIFEST_INVALID', `manifest: ${message}`, {
      file,
      pointer,
      ...parsed.positionOf(pointer),
    });
  };
  if (instantOf(manifest.expires) <= instantOf(manifest.issued)) {
    fail('/expires', `expected a time after issued (${manifest.issued}), found ${manifest.expires}`);
  }
  const scheme = versionScheme(manifest.versionScheme);
  const wantVersion = (pointer: string, text: string): string =>
    scheme.normalise(text) ??
    fail(pointer, `expected a ${scheme.name} version such as ${scheme.example}, found '${text}'`);
  const wantRange = (pointer: string, text: string): void => {
    if (scheme.parseRange(text) === undefined)
      fail(
        pointer,
        `expected a ${scheme.name} version or range such as >=${scheme.example}, found '${text}'`,
      );
  };
  const versions = new Map<string, number>();
  manifest.releases.forEach((release, index) => {
    const version = wantVersion(`/releases/${index}/version`, release.version);
    const earlier = versions.get(version);
    if (earlier !== undefined)
      fail(
        `/releases/${index}/version`,
        `version ${release.version} is listed twice (also at /releases/${earlier})`,
      );
    versions.set(version, index);
    if (release.artifacts.length === 0)
      fail(`/releases/${index}/artifacts`, 'expected at least one artifact, found none');
  });
  wantVersion('/policy/target', manifest.policy.target);
  if (manifest.policy.minimum !== undefined) wantRange('/policy/minimum', manifest.policy.minimum);
  manifest.policy.revoked?.forEach((text, i) => {
    wantRange(`/policy/revoked/${i}`, text);
  });
  manifest.policy.advisories?.forEach((advisory, i) => {
    wantRange(`/policy/advisories/${i}/versions`, advisory.versions);
  });
  return manifest;
}

/** Reads (size-capped) and parses a manifest file. */
export async function loadManifestFile(path: string): Promise<LoadedManifest> {
  const bytes = await readBoundedFile(path, defaults.maxManifestBytes, 'manifest');
  return { manifest: parseManifest(bytes, path), bytes, path, dir: dirname(resolve(path)) };
}
