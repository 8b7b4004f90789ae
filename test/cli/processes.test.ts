import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serializeManifest } from '../../src/manifest/pin.ts';
import { baseManifest, makeKey, signatureFile, trustDocument } from '../helpers/signed-manifest.ts';

/**
 * Processes, signals and locks with real processes: the installed launcher (bin/rmm-verify.js on
 * dist/) re-runs drift as a child; the child must die with it, a signal must stop the scan with
 * the conventional status and nothing written, a second scan waits a bounded time for the
 * history, concurrent runs never lose a state-file record, and a foreign SQLite file given as
 * --history is refused untouched.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/rmm-verify.js');
const MANIFEST = join(ROOT, 'examples/fleet/acme-agent.manifest.json');
const INVENTORY = join(ROOT, 'examples/fleet/inventory.csv');
const LINES = readFileSync(INVENTORY, 'utf8').trimEnd().split('\n');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmm-verify-processes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function start(args: readonly string[]): { child: ChildProcess; done: Promise<Exit> } {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Exit>((resolveExit) => {
    child.on('close', (code, signal) => {
      resolveExit({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
  return { child, done };
}

async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function scansIn(db: string): number {
  const d = new DatabaseSync(db, { readOnly: true });
  try {
    return (d.prepare('SELECT count(*) AS n FROM scans').get() as { n: number }).n;
  } finally {
    d.close();
  }
}

/**
 * A drift scan reading stdin with --history, started and fed its first rows; resolves once it
 * holds the history lock, with the pid of the scan process (from the lock file).
 */
async function runningScan(name: string, extra: readonly string[] = []) {
  const db = join(dir, `${name}.db`);
  const out = join(dir, `${name}.json`);
  const scan = start([
    'drift',
    '-',
    '-m',
    MANIFEST,
    '--allow-unsigned-manifests',
    '--history',
    db,
    '-f',
    'json',
    '-o',
    out,
    ...extra,
  ]);
  scan.child.stdin?.write(`${LINES.slice(0, 6).join('\n')}\n`);
  await waitFor(() => existsSync(`${db}.lock`), 20_000, 'the scan to take the history lock');
  const owner = JSON.parse(await readFile(`${db}.lock`, 'utf8')) as { pid: number; started: string };
  return { ...scan, db, out, owner };
}

