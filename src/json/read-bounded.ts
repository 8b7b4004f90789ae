import { InputError } from '../errors.ts';
import { openRegularFile } from '../fs/regular-file.ts';

/** Reads a whole file but refuses one larger than `maxBytes` without reading past the cap. */
export async function readBoundedFile(path: string, maxBytes: number, what = 'file'): Promise<Buffer> {
  const { handle, stat } = await openRegularFile(path, what);
  try {
    const size = Number(stat.size);
    // A regular file says its size: one over the limit is refused before a byte is read or a
    // buffer the size of the limit allocated (a sparse 257 MiB "SBOM" took 256 MiB and a full read).
    if (stat.isFile() && size > maxBytes) {
      throw new InputError(
        'INPUT_TOO_LARGE',
        `${what} is larger than the limit of ${maxBytes} bytes (${size} bytes)`,
        { file: path },
      );
    }
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
