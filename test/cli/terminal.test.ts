/**
 * What a person sees on a terminal: the CLI runs under a real pseudo-terminal (`script` from
 * util-linux) and on a pipe, and the tests read the bytes that reach the screen.
 */
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CliIo } from '../../src/cli/io.ts';
import { useColor } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { formatDuration, progressLine, progressOn } from '../../src/cli/progress.ts';
import { closest, editDistance } from '../../src/cli/suggest.ts';
import { captureIo } from '../helpers/io.ts';
import { artifactFor, baseManifest, workspace, type Workspace } from '../helpers/signed-manifest.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/rmm-verify.js');
const ESC = '\u001b';
const MiB = 1 << 20;

let ws: Workspace;
const genuine = Buffer.alloc(48 * MiB, 7);
beforeAll(async () => {
  ws = await workspace({ threshold: 1, keyCount: 1 });
  const day = 86_400_000;
  await ws.writeManifest(
    baseManifest({
      issued: new Date(Date.now() - day).toISOString().replace(/\.\d+Z$/, 'Z'),
      expires: new Date(Date.now() + 30 * day).toISOString().replace(/\.\d+Z$/, 'Z'),
      releases: [{ version: '7.4.2', artifacts: [artifactFor('agent.run', genuine)] }],
    }),
  );
  await ws.writeFile('agent.run', genuine);
  // A tampered copy whose name carries a terminal escape sequence (clear screen).
  const tampered = Buffer.from(genuine);
  tampered[0] = 8;
  await ws.writeFile(`in/agent${ESC}[2J.run`, tampered);
});
afterAll(async () => {
  await rm(ws.dir, { recursive: true, force: true });
});

const verifyArgs = (file: string) => [
  'verify',
  file,
  '--manifest',
  ws.manifestPath,
  '--trust',
  ws.trustPath,
  '--no-state',
];
const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** Runs the installed command under a pseudo-terminal; returns what the terminal received. */
function onTerminal(args: readonly string[], env: Record<string, string> = {}) {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  const result = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: ws.dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', TERM: 'xterm', ...env },
  });
  return { status: result.status, screen: result.stdout.replaceAll('\r\n', '\n') };
}

function onPipe(args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ws.dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('on a terminal', () => {
  it('shows PASS in colour, not as escape text', () => {
    const { status, screen } = onTerminal(verifyArgs('agent.run'));
    expect(status).toBe(0);
    expect(screen).toContain(`${ESC}[32mPASS${ESC}[0m artifact agent.run`);
    expect(screen).not.toContain('\\x1b');
  });

  it('colours FAIL and severities, and still escapes the hostile file name', () => {
    const { status, screen } = onTerminal(verifyArgs(`in/agent${ESC}[2J.run`));
    expect(status).toBe(1);
    expect(screen).toContain(`${ESC}[31mFAIL${ESC}[0m artifact in/agent\\x1b[2J.run`);
    expect(screen).toMatch(new RegExp(`${ESC}\\[1;31mCRITICAL${ESC}\\[0m ARTIFACT_UNKNOWN`));
    expect(screen).not.toContain(`${ESC}[2J`);
  });

  it('shows progress with done/total, percent, rate and time left, and clears it', () => {
    const { screen } = onTerminal(verifyArgs('agent.run'));
    expect(screen).toMatch(/agent\.run {2}\d+\.\d MiB \/ 48\.0 MiB {2}\d+%/);
    expect(screen).toContain(`\r${ESC}[2K`);
  });

  it('walking a directory shows one line for the whole run: bytes of all files, percent', async () => {
    await ws.writeFile('walk/a/agent.run', genuine);
    await ws.writeFile('walk/b/agent.run', genuine);
    const { status, screen } = onTerminal(verifyArgs('walk'));
    expect(status).toBe(0);
    expect(screen).toMatch(/verify: 2 files {2}\d+\.\d MiB \/ 96\.0 MiB {2}\d+%/);
    expect(screen).not.toMatch(/agent\.run {2}\d+\.\d MiB \/ 48\.0 MiB/);
  });

  it('NO_COLOR and FORCE_COLOR=0 turn colour off', () => {
    for (const env of [{ NO_COLOR: '1' }, { FORCE_COLOR: '0' }]) {
      const { screen } = onTerminal(verifyArgs('agent.run'), env);
      expect(screen).toContain('PASS artifact agent.run');
      expect(screen).not.toContain(`${ESC}[32m`);
    }
  });
});

describe('on a pipe', () => {
  it('has no colour and no progress', () => {
    const { status, stdout, stderr } = onPipe(verifyArgs('agent.run'));
    expect(status).toBe(0);
    expect(stdout).toContain('PASS artifact agent.run');
    expect(stdout + stderr).not.toContain(ESC);
  });

  it('FORCE_COLOR colours it anyway', () => {
    const { stdout } = onPipe(verifyArgs('agent.run'), { FORCE_COLOR: '1' });
    expect(stdout).toContain(`${ESC}[32mPASS${ESC}[0m`);
  });
});

describe('colour policy', () => {
  const io = (isTTY: boolean, env: Record<string, string>): CliIo => ({
    ...captureIo('/').io,
    stdout: Object.assign(new PassThrough(), { isTTY }),
    env,
  });
  it.each([
    [true, {}, true],
    [false, {}, false],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true],
    [true, { TERM: 'dumb' }, false],
    [false, { FORCE_COLOR: '1' }, true],
    [true, { FORCE_COLOR: '0' }, false],
    [true, { FORCE_COLOR: 'false', NO_COLOR: '' }, false],
    [false, { FORCE_COLOR: '3', NO_COLOR: '1' }, true],
  ] as const)('TTY %s with %j: colour %s', (isTTY, env, expected) => {
    expect(useColor(io(isTTY, env))).toBe(expected);
  });
});

