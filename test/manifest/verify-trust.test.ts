import { readFile, writeFile } from 'node:fs/promises';

import { beforeEach, describe, expect, it } from 'vitest';

import { loadManifestFile } from '../../src/manifest/load.ts';
import { readState } from '../../src/manifest/state.ts';
import { loadTrustRoot, parseTrustRoot } from '../../src/manifest/trust-root.ts';
import { checkManifest, verifyManifestTrust } from '../../src/manifest/verify-trust.ts';
import { ManifestError } from '../../src/manifest/errors.ts';
import {
  baseManifest,
  makeKey,
  signatureFile,
  trustDocument,
  workspace,
  type Workspace,
} from '../helpers/signed-manifest.ts';

const now = new Date('2026-06-01T00:00:00Z');

describe('manifest trust', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });

  const check = async (options: { statePath?: string } = {}) =>
    checkManifest(await loadManifestFile(ws.manifestPath), await loadTrustRoot(ws.trustPath), {
      now,
      ...options,
    });

  it('trusts a manifest signed by the threshold of distinct trusted keys', async () => {
    await ws.writeManifest(baseManifest());
    const result = await check();
    expect(result.trusted).toBe(true);
    expect(result.validKeyIds).toHaveLength(2);
    expect(result.findings.map((f) => f.code)).toEqual(['MANIFEST_VERIFIED']);
  });

  it('accepts RSA and ECDSA P-256 keys as well as Ed25519', async () => {
    const rsa = makeKey('rsa');
    const ec = makeKey('ecdsa-p256');
    await writeFile(ws.trustPath, JSON.stringify(trustDocument([{ key: rsa }, { key: ec }], 2)));
    await ws.writeManifest(baseManifest(), [rsa, ec]);
    expect((await check()).trusted).toBe(true);
  });

  it('fails with MANIFEST_SIGNATURE_MISSING when there is no signature file', async () => {
    await ws.writeManifest(baseManifest());
    await writeFile(`${ws.manifestPath}.sig`, JSON.stringify({ schema: 1, signatures: [] }));
    expect((await check()).findings).toFailWith('MANIFEST_SIGNATURE_MISSING');
  });

  it('fails with MANIFEST_SIGNATURE_UNKNOWN_KEY and MANIFEST_THRESHOLD_NOT_MET for a wrong key', async () => {
    const stranger = makeKey();
    await ws.writeManifest(baseManifest(), [ws.keys[0]!, stranger]);
    const result = await check();
    expect(result.trusted).toBe(false);
    expect(result.findings).toFailWith('MANIFEST_SIGNATURE_UNKNOWN_KEY');
    expect(result.findings).toFailWith('MANIFEST_THRESHOLD_NOT_MET');
  });

  it('fails with MANIFEST_THRESHOLD_NOT_MET below the threshold and states the numbers', async () => {
    await ws.writeManifest(baseManifest(), [ws.keys[0]!]);
    const result = await check();
    expect(result.findings).toFailWith('MANIFEST_THRESHOLD_NOT_MET');
    const message = result.findings.find((f) => f.code === 'MANIFEST_THRESHOLD_NOT_MET')?.message ?? '';
    expect(message).toContain('signed by 1 of 2 required distinct trusted keys');
  });

  it('counts two signatures by the same key once', async () => {
    await ws.writeManifest(baseManifest(), [ws.keys[0]!, ws.keys[0]!]);
    const result = await check();
    expect(result.trusted).toBe(false);
    expect(result.findings).toFailWith('MANIFEST_THRESHOLD_NOT_MET');
    expect(result.validKeyIds).toHaveLength(1);
  });

  it('fails with MANIFEST_SIGNATURE_INVALID when one byte of the manifest changes', async () => {
    const bytes = await ws.writeManifest(baseManifest());
    const modified = Buffer.from(bytes);
    const at = modified.indexOf('"serial": 5') + '"serial": '.length;
    modified[at] = '6'.charCodeAt(0);
    await writeFile(ws.manifestPath, modified);
    const result = await check();
    expect(result.trusted).toBe(false);
    expect(result.findings).toFailWith('MANIFEST_SIGNATURE_INVALID');
    expect(result.findings).toFailWith('MANIFEST_THRESHOLD_NOT_MET');
  });

  it('fails with MANIFEST_SIGNATURE_INVALID for a corrupt signature value', async () => {
    const bytes = await ws.writeManifest(baseManifest());
    const sig = signatureFile(bytes, ws.keys);
    const broken = {
      ...sig,
      signatures: sig.signatures.map((s) => ({ ...s, signature: Buffer.from('garbage').toString('base64') })),
    };
    await writeFile(`${ws.manifestPath}.sig`, JSON.stringify(broken));
    expect((await check()).findings).toFailWith('MANIFEST_SIGNATURE_INVALID');
  });

  it('fails with MANIFEST_KEY_NOT_ALLOWED when a key signs a product it is not scoped to (mix-and-match)', async () => {
    await writeFile(
      ws.trustPath,
      JSON.stringify(
        trustDocument([{ key: ws.keys[0]! }, { key: ws.keys[1]!, products: ['other-agent'] }], 2),
      ),
    );
    await ws.writeManifest(baseManifest());
    const result = await check();
    expect(result.findings).toFailWith('MANIFEST_KEY_NOT_ALLOWED');
    expect(result.trusted).toBe(false);
  });

  it('fails with MANIFEST_EXPIRED past expires (freeze attack)', async () => {
    await ws.writeManifest(baseManifest({ expires: '2026-05-31T23:59:59Z' }));
    expect((await check()).findings).toFailWith('MANIFEST_EXPIRED');
  });

  it('fails with MANIFEST_NOT_YET_VALID when issued is in the future beyond clock skew', async () => {
    await ws.writeManifest(baseManifest({ issued: '2026-06-01T00:10:00Z' }));
    expect((await check()).findings).toFailWith('MANIFEST_NOT_YET_VALID');
    await ws.writeManifest(baseManifest({ issued: '2026-06-01T00:04:00Z' }));
    expect((await check()).trusted).toBe(true);
  });

  it('fails with MANIFEST_ROLLBACK when the serial goes below the last accepted one, and records atomically', async () => {
    await ws.writeManifest(baseManifest({ serial: 7 }));
    expect((await check({ statePath: ws.statePath })).trusted).toBe(true);
    expect((await readState(ws.statePath)).products['acme-agent']?.serial).toBe(7);
    await ws.writeManifest(baseManifest({ serial: 6 }));
    const result = await check({ statePath: ws.statePath });
    expect(result.findings).toFailWith('MANIFEST_ROLLBACK');
    // The refused manifest did not lower the recorded serial.
    expect((await readState(ws.statePath)).products['acme-agent']?.serial).toBe(7);
    // A newer serial is accepted and recorded.
    await ws.writeManifest(baseManifest({ serial: 8 }));
    expect((await check({ statePath: ws.statePath })).trusted).toBe(true);
    expect((await readState(ws.statePath)).products['acme-agent']?.serial).toBe(8);
  });

  it('fails with MANIFEST_SERIAL_REUSED for the same serial with other content', async () => {
    await ws.writeManifest(baseManifest({ serial: 7 }));
    await check({ statePath: ws.statePath });
    await ws.writeManifest(baseManifest({ serial: 7, vendor: 'Acme RMM Inc' }));
    expect((await check({ statePath: ws.statePath })).findings).toFailWith('MANIFEST_SERIAL_REUSED');
    // The same bytes again are fine.
    await ws.writeManifest(baseManifest({ serial: 7 }));
    expect((await check({ statePath: ws.statePath })).trusted).toBe(true);
  });

  it('refuses a malformed state file with its location instead of ignoring it', async () => {
    await ws.writeManifest(baseManifest());
    await ws.writeFile('state/manifest-state.json', '{"schema":1,"products":{"acme-agent":{"serial":"9"}}}');
    await expect(check({ statePath: ws.statePath })).rejects.toThrow(
      /manifest-state\.json.*\/products\/acme-agent/,
    );
  });

  it('refuses a manifest over the size cap before parsing it', async () => {
    await ws.writeManifest(baseManifest({ vendor: 'x'.repeat(1000) }));
    const big = Buffer.alloc((4 << 20) + 10, 0x20);
    Buffer.from(await readFile(ws.manifestPath)).copy(big);
    await writeFile(ws.manifestPath, big);
    await expect(loadManifestFile(ws.manifestPath)).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
  });

  it('pure verifyManifestTrust with no state skips only the rollback check', async () => {
    const bytes = await ws.writeManifest(baseManifest());
    const loaded = await loadManifestFile(ws.manifestPath);
    const result = verifyManifestTrust(loaded, await loadTrustRoot(ws.trustPath), {
      now,
      signatures: signatureFile(bytes, ws.keys),
      state: undefined,
    });
    expect(result.trusted).toBe(true);
  });
});

