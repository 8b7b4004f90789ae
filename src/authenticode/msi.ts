import { createHash, type Hash } from 'node:crypto';

import CFB from 'cfb';

import { AuthenticodeFormatError } from './errors.ts';
import type { HashName } from './oids.ts';

export const MSI_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

const DIGITAL_SIGNATURE = '\u0005DigitalSignature';
const DIGITAL_SIGNATURE_EX = '\u0005MsiDigitalSignatureEx';

const TYPE_STORAGE = 1;
const TYPE_STREAM = 2;
const TYPE_ROOT = 5;

export function isMsi(head: Uint8Array): boolean {
  return head.length >= 8 && Buffer.compare(head.subarray(0, 8), MSI_MAGIC) === 0;
}

/** One directory entry of the compound file with the raw fields the MSI digests use. */
interface MsiEntry {
  readonly name: string;
  /** UTF-16LE name with its terminating NUL, as stored (MS-CFB 2.6.1). */
  readonly rawName: Buffer;
  readonly type: number;
  readonly content: Buffer;
  readonly clsid: Buffer;
  /** State bits, creation and modification FILETIMEs, exactly as stored. */
  readonly stateBits: Buffer;
  readonly createdTime: Buffer;
  readonly modifiedTime: Buffer;
  readonly size: number;
  readonly children: MsiEntry[];
}

export interface MsiLayout {
  readonly root: MsiEntry;
  /** Contents of `\x05DigitalSignature`, when present. */
  readonly signature: Buffer | undefined;
  /** Contents of `\x05MsiDigitalSignatureEx`, when present. */
  readonly signatureEx: Buffer | undefined;
  readonly streamCount: number;
}

interface CfbEntryRuntime {
  name: string;
  type: number;
  content?: ArrayLike<number> | Buffer;
  clsid?: string;
  state?: number;
  start: number;
  size: number;
}

/**
 * Reads the compound file with the `cfb` package and rebuilds the storage tree. Raw state bits
 * and FILETIMEs (which cfb converts to lossy Dates) are read from each entry's 128-byte directory
 * record, located by its name, type, start sector and size.
 */
export function parseMsi(bytes: Buffer, file: string): MsiLayout {
  let container: CFB.CFB$Container;
  try {
    container = CFB.read(bytes, { type: 'buffer' });
  } catch (error: unknown) {
    throw new AuthenticodeFormatError(`not a readable compound file: ${String(error)}`, { file, offset: 0 });
  }
  const entries = new Map<string, MsiEntry>();
  let root: MsiEntry | undefined;
  let streamCount = 0;
  container.FullPaths.forEach((path, index) => {
    const raw = container.FileIndex[index] as unknown as CfbEntryRuntime | undefined;
    if (!raw || (raw.type !== TYPE_STORAGE && raw.type !== TYPE_STREAM && raw.type !== TYPE_ROOT)) return;
    const rawName = Buffer.concat([Buffer.from(raw.name, 'utf16le'), Buffer.alloc(2)]);
    if (rawName.length > 64) {
      throw new AuthenticodeFormatError(`directory entry name of ${rawName.length} bytes (over 64)`, {
        file,
      });
    }
    const record = findDirectoryRecord(bytes, rawName, raw);
    if (record === undefined) {
      throw new AuthenticodeFormatError(
        `directory entry ${JSON.stringify(path)} not found in the directory`,
        {
          file,
        },
      );
    }
    const size = raw.type === TYPE_STREAM ? raw.size : 0;
    let content = Buffer.alloc(0);
    if (raw.type === TYPE_STREAM && size > 0) {
      if (!raw.content || raw.content.length < size) {
        throw new AuthenticodeFormatError(`stream ${JSON.stringify(path)} of ${size} bytes is truncated`, {
          file,
          offset: record,
        });
      }
      content = Buffer.from(raw.content as Uint8Array).subarray(0, size);
      streamCount++;
    }
    const entry: MsiEntry = {
      name: raw.name,
      rawName,
      type: raw.type,
      content,
      clsid: bytes.subarray(record + 0x50, record + 0x60),
      stateBits: bytes.subarray(record + 0x60, record + 0x64),
      createdTime: bytes.subarray(record + 0x64, record + 0x6c),
      modifiedTime: bytes.subarray(record + 0x6c, record + 0x74),
      size,
      children: [],
    };
    if (raw.type === TYPE_ROOT) {
      root = entry;
    } else {
      const parentPath = path.replace(/[^/]+\/?$/, '');
      const parent = entries.get(parentPath);
      if (!parent)
        throw new AuthenticodeFormatError(`entry ${JSON.stringify(path)} has no parent storage`, { file });
      parent.children.push(entry);
    }
    entries.set(path, entry);
  });
  if (!root) throw new AuthenticodeFormatError('compound file has no root entry', { file, offset: 0 });
  const find = (name: string): Buffer | undefined =>
    root?.children.find((child) => child.type === TYPE_STREAM && child.name === name)?.content;
  return { root, signature: find(DIGITAL_SIGNATURE), signatureEx: find(DIGITAL_SIGNATURE_EX), streamCount };
}

