/**
 * Maven version ordering, after Maven 3.9's `ComparableVersion`
 * (org.apache.maven.artifact.versioning): `.` and `-` separate items, a switch between digits
 * and letters separates too, `-` opens a sub-list; well-known qualifiers order as
 * alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp, unknown
 * qualifiers after them in lexical order (case-insensitive). Every string is a valid version.
 */
type Item =
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'list'; readonly items: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function comparableQualifier(qualifier: string): string {
  const index = QUALIFIERS.indexOf(qualifier);
  return index === -1 ? `${QUALIFIERS.length}-${qualifier}` : String(index);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function stringItem(value: string, followedByDigit: boolean): Item {
  let text = value;
  if (followedByDigit && text.length === 1) {
    // a1 = alpha-1, b1 = beta-1, m1 = milestone-1
    text = ({ a: 'alpha', b: 'beta', m: 'milestone' } as Record<string, string>)[text] ?? text;
  }
  return { kind: 'string', value: ALIASES[text] ?? text };
}

function parseItem(isDigit: boolean, text: string): Item {
  return isDigit ? { kind: 'int', value: BigInt(text) } : stringItem(text, false);
}

function isNull(item: Item): boolean {
  switch (item.kind) {
    case 'int':
      return item.value === 0n;
    case 'string':
      return comparableQualifier(item.value) === RELEASE_INDEX;
    case 'list':
      return item.items.length === 0;
  }
}

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i];
    if (!last) break;
    if (isNull(last))
      list.splice(i, 1); // remove null trailing items: 0, "", empty list
    else if (last.kind !== 'list') break;
  }
}

const isAsciiDigit = (c: string): boolean => c >= '0' && c <= '9';

export function parseMavenVersion(version: string): Item {
  const text = version.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  const open = (): void => {
    const sub: Item[] = [];
    list.push({ kind: 'list', items: sub });
    list = sub;
    stack.push(sub);
  };
  let isDigit = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '.' || c === '-') {
      list.push(i === start ? { kind: 'int', value: 0n } : parseItem(isDigit, text.slice(start, i)));
      start = i + 1;
      if (c === '-') open();
    } else if (isAsciiDigit(c)) {
      if (!isDigit && i > start) {
        // 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any string qualifier X (MNG-7644)
        if (list.length > 0) open();
        list.push(stringItem(text.slice(start, i), true));
        start = i;
        open();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, text.slice(start, i)));
        start = i;
        open();
      }
      isDigit = false;
    }
  }
  if (text.length > start) {
    if (!isDigit && list.length > 0) open();
    list.push(parseItem(isDigit, text.slice(start)));
  }
  for (let i = stack.length - 1; i >= 0; i--) normalize(stack[i] ?? []);
  return { kind: 'list', items: root };
}

/** Compares an item with an absent one (what a shorter version has where this one goes on). */
function compareItem(a: Item, b: Item | undefined): number {
  if (b === undefined) {
    switch (a.kind) {
      case 'int':
        return a.value === 0n ? 0 : 1; // 1.0 == 1, 1.1 > 1
      case 'string':
        return compareStrings(comparableQualifier(a.value), RELEASE_INDEX); // 1-rc < 1, 1-sp > 1
      case 'list':
        for (const item of a.items) {
          const result = compareItem(item, undefined);
          if (result !== 0) return result;
        }
        return 0;
    }
  }
  switch (a.kind) {
    case 'int':
      if (b.kind === 'int') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
      return 1; // 1.1 > 1-sp, 1.1 > 1-1
    case 'string':
      if (b.kind === 'string')
        return compareStrings(comparableQualifier(a.value), comparableQualifier(b.value));
      return -1; // 1.any < 1.1, 1.any < 1-1
    case 'list': {
      if (b.kind === 'int') return -1; // 1-1 < 1.0.x
      if (b.kind === 'string') return 1; // 1-1 > 1-sp
      const length = Math.max(a.items.length, b.items.length);
      for (let i = 0; i < length; i++) {
        const l = a.items[i];
        const r = b.items[i];
        const result =
          l === undefined ? (r === undefined ? 0 : -compareItem(r, undefined)) : compareItem(l, r);
        if (result !== 0) return result;
      }
      return 0;
    }
  }
}

export function compareMavenVersions(a: string, b: string): number {
  return compareItem(parseMavenVersion(a), parseMavenVersion(b));
}
