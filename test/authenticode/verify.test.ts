import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { children, readNode, type DerNode } from '../../src/authenticode/der.ts';
import { AuthenticodeFormatError } from '../../src/authenticode/errors.ts';
import { parsePe } from '../../src/authenticode/pe.ts';
import { bufferSource } from '../../src/authenticode/source.ts';
import { verifyAuthenticode } from '../../src/authenticode/verifier.ts';
import type { FindingCode } from '../../src/findings.ts';
import {
  NOW,
  acmeSigner,
  certificates,
  ensureAuthenticodeFixtures,
  osslsigncodeAccepts,
  verifyFile,
} from './helpers.ts';

let dir = '';
beforeAll(async () => {
  dir = await ensureAuthenticodeFixtures();
});

/**
 * Every generated fixture, what we conclude, and what `osslsigncode verify` 2.9 concludes with the
 * same CA. Invariant: we agree with osslsigncode except where a note says why we differ by design.
 */
const FIXTURES: ReadonlyArray<
  readonly [file: string, expected: 'pass' | 'malformed' | FindingCode, osslsigncode: boolean, note?: string]
> = [
  ['signed.exe', 'pass', true],
  ['signed-ts.exe', 'pass', true],
  // Timestamped through a legacy Authenticode timestamp server (PKCS#9 countersignature).
  ['signed-legacy-ts.exe', 'pass', true],
  ['signed32.exe', 'pass', true],
  ['dual-signed.exe', 'pass', true],
  ['signed.msi', 'pass', true],
  ['signed-dse.msi', 'pass', true],
  // Windows Installer packages built by wixl; see msi.test.ts for the attacks on them.
  ['wixl-signed.msi', 'pass', true],
  ['wixl-signed-dse.msi', 'pass', true],
  ['wixl-embedded-signed.msi', 'pass', true],
  ['wixl-moved.msi', 'pass', true],
  ['many-streams-signed.msi', 'pass', true],
  ['wixl-stale-clsid.msi', 'AUTHENTICODE_IMAGE_HASH_MISMATCH', false],
  ['wixl-stale-mtime-dse.msi', 'AUTHENTICODE_IMAGE_HASH_MISMATCH', false],
  // The CheckSum field is outside the image hash (PE/COFF), so changing it breaks nothing.
  ['tampered-checksum.exe', 'pass', true],
  // Signed with a certificate that expired in 2021, timestamped while it was valid.
  ['expired-ts.exe', 'pass', true],
  ['unsigned.exe', 'AUTHENTICODE_UNSIGNED', false],
  ['unsigned32.exe', 'AUTHENTICODE_UNSIGNED', false],
  ['unsigned.msi', 'AUTHENTICODE_UNSIGNED', false],
  ['tampered-header.exe', 'AUTHENTICODE_IMAGE_HASH_MISMATCH', false],
  ['tampered-section.exe', 'AUTHENTICODE_IMAGE_HASH_MISMATCH', false],
  ['tampered-overlay.exe', 'AUTHENTICODE_IMAGE_HASH_MISMATCH', false],
  ['tampered.msi', 'AUTHENTICODE_IMAGE_HASH_MISMATCH', false],
  ['tampered-signature.exe', 'AUTHENTICODE_SIGNATURE_INVALID', false],
  ['appended.exe', 'AUTHENTICODE_DATA_AFTER_CERT_TABLE', false],
  ['untrusted-root.exe', 'AUTHENTICODE_UNTRUSTED_ROOT', false],
  ['expired-no-ts.exe', 'AUTHENTICODE_CERT_EXPIRED', false],
  ['untrusted-tsa.exe', 'AUTHENTICODE_TIMESTAMP_INVALID', false],
  ['truncated-headers.exe', 'malformed', false],
  ['truncated-table.exe', 'malformed', false],
  ['truncated.msi', 'malformed', false],
  [
    'padding-payload.exe',
    'AUTHENTICODE_TRAILING_DATA',
    true,
    'differs by design: osslsigncode accepts data after the PKCS#7 (CVE-2013-3900); we are strict',
  ],
  [
    'unauth-blob.exe',
    'AUTHENTICODE_UNKNOWN_UNSIGNED_ATTRIBUTE',
    true,
    'differs by design: osslsigncode accepts unknown unauthenticated attributes; we are strict',
  ],
  [
    'sha1-only.exe',
    'AUTHENTICODE_WEAK_DIGEST',
    true,
    'differs by design: osslsigncode accepts a SHA-1-only signature; we require a verified SHA-2 one',
  ],
  [
    'appended.msi',
    'AUTHENTICODE_MSI_UNALLOCATED_DATA',
    true,
    'differs by design: osslsigncode accepts bytes after the compound file, which no digest covers',
  ],
  [
    'wrong-signer.exe',
    'AUTHENTICODE_SIGNER_NOT_PINNED',
    true,
    'differs by design: osslsigncode does not pin signers',
  ],
  [
    'dual-mixed.exe',
    'AUTHENTICODE_SIGNER_NOT_PINNED',
    true,
    'differs by design: the nested signature is by an unpinned signer; osslsigncode does not pin',
  ],
  [
    'no-eku.exe',
    'AUTHENTICODE_USAGE_NOT_ALLOWED',
    true,
    'differs by design: osslsigncode 2.9 does not require the code-signing EKU',
  ],
];