describe('progress line', () => {
  it('with a total: done / total, percent, rate, time left', () => {
    expect(progressLine('agent.msi', 50 * MiB, 200 * MiB, 2000, 'bytes')).toBe(
      'agent.msi  50.0 MiB / 200.0 MiB  25%  25.0 MiB/s  0:06 left',
    );
  });
  it('without a total (rows of a stream): count, rate, elapsed', () => {
    expect(progressLine('drift: reading', 1_500_000, undefined, 3000, 'rows')).toBe(
      'drift: reading  1,500,000 rows  500,000 rows/s  0:03 elapsed',
    );
  });
  it('escapes a hostile label and shortens a long one', () => {
    expect(progressLine(`a${ESC}[2Jb`, 1, 2, 0, 'bytes')).toContain('a\\x1b[2Jb');
    expect(progressLine('x'.repeat(100), 1, 2, 0, 'bytes').startsWith(`...${'x'.repeat(45)}  `)).toBe(true);
  });
  it('formats durations', () => {
    expect([7, 754, 3723].map(formatDuration)).toEqual(['0:07', '12:34', '1:02:03']);
  });
  it('draws at most ten times a second on a TTY and nothing elsewhere', () => {
    const written: string[] = [];
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    tty.on('data', (c: Buffer) => written.push(c.toString()));
    let clock = 0;
    const base = captureIo('/').io;
    const progress = progressOn({ ...base, stderr: tty }, 'bytes', () => clock);
    progress.update('f', 1, 10);
    clock = 50;
    progress.update('f', 2, 10); // too soon: not drawn
    clock = 150;
    progress.update('f', 3, 10);
    progress.done();
    expect(written).toHaveLength(3);
    expect(written[1]).toContain('30%');
    const pipe = captureIo('/');
    const quiet = progressOn(pipe.io);
    quiet.update('f', 1, 10);
    quiet.done();
    expect(pipe.stderr()).toBe('');
  });
});

