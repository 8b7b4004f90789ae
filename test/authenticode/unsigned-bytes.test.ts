import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { children, readNode, type DerNode } from '../../src/authenticode/der.ts';
import { parsePe } from '../../src/authenticode/pe.ts';
import { bufferSource } from '../../src/authenticode/source.ts';
import { verifyAuthenticode } from '../../src/authenticode/verifier.ts';
import { certificates, ensureAuthenticodeFixtures, osslsigncodeAccepts } from './helpers.ts';

/**
 * One flipped byte in the parts of a real signature blob that no signature covers: the
 * WIN_CERTIFICATE padding, SignedData.version, SignedData.digestAlgorithms, SignerInfo.version,
 * and the parameters of the signer's algorithm identifiers. A byte-by-byte survey of this file
 * (every byte of its certificate table, each with bit 0 flipped) found 19 such bytes that still
 * verified before the Authenticode profile check; osslsigncode 2.9 rejected 14 of them (the
 * digestAlgorithms entry). Now none verifies. (On a fixture with an RFC 3161 timestamp the only
 * bytes that still verify are inside the timestamp token, e.g. certificates no chain uses, and
 * osslsigncode accepts every one of them too.)
 */
const FILE = '/usr/lib/shim/mmx64.efi.signed';
const SIGNER = 'CN=Debian Secure Boot Signer 2022 - shim';
const NOW = new Date('2026-11-29T00:00:00Z');

let dir = '';
let original: Buffer;
let tableOffset = 0;
let tableSize = 0;
beforeAll(async () => {
  dir = await ensureAuthenticodeFixtures();
  original = readFileSync(FILE);
  const layout = await parsePe(bufferSource(original));
  tableOffset = layout.certificateTable?.offset ?? 0;
  tableSize = layout.certificateTable?.size ?? 0;
});

async function passes(bytes: Buffer): Promise<boolean> {
  const roots = certificates(join(dir, 'debian-uefi-ca.pem'));
  const result = await verifyAuthenticode(bufferSource(bytes, FILE), {
    trust: { signers: [{ label: 'debian', subject: SIGNER, roots, timestampRoots: roots }], systemRoots: [] },
    now: NOW,
  });
  return result.passed;
}

/** Offsets (in the file) of each unsigned byte class, found by walking the DER. */
function unsignedByteClasses(): [name: string, offset: number, expected: number][] {
  const der = tableOffset + 8; // WIN_CERTIFICATE header: dwLength, wRevision, wCertificateType
  const contentInfo = readNode(original, der, tableOffset + tableSize);
  const [, explicit] = children(contentInfo);
  const [signedData] = children(explicit as DerNode);
  const fields = children(signedData as DerNode);
  const [version, digestAlgorithms] = fields;
  const [algorithm] = children(digestAlgorithms as DerNode);
  const [oid, parameters] = children(algorithm as DerNode);
  const signerInfos = fields[fields.length - 1] as DerNode;
  const [signerInfo] = children(signerInfos);
  const signerFields = children(signerInfo as DerNode);
  const [, , digestAlgorithm] = signerFields;
  const [, digestParameters] = children(digestAlgorithm as DerNode);
  const signatureAlgorithm = signerFields[signerFields.length - 2] as DerNode;
  const [, signatureParameters] = children(signatureAlgorithm);
  const dwLength = original.readUInt32LE(tableOffset);
  const classes: [string, number, number][] = [
    ['SignedData.version', (version as DerNode).contentStart, 1],
    ['SignedData.digestAlgorithms OID', (oid as DerNode).end - 1, 0x01],
    ['SignedData.digestAlgorithms NULL parameters', (parameters as DerNode).start, 0x05],
    ['SignerInfo.version', (children(signerInfo as DerNode)[0] as DerNode).contentStart, 1],
    ['SignerInfo.digestAlgorithm NULL parameters', (digestParameters as DerNode).start, 0x05],
    ['SignerInfo.signatureAlgorithm NULL parameters', (signatureParameters as DerNode).start, 0x05],
  ];
  if (dwLength < tableSize) classes.push(['WIN_CERTIFICATE padding', tableOffset + dwLength, 0]);
  return classes;
}

describe(`one flipped byte outside the signed content of ${FILE}`, () => {
  it('the untouched file verifies (and osslsigncode agrees)', async () => {
    expect(await passes(original)).toBe(true);
    expect(osslsigncodeAccepts(FILE, dir, join(dir, 'debian-uefi-ca.pem'))).toBe(true);
  });

  it('fails for every unsigned byte class', async () => {
    const classes = unsignedByteClasses();
    expect(classes.map(([name]) => name)).toContain('WIN_CERTIFICATE padding');
    const work = await mkdtemp(join(tmpdir(), 'rmm-unsigned-byte-'));
    for (const [name, offset, expected] of classes) {
      expect(original[offset], name).toBe(expected);
      const copy = Buffer.from(original);
      copy[offset] = (copy[offset] ?? 0) ^ 0x01;
      expect(await passes(copy), name).toBe(false);
      if (name === 'SignedData.digestAlgorithms OID') {
        // The class osslsigncode rejects too (OpenSSL cannot set up an unknown digest).
        const path = join(work, 'flipped.efi');
        writeFileSync(path, copy);
        expect(osslsigncodeAccepts(path, dir, join(dir, 'debian-uefi-ca.pem'))).toBe(false);
      }
    }
  });

  it('no single-byte flip in the SignedData header or the SignerInfo outside its signature verifies', async () => {
    // The certificates and the signature value are left out (their bytes fail through the chain
    // and the signature check, and sweeping them is slow); a one-off sweep of the whole table
    // found no other byte either.
    const der = tableOffset + 8;
    const contentInfo = readNode(original, der, tableOffset + tableSize);
    const fields = children(children(children(contentInfo)[1] as DerNode)[0] as DerNode);
    const certificateBag = fields.find((f) => f.tag === 0xa0) as DerNode;
    const signerInfo = children(fields[fields.length - 1] as DerNode)[0] as DerNode;
    const signature = children(signerInfo).at(-1) as DerNode;
    const ranges: [number, number][] = [
      [tableOffset, certificateBag.start],
      [signerInfo.start, signature.contentStart],
      [signature.end, tableOffset + tableSize],
    ];
    const accepted: number[] = [];
    for (const [from, to] of ranges) {
      for (let offset = from; offset < to; offset++) {
        const copy = Buffer.from(original);
        copy[offset] = (copy[offset] ?? 0) ^ 0x01;
        if (await passes(copy)) accepted.push(offset - tableOffset);
      }
    }
    expect(accepted).toEqual([]);
  });
});
