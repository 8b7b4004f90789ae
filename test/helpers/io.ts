import { PassThrough } from 'node:stream';

import type { CliIo } from '../../src/cli/io.ts';

export interface CapturedIo {
  readonly io: CliIo;
  stdout(): string;
  stderr(): string;
}

/** A CliIo whose output is collected in memory; not a TTY, so no colour and no progress. */
export function captureIo(
  cwd: string,
  now = new Date('2026-06-01T00:00:00Z'),
  env: Record<string, string> = {},
): CapturedIo {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  return {
    io: { stdout, stderr, stdin: new PassThrough(), env, cwd, now },
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
  };
}
