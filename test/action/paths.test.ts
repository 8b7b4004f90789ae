import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isEvidenceFile } from '../../src/action/modes.ts';
import { expandPaths, workspacePath } from '../../src/action/paths.ts';

let ws: string;

beforeAll(async () => {
  ws = await mkdtemp(join(tmpdir(), 'rmm-verify-paths-'));
  for (const file of [
    'dist/b.msi',
    'dist/a.msi',
    'dist/a.msi.sigstore.json',
    'dist/sub/c.msi',
    'other/x.csv',
  ]) {
    await mkdir(join(ws, file, '..'), { recursive: true });
    await writeFile(join(ws, file), file);
  }
});

afterAll(async () => {
  await rm(ws, { recursive: true, force: true });
});

describe('expandPaths', () => {
  it('expands globs against the workspace into sorted, distinct absolute paths', async () => {
    const files = await expandPaths(['dist/*.msi', 'dist/a.msi', 'dist/**/*.msi'], ws);
    expect(files).toEqual([join(ws, 'dist/a.msi'), join(ws, 'dist/b.msi'), join(ws, 'dist/sub/c.msi')]);
  });

  it('drops what a `!` line excludes', async () => {
    expect(await expandPaths(['dist/**/*.msi', '!dist/sub/**'], ws)).toEqual([
      join(ws, 'dist/a.msi'),
      join(ws, 'dist/b.msi'),
    ]);
  });

  it('keeps a directory match for the modes that walk directories', async () => {
    expect(await expandPaths(['other'], ws)).toEqual([join(ws, 'other')]);
  });

  it('fails closed on a pattern that matches nothing, naming it', async () => {
    await expect(expandPaths(['dist/*.msi', 'dist/*.exe'], ws)).rejects.toThrow(
      "input 'paths': 'dist/*.exe' matches no file under the workspace",
    );
  });
});

describe('workspacePath', () => {
  it('shows paths inside the workspace relative to it and leaves others alone', () => {
    expect(workspacePath(join(ws, 'dist/a.msi'), ws)).toBe('dist/a.msi');
    expect(workspacePath('/elsewhere/a.msi', ws)).toBe('/elsewhere/a.msi');
    expect(workspacePath(ws, ws)).toBe(ws);
    expect(workspacePath('tenant-a/host-1', ws)).toBe('tenant-a/host-1');
  });
});

describe('isEvidenceFile', () => {
  it.each([
    ['dist/a.msi.sigstore.json', true],
    ['dist/a.msi.sigstore', true],
    ['dist/a.msi.intoto.jsonl', true],
    ['dist/a.msi.sig', true],
    ['dist/a.msi.cdx.json', true],
    [`attestations/sha256:${'ab'.repeat(32)}.jsonl`, true],
    ['dist/a.msi', false],
    ['dist/notes.json', false],
    ['dist/sha256:short.jsonl', false],
  ])('%s → %s', (path, expected) => {
    expect(isEvidenceFile(path)).toBe(expected);
  });
});
