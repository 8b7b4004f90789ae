import { compileVersionPolicy } from '../manifest/version-policy.ts';
import type { Advisory, Manifest } from '../manifest/types.ts';
import type { VersionScheme } from '../versions/index.ts';
import type { DriftClass } from './types.ts';

/** Version classes: exactly one per managed agent (the other classes come on top). */
export type VersionClass = Extract<
  DriftClass,
  'on-target' | 'behind' | 'below-minimum' | 'ahead-of-target' | 'unknown-version'
>;

/** What one distinct (product, version) means under the manifest's policy; computed once. */
export interface VersionInfo {
  /** The version as the inventory wrote it. */
  readonly version: string;
  /** Canonical text in the product's version scheme; '' when it is not a version of that scheme. */
  readonly normalised: string;
  readonly versionClass: VersionClass;
  readonly revokedBy: string | undefined;
  readonly advisories: readonly Advisory[];
  /**
   * A valid version the manifest's releases do not list (below, between or above them), when
   * the manifest lists any release; with the nearest released versions either side.
   */
  readonly unreleased: { readonly below: string | null; readonly above: string | null } | undefined;
  /** sha256 of every artifact pinned for this version; undefined when the manifest has no such release. */
  readonly pinnedSha256: ReadonlySet<string> | undefined;
  /**
   * Whether a (lower-case hex) sha256 is a pinned artifact of this version for the row's
   * platform ('' when the row reports none: any of the version's artifacts).
   */
  isPinned(sha256: string, platform: string): boolean;
}

/** A product with a pinned manifest: its agents are classified. */
export interface ManagedProduct {
  readonly kind: 'managed';
  /** Index into the catalog's product keys. */
  readonly key: number;
  readonly id: string;
  readonly manifest: Manifest;
  readonly scheme: VersionScheme;
  readonly platforms: ReadonlySet<string> | undefined;
  info(version: string): VersionInfo;
  /**
   * Whether an inventory platform is allowed: exactly (case-insensitive), or as the family of an
   * allowed platform (`windows` for `windows-x64`: osquery tables report no architecture).
   * Always true when the policy lists no platforms or the row reports none.
   */
  platformAllowed(platform: string): boolean;
}

/** Whether an inventory platform names an artifact's platform: exactly or as its family. */
function platformMatches(artifactPlatform: string, rowPlatform: string): boolean {
  return artifactPlatform === rowPlatform || artifactPlatform.startsWith(`${rowPlatform}-`);
}

export function makeManaged(manifest: Manifest, key: number): ManagedProduct {
  const policy = compileVersionPolicy(manifest);
  const scheme = policy.scheme;
  /** Per canonical release version: [sha256, lower-case platform] of each artifact. */
  const pinned = new Map<string, [string, string][]>();
  for (const release of manifest.releases) {
    const version = scheme.normalise(release.version);
    if (version === undefined) continue; // parseManifest rejects these
    const list = pinned.get(version) ?? [];
    for (const artifact of release.artifacts) {
      const sha = artifact.digests.sha256;
      if (sha !== undefined) list.push([sha.toLowerCase(), artifact.platform.toLowerCase()]);
    }
    pinned.set(version, list);
  }
  const released = [...pinned.keys()].sort((a, b) => scheme.compare(a, b));
  const cache = new Map<string, VersionInfo>();
  const platformCache = new Map<string, boolean>();
  const lowerCache = new Map<string, string>();
  const lower = (platform: string): string => {
    let text = lowerCache.get(platform);
    if (text === undefined) {
      text = platform.trim().toLowerCase();
      if (lowerCache.size < 1000) lowerCache.set(platform, text);
    }
    return text;
  };
  const platforms = manifest.policy.platforms?.length
    ? new Set(manifest.policy.platforms.map((p) => p.toLowerCase()))
    : undefined;
  return {
    kind: 'managed',
    key,
    id: manifest.product,
    manifest,
    scheme,
    platforms,
    platformAllowed(platform: string): boolean {
      if (platforms === undefined || platform === '') return true;
      let allowed = platformCache.get(platform);
      if (allowed === undefined) {
        const key = lower(platform);
        allowed = [...platforms].some((p) => platformMatches(p, key));
        if (platformCache.size < 1000) platformCache.set(platform, allowed);
      }
      return allowed;
    },
    info(version: string): VersionInfo {
      let info = cache.get(version);
      if (info === undefined) {
        const verdict = policy.evaluate(version);
        const versionClass: VersionClass = !verdict.valid
          ? 'unknown-version'
          : verdict.belowMinimum
            ? 'below-minimum'
            : verdict.comparedToTarget < 0
              ? 'behind'
              : verdict.comparedToTarget === 0
                ? 'on-target'
                : 'ahead-of-target';
        const list = verdict.valid ? pinned.get(verdict.normalised) : undefined;
        const pins = list ?? [];
        const set = list === undefined ? undefined : new Set(list.map(([sha]) => sha));
        let unreleased: VersionInfo['unreleased'];
        if (verdict.valid && list === undefined && released.length > 0) {
          let below: string | null = null;
          let above: string | null = null;
          for (const r of released) {
            if (scheme.compare(r, verdict.normalised) < 0) below = r;
            else {
              above = r;
              break;
            }
          }
          unreleased = { below, above };
        }
        info = {
          version,
          normalised: verdict.normalised,
          // A version pins a handful of artifacts: comparing them beats hashing a 64-character key.
          isPinned(sha256: string, platform: string): boolean {
            for (const [pin, pinPlatform] of pins)
              if (pin === sha256 && (platform === '' || platformMatches(pinPlatform, lower(platform))))
                return true;
            return false;
          },
          versionClass,
          revokedBy: verdict.revokedBy,
          advisories: verdict.advisories,
          unreleased,
          pinnedSha256: set,
        };
        // Bounded: a hostile inventory could report millions of distinct versions.
        if (cache.size < 100_000) cache.set(version, info);
      }
      return info;
    },
  };
}
