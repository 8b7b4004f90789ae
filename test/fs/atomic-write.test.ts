import { execFileSync } from 'node:child_process';
import { createReadStream, lstatSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { InputError } from '../../src/errors.ts';
import { writeFileAtomic } from '../../src/fs/atomic-write.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmm-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const leftovers = async (where = dir): Promise<string[]> =>
  (await readdir(where)).filter((name) => name.endsWith('.tmp'));

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('writeFileAtomic', () => {
  it('replaces a regular file by rename and keeps its mode', async () => {
    const path = join(dir, 'state.json');
    await writeFile(path, 'old');
    await chmod(path, 0o640);
    await writeFileAtomic(path, 'new');
    expect(await readFile(path, 'utf8')).toBe('new');
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(await leftovers()).toEqual([]);
  });

  it('writes through a symlink to its target and leaves the link a link', async () => {
    const real = join(dir, 'real', 'state.json');
    await mkdir(join(dir, 'real'));
    await writeFile(real, 'old');
    const link = join(dir, 'link.json');
    await symlink(join('real', 'state.json'), link);
    await writeFileAtomic(link, 'new');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(await readFile(real, 'utf8')).toBe('new');
    expect(await leftovers()).toEqual([]);
    expect(await leftovers(join(dir, 'real'))).toEqual([]);
  });

  it('creates the target of a dangling symlink', async () => {
    const link = join(dir, 'report.html');
    await symlink('target.html', link);
    await writeFileAtomic(link, 'report');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, 'target.html'), 'utf8')).toBe('report');
  });

  it('writes into a FIFO directly, never replacing it with a regular file', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const chunks: Buffer[] = [];
    const read = new Promise<string>((resolvePromise, reject) => {
      createReadStream(fifo)
        .on('data', (chunk) => chunks.push(chunk as Buffer))
        .on('end', () => {
          resolvePromise(Buffer.concat(chunks).toString('utf8'));
        })
        .on('error', reject);
    });
    await writeFileAtomic(fifo, 'through the pipe');
    expect(await read).toBe('through the pipe');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(await leftovers()).toEqual([]);
  });

  it('writes a symlink to a FIFO into the FIFO', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await symlink('pipe', join(dir, 'out'));
    const read = new Promise<string>((resolvePromise) => {
      const chunks: Buffer[] = [];
      createReadStream(fifo)
        .on('data', (chunk) => chunks.push(chunk as Buffer))
        .on('end', () => {
          resolvePromise(Buffer.concat(chunks).toString('utf8'));
        });
    });
    await writeFileAtomic(join(dir, 'out'), 'via link');
    expect(await read).toBe('via link');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('writes a character device directly (a link to /dev/full: the write fails with ENOSPC, nothing is replaced)', async () => {
    // Through a link in the temp directory, so even a broken implementation replaces only the link.
    const link = join(dir, 'full');
    await symlink('/dev/full', link);
    const error = await refusal(writeFileAtomic(link, 'x'));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(/ENOSPC|no space/i);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(lstatSync('/dev/full').isCharacterDevice()).toBe(true);
    expect(await leftovers()).toEqual([]);
  });

  it('refuses a directory with an input error and leaves nothing behind', async () => {
    const target = join(dir, 'reports');
    await mkdir(target);
    const error = await refusal(writeFileAtomic(target, 'x'));
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe('OUTPUT_UNWRITABLE');
    expect((error as InputError).message).toContain('a directory');
    expect(await readdir(target)).toEqual([]);
    expect(await leftovers()).toEqual([]);
  });

  it('fails with an input error, leaving no temp file, when the rename cannot happen', async () => {
    // A regular file whose directory does not let us create files: the temp file cannot be made.
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; use a path under a regular file instead.
      const blocker = join(dir, 'file');
      await writeFile(blocker, 'x');
      const error = await refusal(writeFileAtomic(join(blocker, 'out.json'), 'x'));
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).message).toContain(blocker);
    } else {
      const locked = join(dir, 'locked');
      await mkdir(locked);
      await chmod(locked, 0o500);
      const error = await refusal(writeFileAtomic(join(locked, 'out.json'), 'x'));
      expect(error).toBeInstanceOf(InputError);
      await chmod(locked, 0o700);
    }
    expect(await leftovers()).toEqual([]);
  });

  it('exclusive: never replaces an existing file, and leaves no file when it fails', async () => {
    const path = join(dir, 'key.pem');
    await writeFileAtomic(path, 'first', { exclusive: true, mode: 0o600 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const error = await refusal(writeFileAtomic(path, 'second', { exclusive: true }));
    expect(error).toBeInstanceOf(InputError);
    expect(await readFile(path, 'utf8')).toBe('first');
    expect(await leftovers()).toEqual([]);
  });
});
