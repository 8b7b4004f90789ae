/**
 * Version schemes: the one place where an inventory's or a manifest's version text becomes a
 * comparable value. Every comparison and lookup (policy target/minimum/revoked/advisories, the
 * manifest's releases, the pinned-hash lookup, history downgrades) goes through a scheme's
 * `normalise` first and compares the canonical text it returns.
 *
 * Normalisation, in every scheme: trim; drop a parenthesised build note at the end
 * (`7.4.2 (build 1234)`); drop a leading `v`/`V` before a digit. In `semver` and `windows` also
 * drop build metadata (`+build.77`: SemVer 2.0 §10 gives it no precedence; `+` is part of the
 * version in Debian and RPM). `semver` reads a two-part `7.4` as `7.4.0`. In `windows` a
 * numeric build note after a three-part version is its fourth part (`7.4.2 (build 1234)` is
 * `7.4.2.1234`, as Windows uninstall data and vendors' About boxes write it); after a version
 * with four parts it is dropped (the version already has its build).
 */
import semver from 'semver';

import { compareCommitDates, formatCommitDate, parseCommitDate } from './commit-date.ts';
import { compareDebian, formatDebianVersion, parseDebianVersion } from './debian.ts';
import { compareRpm, formatRpmVersion, parseRpmVersion } from './rpm.ts';
import { compareWindows, formatWindowsVersion, parseWindowsVersion } from './windows.ts';

export { compareDebianPart, parseDebianVersion } from './debian.ts';
export { parseRpmVersion, rpmvercmp } from './rpm.ts';
export { parseWindowsVersion } from './windows.ts';

export const VERSION_SCHEMES = ['semver', 'windows', 'debian', 'rpm', 'commit-date'] as const;
export type VersionSchemeName = (typeof VERSION_SCHEMES)[number];

export interface VersionScheme {
  readonly name: VersionSchemeName;
  /** Canonical text of a version, or undefined when it is not a version of this scheme. */
  normalise(raw: string): string | undefined;
  /** Orders two canonical versions (-1, 0, 1). */
  compare(a: string, b: string): number;
  /** A range of canonical versions, or undefined when the text is not a range of this scheme. */
  parseRange(text: string): VersionRange | undefined;
  /** What a valid version looks like, for error messages. */
  readonly example: string;
}

export interface VersionRange {
  readonly text: string;
  satisfiedBy(version: string): boolean;
}

/** Longest version text looked at: longer strings are not versions (bounds regex and parse work). */
const MAX_VERSION_CHARS = 256;

/** The scheme-independent part of normalisation. */
export function cleanVersionText(raw: string, dropBuildMetadata: boolean, buildAsFourthPart = false): string {
  let text = raw.trim();
  const note = /\s*\((?:build|Build|BUILD)\s+([0-9A-Za-z.-]+)\)$/.exec(text);
  if (note !== null) {
    text = text.slice(0, note.index);
    const build = note[1] as string;
    if (buildAsFourthPart && /^[0-9]{1,10}$/.test(build) && /^[vV]?[0-9]+\.[0-9]+\.[0-9]+$/.test(text))
      text = `${text}.${build}`;
  }
  if (/^[vV][0-9]/.test(text)) text = text.slice(1);
  if (dropBuildMetadata) {
    const plus = text.indexOf('+');
    if (plus > 0) text = text.slice(0, plus);
  }
  return text;
}

function semverNormalise(raw: string): string | undefined {
  if (raw.length > MAX_VERSION_CHARS) return undefined;
  let text = cleanVersionText(raw, true);
  // Two-part `7.4` (and `7.4-rc.1`) compare as `7.4.0`.
  const twoPart = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-.*)?$/.exec(text);
  if (twoPart !== null) text = `${twoPart[1] ?? ''}.${twoPart[2] ?? ''}.0${twoPart[3] ?? ''}`;
  return semver.valid(text) ?? undefined;
}

const rangeOptions = { includePrerelease: true } as const;