describe('trust root', () => {
  const key = makeKey();
  const doc = trustDocument([{ key }], 1);
  const parse = (value: unknown) => () =>
    parseTrustRoot(Buffer.from(JSON.stringify(value, null, 2)), 'trust.json');

  it('parses a valid trust root', () => {
    const trust = parse(doc)();
    expect(trust.threshold).toBe(1);
    expect(trust.keys.get(key.keyid)?.algorithm).toBe('ed25519');
  });

  it.each([
    [
      'a keyid that does not match the key',
      { ...doc, keys: [{ ...doc.keys[0], keyid: 'a'.repeat(64) }] },
      '/keys/0/keyid',
    ],
    ['the same key twice', { ...doc, keys: [doc.keys[0], doc.keys[0]] }, '/keys/1'],
    ['a threshold above the key count', { ...doc, threshold: 2 }, '/threshold'],
    ['a threshold of zero', { ...doc, threshold: 0 }, '/threshold'],
    ['an unknown field', { ...doc, extra: true }, '/extra'],
    [
      'a key that is not PEM',
      { ...doc, keys: [{ ...doc.keys[0], publicKey: 'not a key' }] },
      '/keys/0/publicKey',
    ],
  ])('rejects %s, naming %s', (_label, value, pointer) => {
    expect(parse(value)).toThrow(ManifestError);
    expect(parse(value)).toThrow(pointer);
  });

  it('rejects RSA keys under 2048 bits', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = weak.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(parse({ ...doc, keys: [{ ...doc.keys[0], publicKey: pem }] })).toThrow(/RSA 1024 bits/);
  });
});

describe('signature interoperability', () => {
  it('openssl verifies our Ed25519, ECDSA P-256 and RSA manifest signatures', async () => {
    const { execFileSync } = await import('node:child_process');
    const ws = await workspace();
    const bytes = Buffer.from('{"exact":"bytes"}\n');
    const manifest = await ws.writeFile('m.json', bytes);
    for (const algorithm of ['ed25519', 'ecdsa-p256', 'rsa'] as const) {
      const key = makeKey(algorithm);
      const pub = await ws.writeFile(`${algorithm}.pub`, key.publicKeyPem);
      const sig = await ws.writeFile(
        `${algorithm}.bin`,
        Buffer.from(signatureFile(bytes, [key]).signatures[0]!.signature, 'base64'),
      );
      const args =
        algorithm === 'ed25519'
          ? ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', manifest, '-sigfile', sig]
          : ['dgst', '-sha256', '-verify', pub, '-signature', sig, manifest];
      expect(execFileSync('openssl', args).toString()).toMatch(/Verified OK|Signature Verified Successfully/);
    }
  });
});
