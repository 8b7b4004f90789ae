import type { VersionOrdering } from './versions/index.ts';

/**
 * A version range in the policy file, evaluated with the package's ecosystem ordering:
 * comparator sets separated by `||`, each a space-separated list of `<`, `<=`, `>`, `>=`, `=`
 * followed by a version (a bare version means `=`); `*` matches every version.
 * Examples: `<2.17.1`, `>=1.0.0 <1.2.3 || =2.0.0`.
 */
export interface Comparator {
  readonly operator: '<' | '<=' | '>' | '>=' | '=';
  readonly version: string;
}
export type VersionRange = readonly (readonly Comparator[])[];

export function parseVersionRange(text: string): VersionRange | undefined {
  const sets: Comparator[][] = [];
  for (const alternative of text.split('||')) {
    const parts = alternative
      .trim()
      .split(/\s+/)
      .filter((p) => p !== '');
    if (parts.length === 0) return undefined;
    const set: Comparator[] = [];
    for (const part of parts) {
      if (part === '*') continue;
      const match = /^(<=|>=|<|>|=)?(.+)$/.exec(part);
      const version = match?.[2];
      if (!match || !version || /^[<>=]/.test(version)) return undefined;
      set.push({ operator: (match[1] ?? '=') as Comparator['operator'], version });
    }
    sets.push(set);
  }
  return sets;
}

/** True or false, or undefined when a version does not parse in the ordering. */
export function rangeIncludes(
  range: VersionRange,
  version: string,
  ordering: VersionOrdering,
): boolean | undefined {
  let undecided = false;
  for (const set of range) {
    let all = true;
    for (const { operator, version: bound } of set) {
      const result = ordering.compare(version, bound);
      if (result === undefined) {
        undecided = true;
        all = false;
        break;
      }
      const ok =
        operator === '<'
          ? result < 0
          : operator === '<='
            ? result <= 0
            : operator === '>'
              ? result > 0
              : operator === '>='
                ? result >= 0
                : result === 0;
      if (!ok) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return undecided ? undefined : false;
}