const SEMVER: VersionScheme = {
  name: 'semver',
  example: '7.4.2',
  normalise: semverNormalise,
  compare: (a, b) => semver.compare(a, b),
  parseRange(text) {
    if (text.trim() === '' || text.length > 4096) return undefined;
    // An exact version in a range is normalised like any version (`v7.3.0`, `7.3`).
    const exact = semverNormalise(text);
    const range = exact !== undefined ? exact : semver.validRange(text);
    if (range === null) return undefined;
    return { text, satisfiedBy: (version) => semver.satisfies(version, range, rangeOptions) };
  },
};

/**
 * A scheme from a parser, a formatter and an order. Its ranges are node-semver's primitive
 * grammar: `||` between alternatives, each a space-separated list of comparators
 * (`>=`, `>`, `<=`, `<`, `=` or none) that must all hold: `>=7.4.0.0 <7.5`, `1:2.0-1 || 1:2.1-1`.
 */
function simpleScheme<T>(
  name: VersionSchemeName,
  example: string,
  dropBuildMetadata: boolean,
  parse: (text: string) => T | undefined,
  format: (value: T) => string,
  order: (a: T, b: T) => number,
  buildAsFourthPart = false,
): VersionScheme {
  const normalise = (raw: string): string | undefined => {
    if (raw.length > MAX_VERSION_CHARS) return undefined;
    const parsed = parse(cleanVersionText(raw, dropBuildMetadata, buildAsFourthPart));
    return parsed === undefined ? undefined : format(parsed);
  };
  const compare = (a: string, b: string): number => {
    const x = parse(a);
    const y = parse(b);
    if (x === undefined || y === undefined)
      throw new Error(`internal error: compare of non-${name} versions`);
    return Math.sign(order(x, y));
  };
  return {
    name,
    example,
    normalise,
    compare,
    parseRange(text) {
      if (text.trim() === '' || text.length > 4096) return undefined;
      const alternatives: [string, string][][] = [];
      for (const part of text.split('||')) {
        const comparators: [string, string][] = [];
        const tokens = part.trim().split(/\s+/);
        for (let k = 0; k < tokens.length; k++) {
          let token = tokens[k] as string;
          if (token === '') return undefined;
          // `>= 7.4` with a space: join the operator to its version.
          if (/^(>=|<=|>|<|=)$/.test(token)) token += tokens[++k] ?? '';
          const match = /^(>=|<=|>|<|=)?(.+)$/.exec(token);
          const version = match === null ? undefined : normalise(match[2] as string);
          if (match === null || version === undefined) return undefined;
          comparators.push([match[1] ?? '=', version]);
        }
        alternatives.push(comparators);
      }
      return {
        text,
        satisfiedBy: (version) =>
          alternatives.some((comparators) =>
            comparators.every(([op, bound]) => {
              const c = compare(version, bound);
              return op === '>='
                ? c >= 0
                : op === '>'
                  ? c > 0
                  : op === '<='
                    ? c <= 0
                    : op === '<'
                      ? c < 0
                      : c === 0;
            }),
          ),
      };
    },
  };
}

const SCHEMES: Readonly<Record<VersionSchemeName, VersionScheme>> = {
  semver: SEMVER,
  windows: simpleScheme(
    'windows',
    '7.4.2.1234',
    true,
    parseWindowsVersion,
    formatWindowsVersion,
    compareWindows,
    true,
  ),
  debian: simpleScheme('debian', '1:7.4.2-1', false, parseDebianVersion, formatDebianVersion, compareDebian),
  rpm: simpleScheme('rpm', '1:7.4.2-1.el9', false, parseRpmVersion, formatRpmVersion, compareRpm),
  // `+0000` is a zone here, not build metadata.
  'commit-date': simpleScheme(
    'commit-date',
    '2025-03-06T21:44:07Z',
    false,
    parseCommitDate,
    formatCommitDate,
    compareCommitDates,
  ),
};

/** The scheme of a manifest (`versionScheme`, default `semver`). */
export function versionScheme(name: VersionSchemeName | undefined): VersionScheme {
  return SCHEMES[name ?? 'semver'];
}
