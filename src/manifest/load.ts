import { dirname, resolve } from 'node:path';

import type { ValidateFunction } from 'ajv';
import semver from 'semver';

import { defaults } from '../defaults.ts';
import { decodeUtf8, parseStrictJson } from '../json/strict-json.ts';
import { readBoundedFile } from '../json/read-bounded.ts';
import { createAjv } from './ajv.ts';
import { ManifestError } from './errors.ts';
import { manifestSchema } from './schema.ts';
import type { Manifest } from './types.ts';
import { assertValid, stripNullable } from './validate-json.ts';

/** A manifest with the exact bytes it was parsed from (signatures cover these bytes). */
export interface LoadedManifest {
  readonly manifest: Manifest;
  readonly bytes: Buffer;
  readonly path: string;
  /** Relative paths inside the manifest (roots, SBOMs) resolve against this directory. */
  readonly dir: string;
}

let validator: ValidateFunction<Manifest> | undefined;
function manifestValidator(): ValidateFunction<Manifest> {
  validator ??= createAjv().compile<Manifest>(stripNullable(manifestSchema) as typeof manifestSchema);
  return validator;
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
  const manifest = assertValid(manifestValidator(), parsed, file, 'MANIFEST_INVALID', 'manifest');
  const fail = (pointer: string, message: string): never => {
    throw new ManifestError('MANIFEST_INVALID', `manifest: ${message}`, {
      file,
      pointer,
      ...parsed.positionOf(pointer),
    });
  };
  if (Date.parse(manifest.expires) <= Date.parse(manifest.issued)) {
    fail('/expires', `expected a time after issued (${manifest.issued}), found ${manifest.expires}`);
  }
  const versions = new Map<string, number>();
  manifest.releases.forEach((release, index) => {
    const earlier = versions.get(release.version);
    if (earlier !== undefined)
      fail(
        `/releases/${index}/version`,
        `version ${release.version} is listed twice (also at /releases/${earlier})`,
      );
    versions.set(release.version, index);
    if (release.artifacts.length === 0)
      fail(`/releases/${index}/artifacts`, 'expected at least one artifact, found none');
  });
  if (semver.valid(manifest.policy.target) === null) fail('/policy/target', 'expected a semantic version');
  return manifest;
}

/** Reads (size-capped) and parses a manifest file. */
export async function loadManifestFile(path: string): Promise<LoadedManifest> {
  const bytes = await readBoundedFile(path, defaults.maxManifestBytes, 'manifest');
  return { manifest: parseManifest(bytes, path), bytes, path, dir: dirname(resolve(path)) };
}