function findDirectoryRecord(bytes: Buffer, rawName: Buffer, entry: CfbEntryRuntime): number | undefined {
  const prefix = Buffer.alloc(0x42);
  rawName.copy(prefix, 0);
  prefix.writeUInt16LE(rawName.length, 0x40);
  for (let at = bytes.indexOf(prefix); at !== -1; at = bytes.indexOf(prefix, at + 1)) {
    if (at % 128 !== 0 || at + 128 > bytes.length) continue;
    if (bytes[at + 0x42] !== entry.type) continue;
    if (entry.type === TYPE_STREAM && bytes.readUInt32LE(at + 0x78) !== entry.size) continue;
    return at;
  }
  return undefined;
}

/** MSI digest order: raw UTF-16LE names compared bytewise; on a common prefix the longer first. */
function compareNames(a: MsiEntry, b: MsiEntry): number {
  const length = Math.min(a.rawName.length, b.rawName.length);
  const diff = Buffer.compare(a.rawName.subarray(0, length), b.rawName.subarray(0, length));
  if (diff !== 0) return diff;
  return a.rawName.length > b.rawName.length ? -1 : 1;
}

function isSignatureStream(entry: MsiEntry): boolean {
  return entry.name === DIGITAL_SIGNATURE || entry.name === DIGITAL_SIGNATURE_EX;
}

/** Content digest: every stream's bytes in sorted order, recursing into storages, then the storage CLSID. */
function hashStorage(storage: MsiEntry, hashes: readonly Hash[], isRoot: boolean): void {
  for (const child of [...storage.children].sort(compareNames)) {
    if (isRoot && isSignatureStream(child)) continue;
    if (child.type === TYPE_STREAM) {
      if (child.size > 0) for (const hash of hashes) hash.update(child.content);
    } else if (child.type === TYPE_STORAGE) {
      hashStorage(child, hashes, false);
    }
  }
  for (const hash of hashes) hash.update(storage.clsid);
}

/** MsiDigitalSignatureEx pre-hash: names, CLSIDs or sizes, state bits and times of every entry. */
function prehashEntry(entry: MsiEntry, hash: Hash): void {
  if (entry.type !== TYPE_ROOT) hash.update(entry.rawName.subarray(0, entry.rawName.length - 2));
  if (entry.type !== TYPE_STREAM) hash.update(entry.clsid);
  else {
    const size = Buffer.alloc(4);
    size.writeUInt32LE(entry.size);
    hash.update(size);
  }
  hash.update(entry.stateBits);
  if (entry.type !== TYPE_ROOT) {
    hash.update(entry.createdTime);
    hash.update(entry.modifiedTime);
  }
}

