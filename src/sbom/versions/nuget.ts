/**
 * NuGet version ordering (NuGet.Versioning `VersionComparer.Default`): up to four numeric parts
 * (missing parts are 0, so 1.0 = 1.0.0.0), then SemVer 2.0 pre-release rules with labels
 * compared case-insensitively; build metadata is ignored.
 */
export interface NuGetVersion {
  readonly parts: readonly [bigint, bigint, bigint, bigint];
  readonly prerelease: readonly string[];
}

const PATTERN =
  /^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?\s*$/;

export function parseNuGetVersion(version: string): NuGetVersion | undefined {
  const match = PATTERN.exec(version);
  if (!match) return undefined;
  const part = (i: number): bigint => BigInt(match[i] ?? '0');
  return { parts: [part(1), part(2), part(3), part(4)], prerelease: match[5] ? match[5].split('.') : [] };
}

export function compareNuGet(a: NuGetVersion, b: NuGetVersion): number {
  for (let i = 0; i < 4; i++) {
    const l = a.parts[i] ?? 0n;
    const r = b.parts[i] ?? 0n;
    if (l !== r) return l < r ? -1 : 1;
  }
  return comparePrerelease(a.prerelease, b.prerelease, true);
}

/** SemVer 2.0 §11: a release sorts after its pre-releases; numeric identifiers below alphanumeric ones. */
export function comparePrerelease(a: readonly string[], b: readonly string[], ignoreCase: boolean): number {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const l = a[i];
    const r = b[i];
    if (l === undefined) return -1;
    if (r === undefined) return 1;
    const lNumeric = /^\d+$/.test(l);
    const rNumeric = /^\d+$/.test(r);
    if (lNumeric && rNumeric) {
      const result = BigInt(l) < BigInt(r) ? -1 : BigInt(l) > BigInt(r) ? 1 : 0;
      if (result !== 0) return result;
    } else if (lNumeric !== rNumeric) return lNumeric ? -1 : 1;
    else {
      const x = ignoreCase ? l.toLowerCase() : l;
      const y = ignoreCase ? r.toLowerCase() : r;
      if (x !== y) return x < y ? -1 : 1;
    }
  }
  return 0;
}
