/**
 * RPM version ordering: `[epoch:]version[-release]` compared field by field with rpm's
 * `rpmvercmp` (rpmio/rpmvercmp.c, rpm 4.15+ with `~` and `^`). Written here because npm has no
 * maintained implementation; the tests hold rpm's own cases (tests/rpmvercmp.at).
 */
import { splitEpoch } from './epoch-split.ts';

export interface RpmVersion {
  readonly epoch: number;
  readonly version: string;
  /** '' when the version has no release. */
  readonly release: string;
}

const FIELD = /^[A-Za-z0-9._+~^]+$/;

export function parseRpmVersion(text: string): RpmVersion | undefined {
  const split = splitEpoch(text);
  if (split === undefined) return undefined;
  const { epoch, main: version, tail: release } = split;
  if (split.hasTail && !FIELD.test(release)) return undefined;
  if (!FIELD.test(version) || !/^[0-9]/.test(version)) return undefined;
  return { epoch, version, release };
}

export function formatRpmVersion(v: RpmVersion): string {
  return `${v.epoch === 0 ? '' : `${v.epoch}:`}${v.version}${v.release === '' ? '' : `-${v.release}`}`;
}

function isAlnum(c: string): boolean {
  return /[A-Za-z0-9]/.test(c);
}

/** rpmvercmp: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i] as string) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j] as string) && b[j] !== '~' && b[j] !== '^') j++;
    // Tilde sorts before everything, even the end of the string.
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    // Caret sorts after the end of the string but before anything else.
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = /[0-9]/.test(a[i] as string);
    const run = numeric ? /^[0-9]+/ : /^[A-Za-z]+/;
    const x = (run.exec(a.slice(i)) ?? [''])[0];
    const y = (run.exec(b.slice(j)) ?? [''])[0];
    // A numeric segment is newer than an alphabetic one.
    if (y === '') return numeric ? 1 : -1;
    i += x.length;
    j += y.length;
    if (numeric) {
      const xs = x.replace(/^0+/, '');
      const ys = y.replace(/^0+/, '');
      if (xs.length !== ys.length) return xs.length > ys.length ? 1 : -1;
      if (xs !== ys) return xs > ys ? 1 : -1;
    } else if (x !== y) return x > y ? 1 : -1;
  }
  if (i >= a.length && j >= b.length) return 0;
  // Whichever still has segments is newer.
  return i >= a.length ? -1 : 1;
}

export function compareRpm(a: RpmVersion, b: RpmVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  const v = rpmvercmp(a.version, b.version);
  if (v !== 0) return v;
  // rpm compares releases only when both have one (a bare version matches any release).
  if (a.release === '' || b.release === '') return 0;
  return rpmvercmp(a.release, b.release);
}
