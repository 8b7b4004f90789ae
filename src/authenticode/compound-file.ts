/**
 * A compound file (MS-CFB) reader for MSI verification: the header, FAT, mini FAT and the
 * directory are read into compact arrays; stream contents are read on demand, sector run by
 * sector run, so memory does not grow with the size of the streams. Every directory entry is
 * reached the way Windows reaches it: by index, from the root entry's child along the
 * red-black tree of left/right siblings, into each storage's child. Nothing is located by
 * searching the file, so copies of old directory sectors left in free space are never read.
 */
import { defaults } from '../defaults.ts';
import { AuthenticodeFormatError } from './errors.ts';
import type { ByteSource } from './source.ts';

export const CFB_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

// MS-CFB 2.1: special sector numbers.
const MAX_REGULAR_SECTOR = 0xfffffffa;
const END_OF_CHAIN = 0xfffffffe;
const FREE_SECTOR = 0xffffffff;
const NO_STREAM = 0xffffffff;
const HEADER_DIFAT_ENTRIES = 109;
const DIRECTORY_ENTRY_BYTES = 128;
const MINI_SECTOR_BYTES = 64;
const MINI_STREAM_CUTOFF = 4096;

export const EntryType = { unused: 0, storage: 1, stream: 2, root: 5 } as const;

/** One directory entry (MS-CFB 2.6.1), reached from the root. */
export interface CfbEntry {
  /** Index in the directory stream. */
  readonly index: number;
  readonly name: string;
  readonly type: 1 | 2 | 5;
  readonly startSector: number;
  /** Stream size in bytes (0 for storages). */
  readonly size: number;
  /** Children of a storage (or the root), in directory-tree order until a caller sorts them. */
  readonly children: CfbEntry[];
  /**
   * The 128-byte record as stored (a view into the directory), for the raw fields the MSI digests
   * cover: see RECORD_FIELDS. Kept as one view rather than one Buffer per field, so 100,000
   * entries stay small.
   */
  readonly record: Buffer;
  /** Bytes of the UTF-16LE name including its terminating NUL. */
  readonly nameBytes: number;
  /** Byte offset of the record in the file. */
  readonly offset: number;
}

/** Byte ranges inside a directory record (MS-CFB 2.6.1). */
export const RECORD_FIELDS = {
  clsid: [0x50, 0x60],
  stateBits: [0x60, 0x64],
  createdTime: [0x64, 0x6c],
  modifiedTime: [0x6c, 0x74],
} as const;

export interface CompoundFile {
  readonly root: CfbEntry;
  /** Entries reached from the root (the root included). */
  readonly entryCount: number;
  /** Byte offset just after the last sector the FAT allocates. */
  readonly allocatedEnd: number;
  /** Calls `onChunk` with the stream's bytes in order, in chunks of at most `readChunkBytes`. */
  readStream(entry: CfbEntry, onChunk: (chunk: Uint8Array) => void): Promise<void>;
  /** The stream's bytes in one buffer; fails when it is larger than `maxBytes`. */
  readStreamBytes(entry: CfbEntry, maxBytes: number): Promise<Buffer>;
}

export interface CompoundFileLimits {
  /** Directory entries reached from the root. */
  readonly maxEntries: number;
  /** Storages nested in storages. */
  readonly maxDepth: number;
}

const DEFAULT_LIMITS: CompoundFileLimits = {
  maxEntries: defaults.maxMsiDirectoryEntries,
  maxDepth: defaults.maxMsiStorageDepth,
};

