/**
 * Debian version ordering (Debian Policy 5.6.12, dpkg's `verrevcmp`): `[epoch:]upstream[-revision]`.
 * Written here because no maintained comparator exists on npm (the one package that does it has a
 * few hundred downloads a month and no tests against dpkg's own cases); the tests hold dpkg's.
 */
import { splitEpoch } from './epoch-split.ts';

export interface DebianVersion {
  readonly epoch: number;
  readonly upstream: string;
  /** '' when the version has no revision. */
  readonly revision: string;
}

const UPSTREAM = /^[0-9][A-Za-z0-9.+~:-]*$/;
const REVISION = /^[A-Za-z0-9.+~]+$/;

/** Parses a Debian version, or undefined when it breaks Policy 5.6.12's syntax. */
export function parseDebianVersion(text: string): DebianVersion | undefined {
  const split = splitEpoch(text);
  if (split === undefined) return undefined;
  const { epoch, main: upstream, tail: revision } = split;
  if (split.hasTail && !REVISION.test(revision)) return undefined;
  // A colon in the upstream part needs an epoch; a hyphen needs a revision (Policy 5.6.12).
  if (!UPSTREAM.test(upstream) || (!split.hasEpoch && upstream.includes(':'))) return undefined;
  return { epoch, upstream, revision };
}

/** Canonical text: no `0:` epoch (dpkg treats it as absent). */
export function formatDebianVersion(v: DebianVersion): string {
  return `${v.epoch === 0 ? '' : `${v.epoch}:`}${v.upstream}${v.revision === '' ? '' : `-${v.revision}`}`;
}

/** dpkg's character order: `~` before everything (even the end), then the end, letters, then the rest. */
function order(code: number): number {
  if (code >= 48 && code <= 57) return 0; // digits are compared as numbers elsewhere
  if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) return code;
  if (code === 126) return -1; // ~
  if (Number.isNaN(code)) return 0; // end of string
  return code + 256;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** dpkg `verrevcmp`: alternating non-digit and digit runs. */
export function compareDebianPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(i < a.length ? a.charCodeAt(i) : Number.NaN);
      const bc = order(j < b.length ? b.charCodeAt(j) : Number.NaN);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    while (i < a.length && isDigit(a.charCodeAt(i)) && j < b.length && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

export function compareDebian(a: DebianVersion, b: DebianVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return Math.sign(compareDebianPart(a.upstream, b.upstream) || compareDebianPart(a.revision, b.revision));
}
