/**
 * The parts of an RPM package (format v4, as rpm 4.x writes it) that its signatures and digests
 * cover: a 96-byte lead, the signature header, the main header (padded to 8 bytes after the
 * signature header), then the compressed payload to the end of the file. rpm's trust model:
 * the OpenPGP header signature (RSA tag 268, DSA 267, or rpm 6's OPENPGP 278) covers the main
 * header's exact bytes, and the main header carries the payload's digest (PAYLOADDIGEST 5092 with
 * its algorithm 5093), so a good header signature plus a matching payload digest covers every
 * byte. Older packages without a payload digest need the header+payload signature (PGP 1002 /
 * GPG 1005), which covers the main header and payload together.
 *
 * Read through a ByteSource, bounded: header sizes and entry counts are checked before anything
 * is allocated (`defaults.maxRpmHeaderBytes`, `defaults.maxRpmIndexEntries`).
 */
import type { ByteSource } from '../authenticode/source.ts';
import { defaults } from '../defaults.ts';
import { InputError } from '../errors.ts';

export const RPM_LEAD_MAGIC = Buffer.from([0xed, 0xab, 0xee, 0xdb]);
const HEADER_MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01]);
const LEAD_BYTES = 96;

/** True when the first bytes are an RPM lead. */
export function isRpm(head: Uint8Array): boolean {
  return head.length >= 4 && Buffer.compare(head.subarray(0, 4), RPM_LEAD_MAGIC) === 0;
}

// Signature header tags (rpmtag.h, RPMSIGTAG_*).
const SIG_SIZE = 1000;
const SIG_PGP = 1002; // header+payload, RSA
const SIG_GPG = 1005; // header+payload, DSA
const SIG_DSA = 267; // header only
const SIG_RSA = 268; // header only
const SIG_SHA256 = 273; // hex sha256 of the main header
const SIG_LONGSIZE = 270;
const SIG_OPENPGP = 278; // rpm 6: base64 OpenPGP signatures over the main header
// Main header tags.
const TAG_NAME = 1000;
const TAG_VERSION = 1001;
const TAG_RELEASE = 1002;
const TAG_PAYLOADDIGEST = 5092;
const TAG_PAYLOADDIGESTALGO = 5093;

// OpenPGP hash algorithm ids (RFC 4880 9.4), as rpm stores PAYLOADDIGESTALGO.
const PGP_HASH: Readonly<Record<number, 'sha256' | 'sha384' | 'sha512' | 'sha224'>> = {
  8: 'sha256',
  9: 'sha384',
  10: 'sha512',
  11: 'sha224',
};

const TYPE_INT32 = 4;
const TYPE_INT64 = 5;
const TYPE_STRING = 6;
const TYPE_BIN = 7;
const TYPE_STRING_ARRAY = 8;

export type RpmSignatureScope = 'header' | 'header+payload';

export interface RpmSignature {
  readonly tag: number;
  readonly scope: RpmSignatureScope;
  /** One binary OpenPGP signature packet sequence. */
  readonly packet: Uint8Array;
}

export interface RpmPackage {
  readonly name?: string;
  readonly version?: string;
  readonly release?: string;
  readonly signatures: readonly RpmSignature[];
  /** Byte range of the main header (what header-only signatures cover). */
  readonly header: { readonly offset: number; readonly length: number };
  /** Where the payload starts (it runs to the end of the file). */
  readonly payloadOffset: number;
  /** The signature header's sha256 of the main header, lower-case hex. */
  readonly headerSha256?: string;
  /** The main header's digest of the compressed payload. */
  readonly payloadDigest?: {
    readonly algorithm: 'sha256' | 'sha384' | 'sha512' | 'sha224';
    readonly hex: string;
  };
  /** The size the signature header gives for main header + payload. */
  readonly signedSize?: number;
}

interface Entry {
  readonly tag: number;
  readonly type: number;
  readonly offset: number;
  readonly count: number;
}

