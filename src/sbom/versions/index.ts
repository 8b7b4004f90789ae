import semver from 'semver';

import { compareMavenVersions } from './maven.ts';
import { compareNuGet, parseNuGetVersion } from './nuget.ts';
import { comparePep440, parsePep440 } from './pypi.ts';

export { compareMavenVersions, parseMavenVersion } from './maven.ts';
export { compareNuGet, comparePrerelease, parseNuGetVersion, type NuGetVersion } from './nuget.ts';
export { comparePep440, parsePep440, type Pep440Version } from './pypi.ts';

/** How one ecosystem orders versions. `parse` returns undefined for a version it does not accept. */
export interface VersionOrdering {
  /** OSV ecosystem name: `npm`, `NuGet`, `Go`, `PyPI`, `Maven`, or `semver` for generic SemVer. */
  readonly ecosystem: string;
  /** Compares two versions; undefined when either does not parse. */
  compare(a: string, b: string): number | undefined;
  isValid(version: string): boolean;
}

function cached<T>(parse: (version: string) => T | undefined): (version: string) => T | undefined {
  const cache = new Map<string, T | undefined>();
  return (version) => {
    if (cache.has(version)) return cache.get(version);
    const parsed = parse(version);
    if (cache.size > 100_000) cache.clear(); // bounded memory
    cache.set(version, parsed);
    return parsed;
  };
}

function ordering<T>(
  ecosystem: string,
  parse: (version: string) => T | undefined,
  compare: (a: T, b: T) => number,
): VersionOrdering {
  const parseCached = cached(parse);
  return {
    ecosystem,
    compare(a, b) {
      const x = parseCached(a);
      const y = parseCached(b);
      return x === undefined || y === undefined ? undefined : compare(x, y);
    },
    isValid: (version) => parseCached(version) !== undefined,
  };
}

/** SemVer 2.0 as node-semver parses it (strict), with an optional leading `v` (Go modules). */
function parseSemver(version: string): semver.SemVer | undefined {
  const text = version.startsWith('v') ? version.slice(1) : version;
  return semver.parse(text) ?? undefined;
}

const SEMVER = ordering('semver', parseSemver, (a, b) => a.compare(b));

/** Orderings by OSV ecosystem name. */
export const VERSION_ORDERINGS: Readonly<Record<string, VersionOrdering>> = {
  npm: ordering(
    'npm',
    (v) => semver.parse(v) ?? undefined,
    (a, b) => a.compare(b),
  ),
  // Go module versions are SemVer with a `v` prefix; pseudo-versions are SemVer pre-releases.
  Go: ordering('Go', parseSemver, (a, b) => a.compare(b)),
  NuGet: ordering('NuGet', parseNuGetVersion, compareNuGet),
  PyPI: ordering('PyPI', parsePep440, comparePep440),
  // Every string is a Maven version (ComparableVersion never rejects one).
  Maven: ordering('Maven', (v) => (v.trim() === '' ? undefined : v), compareMavenVersions),
  semver: SEMVER,
};

/** purl type → OSV ecosystem. Types not listed have no defined ordering here. */
export const PURL_ECOSYSTEMS: Readonly<Record<string, string>> = {
  npm: 'npm',
  nuget: 'NuGet',
  golang: 'Go',
  pypi: 'PyPI',
  maven: 'Maven',
  generic: 'semver',
};

export function orderingFor(ecosystem: string): VersionOrdering | undefined {
  return Object.hasOwn(VERSION_ORDERINGS, ecosystem) ? VERSION_ORDERINGS[ecosystem] : undefined;
}
