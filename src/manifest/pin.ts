import { UsageError } from '../errors.ts';
import { versionScheme } from '../versions/index.ts';
import type { Artifact, Manifest, Release } from './types.ts';

export interface PinRequest {
  readonly version: string;
  readonly artifacts: readonly Artifact[];
  /** The time written to `issued`. */
  readonly now: Date;
  /** New expiry; default keeps the manifest's (or now + 90 days for a new manifest). */
  readonly expires?: string;
}

/**
 * Adds artifacts to a release (creating it if needed) and bumps the serial by one. The result is
 * unsigned: the bytes changed, so existing signatures no longer verify. Re-pinning an artifact
 * of the same name and platform in the same release replaces it.
 */
export function pinArtifacts(manifest: Manifest, request: PinRequest): Manifest {
  const scheme = versionScheme(manifest.versionScheme);
  const version = scheme.normalise(request.version);
  if (version === undefined) {
    throw new UsageError(
      `pin: --version must be a ${scheme.name} version such as ${scheme.example} (the manifest's versionScheme); got '${request.version}'`,
    );
  }
  const existing = manifest.releases.find((r) => scheme.normalise(r.version) === version);
  const keep = (existing?.artifacts ?? []).filter(
    (a) => !request.artifacts.some((n) => n.name === a.name && n.platform === a.platform),
  );
  const release: Release = {
    ...(existing ?? { version }),
    artifacts: [...keep, ...request.artifacts],
  };
  const releases = existing
    ? manifest.releases.map((r) => (r === existing ? release : r))
    : [...manifest.releases, release].sort((a, b) =>
        scheme.compare(scheme.normalise(b.version) ?? '', scheme.normalise(a.version) ?? ''),
      );
  return {
    ...manifest,
    serial: manifest.serial + 1,
    issued: request.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(request.expires !== undefined ? { expires: request.expires } : {}),
    releases,
  };
}

/** A new, empty manifest for `pin --product ... --vendor ...` when the file does not exist yet. */
export function newManifest(product: string, vendor: string, target: string, now: Date): Manifest {
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    schema: 1,
    product,
    vendor,
    serial: 0,
    issued: iso(now),
    expires: iso(new Date(now.getTime() + 90 * 86_400_000)),
    signers: {},
    policy: { target },
    releases: [],
  };
}

/** The canonical way we write manifests: 2-space JSON and a final newline. */
export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
