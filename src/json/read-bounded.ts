import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

import { InputError, errorMessage } from '../errors.ts';

/** Reads a whole file but refuses one larger than `maxBytes` without reading past the cap. */
export async function readBoundedFile(path: string, maxBytes: number, what = 'file'): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error: unknown) {
    throw new InputError('INPUT_UNREADABLE', `cannot read ${what}: ${errorMessage(error)}`, {
      file: path,
      cause: error,
    });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile())
      throw new InputError('INPUT_UNREADABLE', `${what} is not a regular file`, { file: path });
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) {
        throw new InputError('INPUT_TOO_LARGE', `${what} is larger than the limit of ${maxBytes} bytes`, {
          file: path,
        });
      }
      if (total === buffer.length) break;
    }
    return buffer.subarray(0, total);
  } finally {
    await handle.close();
  }
}
