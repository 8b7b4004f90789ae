import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { helpOption, parseCommandArgs } from './args.ts';
import { write, type CliIo } from './io.ts';
import { main } from './main.ts';

/** Bundled sample data: stand-in installers and a fleet. Same relative place from src/ and dist/. */
const SAMPLES = fileURLToPath(new URL('../../examples/demo/releases/', import.meta.url));
const FLEET = fileURLToPath(new URL('../../examples/fleet/', import.meta.url));

const HELP = `Usage: rmm-verify demo [--keep]

Runs the whole flow on the bundled sample data in a temporary directory: generate two keys
(threshold 2), pin a release, sign the manifest with both keys, verify the genuine installer
(PASS), then a copy with one byte changed (FAIL with DIGEST_MISMATCH); then sign the sample
fleet manifest and scan the sample inventory of three tenants for drift (FAIL: agents behind,
revoked, tampered, an unapproved remote-access tool). Exits 0 when every step behaved as
expected. --keep leaves the directory for a look.`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('demo', args, { ...helpOption, keep: { type: 'boolean' } });
  if (values.help) {
    write(io.stdout, HELP);
    return 0;
  }
  const dir = await mkdtemp(join(tmpdir(), 'rmm-verify-demo-'));
  // One transcript: what each step says on stderr is shown in line with its output.
  const cwdIo: CliIo = { ...io, cwd: dir, stderr: io.stdout };
  const step = async (title: string, argv: string[], expected: number): Promise<boolean> => {
    write(
      io.stdout,
      `${title ? `\n== ${title}\n` : ''}$ rmm-verify ${argv.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}`,
    );
    const code = await main(argv, cwdIo);
    const ok = code === expected;
    write(io.stdout, `(exit ${code}${ok ? '' : `, expected ${expected}`})`);
    return ok;
  };
  try {
    const installer = 'acme-agent-7.4.2-linux-x64.run';
    await mkdir(join(dir, 'releases'));
    await mkdir(join(dir, 'fleet'));
    for (const file of ['acme-agent.manifest.json', 'inventory.csv', 'drift-config.json']) {
      await copyFile(join(FLEET, file), join(dir, 'fleet', file));
    }
    await mkdir(join(dir, 'incoming'));
    await copyFile(join(SAMPLES, installer), join(dir, 'releases', installer));
    // An attacker's copy: same name, one byte changed.
    const tampered = Buffer.from(await readFile(join(SAMPLES, installer)));
    tampered[tampered.length - 2] = 0x31;
    await writeFile(join(dir, 'incoming', installer), tampered);

    const stateFlags = ['--state', 'state/manifest-state.json'];
    const results = [
      await step(
        'Generate two release keys; the trust root requires both (threshold 2)',
        [
          'keys',
          'generate',
          '--name',
          'release-1',
          '--out',
          'private',
          '--add-to',
          'keys/trust.json',
          '--product',
          'acme-agent',
        ],
        0,
      ),
      await step(
        '',
        [
          'keys',
          'generate',
          '--name',
          'release-2',
          '--out',
          'private',
          '--add-to',
          'keys/trust.json',
          '--product',
          'acme-agent',
          '--threshold',
          '2',
        ],
        0,
      ),
      await step(
        'Pin release 7.4.2 in a new manifest (pin never signs)',
        [
          'pin',
          `releases/${installer}`,
          '--manifest',
          'manifests/acme-agent.json',
          '--version',
          '7.4.2',
          '--platform',
          'linux-x64',
          '--product',
          'acme-agent',
          '--vendor',
          'Acme RMM',
        ],
        0,
      ),
      await step(
        'Sign the manifest with both keys',
        ['manifest', 'sign', 'manifests/acme-agent.json', '--key', 'private/release-1.key'],
        0,
      ),
      await step('', ['manifest', 'sign', 'manifests/acme-agent.json', '--key', 'private/release-2.key'], 0),
      await step(
        'Verify the genuine installer: PASS',
        [
          'verify',
          `releases/${installer}`,
          '--manifest',
          'manifests/acme-agent.json',
          '--trust',
          'keys/trust.json',
          ...stateFlags,
        ],
        0,
      ),
      await step(
        'Verify a tampered copy with the same name: FAIL',
        [
          'verify',
          `incoming/${installer}`,
          '--manifest',
          'manifests/acme-agent.json',
          '--trust',
          'keys/trust.json',
          ...stateFlags,
        ],
        1,
      ),
      await step(
        'Sign the sample fleet manifest with both keys',
        ['manifest', 'sign', 'fleet/acme-agent.manifest.json', '--key', 'private/release-1.key'],
        0,
      ),
      await step(
        '',
        ['manifest', 'sign', 'fleet/acme-agent.manifest.json', '--key', 'private/release-2.key'],
        0,
      ),
      await step(
        'Scan a fleet inventory of three tenants for version drift: FAIL',
        [
          'drift',
          join(dir, 'fleet', 'inventory.csv'),
          '--manifest',
          join(dir, 'fleet', 'acme-agent.manifest.json'),
          '--trust',
          join(dir, 'keys', 'trust.json'),
          '--config',
          join(dir, 'fleet', 'drift-config.json'),
          '--max-findings',
          '3',
        ],
        1,
      ),
    ];
    const allExpected = results.every(Boolean);
    write(
      io.stdout,
      `\nDemo ${allExpected ? 'completed: one pass and one fail, and a fleet with drift, as expected' : 'FAILED: a step did not behave as expected'}.${values.keep ? ` Files kept in ${dir}` : ''}`,
    );
    return allExpected ? 0 : 1;
  } finally {
    if (!values.keep) await rm(dir, { recursive: true, force: true });
  }
}
