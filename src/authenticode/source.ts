import { read as readFd } from 'node:fs';
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
  /**
   * The descriptor of the open file behind the source, when it is one: a worker thread of the
   * same process reads the same open file through it (what was hashed is what it verifies).
   */
  readonly fd?: number;
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
  return positionalSource(
    async (buffer, offset, length, position) =>
      (await handle.read(buffer, offset, length, position)).bytesRead,
    name,
    size,
    handle.fd,
  );
}

/**
 * Random access through a descriptor another thread of this process opened and keeps open
 * until this source is no longer used (the Authenticode worker pool reads `verify`'s handle).
 */
export function descriptorSource(fd: number, name: string, size: number): ByteSource {
  return positionalSource(
    (buffer, offset, length, position) =>
      new Promise((resolve, reject) => {
        readFd(fd, buffer, offset, length, position, (error, bytesRead) => {
          if (error) reject(error);
          else resolve(bytesRead);
        });
      }),
    name,
    size,
    fd,
  );
}

type PositionalRead = (
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number,
) => Promise<number>;

function positionalSource(read: PositionalRead, name: string, size: number, fd: number): ByteSource {
  const readInto = async (buffer: Uint8Array, offset: number): Promise<Uint8Array> => {
    const length = buffer.length;
    let total = 0;
    while (total < length) {
      const bytesRead = await read(buffer, total, length - total, offset + total);
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
    fd,
    read: (offset, length) => readInto(Buffer.allocUnsafe(length), offset),
    readInto,
  };
}
