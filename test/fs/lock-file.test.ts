import { existsSync } from 'node:fs';
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { InputError } from '../../src/errors.ts';
import { acquireLock, lockPathOf } from '../../src/fs/lock-file.ts';

const OPTIONS = { purpose: 'test', what: 'state file' } as const;

describe('lock files', () => {
  it('locks a symlinked file at its target, so two links to one file exclude each other', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmm-verify-lock-'));
    const target = join(dir, 'state.json');
    const link = join(dir, 'link.json');
    await writeFile(target, '{}');
    await symlink(target, link);
    expect(lockPathOf(link)).toBe(`${target}.lock`);
    const held = await acquireLock(link, { ...OPTIONS, waitMs: 0 });
    expect(existsSync(`${target}.lock`)).toBe(true);
    expect(existsSync(`${link}.lock`)).toBe(false);
    await expect(acquireLock(target, { ...OPTIONS, waitMs: 0 })).rejects.toThrow(InputError);
    held.release();
    expect(existsSync(`${target}.lock`)).toBe(false);
    // A file that does not exist yet is locked where it will be.
    expect(lockPathOf(join(dir, 'new.json'))).toBe(join(dir, 'new.json.lock'));
  });

  it('stops waiting at once when its signal aborts, with the signal’s reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmm-verify-lock-'));
    const file = join(dir, 'history.sqlite');
    const held = await acquireLock(file, { ...OPTIONS, waitMs: 0 });
    const controller = new AbortController();
    const reason = new Error('interrupted by SIGTERM');
    const started = Date.now();
    setTimeout(() => {
      controller.abort(reason);
    }, 100);
    await expect(
      acquireLock(file, { ...OPTIONS, waitMs: 60_000, pollMs: 10_000, signal: controller.signal }),
    ).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(2_000);
    held.release();
  });
});