function prehashStorage(storage: MsiEntry, hash: Hash, isRoot: boolean): void {
  prehashEntry(storage, hash);
  for (const child of [...storage.children].sort(compareNames)) {
    if (isRoot && isSignatureStream(child)) continue;
    if (child.type === TYPE_STREAM) prehashEntry(child, hash);
    else if (child.type === TYPE_STORAGE) prehashStorage(child, hash, false);
  }
}

/** The MsiDigitalSignatureEx value for one algorithm. */
export function msiPrehash(layout: MsiLayout, algorithm: HashName): Buffer {
  const hash = createHash(algorithm);
  prehashStorage(layout.root, hash, true);
  return hash.digest();
}

/**
 * The MSI Authenticode digest. With MsiDigitalSignatureEx present, the pre-hash is fed first
 * (and `signatureEx` must equal it, which the caller checks).
 */
export function msiDigest(layout: MsiLayout, algorithm: HashName, withPrehash: boolean): Buffer {
  const hash = createHash(algorithm);
  if (withPrehash) hash.update(msiPrehash(layout, algorithm));
  hashStorage(layout.root, [hash], true);
  return hash.digest();
}

const FREE_SECTOR = 0xffffffff;
const DIFAT_IN_HEADER = 109;
const MAX_FAT_SECTORS = 1 << 20; // 4 GiB of 512-byte sectors; far above maxMsiBytes

/**
 * Bytes after the last sector the FAT allocates (MS-CFB 2.3): the MSI digest covers only stream
 * contents, so anything appended past the compound file's allocated sectors is unsigned data.
 * Returns the offset where unallocated trailing bytes start, or undefined when there are none.
 * Throws AuthenticodeFormatError for an inconsistent header or DIFAT chain.
 */
export function msiUnallocatedTail(bytes: Buffer, file: string): number | undefined {
  const fail = (message: string, offset: number): never => {
    throw new AuthenticodeFormatError(message, { file, offset });
  };
  if (bytes.length < 512) fail('compound file shorter than its 512-byte header', 0);
  const shift = bytes.readUInt16LE(0x1e);
  if (shift !== 9 && shift !== 12) fail(`sector shift ${shift} (expected 9 or 12)`, 0x1e);
  const sectorSize = 1 << shift;
  const fatSectors = bytes.readUInt32LE(0x2c);
  if (fatSectors > MAX_FAT_SECTORS || fatSectors > bytes.length / sectorSize) {
    fail(`${fatSectors} FAT sectors do not fit in a file of ${bytes.length} bytes`, 0x2c);
  }
  const sectorOffset = (sector: number): number => (sector + 1) * sectorSize;
  // Collect the FAT sector numbers from the header DIFAT and the DIFAT chain.
  const fat: number[] = [];
  for (let i = 0; i < DIFAT_IN_HEADER && fat.length < fatSectors; i++)
    fat.push(bytes.readUInt32LE(0x4c + i * 4));
  let difat = bytes.readUInt32LE(0x44);
  const perDifat = sectorSize / 4 - 1;
  for (let hops = 0; fat.length < fatSectors; hops++) {
    if (hops > fatSectors || difat >= 0xfffffffa)
      fail('DIFAT chain ends before listing every FAT sector', 0x44);
    const at = sectorOffset(difat);
    if (at + sectorSize > bytes.length) fail(`DIFAT sector ${difat} is outside the file`, 0x44);
    for (let i = 0; i < perDifat && fat.length < fatSectors; i++) fat.push(bytes.readUInt32LE(at + i * 4));
    difat = bytes.readUInt32LE(at + perDifat * 4);
  }
  let lastUsed = -1;
  fat.forEach((sector, index) => {
    const at = sectorOffset(sector);
    if (at + sectorSize > bytes.length) fail(`FAT sector ${sector} is outside the file`, 0x4c);
    for (let i = 0; i < sectorSize / 4; i++) {
      if (bytes.readUInt32LE(at + i * 4) !== FREE_SECTOR)
        lastUsed = Math.max(lastUsed, index * (sectorSize / 4) + i);
    }
  });
  const end = sectorOffset(lastUsed + 1);
  return bytes.length > end ? end : undefined;
}
