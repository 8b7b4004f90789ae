import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode for a new file, e.g. 0o600 for private keys. */
  readonly mode?: number;
  /** Fail if the destination already exists. */
  readonly exclusive?: boolean;
}

/**
 * Writes a file so that readers see either the old content or the new, never a part: the bytes go
 * to a temp file in the same directory, are fsynced, and the temp file is renamed over the target.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  if (options.exclusive) {
    // Reserve the name first so two writers cannot both succeed.
    const reserve = await open(path, 'wx', options.mode ?? 0o644);
    await reserve.close();
  }
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error: unknown) {
    await handle.close();
    await rm(temp, { force: true });
    if (options.exclusive) await rm(path, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, path);
}
