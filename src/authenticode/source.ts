import { open, type FileHandle } from 'node:fs/promises';

import { InputError, errorMessage } from '../errors.ts';

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
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error: unknown) {
    throw new InputError('INPUT_UNREADABLE', `cannot read file: ${errorMessage(error)}`, {
      file: path,
      cause: error,
    });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new InputError('INPUT_UNREADABLE', 'not a regular file', { file: path });
    const readInto = async (buffer: Uint8Array, offset: number): Promise<Uint8Array> => {
      const length = buffer.length;
      let total = 0;
      while (total < length) {
        const { bytesRead } = await handle.read(buffer, total, length - total, offset + total);
        if (bytesRead === 0) {
          throw new InputError(
            'INPUT_UNREADABLE',
            `file shrank while reading (${offset + total} of ${stat.size} bytes)`,
            { file: path },
          );
        }
        total += bytesRead;
      }
      return buffer;
    };
    return {
      name: path,
      size: stat.size,
      read: (offset, length) => readInto(Buffer.allocUnsafe(length), offset),
      readInto,
      close: () => handle.close(),
    };
  } catch (error: unknown) {
    await handle.close();
    throw error;
  }
}
