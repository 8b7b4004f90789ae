/**
 * A minimal, bounds-checked DER reader (X.690) for the structures Authenticode uses. Every node
 * keeps its absolute byte offset so problems can be reported where they are. Indefinite lengths
 * (BER) and multi-byte tags are rejected: Authenticode signatures are DER.
 */

export class DerError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at byte offset ${offset}`);
    this.name = 'DerError';
    this.offset = offset;
  }
}

export const DerTag = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  t61String: 0x14,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  bmpString: 0x1e,
  universalString: 0x1c,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Children per constructed node; far above what real signatures use. */
const MAX_CHILDREN = 100_000;

export interface DerNode {
  /** The identifier octet (class, constructed bit and tag number). */
  readonly tag: number;
  /** Offset of the identifier octet within `buffer`. */
  readonly start: number;
  /** Offset of the first content octet within `buffer`. */
  readonly contentStart: number;
  /** Offset just after the last content octet within `buffer`. */
  readonly end: number;
  readonly buffer: Uint8Array;
  /** Added to offsets when reporting, so messages name file offsets. */
  readonly base: number;
}

export function isConstructed(node: DerNode): boolean {
  return (node.tag & 0x20) !== 0;
}

/** Context-specific tag `[n]` (constructed when `constructed`). */
export function contextTag(n: number, constructed = true): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** Reads one TLV at `offset`, which must end at or before `limit`. */
export function readNode(buffer: Uint8Array, offset: number, limit = buffer.length, base = 0): DerNode {
  if (offset + 2 > limit) throw new DerError('truncated DER header', base + offset);
  const tag = buffer[offset] ?? 0;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported', base + offset);
  const first = buffer[offset + 1] ?? 0;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else if (first === 0x80) {
    throw new DerError('indefinite length (BER) is not DER', base + offset + 1);
  } else {
    const count = first & 0x7f;
    if (count > 4) throw new DerError(`DER length of ${count} bytes is too large`, base + offset + 1);
    if (offset + 2 + count > limit) throw new DerError('truncated DER length', base + offset + 1);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buffer[offset + 2 + i] ?? 0);
    if (length < 0x80 || (count > 1 && (buffer[offset + 2] ?? 0) === 0)) {
      throw new DerError('DER length is not minimally encoded', base + offset + 1);
    }
    contentStart = offset + 2 + count;
  }
  const end = contentStart + length;
  if (end > limit) {
    throw new DerError(
      `DER value of ${length} bytes runs past its container (ends at ${base + limit})`,
      base + offset,
    );
  }
  return { tag, start: offset, contentStart, end, buffer, base };
}

/** Parses a buffer that must hold exactly one TLV. */
export function parseDer(buffer: Uint8Array, base = 0): DerNode {
  const node = readNode(buffer, 0, buffer.length, base);
  if (node.end !== buffer.length) {
    throw new DerError(`${buffer.length - node.end} unexpected bytes after DER value`, base + node.end);
  }
  return node;
}

export function children(node: DerNode): DerNode[] {
  if (!isConstructed(node)) throw new DerError('expected a constructed DER value', offsetOf(node));
  const list: DerNode[] = [];
  let offset = node.contentStart;
  while (offset < node.end) {
    if (list.length >= MAX_CHILDREN) throw new DerError('too many DER elements', node.base + offset);
    const child = readNode(node.buffer, offset, node.end, node.base);
    list.push(child);
    offset = child.end;
  }
  return list;
}

export function offsetOf(node: DerNode): number {
  return node.base + node.start;
}

export function contents(node: DerNode): Uint8Array {
  return node.buffer.subarray(node.contentStart, node.end);
}

/** The whole TLV encoding. */
export function encoded(node: DerNode): Uint8Array {
  return node.buffer.subarray(node.start, node.end);
}

export function expectTag(node: DerNode | undefined, tag: number, what: string, parent?: DerNode): DerNode {
  if (!node) {
    throw new DerError(`missing ${what}`, parent ? parent.base + parent.end : 0);
  }
  if (node.tag !== tag) {
    throw new DerError(
      `expected ${what} (tag 0x${tag.toString(16)}), found tag 0x${node.tag.toString(16)}`,
      offsetOf(node),
    );
  }
  return node;
}

export function sequence(node: DerNode | undefined, what: string, parent?: DerNode): DerNode[] {
  return children(expectTag(node, DerTag.sequence, what, parent));
}

export function readOid(node: DerNode | undefined, what = 'object identifier', parent?: DerNode): string {
  const oid = expectTag(node, DerTag.oid, what, parent);
  const bytes = contents(oid);
  if (bytes.length === 0 || bytes.length > 64) throw new DerError(`invalid ${what}`, offsetOf(oid));
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] ?? 0;
    if (value === 0 && byte === 0x80) throw new DerError(`invalid ${what}`, offsetOf(oid));
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError(`${what} arc too large`, offsetOf(oid));
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    } else if (i === bytes.length - 1) {
      throw new DerError(`truncated ${what}`, offsetOf(oid));
    }
  }
  return parts.join('.');
}

export function readInteger(node: DerNode | undefined, what = 'integer', parent?: DerNode): Uint8Array {
  const integer = expectTag(node, DerTag.integer, what, parent);
  if (integer.end === integer.contentStart) throw new DerError(`empty ${what}`, offsetOf(integer));
  return contents(integer);
}

export function readSmallInteger(node: DerNode | undefined, what = 'integer', parent?: DerNode): number {
  const bytes = readInteger(node, what, parent);
  if (bytes.length > 4) throw new DerError(`${what} too large`, node ? offsetOf(node) : 0);
  let value = 0;
  for (const byte of bytes) value = value * 256 + byte;
  if ((bytes[0] ?? 0) & 0x80) value -= 2 ** (8 * bytes.length);
  return value;
}

export function readOctetString(
  node: DerNode | undefined,
  what = 'octet string',
  parent?: DerNode,
): Uint8Array {
  return contents(expectTag(node, DerTag.octetString, what, parent));
}

/** UTCTime or GeneralizedTime as a Date (seconds precision, optional fraction, `Z` only). */
export function readTime(node: DerNode | undefined, what = 'time', parent?: DerNode): Date {
  if (!node) throw new DerError(`missing ${what}`, parent ? parent.base + parent.end : 0);
  const text = Buffer.from(contents(node)).toString('latin1');
  let match: RegExpExecArray | null;
  if (node.tag === DerTag.utcTime) {
    match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (match) {
      const yy = Number(match[1]);
      const year = yy >= 50 ? 1900 + yy : 2000 + yy;
      return utc(year, match, 2, node, what);
    }
  } else if (node.tag === DerTag.generalizedTime) {
    match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d{1,9})?Z$/.exec(text);
    if (match) return utc(Number(match[1]), match, 2, node, what);
  }
  throw new DerError(`invalid ${what} '${text.slice(0, 40)}'`, offsetOf(node));
}

function utc(year: number, match: RegExpExecArray, from: number, node: DerNode, what: string): Date {
  const [month, day, hour, minute, second] = [0, 1, 2, 3, 4].map((i) => Number(match[from + i]));
  const fraction = match[7] ? Math.floor(Number(`0${match[7]}`) * 1000) : 0;
  const date = new Date(
    Date.UTC(year, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0, fraction),
  );
  if (Number.isNaN(date.getTime())) throw new DerError(`invalid ${what}`, offsetOf(node));
  return date;
}

/** Decodes the string types used in X.500 names; unknown types are shown as hex. */
export function readString(node: DerNode): string {
  const bytes = contents(node);
  switch (node.tag) {
    case DerTag.utf8String:
      return Buffer.from(bytes).toString('utf8');
    case DerTag.printableString:
    case DerTag.ia5String:
    case DerTag.t61String:
      return Buffer.from(bytes).toString('latin1');
    case DerTag.bmpString: {
      const swapped = Buffer.from(bytes);
      if (swapped.length % 2 === 0) swapped.swap16();
      return swapped.toString('utf16le');
    }
    default:
      return `#${Buffer.from(encoded(node)).toString('hex')}`;
  }
}
