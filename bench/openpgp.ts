/**
 * OpenPGP signatures as users run them, whole processes in the same run:
 * - `rmm-verify verify` of a 256 MiB tarball (64 MiB with BENCH_QUICK=1) pinned by sha256 and
 *   sha512 with a detached `.asc` (signers.openpgp), against the same work done by the fastest
 *   tools: `openssl dgst -sha256` and `-sha512` (the pin's digests), then `gpgv --keyring KEY
 *   FILE.asc FILE`. Goal ≤ 1.5×.
 * - `rmm-verify verify DIR` of 200 rpmsign-signed RPMs (50 quick) against a shell loop of
 *   `rpmkeys -K` over the same files with a keyring of the same key. Goal ≤ 1.0×.
 * Keys are made with GnuPG, packages with rpmbuild and rpmsign, manifests with rmm-verify's own
 * commands, once, under bench/out/.
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

import { OUT_DIR, atMost, compare, quick, rmmVerify, runOnce } from './compare.ts';

const size = quick ? 64 << 20 : 256 << 20;
const rpms = quick ? 50 : 200;
const dir = join(OUT_DIR, `openpgp-${size}-${rpms}`);
const gnupg = join(dir, 'gnupg');
const tarball = join(dir, 'dist', 'agent-linux-x64.tar.gz');
const rpmDir = join(dir, 'rpms');
const trust = join(dir, 'trust', 'trust.json');
const gpg = (...args: string[]) =>
  execFileSync('gpg', [
    '--homedir',
    gnupg,
    '--batch',
    '--yes',
    '--quiet',
    '--pinentry-mode',
    'loopback',
    '--passphrase',
    '',
    ...args,
  ]);
const cli = (args: string[]): void => {
  runOnce(rmmVerify('setup', args));
};

if (!existsSync(join(dir, 'DONE'))) {
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['dist', 'trust', 'keys', 'SPECS', 'rpms', 'manifests'])
    mkdirSync(join(dir, d), { recursive: true });
  mkdirSync(gnupg, { mode: 0o700 });
  gpg('--quick-gen-key', 'Bench Release <release@bench.example>', 'rsa3072', 'sign', 'never');
  writeFileSync(join(dir, 'keys', 'release.asc'), gpg('--armor', '--export', 'release@bench.example'));
  writeFileSync(join(dir, 'keys', 'release.gpg'), gpg('--export', 'release@bench.example'));
  execFileSync('rpmkeys', ['--dbpath', join(dir, 'rpmdb'), '--import', join(dir, 'keys', 'release.asc')]);

  const fd = openSync(tarball, 'w');
  const chunk = Buffer.alloc(8 << 20);
  for (let written = 0; written < size; written += chunk.length) writeSync(fd, randomFillSync(chunk));
  closeSync(fd);
  gpg(
    '--local-user',
    'release@bench.example',
    '--armor',
    '--detach-sign',
    '--output',
    `${tarball}.asc`,
    tarball,
  );

  writeFileSync(
    join(dir, 'SPECS', 'agent.spec'),
    'Name: bench-agent\nVersion: 1.0.0\nRelease: 1\nSummary: bench\nLicense: MIT\nBuildArch: noarch\n%description\nbench\n%install\nmkdir -p %{buildroot}/opt/bench\nhead -c 2000000 /dev/urandom > %{buildroot}/opt/bench/agent.bin\n%files\n/opt/bench/agent.bin\n',
  );
  for (let i = 0; i < rpms; i++) {
    // Distinct packages (a release number each), each built and signed as a vendor would.
    execFileSync(
      'rpmbuild',
      [
        '--define',
        `_topdir ${dir}`,
        '--define',
        `_rpmdir ${rpmDir}`,
        '--define',
        `_build_name_fmt bench-agent-1.0.0-${i}.rpm`,
        '-bb',
        join(dir, 'SPECS', 'agent.spec'),
      ],
      { stdio: 'ignore' },
    );
  }
  const packages = readdirSync(rpmDir).map((f) => join(rpmDir, f));
  execFileSync(
    'rpmsign',
    [
      '--define',
      '_gpg_name release@bench.example',
      '--define',
      '__gpg /usr/bin/gpg',
      '--define',
      `__gpg_sign_cmd %{__gpg} gpg --homedir ${gnupg} --batch --no-verbose --no-armor --pinentry-mode loopback --passphrase '' -u "%{_gpg_name}" -sbo %{__signature_filename} %{__plaintext_filename}`,
      '--addsign',
      ...packages,
    ],
    { stdio: 'ignore' },
  );
  cli(['keys', 'generate', '--name', 'bench', '--out', join(dir, 'keys'), '--add-to', trust]);
  for (const [name, files] of [
    ['tarball', [tarball]],
    ['rpms', packages],
  ] as const) {
    const manifest = join(dir, 'manifests', `${name}.json`);
    cli([
      'pin',
      ...files,
      '--manifest',
      manifest,
      '--version',
      '1.0.0',
      '--platform',
      'linux-x64',
      '--product',
      `bench-${name}`,
      '--vendor',
      'Bench',
      '--target',
    ]);
    const text = JSON.parse(readFileSync(manifest, 'utf8')) as { signers: Record<string, unknown> };
    text.signers['openpgp'] = [{ keys: ['../keys/release.asc'] }];
    writeFileSync(manifest, `${JSON.stringify(text, null, 2)}\n`);
    cli(['manifest', 'sign', manifest, '--key', join(dir, 'keys', 'bench.key')]);
  }
  writeFileSync(join(dir, 'DONE'), '');
}

const mib = (size / 2 ** 20).toFixed(0);
compare({
  name: `verify a ${mib} MiB tarball with a detached OpenPGP signature`,
  ours: rmmVerify('rmm-verify verify', [
    'verify',
    tarball,
    '--manifest',
    join(dir, 'manifests', 'tarball.json'),
    '--trust',
    trust,
    '--no-state',
  ]),
  peer: {
    label: 'openssl dgst ×2 && gpgv',
    file: 'bash',
    args: [
      '-c',
      `openssl dgst -sha256 "${tarball}" >/dev/null && openssl dgst -sha512 "${tarball}" >/dev/null && gpgv --keyring "${join(dir, 'keys', 'release.gpg')}" "${tarball}.asc" "${tarball}" 2>/dev/null`,
    ],
  },
  goal: atMost(1.5),
});
compare({
  name: `verify ${rpms} signed RPMs`,
  ours: rmmVerify('rmm-verify verify DIR', [
    'verify',
    rpmDir,
    '--manifest',
    join(dir, 'manifests', 'rpms.json'),
    '--trust',
    trust,
    '--no-state',
  ]),
  peer: {
    label: 'rpmkeys -K loop',
    file: 'bash',
    args: [
      '-c',
      `for f in "${rpmDir}"/*.rpm; do rpmkeys --dbpath "${join(dir, 'rpmdb')}" -K "$f" >/dev/null || exit 1; done`,
    ],
  },
  goal: atMost(1.0),
});