const CASES = FIXTURES.map(([file, expected, accepts, note]) => ({ file, expected, accepts, note }));

describe('generated fixtures', () => {
  it.each(CASES)('$file: $expected', async ({ file, expected }) => {
    const path = join(dir, file);
    if (expected === 'malformed') {
      const error = await verifyFile(path, [acmeSigner(dir)]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticodeFormatError);
      expect((error as AuthenticodeFormatError).location.offset).toBeTypeOf('number');
      return;
    }
    const result = await verifyFile(path, [acmeSigner(dir)]);
    if (expected === 'pass') {
      // An MSI without MsiDigitalSignatureEx verifies with an info note (msi.test.ts).
      expect(result.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      expect(result.passed).toBe(true);
      expect(result.findings.map((f) => f.code)).toContain('AUTHENTICODE_VERIFIED');
    } else {
      expect(result.passed).toBe(false);
      expect(result.findings).toFailWith(expected);
    }
  });

  it.each(CASES)(
    '$file: osslsigncode verify agrees or the difference is by design',
    ({ file, expected, accepts, note }) => {
      const ours = expected === 'pass';
      expect(osslsigncodeAccepts(join(dir, file), dir)).toBe(accepts);
      if (ours !== accepts) expect(note).toMatch(/differs by design/);
    },
  );
});

describe('image hash', () => {
  it('covers the whole file minus CheckSum, the Security directory entry and the certificate table', async () => {
    const bytes = readFileSync(join(dir, 'signed-ts.exe'));
    const optional = bytes.readUInt32LE(0x3c) + 24;
    const security = optional + 144; // PE32+
    const tableOffset = bytes.readUInt32LE(security);
    const expected = createHash('sha256')
      .update(bytes.subarray(0, optional + 64))
      .update(bytes.subarray(optional + 68, security))
      .update(bytes.subarray(security + 8, tableOffset))
      .digest('hex');
    const result = await verifyFile(join(dir, 'signed-ts.exe'), [acmeSigner(dir)]);
    expect(result.signatures[0]?.computedDigest).toBe(expected);
    expect(result.signatures[0]?.signedDigest).toBe(expected);
  });

  it('uses each signature’s own algorithm for nested signatures (SHA-1 outer, SHA-256 nested)', async () => {
    const result = await verifyFile(join(dir, 'dual-signed.exe'), [acmeSigner(dir)]);
    // SHA-1 next to a verified SHA-256 signature is noted, not failed.
    expect(result.findings.find((f) => f.code === 'AUTHENTICODE_WEAK_DIGEST')?.severity).toBe('info');
    expect(result.signatures.map((s) => [s.label, s.digestAlgorithm])).toEqual([
      ['entry 0', 'sha1'],
      ['entry 0 > nested 0', 'sha256'],
    ]);
    expect(result.signatures.every((s) => s.intact && s.trusted)).toBe(true);
  });
});

describe('time', () => {
  const after = new Date('2046-06-01T00:00:00Z'); // after the leaf expires (2045), before the CA (2050)

  it('a verified timestamp keeps an expired signing certificate valid', async () => {
    const result = await verifyFile(join(dir, 'signed-ts.exe'), [acmeSigner(dir)], { now: after });
    expect(result.passed).toBe(true);
    expect(result.signatures[0]?.timestamps[0]).toMatchObject({
      kind: 'rfc3161',
      time: '2026-01-01T00:00:00.000Z',
      valid: true,
    });
  });

  it('a verified legacy countersignature also sets the reference time', async () => {
    const result = await verifyFile(join(dir, 'signed-legacy-ts.exe'), [acmeSigner(dir)], { now: after });
    expect(result.passed).toBe(true);
    expect(result.signatures[0]?.timestamps.map((t) => [t.kind, t.valid])).toEqual([['legacy', true]]);
  });

  it('a legacy countersignature from an unpinned authority does not count', async () => {
    const signer = acmeSigner(dir, { timestampRoots: certificates(join(dir, 'other-ca.pem')) });
    const result = await verifyFile(join(dir, 'signed-legacy-ts.exe'), [signer], { now: after });
    expect(result.findings).toFailWith('AUTHENTICODE_TIMESTAMP_INVALID');
    expect(result.findings).toFailWith('AUTHENTICODE_CERT_EXPIRED');
  });

  it('a timestamp claiming a time after the reference time does not count', async () => {
    const result = await verifyFile(join(dir, 'signed-ts.exe'), [acmeSigner(dir)], {
      now: new Date('2025-06-01T00:00:00Z'),
    });
    expect(result.findings).toFailWith('AUTHENTICODE_TIMESTAMP_INVALID');
    expect(result.findings.find((f) => f.code === 'AUTHENTICODE_TIMESTAMP_INVALID')?.message).toContain(
      'after the reference time',
    );
  });

  it('without a timestamp the certificates must be valid now', async () => {
    const result = await verifyFile(join(dir, 'signed.exe'), [acmeSigner(dir)], { now: after });
    expect(result.findings).toFailWith('AUTHENTICODE_CERT_EXPIRED');
  });

  it('a timestamp from an unpinned authority does not count', async () => {
    const signer = acmeSigner(dir, { timestampRoots: certificates(join(dir, 'other-ca.pem')) });
    const result = await verifyFile(join(dir, 'expired-ts.exe'), [signer]);
    expect(result.findings).toFailWith('AUTHENTICODE_TIMESTAMP_INVALID');
    expect(result.findings).toFailWith('AUTHENTICODE_CERT_EXPIRED');
  });
});

describe('signer pinning', () => {
  it('matches the full subject DN', async () => {
    const signer = acmeSigner(dir, { subject: 'CN=Acme RMM Inc, O=Acme RMM Inc, C=US' });
    expect((await verifyFile(join(dir, 'signed.exe'), [signer])).passed).toBe(true);
  });

  it('matches a SHA-256 thumbprint of a certificate in the chain (here the CA)', async () => {
    const ca = certificates(join(dir, 'ca.pem'))[0];
    const signer = acmeSigner(dir, { thumbprint: ca?.thumbprint.toUpperCase() ?? '' });
    expect((await verifyFile(join(dir, 'signed.exe'), [signer])).passed).toBe(true);
  });

  it('rejects a thumbprint that is not in the chain', async () => {
    const signer = acmeSigner(dir, { thumbprint: '00'.repeat(32) });
    expect((await verifyFile(join(dir, 'signed.exe'), [signer])).findings).toFailWith(
      'AUTHENTICODE_SIGNER_NOT_PINNED',
    );
  });

  it('tries every pinned signer', async () => {
    const other = { label: 'other', roots: certificates(join(dir, 'other-ca.pem')), timestampRoots: [] };
    const result = await verifyFile(join(dir, 'untrusted-root.exe'), [acmeSigner(dir), other]);
    expect(result.passed).toBe(true);
    expect(result.signatures[0]?.pinnedBy).toBe('other');
  });

  it('fails closed with no pinned signer', async () => {
    expect((await verifyFile(join(dir, 'signed.exe'), [])).findings).toFailWith(
      'AUTHENTICODE_UNTRUSTED_ROOT',
    );
  });
});

describe('policy', () => {
  it('signatures=any accepts a file when one signature is pinned and all are intact', async () => {
    const result = await verifyFile(join(dir, 'dual-mixed.exe'), [acmeSigner(dir)], {
      policy: { signatures: 'any', strict: true },
    });
    expect(result.passed).toBe(true);
    const waived = result.findings.find((f) => f.code === 'AUTHENTICODE_SIGNER_NOT_PINNED');
    expect(waived?.severity).toBe('info');
  });

  it('signatures=any never waives a broken signature', async () => {
    const result = await verifyFile(join(dir, 'tampered-section.exe'), [acmeSigner(dir)], {
      policy: { signatures: 'any', strict: true },
    });
    expect(result.findings).toFailWith('AUTHENTICODE_IMAGE_HASH_MISMATCH');
  });

  it('lenient mode reports the padding gap and unknown attributes without failing', async () => {
    for (const file of ['padding-payload.exe', 'unauth-blob.exe']) {
      const result = await verifyFile(join(dir, file), [acmeSigner(dir)], {
        policy: { signatures: 'all', strict: false },
      });
      expect(result.passed).toBe(true);
      expect(result.findings.some((f) => f.severity === 'info' && f.message.includes('lenient'))).toBe(true);
    }
  });

  it('names the offset of data hidden in the certificate table', async () => {
    const result = await verifyFile(join(dir, 'padding-payload.exe'), [acmeSigner(dir)]);
    const hidden = result.findings.find((f) => f.code === 'AUTHENTICODE_TRAILING_DATA');
    expect(hidden?.evidence['offset']).toBeTypeOf('number');
    expect(hidden?.evidence['nonZero']).toBe(true);
  });
});

describe('data smuggled in the unsigned parts of the PKCS#7', () => {
  it('rejects a non-X.509 entry in the certificate bag', async () => {
    const bytes = Buffer.from(readFileSync(join(dir, 'signed.exe')));
    const layout = await parsePe(bufferSource(bytes));
    const blobOffset = (layout.certificateTable?.offset ?? 0) + 8;
    const contentInfo = readNode(bytes, blobOffset, bytes.length);
    const signedData = children(children(contentInfo)[1] as DerNode)[0] as DerNode;
    const bag = children(signedData)[3] as DerNode;
    expect(bag.tag).toBe(0xa0);
    const firstCertificate = children(bag)[0] as DerNode;
    bytes[firstCertificate.start] = 0xa2; // CertificateChoices: v2AttrCert [2]
    const result = await verifyAuthenticode(bufferSource(bytes), {
      trust: { signers: [acmeSigner(dir)], systemRoots: [] },
      now: NOW,
    });
    expect(result.findings).toFailWith('AUTHENTICODE_SIGNATURE_MALFORMED');
    expect(result.findings[0]?.evidence['offset']).toBe(firstCertificate.start);
  });
});
