import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readInputs } from '../../src/action/inputs.ts';
import type { InputName } from '../../src/action/metadata.ts';
import { run, type ActionHost } from '../../src/action/run.ts';
import {
  ARTIFACT_NAME,
  IDENTITY,
  ISSUER,
  generateSigstoreFixtures,
  type SigstoreFixtures,
} from '../fixtures/sigstore/generate.ts';
import { TufRepository } from '../fixtures/sigstore/tuf-repo.ts';
import { baseManifest, workspace, type Workspace } from '../helpers/signed-manifest.ts';

// The Action's `refresh-trusted-root: true` runs `trust update`'s code before verifying: here
// against a TUF repository built in the test on 127.0.0.1 whose trusted_root.json knows the
// test CA and log. `attest` mode then verifies a bundle the vendored public-good root cannot.
const NOW = new Date();
const YEAR = 365 * 24 * 3600 * 1000;

let fixtures: SigstoreFixtures;
let repo: TufRepository;
let mirror: string;
let ws: Workspace;

beforeAll(async () => {
  fixtures = await generateSigstoreFixtures();
  repo = new TufRepository(new Date(NOW.getTime() + YEAR));
  repo.publishTarget('trusted_root.json', await readFile(fixtures.trustedRoot), 1);
  mirror = await repo.start();
  ws = await workspace({ threshold: 1, keyCount: 1 });
  await ws.writeFile('tuf/root.json', repo.publishRoot());
  await ws.writeManifest(
    baseManifest({
      issued: '2026-01-01T00:00:00Z',
      expires: new Date(NOW.getTime() + YEAR).toISOString().replace(/\.\d+Z$/, 'Z'),
      signers: { sigstore: [{ identity: IDENTITY, issuer: ISSUER }] },
    }),
  );
  await ws.writeFile(`incoming/${ARTIFACT_NAME}`, await readFile(fixtures.artifact));
  await ws.writeFile(
    `incoming/${ARTIFACT_NAME}.sigstore.json`,
    await readFile(fixtures.certificateMessageBundle),
  );
});

afterAll(async () => {
  await repo.stop();
});

function host() {
  const lines: string[] = [];
  const outputs: Record<string, string> = {};
  const value: ActionHost = {
    setOutput: (name, text) => {
      outputs[name] = text;
    },
    annotate: () => undefined,
    appendSummary: () => Promise.resolve(),
    info: (message) => {
      lines.push(message);
    },
    setFailed: (message) => {
      lines.push(`failed: ${message}`);
    },
  };
  return { value, lines, outputs };
}

const inputs = (values: Partial<Record<InputName, string>>) =>
  readInputs(
    (name) =>
      ({ mode: 'attest', paths: 'incoming/*', manifest: 'manifests/acme-agent.json', ...values })[name] ?? '',
    ws.dir,
  );

describe('Action input refresh-trusted-root', () => {
  it('verifies against the vendored public-good root by default (the test CA is unknown there)', async () => {
    const h = host();
    const report = await run(inputs({}), { host: h.value, now: NOW, env: { HOME: ws.dir } });
    expect(report.findings).toFailWith('SIGSTORE_CERTIFICATE_UNTRUSTED');
    expect(h.outputs['result']).toBe('fail');
  });

  it('refreshes through TUF first, as trust update does, and verifies against the refreshed root', async () => {
    const h = host();
    const cache = await mkdtemp(join(tmpdir(), 'rmm-action-cache-'));
    const report = await run(
      inputs({ 'refresh-trusted-root': 'true', 'tuf-mirror': mirror, 'tuf-root': 'tuf/root.json' }),
      { host: h.value, now: NOW, env: { XDG_CACHE_HOME: cache } },
    );
    expect(
      h.lines.some((line) => line.startsWith(`rmm-verify: updated the Sigstore trusted root from ${mirror}`)),
    ).toBe(true);
    expect(report.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(report.findings.map((f) => f.code)).toContain('SIGSTORE_VERIFIED');
    expect(h.outputs['result']).toBe('pass');
    // The same cache `rmm-verify trust update` writes.
    expect(await readFile(join(cache, 'rmm-verify', 'sigstore', 'trusted_root.json'), 'utf8')).toContain(
      'trustedroot',
    );
  });

  it('fails the step (an input error) when the refresh fails, and never falls back to another root', async () => {
    const h = host();
    const cache = await mkdtemp(join(tmpdir(), 'rmm-action-cache-'));
    const forged = await ws.writeFile(
      'tuf/forged-root.json',
      new TufRepository(new Date(NOW.getTime() + YEAR)).publishRoot(),
    );
    await expect(
      run(inputs({ 'refresh-trusted-root': 'true', 'tuf-mirror': mirror, 'tuf-root': forged }), {
        host: h.value,
        now: NOW,
        env: { XDG_CACHE_HOME: cache },
      }),
    ).rejects.toMatchObject({ code: 'INPUT_UNREADABLE' });
  });

  it('checks the inputs: true or false only; tuf-mirror and tuf-root need the refresh', () => {
    expect(() => inputs({ 'refresh-trusted-root': 'yes' })).toThrow(/must be one of true, false/);
    expect(() => inputs({ 'tuf-mirror': mirror })).toThrow(/need 'refresh-trusted-root: true'/);
    expect(() => inputs({ 'refresh-trusted-root': 'true', 'tuf-mirror': 'ftp://mirror' })).toThrow(
      /http\(s\) URL/,
    );
    expect(inputs({ 'refresh-trusted-root': 'true' })).toMatchObject({
      refreshTrustedRoot: true,
      tufMirror: undefined,
    });
  });
});