describe('drift processes', () => {
  it('a kill -9 of the launcher ends the scan: it never writes the report or commits history', async () => {
    const scan = await runningScan('killed');
    // The scan runs in the launcher's child (the pid in the lock file is not the launcher's).
    expect(scan.owner.pid).not.toBe(scan.child.pid);
    scan.child.kill('SIGKILL');
    await sleep(300);
    // More rows, then the end of the input: an orphaned scan would now finish and commit.
    scan.child.stdin?.end(`${LINES.slice(6).join('\n')}\n`);
    await waitFor(() => !alive(scan.owner.pid), 15_000, 'the orphaned scan to stop');
    expect(existsSync(scan.out)).toBe(false);
    expect(scansIn(scan.db)).toBe(0);
    expect(existsSync(`${scan.db}.lock`)).toBe(false);
  }, 60_000);

  for (const [signal, status] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal} to the launcher stops the scan with exit ${status}, one line, no report, no history`, async () => {
      const scan = await runningScan(`signal-${signal}`);
      scan.child.kill(signal);
      await sleep(300);
      scan.child.stdin?.end(`${LINES.slice(6).join('\n')}\n`);
      const exit = await scan.done;
      expect(exit.code, exit.stderr).toBe(status);
      const lines = exit.stderr.trimEnd().split('\n');
      expect(lines.filter((line) => line.includes(`interrupted by ${signal}`))).toHaveLength(1);
      expect(lines.filter((line) => !line.includes('--allow-unsigned-manifests'))).toHaveLength(1);
      expect(exit.stdout).toBe('');
      expect(existsSync(scan.out)).toBe(false);
      expect(scansIn(scan.db)).toBe(0);
      expect(existsSync(`${scan.db}.lock`)).toBe(false);
      expect(alive(scan.owner.pid)).toBe(false);
    }, 60_000);
  }

  it('a second scan on a busy history waits --lock-wait, then exits 2 naming the first', async () => {
    const first = await runningScan('busy');
    const second = start([
      'drift',
      INVENTORY,
      '-m',
      MANIFEST,
      '--allow-unsigned-manifests',
      '--history',
      first.db,
      '--lock-wait',
      '1.5',
    ]);
    const exit = await second.done;
    expect(exit.code, exit.stderr).toBe(2);
    expect(exit.stderr).toContain(
      `history database is in use by another rmm-verify drift scan (pid ${first.owner.pid}`,
    );
    expect(exit.stderr).toContain(`started ${first.owner.started}`);
    expect(exit.stderr).toMatch(/waited 1\.[5-9] s \(--lock-wait to wait longer\)/);
    // The first scan is unharmed and commits when its input ends.
    first.child.stdin?.end(`${LINES.slice(6).join('\n')}\n`);
    expect((await first.done).code).toBe(1);
    expect(scansIn(first.db)).toBe(1);
    // Once it is done, a scan gets the history at once.
    const third = start([
      'drift',
      INVENTORY,
      '-m',
      MANIFEST,
      '--allow-unsigned-manifests',
      '--history',
      first.db,
    ]);
    expect((await third.done).code).toBe(1);
    expect(scansIn(first.db)).toBe(2);
  }, 90_000);

  it('takes over the lock of a scan that died without releasing it', async () => {
    const db = join(dir, 'stale.db');
    // A pid that is not running (a finished process's).
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.on('close', r));
    await writeFile(
      `${db}.lock`,
      `${JSON.stringify({ pid: gone.pid, host: (await import('node:os')).hostname(), started: new Date().toISOString(), purpose: 'rmm-verify drift scan' })}\n`,
    );
    const scan = start(['drift', INVENTORY, '-m', MANIFEST, '--allow-unsigned-manifests', '--history', db]);
    const exit = await scan.done;
    expect(exit.code, exit.stderr).toBe(1);
    expect(scansIn(db)).toBe(1);
    expect(existsSync(`${db}.lock`)).toBe(false);
  }, 60_000);

  it('refuses --history on an unrelated SQLite database, leaving it byte for byte as it was', async () => {
    const db = join(dir, 'crm.db');
    const d = new DatabaseSync(db);
    d.exec(`PRAGMA journal_mode = DELETE; CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
      INSERT INTO customers (name) VALUES ('contoso'), ('fabrikam');`);
    d.close();
    const sha = async () =>
      createHash('sha256')
        .update(await readFile(db))
        .digest('hex');
    const before = await sha();
    const exit = await start([
      'drift',
      INVENTORY,
      '-m',
      MANIFEST,
      '--allow-unsigned-manifests',
      '--history',
      db,
    ]).done;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toContain('not an rmm-verify scan history: it has table(s) customers');
    expect(await sha()).toBe(before);
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(existsSync(`${db}.lock`)).toBe(false);
    const check = new DatabaseSync(db, { readOnly: true });
    expect((check.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe(
      'delete',
    );
    expect(
      (check.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).all() as { name: string }[]).map(
        (t) => t.name,
      ),
    ).toEqual(['customers']);
    check.close();
    // Another application's id is refused too, even without tables.
    const other = join(dir, 'other-app.db');
    const o = new DatabaseSync(other);
    o.exec('PRAGMA application_id = 1234');
    o.close();
    const otherBefore = createHash('sha256')
      .update(await readFile(other))
      .digest('hex');
    const refused = await start([
      'drift',
      INVENTORY,
      '-m',
      MANIFEST,
      '--allow-unsigned-manifests',
      '--history',
      other,
    ]).done;
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("the database's application id is 0x4d2");
    expect(
      createHash('sha256')
        .update(await readFile(other))
        .digest('hex'),
    ).toBe(otherBefore);
  }, 60_000);
});

describe('the --state file lock', () => {
  /** N signed manifests of different products under one trust root. */
  async function manifests(n: number, sub: string) {
    const base = join(dir, sub);
    await mkdir(base, { recursive: true });
    const keys = [makeKey()];
    const trust = join(base, 'trust.json');
    await writeFile(
      trust,
      JSON.stringify(
        trustDocument(
          [
            {
              key: keys[0] as ReturnType<typeof makeKey>,
              products: Array.from({ length: n }, (_, i) => `product-${i}`),
            },
          ],
          1,
        ),
      ),
    );
    const paths: string[] = [];
    for (let i = 0; i < n; i++) {
      const bytes = Buffer.from(
        serializeManifest(baseManifest({ product: `product-${i}`, expires: '2099-01-01T00:00:00Z' })),
      );
      const path = join(base, `product-${i}.json`);
      await writeFile(path, bytes);
      await writeFile(`${path}.sig`, JSON.stringify(signatureFile(bytes, keys)));
      paths.push(path);
    }
    return { base, trust, paths, state: join(base, 'state.json') };
  }

  it('concurrent runs sharing a state file never lose a product record', async () => {
    const n = 6;
    for (let round = 0; round < 2; round++) {
      const m = await manifests(n, `state-round-${round}`);
      const exits = await Promise.all(
        m.paths.map(
          (path) =>
            start(['manifest', 'verify', path, '--trust', m.trust, '--state', m.state, '--format', 'json'])
              .done,
        ),
      );
      for (const exit of exits) expect(exit.code, exit.stderr + exit.stdout).toBe(0);
      const state = JSON.parse(await readFile(m.state, 'utf8')) as {
        products: Record<string, { serial: number }>;
      };
      expect(Object.keys(state.products).sort()).toEqual(m.paths.map((_, i) => `product-${i}`).sort());
      expect(existsSync(`${m.state}.lock`)).toBe(false);
    }
  }, 120_000);

  it('waits --lock-wait for a held state lock, then exits 2 naming its owner', async () => {
    const m = await manifests(1, 'state-held');
    const started = new Date().toISOString();
    // Held by this (live) test process.
    await writeFile(
      `${m.state}.lock`,
      `${JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname(), started, purpose: 'rmm-verify run updating the state file' })}\n`,
    );
    const exit = await start([
      'verify',
      m.paths[0] as string,
      '--manifest',
      m.paths[0] as string,
      '--trust',
      m.trust,
      '--state',
      m.state,
      '--lock-wait',
      '1',
    ]).done;
    expect(exit.code, exit.stderr).toBe(2);
    expect(exit.stderr).toContain(
      `state file is in use by another rmm-verify run updating the state file (pid ${process.pid}`,
    );
    expect(exit.stderr).toMatch(/waited 1\.\d s/);
    expect(existsSync(m.state)).toBe(false);
    expect(existsSync(`${m.state}.lock`)).toBe(true); // not ours to remove
  }, 60_000);
});