interface Header {
  readonly offset: number;
  /** Magic to end of the data store. */
  readonly length: number;
  readonly entries: ReadonlyMap<number, Entry>;
  readonly store: Buffer;
}

export async function parseRpm(source: ByteSource): Promise<RpmPackage> {
  const fail = (message: string, offset: number): never => {
    throw new InputError('INPUT_INVALID', `not a valid RPM package: ${message}`, {
      file: source.name,
      offset,
    });
  };
  if (source.size < LEAD_BYTES + 16)
    fail(`the file is ${source.size} bytes, shorter than a lead and a header`, 0);
  const lead = Buffer.from(await source.read(0, LEAD_BYTES));
  if (!isRpm(lead)) fail('no RPM lead magic (ed ab ee db)', 0);
  if (lead[4] !== 3) fail(`lead format version ${lead[4]} (expected 3)`, 4);
  const signature = await readHeader(source, LEAD_BYTES, fail);
  const mainOffset = align8(signature.offset + signature.length);
  const main = await readHeader(source, mainOffset, fail);
  const payloadOffset = main.offset + main.length;
  if (payloadOffset > source.size) fail('the main header runs past the end of the file', main.offset);

  const signatures: RpmSignature[] = [];
  for (const [tag, scope] of [
    [SIG_RSA, 'header'],
    [SIG_DSA, 'header'],
    [SIG_PGP, 'header+payload'],
    [SIG_GPG, 'header+payload'],
  ] as const) {
    const entry = signature.entries.get(tag);
    if (entry === undefined) continue;
    signatures.push({ tag, scope, packet: binary(signature, entry, fail) });
  }
  const openpgp = signature.entries.get(SIG_OPENPGP);
  if (openpgp !== undefined) {
    for (const text of strings(signature, openpgp, fail)) {
      if (!/^[A-Za-z0-9+/=\s]+$/.test(text)) fail('an OPENPGP signature is not base64', signature.offset);
      signatures.push({ tag: SIG_OPENPGP, scope: 'header', packet: Buffer.from(text, 'base64') });
    }
  }
  const sha256Entry = signature.entries.get(SIG_SHA256);
  const headerSha256 = sha256Entry === undefined ? undefined : strings(signature, sha256Entry, fail)[0];
  if (headerSha256 !== undefined && !/^[0-9a-f]{64}$/i.test(headerSha256)) {
    fail('the header SHA256 digest is not 64 hex digits', signature.offset);
  }
  const sizeEntry = signature.entries.get(SIG_LONGSIZE) ?? signature.entries.get(SIG_SIZE);
  const signedSize = sizeEntry === undefined ? undefined : integer(signature, sizeEntry, fail);

  let payloadDigest: RpmPackage['payloadDigest'];
  const digestEntry = main.entries.get(TAG_PAYLOADDIGEST);
  if (digestEntry !== undefined) {
    const algoEntry = main.entries.get(TAG_PAYLOADDIGESTALGO);
    const id = algoEntry === undefined ? 8 : integer(main, algoEntry, fail);
    const algorithm = PGP_HASH[id];
    if (algorithm === undefined) fail(`payload digest algorithm ${id} is not supported`, main.offset);
    const hex = (strings(main, digestEntry, fail)[0] ?? '').toLowerCase();
    if (!/^[0-9a-f]+$/.test(hex)) fail('the payload digest is not hex', main.offset);
    payloadDigest = { algorithm: algorithm as NonNullable<typeof algorithm>, hex };
  }
  const text = (tag: number) => {
    const entry = main.entries.get(tag);
    return entry === undefined ? undefined : strings(main, entry, fail)[0];
  };
  const name = text(TAG_NAME);
  const version = text(TAG_VERSION);
  const release = text(TAG_RELEASE);
  return {
    ...(name !== undefined ? { name } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(release !== undefined ? { release } : {}),
    signatures,
    header: { offset: main.offset, length: main.length },
    payloadOffset,
    ...(headerSha256 !== undefined ? { headerSha256: headerSha256.toLowerCase() } : {}),
    ...(payloadDigest !== undefined ? { payloadDigest } : {}),
    ...(signedSize !== undefined ? { signedSize } : {}),
  };
}

async function readHeader(
  source: ByteSource,
  offset: number,
  fail: (message: string, offset: number) => never,
): Promise<Header> {
  if (offset + 16 > source.size) fail('a header starts past the end of the file', offset);
  const intro = Buffer.from(await source.read(offset, 16));
  if (Buffer.compare(intro.subarray(0, 4), HEADER_MAGIC) !== 0) fail('no header magic (8e ad e8 01)', offset);
  const count = intro.readUInt32BE(8);
  const storeBytes = intro.readUInt32BE(12);
  if (count === 0 || count > defaults.maxRpmIndexEntries) {
    fail(`a header has ${count} index entries (expected 1 to ${defaults.maxRpmIndexEntries})`, offset + 8);
  }
  const length = 16 + count * 16 + storeBytes;
  if (length > defaults.maxRpmHeaderBytes) {
    fail(
      `a header of ${length} bytes is larger than the limit of ${defaults.maxRpmHeaderBytes}`,
      offset + 12,
    );
  }
  if (offset + length > source.size) fail('a header runs past the end of the file', offset);
  const bytes = Buffer.from(await source.read(offset + 16, length - 16));
  const store = bytes.subarray(count * 16);
  const entries = new Map<number, Entry>();
  for (let i = 0; i < count; i++) {
    const at = i * 16;
    const entry = {
      tag: bytes.readInt32BE(at),
      type: bytes.readUInt32BE(at + 4),
      offset: bytes.readInt32BE(at + 8),
      count: bytes.readUInt32BE(at + 12),
    };
    if (entry.offset < 0 || entry.offset > store.length) {
      fail(`tag ${entry.tag} points outside its header's data`, offset + 16 + at);
    }
    if (entries.has(entry.tag)) fail(`tag ${entry.tag} appears twice in one header`, offset + 16 + at);
    entries.set(entry.tag, entry);
  }
  return { offset, length, entries, store };
}

function binary(header: Header, entry: Entry, fail: (message: string, offset: number) => never): Buffer {
  if (entry.type !== TYPE_BIN) fail(`tag ${entry.tag} is not binary data`, header.offset);
  if (entry.offset + entry.count > header.store.length)
    fail(`tag ${entry.tag} runs past its header`, header.offset);
  return header.store.subarray(entry.offset, entry.offset + entry.count);
}

function strings(header: Header, entry: Entry, fail: (message: string, offset: number) => never): string[] {
  if (entry.type !== TYPE_STRING && entry.type !== TYPE_STRING_ARRAY) {
    fail(`tag ${entry.tag} is not a string`, header.offset);
  }
  const values: string[] = [];
  let at = entry.offset;
  const n = entry.type === TYPE_STRING ? 1 : entry.count;
  if (n > defaults.maxRpmIndexEntries) fail(`tag ${entry.tag} has too many strings`, header.offset);
  for (let i = 0; i < n; i++) {
    const end = header.store.indexOf(0, at);
    if (end < 0) fail(`tag ${entry.tag} has an unterminated string`, header.offset);
    values.push(header.store.toString('utf8', at, end));
    at = end + 1;
  }
  return values;
}

function integer(header: Header, entry: Entry, fail: (message: string, offset: number) => never): number {
  if (entry.type === TYPE_INT32 && entry.offset + 4 <= header.store.length) {
    return header.store.readUInt32BE(entry.offset);
  }
  if (entry.type === TYPE_INT64 && entry.offset + 8 <= header.store.length) {
    const value = header.store.readBigUInt64BE(entry.offset);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`tag ${entry.tag} is too large`, header.offset);
    return Number(value);
  }
  return fail(`tag ${entry.tag} is not an integer`, header.offset);
}

function align8(n: number): number {
  return n + ((8 - (n % 8)) % 8);
}
