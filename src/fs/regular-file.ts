import { constants, type BigIntStats, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

import { InputError, errorMessage } from '../errors.ts';

/** The type tests that Stats, BigIntStats and Dirent share. */
export type FileTypeTests = Pick<
  Stats,
  'isFile' | 'isDirectory' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice' | 'isSymbolicLink'
>;

/** What a file is, for messages: `a FIFO (named pipe)`, `a socket`, ... */
export function fileKind(stats: FileTypeTests): string {
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

export interface OpenedRegularFile {
  readonly handle: FileHandle;
  /** fstat of the open handle (nanosecond times), taken before anything is read. */
  readonly stat: BigIntStats;
}

/**
 * Opens a regular file for reading, and nothing else. The open is non-blocking, so a FIFO
 * without a writer (or a device) returns at once instead of hanging the run, and is refused
 * after an fstat of the handle itself (no window between a check by path and the open).
 * Throws INPUT_UNREADABLE naming what the path is (and `what` the caller reads, e.g. `manifest`).
 */
export async function openRegularFile(path: string, what?: string): Promise<OpenedRegularFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error: unknown) {
    throw new InputError(
      'INPUT_UNREADABLE',
      `${what === undefined ? 'cannot open' : `cannot read ${what}`}: ${errorMessage(error)}`,
      { file: path, cause: error },
    );
  }
  try {
    const stat = await handle.stat({ bigint: true });
    if (!stat.isFile()) {
      throw new InputError(
        'INPUT_UNREADABLE',
        `${what === undefined ? 'not a regular file' : `${what} is not a regular file`}: it is ${fileKind(stat)}; only regular files are read`,
        { file: path },
      );
    }
    return { handle, stat };
  } catch (error: unknown) {
    await handle.close();
    throw error;
  }
}
