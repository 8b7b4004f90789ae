import { defaults } from '../defaults.ts';
import { AuthenticodeFormatError } from './errors.ts';
import type { ByteSource } from './source.ts';

/** One section header (PE/COFF 3.3). */
export interface PeSection {
  readonly name: string;
  readonly rawOffset: number;
  readonly rawSize: number;
}

/** What the image hash and the signature checks need to know about a PE file. */
export interface PeLayout {
  readonly kind: 'pe32' | 'pe32+';
  readonly fileSize: number;
  readonly machine: number;
  /** File offset of the optional header's CheckSum field (optional header + 64). */
  readonly checksumOffset: number;
  readonly checksum: number;
  /** File offset of the Security (certificate table) data-directory entry, when there is one. */
  readonly securityDirectoryOffset: number | undefined;
  /** The certificate table; its "VirtualAddress" is a file offset (PE/COFF 4.7). */
  readonly certificateTable: { readonly offset: number; readonly size: number } | undefined;
  readonly sizeOfHeaders: number;
  readonly sections: readonly PeSection[];
}

const MAX_SECTIONS = 96; // PE/COFF: the loader limit on NumberOfSections
const SECURITY_DIRECTORY = 4;

export function isPe(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x4d && head[1] === 0x5a;
}

/**
 * Parses DOS, COFF and optional headers and the section table, checking every offset against
 * the file size. Throws AuthenticodeFormatError naming the byte offset of the first problem.
 */
export async function parsePe(source: ByteSource): Promise<PeLayout> {
  const file = source.name;
  const fail = (message: string, offset: number): never => {
    throw new AuthenticodeFormatError(message, { file, offset });
  };
  const size = source.size;
  if (size < 64) fail(`file of ${size} bytes is too short for a DOS header (64 bytes)`, 0);
  const headLength = Math.min(size, defaults.maxPeHeaderBytes);
  const head = Buffer.from(await source.read(0, headLength));
  if (!isPe(head)) fail("missing 'MZ' signature", 0);
  const peOffset = head.readUInt32LE(0x3c);
  if (peOffset + 24 > headLength) {
    fail(
      `PE header offset ${peOffset} (e_lfanew) is outside the first ${headLength} bytes of the file`,
      0x3c,
    );
  }
  if (head.readUInt32LE(peOffset) !== 0x00004550) fail("missing 'PE\\0\\0' signature", peOffset);
  const coff = peOffset + 4;
  const machine = head.readUInt16LE(coff);
  const sectionCount = head.readUInt16LE(coff + 2);
  const optionalSize = head.readUInt16LE(coff + 16);
  if (sectionCount > MAX_SECTIONS) fail(`${sectionCount} sections (more than ${MAX_SECTIONS})`, coff + 2);
  const optional = coff + 20;
  if (optionalSize < 2 || optional + optionalSize > headLength) {
    fail(
      `optional header of ${optionalSize} bytes runs past the headers read (${headLength} bytes)`,
      coff + 16,
    );
  }
  const magic = head.readUInt16LE(optional);
  let kind: PeLayout['kind'];
  if (magic === 0x10b) kind = 'pe32';
  else if (magic === 0x20b) kind = 'pe32+';
  else return fail(`unknown optional header magic 0x${magic.toString(16)}`, optional);
  // PE/COFF 3.4: NumberOfRvaAndSizes at +92 (PE32) or +108 (PE32+); directories follow it.
  const directoryCountOffset = optional + (kind === 'pe32' ? 92 : 108);
  const directories = directoryCountOffset + 4;
  if (directoryCountOffset + 4 > optional + optionalSize) {
    fail(`optional header of ${optionalSize} bytes is too short for a ${kind} header`, coff + 16);
  }
  const directoryCount = head.readUInt32LE(directoryCountOffset);
  if (directories + Math.min(directoryCount, 16) * 8 > optional + optionalSize) {
    fail(`${directoryCount} data directories do not fit in the optional header`, directoryCountOffset);
  }
  const checksumOffset = optional + 64;
  const sizeOfHeaders = head.readUInt32LE(optional + 60);
  let securityDirectoryOffset: number | undefined;
  let certificateTable: PeLayout['certificateTable'];
  if (directoryCount > SECURITY_DIRECTORY) {
    securityDirectoryOffset = directories + SECURITY_DIRECTORY * 8;
    const offset = head.readUInt32LE(securityDirectoryOffset);
    const length = head.readUInt32LE(securityDirectoryOffset + 4);
    if (offset !== 0 || length !== 0) {
      if (offset === 0 || length === 0) {
        fail(`certificate table entry has offset ${offset} and size ${length}`, securityDirectoryOffset);
      }
      if (offset < securityDirectoryOffset + 8) {
        fail(`certificate table at offset ${offset} overlaps the headers`, securityDirectoryOffset);
      }
      if (offset + length > size) {
        fail(
          `certificate table at offset ${offset} of ${length} bytes runs past the end of the file (${size} bytes): truncated?`,
          securityDirectoryOffset,
        );
      }
      certificateTable = { offset, size: length };
    }
  }
  const sectionTable = optional + optionalSize;
  if (sectionTable + sectionCount * 40 > headLength) {
    fail(
      `section table of ${sectionCount} entries runs past the headers read (${headLength} bytes)`,
      sectionTable,
    );
  }
  const sections: PeSection[] = [];
  for (let i = 0; i < sectionCount; i++) {
    const at = sectionTable + i * 40;
    const name = head
      .subarray(at, at + 8)
      .toString('latin1')
      .replace(/\0+$/, '');
    const rawSize = head.readUInt32LE(at + 16);
    const rawOffset = head.readUInt32LE(at + 20);
    if (rawSize !== 0 && rawOffset + rawSize > size) {
      fail(
        `section ${i} (${JSON.stringify(name)}) data at offset ${rawOffset} of ${rawSize} bytes runs past the end of the file (${size} bytes)`,
        at + 16,
      );
    }
    sections.push({ name, rawOffset, rawSize });
  }
  return {
    kind,
    fileSize: size,
    machine,
    checksumOffset,
    checksum: head.readUInt32LE(checksumOffset),
    securityDirectoryOffset,
    certificateTable,
    sizeOfHeaders,
    sections,
  };
}

/**
 * The byte ranges the Authenticode image hash covers: the whole file minus the CheckSum field,
 * the Security directory entry and the certificate table (Authenticode PE spec; data after the
 * last section is included).
 */
export function imageHashRanges(layout: PeLayout): Array<readonly [number, number]> {
  const excluded: Array<readonly [number, number]> = [[layout.checksumOffset, layout.checksumOffset + 4]];
  if (layout.securityDirectoryOffset !== undefined) {
    excluded.push([layout.securityDirectoryOffset, layout.securityDirectoryOffset + 8]);
  }
  if (layout.certificateTable) {
    excluded.push([
      layout.certificateTable.offset,
      layout.certificateTable.offset + layout.certificateTable.size,
    ]);
  }
  excluded.sort((a, b) => a[0] - b[0]);
  const ranges: Array<readonly [number, number]> = [];
  let position = 0;
  for (const [start, end] of excluded) {
    if (start > position) ranges.push([position, start]);
    position = Math.max(position, end);
  }
  if (position < layout.fileSize) ranges.push([position, layout.fileSize]);
  return ranges;
}
