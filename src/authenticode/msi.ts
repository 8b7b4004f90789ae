import { createHash, type Hash } from 'node:crypto';

import { defaults } from '../defaults.ts';
import {
  CFB_MAGIC,
  EntryType,
  RECORD_FIELDS,
  openCompoundFile,
  type CfbEntry,
  type CompoundFile,
} from './compound-file.ts';
import { AuthenticodeFormatError } from './errors.ts';
import type { HashName } from './oids.ts';
import type { ByteSource } from './source.ts';

export const MSI_MAGIC = CFB_MAGIC;

const DIGITAL_SIGNATURE = '\u0005DigitalSignature';
const DIGITAL_SIGNATURE_EX = '\u0005MsiDigitalSignatureEx';

export function isMsi(head: Uint8Array): boolean {
  return head.length >= 8 && Buffer.compare(head.subarray(0, 8), MSI_MAGIC) === 0;
}

export interface MsiLayout {
  readonly file: CompoundFile;
  readonly root: CfbEntry;
  /** Contents of `\x05DigitalSignature`, when present. */
  readonly signature: Buffer | undefined;
  /** Contents of `\x05MsiDigitalSignatureEx`, when present. */
  readonly signatureEx: Buffer | undefined;
  readonly streamCount: number;
}

/**
 * Reads the compound file's structure (compound-file.ts: every entry by index along the
 * directory tree) and the two signature streams of the root storage. Stream contents are read
 * later, while hashing.
 */
export async function parseMsi(source: ByteSource): Promise<MsiLayout> {
  const file = await openCompoundFile(source);
  let streamCount = 0;
  // Put every storage's children in digest order once; two entries with one name are refused.
  const order = (storage: CfbEntry): void => {
    storage.children.sort(compareNames);
    storage.children.forEach((child, i) => {
      const previous = storage.children[i - 1];
      if (previous && compareNames(previous, child) === 0) {
        throw new AuthenticodeFormatError(
          `storage ${JSON.stringify(storage.name)} has two entries named ${JSON.stringify(child.name)} (directory entries ${previous.index} and ${child.index})`,
          { file: source.name, offset: child.offset },
        );
      }
      if (child.type === EntryType.stream) streamCount++;
      else order(child);
    });
  };
  order(file.root);
  const find = (name: string): CfbEntry | undefined =>
    file.root.children.find((child) => child.type === EntryType.stream && child.name === name);
  const signature = find(DIGITAL_SIGNATURE);
  const signatureEx = find(DIGITAL_SIGNATURE_EX);
  return {
    file,
    root: file.root,
    signature: signature && (await file.readStreamBytes(signature, defaults.maxCertificateTableBytes)),
    signatureEx: signatureEx && (await file.readStreamBytes(signatureEx, defaults.maxMsiSignatureExBytes)),
    streamCount,
  };
}

/** MSI digest order: raw UTF-16LE names compared bytewise; on a common prefix the longer first. */
function compareNames(a: CfbEntry, b: CfbEntry): number {
  const length = Math.min(a.nameBytes, b.nameBytes);
  const diff = a.record.compare(b.record, 0, length, 0, length);
  if (diff !== 0 || a.nameBytes === b.nameBytes) return diff;
  return a.nameBytes > b.nameBytes ? -1 : 1;
}

const field = (entry: CfbEntry, name: keyof typeof RECORD_FIELDS): Buffer =>
  entry.record.subarray(...RECORD_FIELDS[name]);

function isSignatureStream(entry: CfbEntry): boolean {
  return entry.name === DIGITAL_SIGNATURE || entry.name === DIGITAL_SIGNATURE_EX;
}

/** Content digest: every stream's bytes in sorted order, recursing into storages, then the storage CLSID. */
async function hashStorage(
  file: CompoundFile,
  storage: CfbEntry,
  hashes: readonly Hash[],
  isRoot: boolean,
): Promise<void> {
  for (const child of storage.children) {
    if (isRoot && isSignatureStream(child)) continue;
    if (child.type === EntryType.stream) {
      await file.readStream(child, (chunk) => {
        for (const hash of hashes) hash.update(chunk);
      });
    } else if (child.type === EntryType.storage) {
      await hashStorage(file, child, hashes, false);
    }
  }
  for (const hash of hashes) hash.update(field(storage, 'clsid'));
}

/** MsiDigitalSignatureEx pre-hash: names, CLSIDs or sizes, state bits and times of every entry. */
function prehashEntry(entry: CfbEntry, hash: Hash): void {
  if (entry.type !== EntryType.root) hash.update(entry.record.subarray(0, entry.nameBytes - 2));
  if (entry.type !== EntryType.stream) hash.update(field(entry, 'clsid'));
  else {
    const size = Buffer.alloc(4);
    size.writeUInt32LE(entry.size);
    hash.update(size);
  }
  hash.update(field(entry, 'stateBits'));
  if (entry.type !== EntryType.root) {
    hash.update(field(entry, 'createdTime'));
    hash.update(field(entry, 'modifiedTime'));
  }
}

function prehashStorage(storage: CfbEntry, hash: Hash, isRoot: boolean): void {
  prehashEntry(storage, hash);
  for (const child of storage.children) {
    if (isRoot && isSignatureStream(child)) continue;
    if (child.type === EntryType.stream) prehashEntry(child, hash);
    else if (child.type === EntryType.storage) prehashStorage(child, hash, false);
  }
}

/** The MsiDigitalSignatureEx value for one algorithm. */
export function msiPrehash(layout: MsiLayout, algorithm: HashName): Buffer {
  const hash = createHash(algorithm);
  prehashStorage(layout.root, hash, true);
  return hash.digest();
}

/**
 * The MSI Authenticode digests for several algorithms in one pass over the streams. With
 * MsiDigitalSignatureEx present, each algorithm's pre-hash is fed first (and `signatureEx` must
 * equal it, which the caller checks).
 */
export async function msiDigests(
  layout: MsiLayout,
  algorithms: readonly HashName[],
  withPrehash: boolean,
): Promise<Map<HashName, Buffer>> {
  const hashes = algorithms.map((algorithm) => {
    const hash = createHash(algorithm);
    if (withPrehash) hash.update(msiPrehash(layout, algorithm));
    return hash;
  });
  await hashStorage(layout.file, layout.root, hashes, true);
  return new Map(algorithms.map((algorithm, index) => [algorithm, (hashes[index] as Hash).digest()]));
}

/**
 * Bytes after the last sector the FAT allocates (MS-CFB 2.3): the MSI digest covers only stream
 * contents, so anything appended past the compound file's allocated sectors is unsigned data.
 * Returns the offset where unallocated trailing bytes start, or undefined when there are none.
 */
export function msiUnallocatedTail(layout: MsiLayout, size: number): number | undefined {
  return size > layout.file.allocatedEnd ? layout.file.allocatedEnd : undefined;
}
