import type { FileHandle } from 'node:fs/promises';

import { InputError } from '../errors.ts';
import { openRegularFile } from '../fs/regular-file.ts';

/** Random access to the bytes of a file being verified, in memory or on disk. */
export interface ByteSource {
  /** For messages: the file name or a label. */
  readonly name: string;
  readonly size: number;
  /** Reads exactly `length` bytes at `offset`; the caller keeps offsets inside `size`. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Reads exactly `target.length` bytes at `offset` into `target` (lets hashing reuse buffers). */
  readInto?(target: Uint8Array, offset: number): Promise<Uint8Array>;
}

export function bufferSource(bytes: Uint8Array, name = '<buffer>'): ByteSource {
  return {
    name,
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
  };
}

export interface FileSource extends ByteSource {
  close(): Promise<void>;
}

/** Opens a regular file for random access; the caller closes it. */
export async function openFileSource(path: string): Promise<FileSource> {
  const { handle, stat } = await openRegularFile(path);
  return { ...handleSource(handle, path, Number(stat.size)), close: () => handle.close() };
}

/**
 * Random access through a handle someone else opened and closes (the `verify` pipeline hashes
 * and inspects one open file). `size` is the size the caller vouches for (the bytes hashed).
 */
export function handleSource(handle: FileHandle, name: string, size: number): ByteSource {
  const readInto = async (buffer: Uint8Array, offset: number): Promise<Uint8Array> => {
    const length = buffer.length;
    let total = 0;
    while (total < length) {
      const { bytesRead } = await handle.read(buffer, total, length - total, offset + total);
      if (bytesRead === 0) {
        throw new InputError(
          'INPUT_UNREADABLE',
          `file shrank while reading (${offset + total} of ${size} bytes)`,
          { file: name },
        );
      }
      total += bytesRead;
    }
    return buffer;
  };
  return {
    name,
    size,
    read: (offset, length) => readInto(Buffer.allocUnsafe(length), offset),
    readInto,
  };
}
