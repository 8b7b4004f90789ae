import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { peFileImageSha256 } from '../../src/authenticode/file-image-hash.ts';
import { main } from '../../src/cli/main.ts';
import type { Manifest } from '../../src/manifest/types.ts';
import type { Report } from '../../src/report/report.ts';
import { captureIo } from '../helpers/io.ts';
import { artifactFor, baseManifest, workspace, type Workspace } from '../helpers/signed-manifest.ts';
import { NOW, ensureAuthenticodeFixtures } from './helpers.ts';

let fixtures = '';
beforeAll(async () => {
  fixtures = await ensureAuthenticodeFixtures();
});

async function run(ws: Workspace, argv: string[]) {
  const captured = captureIo(ws.dir, NOW);
  const code = await main(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

/** The vendor's unsigned agent pinned as `agent.exe`, deployed re-signed by the MSP's CA (`ca.pem`). */
async function resignedWorkspace(resigned: boolean) {
  const ws = await workspace();
  const vendor = await readFile(join(fixtures, 'unsigned.exe'));
  const image = await peFileImageSha256(join(fixtures, 'unsigned.exe'));
  const artifact = artifactFor('agent.exe', vendor, 'windows-x64');
  await ws.writeManifest(
    baseManifest({
      releases: [
        {
          version: '7.4.2',
          artifacts: [
            resigned
              ? {
                  ...artifact,
                  resigned: {
                    imageHash: { sha256: image ?? '' },
                    signers: [{ roots: [join(fixtures, 'ca.pem')] }],
                  },
                }
              : artifact,
          ],
        },
      ],
    }),
  );
  return ws;
}

async function verifyAs(ws: Workspace, fixture: string) {
  const folder = fixture.replace(/\W/g, '-');
  await copyFile(join(fixtures, fixture), await ws.writeFile(`${folder}/agent.exe`, ''));
  const result = await run(ws, [
    'verify',
    `${folder}/agent.exe`,
    '--manifest',
    ws.manifestPath,
    '--trust',
    ws.trustPath,
    '--no-state',
    '--format',
    'json',
  ]);
  const report = JSON.parse(result.stdout) as Report;
  return { code: result.code, codes: report.findings.map((f) => f.code), report };
}

describe('pins that survive re-signing (resigned: Authenticode image hash + required signer)', () => {
  it('the image hash is the same for the vendor file and its signed copy, and differs when the code changes', async () => {
    const unsigned = await peFileImageSha256(join(fixtures, 'unsigned.exe'));
    expect(unsigned).toMatch(/^[0-9a-f]{64}$/);
    expect(await peFileImageSha256(join(fixtures, 'signed.exe'))).toBe(unsigned);
    expect(await peFileImageSha256(join(fixtures, 'untrusted-root.exe'))).toBe(unsigned);
    expect(await peFileImageSha256(join(fixtures, 'tampered-section.exe'))).not.toBe(unsigned);
    expect(await peFileImageSha256(join(fixtures, 'ca.pem'))).toBeUndefined();
  });

  it('passes a copy re-signed by the pinned signer', async () => {
    const ws = await resignedWorkspace(true);
    const result = await verifyAs(ws, 'signed.exe');
    expect(result.codes).toEqual(['ARTIFACT_VERIFIED', 'AUTHENTICODE_VERIFIED', 'MANIFEST_VERIFIED']);
    expect(result.code).toBe(0);
    expect(result.report.findings[0]?.message).toContain('re-signed');
  });

  it('without the re-signed pin the same signed copy does not match (it is longer than the pin)', async () => {
    const ws = await resignedWorkspace(false);
    const result = await verifyAs(ws, 'signed.exe');
    expect(result.codes).toEqual(['SIZE_MISMATCH', 'MANIFEST_VERIFIED']);
    expect(result.code).toBe(1);
  });

  it('fails a copy signed by any other key', async () => {
    const ws = await resignedWorkspace(true);
    const result = await verifyAs(ws, 'untrusted-root.exe');
    expect(result.codes).toContain('AUTHENTICODE_UNTRUSTED_ROOT');
    expect(result.codes).not.toContain('ARTIFACT_VERIFIED');
    expect(result.code).toBe(1);
  });

  it("fails an unsigned copy, even the vendor's exact bytes: a signature is required", async () => {
    const ws = await resignedWorkspace(true);
    const result = await verifyAs(ws, 'unsigned.exe');
    expect(result.codes).toContain('AUTHENTICODE_UNSIGNED');
    expect(result.code).toBe(1);
  });

  it('fails a re-signed copy whose code changed, naming the image hash', async () => {
    const ws = await resignedWorkspace(true);
    const result = await verifyAs(ws, 'tampered-section.exe');
    expect(result.code).toBe(1);
    const image = result.report.findings.find(
      (f) => f.code === 'DIGEST_MISMATCH' && f.evidence['algorithm'] === 'authenticode-image-sha256',
    );
    expect(image?.message).toContain('the code differs, not only the signature');
  });

  it('pin --resigned-by writes the pin with the certificate relative to the manifest, and refuses a file that is no certificate', async () => {
    const ws = await workspace();
    await copyFile(join(fixtures, 'unsigned.exe'), await ws.writeFile('dist/agent.exe', ''));
    await copyFile(join(fixtures, 'ca.pem'), await ws.writeFile('keys/msp-codesign.pem', ''));
    await ws.writeFile('dist/agent.tar.gz', 'not a PE');
    const args = [
      'pin',
      'dist/agent.exe',
      'dist/agent.tar.gz',
      '--manifest',
      ws.manifestPath,
      '--version',
      '7.4.2',
    ];
    const pinned = await run(ws, [
      ...args,
      '--platform',
      'windows-x64',
      '--product',
      'acme-agent',
      '--vendor',
      'Acme',
      '--resigned-by',
      'keys/msp-codesign.pem',
    ]);
    expect(pinned.stderr).toContain('1 of 2 file(s) are not Windows PEs');
    expect(pinned.code).toBe(0);
    const manifest = JSON.parse(await readFile(ws.manifestPath, 'utf8')) as Manifest;
    const [exe, tarball] = manifest.releases[0]?.artifacts ?? [];
    expect(exe?.resigned).toEqual({
      imageHash: { sha256: await peFileImageSha256(join(fixtures, 'unsigned.exe')) },
      signers: [{ roots: ['../keys/msp-codesign.pem'] }],
    });
    expect(tarball?.resigned).toBeUndefined();

    const refused = await run(ws, [
      ...args,
      '--platform',
      'windows-x64',
      '--resigned-by',
      'dist/agent.tar.gz',
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--resigned-by: not a usable certificate');
  });
});
