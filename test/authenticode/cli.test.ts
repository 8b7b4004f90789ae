import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import type { Report } from '../../src/report/report.ts';
import { captureIo } from '../helpers/io.ts';
import { ensureAuthenticodeFixtures } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
beforeAll(async () => {
  dir = await ensureAuthenticodeFixtures();
});

async function inspect(...args: string[]) {
  const captured = captureIo(dir, new Date('2026-11-29T12:00:00Z'));
  const code = await main(['authenticode', 'inspect', ...args], captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe('rmm-verify authenticode inspect', () => {
  it('prints JSON with signers, chain, timestamps and digests, and exits 0 when verified', async () => {
    const { code, stdout } = await inspect(
      'dual-signed.exe',
      '--root',
      'ca.pem',
      '--subject',
      'Acme RMM Inc',
      '--format',
      'json',
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(report.command).toBe('authenticode inspect');
    expect(report.subjects.map((s) => s.subject)).toEqual([
      'dual-signed.exe',
      'dual-signed.exe [entry 0]',
      'dual-signed.exe [entry 0 > nested 0]',
    ]);
    const nested = report.subjects[2]?.facts;
    expect(nested).toMatchObject({
      digestAlgorithm: 'sha256',
      signer: 'CN=Acme RMM Inc, O=Acme RMM Inc, C=US',
    });
    expect(nested?.['signedDigest']).toBe(nested?.['computedDigest']);
    expect(nested?.['chain']).toEqual([
      'CN=Acme RMM Inc, O=Acme RMM Inc, C=US',
      'CN=rmm-verify Test Root CA, O=rmm-verify tests',
    ]);
    expect(String(nested?.['timestamps'])).toContain(
      'rfc3161 2026-01-01T00:00:00.000Z by CN=rmm-verify Test TSA',
    );
  });

  it('prints a readable tree and the findings as text, and exits 1 on a failure', async () => {
    const { code, stdout } = await inspect('padding-payload.exe', '--root', 'ca.pem');
    expect(code).toBe(1);
    expect(stdout).toContain('[entry 0] at byte offset');
    expect(stdout).toContain('AUTHENTICODE_TRAILING_DATA');
    expect((await inspect('padding-payload.exe', '--root', 'ca.pem', '--lenient')).code).toBe(0);
  });

  it('reports untrusted chains without --root', async () => {
    const { code, stdout } = await inspect('signed.exe', '--format', 'json');
    expect(code).toBe(1);
    expect((JSON.parse(stdout) as Report).findings).toFailWith('AUTHENTICODE_UNTRUSTED_ROOT');
  });

  it('exits 2 naming the byte offset for a malformed file, and for bad flags', async () => {
    const malformed = await inspect('truncated-table.exe', '--root', 'ca.pem');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/truncated-table\.exe at byte offset \d+: certificate table/);
    expect((await inspect('ca.pem')).code).toBe(2);
    expect((await inspect('signed.exe', '--signatures', 'some')).code).toBe(2);
    expect((await inspect('signed.exe', '--thumbprint', 'abc')).code).toBe(2);
    expect((await inspect('signed.exe', '--root', 'missing.pem')).code).toBe(2);
    expect((await inspect()).code).toBe(2);
  });

  it('--system-roots trusts only the system store, which does not hold the test CA', async () => {
    const { code, stdout } = await inspect('signed.exe', '--system-roots', '--format', 'json');
    expect(code).toBe(1);
    expect((JSON.parse(stdout) as Report).findings).toFailWith('AUTHENTICODE_UNTRUSTED_ROOT');
  });

  it('shows help', async () => {
    const { code, stdout } = await inspect('--help');
    expect(code).toBe(0);
    expect(stdout).toContain('--timestamp-root');
  });

  it('runs as a real subprocess', () => {
    const script = `import { main } from ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))}; process.exitCode = await main(process.argv.slice(1));`;
    const result = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        script,
        'authenticode',
        'inspect',
        join(dir, 'signed-ts.exe'),
        '--root',
        join(dir, 'ca.pem'),
        '--format',
        'json',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as Report).result).toBe('pass');
  });
});