/** Reads the structure of a compound file; throws AuthenticodeFormatError naming the byte offset. */
export async function openCompoundFile(
  source: ByteSource,
  limits: CompoundFileLimits = DEFAULT_LIMITS,
): Promise<CompoundFile> {
  const file = source.name;
  function fail(message: string, offset: number): never {
    throw new AuthenticodeFormatError(message, { file, offset });
  }
  if (source.size < 512) fail(`compound file of ${source.size} bytes is shorter than its 512-byte header`, 0);
  const header = Buffer.from(await source.read(0, 512));
  if (!header.subarray(0, 8).equals(CFB_MAGIC)) fail('not a compound file (bad signature)', 0);
  const major = header.readUInt16LE(0x1a);
  const shift = header.readUInt16LE(0x1e);
  if (!((major === 3 && shift === 9) || (major === 4 && shift === 12))) {
    fail(`major version ${major} with sector shift ${shift} (expected 3 with 9, or 4 with 12)`, 0x1a);
  }
  if (header.readUInt16LE(0x1c) !== 0xfffe) fail('byte order mark is not 0xFFFE', 0x1c);
  if (header.readUInt16LE(0x20) !== 6)
    fail(`mini sector shift ${header.readUInt16LE(0x20)} (expected 6)`, 0x20);
  if (header.readUInt32LE(0x38) !== MINI_STREAM_CUTOFF) {
    fail(`mini stream cutoff ${header.readUInt32LE(0x38)} (expected 4096)`, 0x38);
  }
  const sectorSize = 1 << shift;
  const sectorCount = Math.ceil((source.size - sectorSize) / sectorSize);
  const sectorOffset = (sector: number): number => (sector + 1) * sectorSize;
  const entriesPerSector = sectorSize / 4;

  const readSector = async (sector: number, what: string, at: number): Promise<Buffer> => {
    if (sector >= sectorCount || sectorOffset(sector) + sectorSize > source.size) {
      fail(`${what} sector ${sector} is outside the file of ${source.size} bytes`, at);
    }
    return Buffer.from(await source.read(sectorOffset(sector), sectorSize));
  };

  // DIFAT: the FAT's own sector numbers, 109 in the header and the rest along a chain.
  const fatSectorCount = header.readUInt32LE(0x2c);
  if (fatSectorCount > sectorCount)
    fail(`${fatSectorCount} FAT sectors do not fit in ${sectorCount} sectors`, 0x2c);
  const fatSectors: number[] = [];
  for (let i = 0; i < HEADER_DIFAT_ENTRIES && fatSectors.length < fatSectorCount; i++) {
    fatSectors.push(header.readUInt32LE(0x4c + i * 4));
  }
  let difat = header.readUInt32LE(0x44);
  for (let hops = 0; fatSectors.length < fatSectorCount; hops++) {
    if (hops > sectorCount || difat > MAX_REGULAR_SECTOR)
      fail('DIFAT chain ends before listing every FAT sector', 0x44);
    const block = await readSector(difat, 'DIFAT', 0x44);
    for (let i = 0; i < entriesPerSector - 1 && fatSectors.length < fatSectorCount; i++) {
      fatSectors.push(block.readUInt32LE(i * 4));
    }
    difat = block.readUInt32LE(sectorSize - 4);
  }
  const fat = new Uint32Array(fatSectorCount * entriesPerSector);
  for (const [index, sector] of fatSectors.entries()) {
    const block = await readSector(sector, 'FAT', 0x4c);
    for (let i = 0; i < entriesPerSector; i++) fat[index * entriesPerSector + i] = block.readUInt32LE(i * 4);
  }
  let lastUsed = -1;
  for (let i = fat.length - 1; i >= 0; i--) {
    if (fat[i] !== FREE_SECTOR) {
      lastUsed = i;
      break;
    }
  }

  // Loop detection without per-chain allocation: a sector is marked with the number of the
  // chain walking it, so a second visit in the same walk is a loop.
  const marks = new Uint32Array(sectorCount);
  let walk = 0;
  /** Follows a FAT chain for at most `maxSectors` sectors, visiting each sector at most once. */
  function* chain(start: number, what: string, maxSectors: number, startField: number): Generator<number> {
    const id = ++walk;
    let count = 0;
    let from = startField; // where the current sector number was read, for messages
    for (let sector = start; sector !== END_OF_CHAIN && count < maxSectors; count++) {
      if (sector > MAX_REGULAR_SECTOR || sector >= fat.length || sector >= sectorCount) {
        fail(`${what}: sector chain reaches invalid sector ${sector} after ${count} sectors`, from);
      }
      if (marks[sector] === id) fail(`${what}: sector chain loops back to sector ${sector}`, from);
      marks[sector] = id;
      yield sector;
      from = fatEntryOffset(sector);
      sector = fat[sector] ?? END_OF_CHAIN;
    }
  }
  const fatEntryOffset = (sector: number): number =>
    sectorOffset(fatSectors[Math.floor(sector / entriesPerSector)] ?? 0) + (sector % entriesPerSector) * 4;

  /** Reads whole sectors, adjacent ones in one read. */
  async function readSectors(sectors: readonly number[]): Promise<Buffer> {
    const out = Buffer.alloc(sectors.length * sectorSize);
    for (let i = 0; i < sectors.length;) {
      let run = 1;
      while (
        i + run < sectors.length &&
        sectors[i + run] === (sectors[i] as number) + run &&
        run * sectorSize < defaults.readChunkBytes
      )
        run++;
      const offset = sectorOffset(sectors[i] as number);
      if (offset + run * sectorSize > source.size)
        fail(`sector ${sectors[i] as number} is past the end of the file`, offset);
      out.set(await source.read(offset, run * sectorSize), i * sectorSize);
      i += run;
    }
    return out;
  }

  // Directory: 128-byte entries along the directory chain, addressed by index.
  const directorySectors = [...chain(header.readUInt32LE(0x30), 'directory', sectorCount, 0x30)];
  const perDirectorySector = sectorSize / DIRECTORY_ENTRY_BYTES;
  const recordCount = directorySectors.length * perDirectorySector;
  if (recordCount > limits.maxEntries) {
    fail(`directory of ${recordCount} entries exceeds the limit of ${limits.maxEntries}`, 0x30);
  }
  const directory = await readSectors(directorySectors);
  const recordOffset = (index: number): number =>
    sectorOffset(directorySectors[Math.floor(index / perDirectorySector)] as number) +
    (index % perDirectorySector) * DIRECTORY_ENTRY_BYTES;
  const readRecord = (index: number): { record: Buffer; offset: number } => ({
    record: directory.subarray(index * DIRECTORY_ENTRY_BYTES, (index + 1) * DIRECTORY_ENTRY_BYTES),
    offset: recordOffset(index),
  });

  const parseEntry = (
    index: number,
    record: Buffer,
    offset: number,
  ): CfbEntry & { left: number; right: number; child: number } => {
    const type = record[0x42];
    if (type !== EntryType.storage && type !== EntryType.stream && type !== EntryType.root) {
      fail(
        `directory entry ${index} is reached from the tree but has object type ${type ?? '?'}`,
        offset + 0x42,
      );
    }
    const nameBytes = record.readUInt16LE(0x40);
    if (nameBytes < 2 || nameBytes > 64 || nameBytes % 2 !== 0) {
      fail(
        `directory entry ${index}: name length ${nameBytes} (expected an even number from 2 to 64)`,
        offset + 0x40,
      );
    }
    if (record.readUInt16LE(nameBytes - 2) !== 0)
      fail(`directory entry ${index}: name is not NUL-terminated`, offset);
    const name = record.toString('utf16le', 0, nameBytes - 2);
    if (name.includes('\u0000')) fail(`directory entry ${index}: name contains a NUL character`, offset);
    // MS-CFB 2.6.3: version 3 files may leave the high 32 bits of the size uninitialised.
    const high = record.readUInt32LE(0x7c);
    const low = record.readUInt32LE(0x78);
    const size = type === EntryType.storage ? 0 : major === 3 ? low : high * 2 ** 32 + low;
    if (size > source.size && type === EntryType.stream) {
      fail(
        `stream ${JSON.stringify(name)} claims ${size} bytes, more than the file's ${source.size}`,
        offset + 0x78,
      );
    }
    return {
      index,
      name,
      type: type,
      startSector: record.readUInt32LE(0x74),
      size,
      children: [],
      record,
      nameBytes,
      offset,
      left: record.readUInt32LE(0x44),
      right: record.readUInt32LE(0x48),
      child: record.readUInt32LE(0x4c),
    };
  };

  const rootRecord = readRecord(0);
  const root = parseEntry(0, rootRecord.record, rootRecord.offset);
  if (root.type !== EntryType.root)
    fail(`directory entry 0 has object type ${root.type}, expected the root (5)`, rootRecord.offset);
  // Each entry may be reached once: a second arrival means a loop or an entry that is its own
  // (or another storage's) sibling, which would hash one stream twice or hide one.
  const reached = new Set<number>([0]);
  const storages: { entry: CfbEntry; child: number; depth: number; from: number }[] = [
    { entry: root, child: root.child, depth: 0, from: rootRecord.offset + 0x4c },
  ];
  for (let next = storages.pop(); next !== undefined; next = storages.pop()) {
    // Each pending index comes with the byte offset of the field that pointed to it.
    const pending = next.child === NO_STREAM ? [] : [{ index: next.child, from: next.from }];
    for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
      const { index, from } = item;
      if (index >= recordCount) {
        fail(
          `directory entry ${index} (in ${JSON.stringify(next.entry.name)}) is past the ${recordCount} entries of the directory`,
          from,
        );
      }
      if (reached.has(index)) {
        fail(
          `directory entry ${index} is reached twice: the directory tree has a loop or shared siblings`,
          from,
        );
      }
      reached.add(index);
      if (reached.size > limits.maxEntries) fail(`more than ${limits.maxEntries} directory entries`, from);
      const { record, offset } = readRecord(index);
      const entry = parseEntry(index, record, offset);
      if (entry.type === EntryType.root)
        fail(`directory entry ${index} is a second root entry`, offset + 0x42);
      next.entry.children.push(entry);
      if (entry.left !== NO_STREAM) pending.push({ index: entry.left, from: offset + 0x44 });
      if (entry.right !== NO_STREAM) pending.push({ index: entry.right, from: offset + 0x48 });
      if (entry.type === EntryType.storage) {
        if (next.depth + 1 > limits.maxDepth)
          fail(`storages nested deeper than ${limits.maxDepth} levels`, offset);
        storages.push({ entry, child: entry.child, depth: next.depth + 1, from: offset + 0x4c });
      } else if (entry.child !== NO_STREAM) {
        fail(`stream ${JSON.stringify(entry.name)} (directory entry ${index}) has a child`, offset + 0x4c);
      }
    }
  }

  // Work bound: each sector belongs to one stream (MS-CFB 2.3), so the streams' sizes add up to at
  // most the file's sectors (the regular streams) and the mini stream (the small ones). Streams
  // that share one chain would make hashing read the same bytes once per entry: up to
  // maxMsiDirectoryEntries times the file (a 64 MiB MSI hashed as 16 TiB).
  let regularBytes = 0;
  let miniBytes = 0;
  const totals: CfbEntry[] = [root];
  for (let entry = totals.pop(); entry !== undefined; entry = totals.pop()) {
    for (const child of entry.children) {
      if (child.type === EntryType.storage) totals.push(child);
      else if (child.size >= MINI_STREAM_CUTOFF) regularBytes += child.size;
      else miniBytes += child.size;
      if (regularBytes > sectorCount * sectorSize || miniBytes > root.size) {
        fail(
          `stream ${JSON.stringify(child.name)} (directory entry ${child.index}) brings the streams' sizes to ${regularBytes + miniBytes} bytes, more than the ${regularBytes > sectorCount * sectorSize ? `${sectorCount * sectorSize} bytes of the file's sectors` : `${root.size}-byte mini stream`}: streams share sectors`,
          child.offset + 0x78,
        );
      }
    }
  }

  // Mini stream: the root entry's chain; small streams live in it, addressed through the mini FAT.
  const miniStreamSectors = Uint32Array.from(
    chain(root.startSector, 'mini stream', Math.ceil(root.size / sectorSize), rootRecord.offset + 0x74),
  );
  if (miniStreamSectors.length * sectorSize < root.size) {
    fail(
      `mini stream of ${root.size} bytes has a chain of only ${miniStreamSectors.length} sectors`,
      rootRecord.offset + 0x74,
    );
  }
  const miniFatCount = header.readUInt32LE(0x40);
  const miniFatSectors =
    miniFatCount === 0 ? [] : [...chain(header.readUInt32LE(0x3c), 'mini FAT', miniFatCount, 0x3c)];
  if (miniFatSectors.length < miniFatCount)
    fail(`mini FAT chain has ${miniFatSectors.length} of ${miniFatCount} sectors`, 0x40);
  const miniFatBytes = await readSectors(miniFatSectors);
  const miniFat = new Uint32Array(miniFatSectors.length * entriesPerSector);
  for (let i = 0; i < miniFat.length; i++) miniFat[i] = miniFatBytes.readUInt32LE(i * 4);
  const miniSectorCount = Math.min(Math.floor(root.size / MINI_SECTOR_BYTES), miniFat.length);
  const miniMarks = new Uint32Array(miniSectorCount);

  const streamName = (entry: CfbEntry): string =>
    `stream ${JSON.stringify(entry.name)} (directory entry ${entry.index})`;

  /** Where a stream's bytes are, in order: adjacent pieces merged up to readChunkBytes. */
  function* ranges(entry: CfbEntry): Generator<{ offset: number; length: number }> {
    let pending: { offset: number; length: number } | undefined;
    const pieces = entry.size >= MINI_STREAM_CUTOFF ? regularPieces(entry) : miniPieces(entry);
    for (const piece of pieces) {
      if (piece.offset + piece.length > source.size) {
        fail(
          `${streamName(entry)} is truncated: its data at byte offset ${piece.offset} is past the end of the file`,
          piece.offset,
        );
      }
      if (
        pending &&
        pending.offset + pending.length === piece.offset &&
        pending.length + piece.length <= defaults.readChunkBytes
      ) {
        pending.length += piece.length;
        continue;
      }
      if (pending) yield pending;
      pending = { ...piece };
    }
    if (pending) yield pending;
  }

  function* regularPieces(entry: CfbEntry): Generator<{ offset: number; length: number }> {
    let done = 0;
    for (const sector of chain(
      entry.startSector,
      streamName(entry),
      Math.ceil(entry.size / sectorSize),
      entry.offset + 0x74,
    )) {
      const length = Math.min(sectorSize, entry.size - done);
      yield { offset: sectorOffset(sector), length };
      done += length;
    }
    if (done < entry.size)
      fail(
        `${streamName(entry)} of ${entry.size} bytes: its sector chain ends after ${done} bytes`,
        entry.offset + 0x74,
      );
  }

  function* miniPieces(entry: CfbEntry): Generator<{ offset: number; length: number }> {
    const id = ++walk;
    let mini = entry.startSector;
    let from = entry.offset + 0x74; // where the current mini sector number was read
    for (let done = 0; done < entry.size;) {
      if (mini >= miniSectorCount) {
        fail(
          `${streamName(entry)}: mini sector chain reaches invalid mini sector ${mini} after ${done} bytes`,
          from,
        );
      }
      if (miniMarks[mini] === id)
        fail(`${streamName(entry)}: mini sector chain loops back to mini sector ${mini}`, from);
      miniMarks[mini] = id;
      const position = mini * MINI_SECTOR_BYTES;
      const sector = miniStreamSectors[Math.floor(position / sectorSize)] as number;
      const length = Math.min(MINI_SECTOR_BYTES, entry.size - done);
      yield { offset: sectorOffset(sector) + (position % sectorSize), length };
      done += length;
      from =
        sectorOffset(miniFatSectors[Math.floor(mini / entriesPerSector)] ?? 0) +
        (mini % entriesPerSector) * 4;
      mini = miniFat[mini] ?? END_OF_CHAIN;
    }
  }

  const readStream = async (entry: CfbEntry, onChunk: (chunk: Uint8Array) => void): Promise<void> => {
    for (const { offset, length } of ranges(entry)) onChunk(await source.read(offset, length));
  };

  return {
    root,
    entryCount: reached.size,
    allocatedEnd: sectorOffset(lastUsed + 1),
    readStream,
    readStreamBytes: async (entry, maxBytes) => {
      if (entry.size > maxBytes)
        fail(
          `${streamName(entry)} of ${entry.size} bytes exceeds the limit of ${maxBytes}`,
          entry.offset + 0x78,
        );
      const parts: Buffer[] = [];
      await readStream(entry, (chunk) => parts.push(Buffer.from(chunk)));
      return Buffer.concat(parts);
    },
  };
}
