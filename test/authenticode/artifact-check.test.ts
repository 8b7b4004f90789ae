import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import type { ArtifactContext } from '../../src/artifact/check.ts';
import { authenticodeCheck } from '../../src/authenticode/artifact-check.ts';
import { ARTIFACT_CHECKS } from '../../src/artifact/checks.ts';
import { main } from '../../src/cli/main.ts';
import type { Manifest } from '../../src/manifest/types.ts';
import type { Report } from '../../src/report/report.ts';
import { captureIo } from '../helpers/io.ts';
import { artifactFor, baseManifest, workspace } from '../helpers/signed-manifest.ts';
import { NOW, ensureAuthenticodeFixtures } from './helpers.ts';

let dir = '';
beforeAll(async () => {
  dir = await ensureAuthenticodeFixtures();
});

async function context(
  file: string,
  manifest: Partial<Manifest>,
  manifestDir = dir,
): Promise<ArtifactContext> {
  const path = join(dir, file);
  const artifact = artifactFor(file, await readFile(path), 'windows-x64');
  const full = baseManifest({ ...manifest, releases: [{ version: '7.4.2', artifacts: [artifact] }] });
  return {
    path,
    subject: file,
    manifest: full,
    manifestDir,
    release: full.releases[0] ?? { version: '7.4.2', artifacts: [] },
    artifact,
    digests: artifact.digests,
    now: NOW,
    options: { offline: true, evidenceDirs: [], systemRoots: false },
  };
}

const acme = { authenticode: [{ subject: 'Acme RMM Inc', roots: ['ca.pem'] }] };

describe('authenticodeCheck', () => {
  it('is registered for verify: the registered check (loaded lazily) gives the same results', async () => {
    const registered = ARTIFACT_CHECKS.find((check) => check.name === authenticodeCheck.name);
    expect(registered).toBeDefined();
    const signed = await context('signed-ts.exe', { signers: acme });
    const result = await registered?.run(signed);
    expect(result?.findings.map((f) => f.code)).toEqual(['AUTHENTICODE_VERIFIED']);
    expect(result).toEqual(await authenticodeCheck.run(signed));
  });

  it('passes a signed PE and reports signer, thumbprint and timestamp facts', async () => {
    const result = await authenticodeCheck.run(await context('signed-ts.exe', { signers: acme }));
    expect(result?.findings.map((f) => f.code)).toEqual(['AUTHENTICODE_VERIFIED']);
    expect(result?.facts).toMatchObject({
      authenticode: 'verified',
      authenticodeSigner: 'CN=Acme RMM Inc, O=Acme RMM Inc, C=US',
      authenticodeTimestamp: '2026-01-01T00:00:00.000Z',
    });
    expect(result?.facts['authenticodeThumbprint']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('passes a signed MSI', async () => {
    const result = await authenticodeCheck.run(await context('signed-dse.msi', { signers: acme }));
    expect(result?.findings.map((f) => f.code)).toEqual(['AUTHENTICODE_VERIFIED']);
  });

  it('passes a signed MSI without MsiDigitalSignatureEx under the default --fail-on low, noting it (info)', async () => {
    // Most real MSIs have no MsiDigitalSignatureEx, and Windows and osslsigncode accept them.
    const result = await authenticodeCheck.run(await context('signed.msi', { signers: acme }));
    const note = result?.findings.find((f) => f.code === 'AUTHENTICODE_MSI_METADATA_UNSIGNED');
    expect(note?.severity).toBe('info');
    expect(result?.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(result?.facts['authenticode']).toBe('verified');
  });

  it('fails an unsigned PE when policy requires Authenticode', async () => {
    const policy = { ...baseManifest().policy, requireAuthenticode: true };
    const result = await authenticodeCheck.run(await context('unsigned.exe', { signers: acme, policy }));
    expect(result?.findings).toFailWith('AUTHENTICODE_UNSIGNED');
  });

  it('does not apply without pins or requirement, nor to files that are not PE or MSI', async () => {
    expect(await authenticodeCheck.run(await context('signed.exe', {}))).toBeUndefined();
    expect(await authenticodeCheck.run(await context('ca.pem', { signers: acme }))).toBeUndefined();
  });

  it('fails closed when policy requires Authenticode but no signer is pinned', async () => {
    const policy = { ...baseManifest().policy, requireAuthenticode: true };
    const result = await authenticodeCheck.run(await context('signed.exe', { policy }));
    expect(result?.findings).toFailWith('AUTHENTICODE_TRUST_UNAVAILABLE');
  });

  it('fails closed when a pinned root cannot be read, naming the manifest pointer', async () => {
    const signers = { authenticode: [{ roots: ['missing.pem'] }] };
    const result = await authenticodeCheck.run(await context('signed.exe', { signers }));
    expect(result?.findings).toFailWith('AUTHENTICODE_TRUST_UNAVAILABLE');
    expect(result?.findings[0]?.message).toContain('/signers/authenticode/0/roots/0');
  });

  it('turns a malformed file into a failing finding with the byte offset', async () => {
    const result = await authenticodeCheck.run(await context('truncated-table.exe', { signers: acme }));
    expect(result?.findings).toFailWith('AUTHENTICODE_MALFORMED');
    expect(result?.findings[0]?.evidence['offset']).toBeTypeOf('number');
  });

  it('reports a wrong signer', async () => {
    const result = await authenticodeCheck.run(await context('wrong-signer.exe', { signers: acme }));
    expect(result?.findings).toFailWith('AUTHENTICODE_SIGNER_NOT_PINNED');
  });
});

describe('rmm-verify verify with Authenticode', () => {
  it('verifies a signed installer end to end, roots resolved against the manifest directory', async () => {
    const ws = await workspace();
    const good = await readFile(join(dir, 'signed-ts.exe'));
    const bad = await readFile(join(dir, 'padding-payload.exe'));
    await copyFile(join(dir, 'ca.pem'), join(ws.dir, 'keys', 'acme-ca.pem'));
    await ws.writeManifest(
      baseManifest({
        signers: { authenticode: [{ subject: 'Acme RMM Inc', roots: ['../keys/acme-ca.pem'] }] },
        policy: { target: '7.4.2', requireAuthenticode: true },
        releases: [
          {
            version: '7.4.2',
            artifacts: [
              artifactFor('agent.exe', good, 'windows-x64'),
              artifactFor('agent-3cx.exe', bad, 'windows-x64'),
            ],
          },
        ],
      }),
    );
    await ws.writeFile('agent.exe', good);
    await ws.writeFile('agent-3cx.exe', bad);
    const run = async (file: string) => {
      const captured = captureIo(ws.dir, new Date('2026-06-01T00:00:00Z'));
      const code = await main(
        [
          'verify',
          file,
          '--manifest',
          ws.manifestPath,
          '--trust',
          ws.trustPath,
          '--no-state',
          '--format',
          'json',
        ],
        captured.io,
      );
      return { code, report: JSON.parse(captured.stdout()) as Report, stderr: captured.stderr() };
    };
    const pass = await run('agent.exe');
    expect(pass.code, pass.stderr).toBe(0);
    const artifact = pass.report.subjects.find((s) => s.kind === 'artifact');
    expect(artifact?.facts['authenticodeSigner']).toBe('CN=Acme RMM Inc, O=Acme RMM Inc, C=US');
    const fail = await run('agent-3cx.exe');
    expect(fail.code).toBe(1);
    expect(fail.report.findings).toFailWith('AUTHENTICODE_TRAILING_DATA');
  });
});
