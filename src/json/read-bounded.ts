import { InputError } from '../errors.ts';
import { openRegularFile } from '../fs/regular-file.ts';

/** Reads a whole file but refuses one larger than `maxBytes` without reading past the cap. */
export async function readBoundedFile(path: string, maxBytes: number, what = 'file'): Promise<Buffer> {
  const { handle, stat } = await openRegularFile(path, what);
  try {
    const size = Number(stat.size);
    const buffer = Buffer.alloc(Math.min(size, maxBytes) + 1);
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
