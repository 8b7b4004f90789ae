import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';

import { children, contents, readNode, type DerNode } from '../../src/authenticode/der.ts';
import { parseMsi } from '../../src/authenticode/msi.ts';
import { parsePe } from '../../src/authenticode/pe.ts';
import { bufferSource } from '../../src/authenticode/source.ts';
import { acmeSigner, ensureAuthenticodeFixtures, verifyFile } from './helpers.ts';

/**
 * An independent implementation as a second opinion on the CMS signature: pkijs
 * `SignedData.verify` with the SpcIndirectDataContent contents given explicitly as `data`.
 */
let dir = '';
beforeAll(async () => {
  dir = await ensureAuthenticodeFixtures();
  pkijs.setEngine('node', new pkijs.CryptoEngine({ name: 'node', crypto: webcrypto }));
});

async function signatureBlob(file: string): Promise<Uint8Array> {
  const bytes = readFileSync(join(dir, file));
  if (file.endsWith('.msi')) return (await parseMsi(bufferSource(bytes, file))).signature ?? new Uint8Array();
  const layout = await parsePe(bufferSource(bytes));
  const offset = (layout.certificateTable?.offset ?? 0) + 8;
  return bytes.subarray(offset, readNode(bytes, offset, bytes.length).end);
}

async function pkijsVerifies(blob: Uint8Array): Promise<boolean> {
  const node = readNode(blob, 0, blob.length);
  const signedData = children(children(node)[1] as DerNode)[0] as DerNode;
  const encapsulated = children(signedData)[2] as DerNode;
  const content = children(children(encapsulated)[1] as DerNode)[0] as DerNode;
  const parsed = new pkijs.SignedData({
    schema: new pkijs.ContentInfo({ schema: asn1js.fromBER(blob.slice()).result }).content,
  });
  try {
    const result = await parsed.verify({
      signer: 0,
      data: contents(content).slice().buffer,
      extendedMode: true,
    });
    return result.signatureVerified === true;
  } catch (error: unknown) {
    // pkijs throws a result object with signatureVerified: false for a bad signature.
    if (typeof error === 'object' && error !== null && 'signatureVerified' in error) return false;
    throw error;
  }
}

describe('pkijs cross-check of the CMS signature', () => {
  it.each([
    'signed.exe',
    'signed-ts.exe',
    'signed32.exe',
    'dual-signed.exe',
    'wrong-signer.exe',
    'tampered-signature.exe',
    'signed.msi',
    'signed-dse.msi',
  ])('%s: pkijs and rmm-verify agree on the signature', async (file) => {
    const ours = await verifyFile(join(dir, file), [acmeSigner(dir)]);
    const primary = ours.signatures[0];
    const oursValid = !ours.findings.some(
      (f) => f.code === 'AUTHENTICODE_SIGNATURE_INVALID' || f.code === 'AUTHENTICODE_CONTENT_DIGEST_MISMATCH',
    );
    expect(primary).toBeDefined();
    expect(await pkijsVerifies(await signatureBlob(file))).toBe(oursValid);
  });
});
