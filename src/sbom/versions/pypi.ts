/**
 * PyPI version ordering per PEP 440 (Version Identification), with its normalisation rules:
 * case-insensitive, optional leading `v`, alternative spellings (alpha → a, beta → b,
 * c/pre/preview → rc, rev/r → post), optional separators and implicit numbers (`1.0a` = `1.0a0`,
 * `1.0-1` = `1.0.post1`), trailing zeros of the release insignificant.
 */
export interface Pep440Version {
  readonly epoch: bigint;
  readonly release: readonly bigint[];
  readonly pre?: { readonly label: 'a' | 'b' | 'rc'; readonly number: bigint };
  readonly post?: bigint;
  readonly dev?: bigint;
  readonly local?: readonly (bigint | string)[];
}

// PEP 440 appendix B: the canonical parsing regular expression (VERSION_PATTERN).
const PATTERN = new RegExp(
  '^\\s*v?' +
    '(?:(?<epoch>[0-9]+)!)?' +
    '(?<release>[0-9]+(?:\\.[0-9]+)*)' +
    '(?<pre>[-_.]?(?<preLabel>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preNumber>[0-9]+)?)?' +
    '(?<post>(?:-(?<postImplicit>[0-9]+))|(?:[-_.]?(?<postLabel>post|rev|r)[-_.]?(?<postNumber>[0-9]+)?))?' +
    '(?<dev>[-_.]?(?<devLabel>dev)[-_.]?(?<devNumber>[0-9]+)?)?' +
    '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?' +
    '\\s*$',
  'i',
);

const PRE_LABELS: Readonly<Record<string, 'a' | 'b' | 'rc'>> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc',
};

export function parsePep440(version: string): Pep440Version | undefined {
  const groups = PATTERN.exec(version)?.groups;
  if (!groups) return undefined;
  const release = (groups['release'] ?? '0').split('.').map((n) => BigInt(n));
  const preLabel = groups['preLabel']?.toLowerCase();
  const postNumber = groups['postImplicit'] ?? groups['postNumber'];
  const hasPost = groups['post'] !== undefined;
  return {
    epoch: BigInt(groups['epoch'] ?? '0'),
    release,
    ...(preLabel
      ? { pre: { label: PRE_LABELS[preLabel] ?? 'rc', number: BigInt(groups['preNumber'] ?? '0') } }
      : {}),
    ...(hasPost ? { post: BigInt(postNumber ?? '0') } : {}),
    ...(groups['dev'] !== undefined ? { dev: BigInt(groups['devNumber'] ?? '0') } : {}),
    ...(groups['local']
      ? {
          local: groups['local']
            .toLowerCase()
            .split(/[-_.]/)
            .map((part) => (/^[0-9]+$/.test(part) ? BigInt(part) : part)),
        }
      : {}),
  };
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const PRE_RANK = { a: 0, b: 1, rc: 2 } as const;

/** -1 sorts before everything, +1 after everything, 0 means "compare the values". */
type Bound = -1 | 0 | 1;

function comparePhase(aBound: Bound, aValue: bigint, bBound: Bound, bValue: bigint): number {
  if (aBound !== bBound) return aBound < bBound ? -1 : 1;
  return aBound === 0 ? compareBig(aValue, bValue) : 0;
}

/** The PEP 440 sort key of `packaging.version` (`_cmpkey`), compared field by field. */
export function comparePep440(a: Pep440Version, b: Pep440Version): number {
  const epoch = compareBig(a.epoch, b.epoch);
  if (epoch !== 0) return epoch;
  // Trailing zeros are insignificant: 1.0 == 1.0.0.
  const length = Math.max(a.release.length, b.release.length);
  for (let i = 0; i < length; i++) {
    const result = compareBig(a.release[i] ?? 0n, b.release[i] ?? 0n);
    if (result !== 0) return result;
  }
  // Pre-release: a dev release of the final sorts before its pre-releases (1.0.dev0 < 1.0a0);
  // no pre-release sorts after every pre-release.
  const preKey = (v: Pep440Version): [Bound, bigint] => {
    if (v.pre) return [0, BigInt(PRE_RANK[v.pre.label]) * (1n << 64n) + v.pre.number];
    if (v.post === undefined && v.dev !== undefined) return [-1, 0n];
    return [1, 0n];
  };
  const [aPreBound, aPre] = preKey(a);
  const [bPreBound, bPre] = preKey(b);
  const pre = comparePhase(aPreBound, aPre, bPreBound, bPre);
  if (pre !== 0) return pre;
  // No post-release sorts before any post-release.
  const post = comparePhase(
    a.post === undefined ? -1 : 0,
    a.post ?? 0n,
    b.post === undefined ? -1 : 0,
    b.post ?? 0n,
  );
  if (post !== 0) return post;
  // No dev release sorts after any dev release.
  const dev = comparePhase(
    a.dev === undefined ? 1 : 0,
    a.dev ?? 0n,
    b.dev === undefined ? 1 : 0,
    b.dev ?? 0n,
  );
  if (dev !== 0) return dev;
  // Local versions: none sorts first; segments compare with numbers above strings; a shorter
  // local version sorts first when the longer starts with it.
  if (a.local === undefined || b.local === undefined) {
    return a.local === b.local ? 0 : a.local === undefined ? -1 : 1;
  }
  const localLength = Math.max(a.local.length, b.local.length);
  for (let i = 0; i < localLength; i++) {
    const l = a.local[i];
    const r = b.local[i];
    if (l === undefined) return -1;
    if (r === undefined) return 1;
    if (typeof l === 'bigint' && typeof r === 'bigint') {
      const result = compareBig(l, r);
      if (result !== 0) return result;
    } else if (typeof l === 'bigint') return 1;
    else if (typeof r === 'bigint') return -1;
    else if (l !== r) return l < r ? -1 : 1;
  }
  return 0;
}