describe('mistakes', () => {
  async function run(argv: string[]) {
    const captured = captureIo(ws.dir);
    const code = await main(argv, captured.io);
    return { code, stderr: captured.stderr(), stdout: captured.stdout() };
  }

  it('an unknown flag: one clean line with a suggestion, no doubled prefix', async () => {
    const { code, stderr } = await run(['verify', 'agent.run', '--fromat', 'json']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      "rmm-verify verify: error: unknown option --fromat; did you mean --format? (see 'rmm-verify verify --help')\n",
    );
  });

  it('an unknown flag with nothing close: no suggestion', async () => {
    const { stderr } = await run(['drift', 'x.csv', '--zzzzzzzz']);
    expect(stderr).toBe(
      "rmm-verify drift: error: unknown option --zzzzzzzz (see 'rmm-verify drift --help')\n",
    );
  });

  it('a missing value says which flag needs one', async () => {
    const { stderr } = await run(['verify', 'agent.run', '--manifest']);
    expect(stderr).toMatch(/^rmm-verify verify: error: --manifest needs a value/);
  });

  it('a subcommand error names the subcommand once', async () => {
    const { code, stderr } = await run(['manifest', 'sign', 'm.json', '--kye', 'k']);
    expect(code).toBe(2);
    expect(stderr).toBe(
      "rmm-verify manifest sign: error: unknown option --kye; did you mean --key? (see 'rmm-verify manifest sign --help')\n",
    );
  });

  it('unknown commands and actions get a suggestion', async () => {
    expect((await run(['verfy'])).stderr).toMatch(
      /^rmm-verify: unknown command 'verfy'; did you mean 'verify'\?/,
    );
    expect((await run(['keys', 'lsit'])).stderr).toBe(
      "rmm-verify keys: error: unknown action 'lsit'; did you mean 'list'? (expected generate or list)\n",
    );
  });

  it("a subcommand's --help prints that subcommand's help", async () => {
    const sign = await run(['manifest', 'sign', '--help']);
    expect(sign.code).toBe(0);
    expect(sign.stdout).toMatch(/^Usage: rmm-verify manifest sign MANIFEST \(--key PRIVATE\.pem/);
    expect(sign.stdout).not.toContain('lint MANIFEST');
    const generate = await run(['keys', 'generate', '--help']);
    expect(generate.stdout).toMatch(/^Usage: rmm-verify keys generate --name NAME/);
    expect(generate.stdout).not.toContain('Lists the trust root');
    expect((await run(['manifest', '--help'])).stdout).toMatch(
      /^Usage: rmm-verify manifest <sign\|verify\|lint>/,
    );
  });

  it('suggests only close names', () => {
    expect(editDistance('fromat', 'format')).toBe(1);
    expect(closest('fromat', ['format', 'fail-on'])).toBe('format');
    expect(closest('manifst', ['manifest', 'trust'])).toBe('manifest');
    expect(closest('sys', ['system-roots', 'signature'])).toBe('system-roots');
    expect(closest('zzzz', ['format', 'trust'])).toBeUndefined();
    expect(closest('x', ['format'])).toBeUndefined();
  });
});

describe('drift progress', () => {
  const csv = 'fleet.csv';
  beforeAll(async () => {
    // 120,000 rows (about 14 MiB): progress is reported every 50,000 rows on a terminal.
    const lines = ['tenant,endpoint_id,hostname,product,version,sha256,platform,last_seen'];
    for (let i = 0; i < 120_000; i++) {
      lines.push(
        `t${i % 7},e-${i},HOST-${i},acme-agent,7.4.2,${'a'.repeat(64)},windows-x64,2026-11-28T09:12:00Z`,
      );
    }
    await ws.writeFile(csv, Buffer.from(`${lines.join('\n')}\n`));
  });
  const driftArgs = () => ['drift', csv, '-m', ws.manifestPath, '--allow-unsigned-manifests', '-f', 'json'];

  it('shows bytes read of the total size, percent, rate and time left on a terminal', () => {
    const { screen } = onTerminal(driftArgs());
    expect(screen).toMatch(
      /drift: reading {2}\d+\.\d MiB \/ \d+\.\d MiB {2}\d+% {2}\d+\.\d MiB\/s {2}\d+:\d\d left/,
    );
    expect(screen).toContain(`\r${ESC}[2K`);
  });

  it('shows nothing on a pipe', () => {
    const { stderr } = onPipe(driftArgs());
    expect(stderr).not.toContain('drift: reading');
    expect(stderr).not.toContain(ESC);
  });
});
