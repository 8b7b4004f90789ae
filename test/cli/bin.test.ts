import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaults } from '../../src/defaults.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/rmm-verify.js');
const EXAMPLE = join(ROOT, 'examples/fleet/inventory.csv');
const MANIFEST = join(ROOT, 'examples/fleet/acme-agent.manifest.json');

interface DriftJson {
  readonly drift: {
    readonly fleet: {
      readonly rows: number;
      readonly malformedRows: number;
      readonly duplicateRows: number;
      readonly agents: number;
      readonly tools: number;
      readonly classes: Record<string, number>;
    };
  };
}

/** The installed command (bin/rmm-verify.js on the build in dist/), as a user runs it. */
function drift(inventory: string): DriftJson {
  const result = spawnSync(
    process.execPath,
    [BIN, 'drift', inventory, '-m', MANIFEST, '--allow-unsigned-manifests', '-f', 'json'],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  expect(result.status, result.stderr).toBe(1); // the example fleet has drift
  return JSON.parse(result.stdout) as DriftJson;
}

describe('the installed rmm-verify command', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rmm-verify-bin-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('drift reads a large CSV on the reader thread (dist build) with the same counts per copy', async () => {
    // The example fleet repeated with distinct endpoint ids until the file is large enough for
    // the reader thread: every count must be the example's times the number of copies.
    const [header = '', ...rows] = (await readFile(EXAMPLE, 'utf8')).trimEnd().split('\n');
    const lines = [header];
    let copies = 0;
    let bytes = 0;
    while (bytes < defaults.readerThreadMinBytes) {
      copies++;
      for (const row of rows) {
        const fields = row.split(',');
        fields[1] = `${fields[1] ?? ''}-copy${copies}`;
        const line = fields.join(',');
        lines.push(line);
        bytes += line.length + 1;
      }
    }
    const large = join(dir, 'large.csv');
    await writeFile(large, `${lines.join('\n')}\n`);
    const one = drift(EXAMPLE).drift.fleet;
    const many = drift(large).drift.fleet;
    expect(one.rows).toBeGreaterThan(0);
    expect(many.rows).toBe(one.rows * copies);
    expect(many.malformedRows).toBe(one.malformedRows * copies);
    expect(many.duplicateRows).toBe(one.duplicateRows * copies);
    expect(many.agents).toBe(one.agents * copies);
    expect(many.tools).toBe(one.tools * copies);
    expect(many.classes).toEqual(
      Object.fromEntries(Object.entries(one.classes).map(([c, n]) => [c, n * copies])),
    );
  });
});
