import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { certificates, ensureAuthenticodeFixtures, osslsigncodeAccepts, verifyFile } from './helpers.ts';

/**
 * Real signed EFI binaries from Debian's shim-signed, grub-efi-amd64-signed and
 * fwupd-amd64-signed packages (installed by .ci/run), verified against the pinned
 * CN=Debian Secure Boot CA from shim-unsigned.
 */
const DEBIAN_CA = '/usr/share/shim/debian-uefi-ca.der';
const DEBIAN_SIGNED: ReadonlyArray<readonly [file: string, signer: string]> = [
  ['/usr/lib/shim/mmx64.efi.signed', 'CN=Debian Secure Boot Signer 2022 - shim'],
  ['/usr/lib/shim/fbx64.efi.signed', 'CN=Debian Secure Boot Signer 2022 - shim'],
  ['/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed', 'CN=Debian Secure Boot Signer 2022 - grub2'],
  ['/usr/libexec/fwupd/efi/fwupdx64.efi.signed', 'CN=Debian Secure Boot Signer 2022 - fwupd'],
];
/** Reference time inside the Debian signers' validity (2022-08-18 to 2032-08-15). */
const NOW = new Date('2026-11-29T00:00:00Z');

function debian(extra: { subject?: string; thumbprint?: string } = {}) {
  const roots = certificates(DEBIAN_CA);
  return { label: 'debian', roots, timestampRoots: roots, ...extra };
}

describe('Debian-signed EFI binaries', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await ensureAuthenticodeFixtures();
  });

  it('the packages are installed (CI installs them)', () => {
    for (const path of [DEBIAN_CA, ...DEBIAN_SIGNED.map(([file]) => file)])
      expect(existsSync(path)).toBe(true);
  });

  it.each(DEBIAN_SIGNED)('%s verifies against the pinned Debian Secure Boot CA', async (file, signer) => {
    const result = await verifyFile(file, [debian({ subject: signer })], { now: NOW });
    expect(result.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(result.format).toBe('pe32+');
    expect(result.signatures).toHaveLength(1);
    expect(result.signatures[0]?.chain.map((c) => c.subject)).toEqual([signer, 'CN=Debian Secure Boot CA']);
    // Cross-check: osslsigncode agrees with the same anchor.
    expect(osslsigncodeAccepts(file, dir, join(dir, 'debian-uefi-ca.pem'))).toBe(true);
  });

  it.each(DEBIAN_SIGNED)('%s is rejected when pinned to another signer', async (file) => {
    const result = await verifyFile(file, [debian({ subject: 'Acme RMM Inc' })], { now: NOW });
    expect(result.findings).toFailWith('AUTHENTICODE_SIGNER_NOT_PINNED');
  });

  it('the unsigned shim from shim-unsigned is reported unsigned', async () => {
    const result = await verifyFile('/usr/lib/shim/shimx64.efi', [debian()], { now: NOW });
    expect(result.findings).toFailWith('AUTHENTICODE_UNSIGNED');
  });
});

describe('shimx64.efi.signed: two WIN_CERTIFICATE entries (Microsoft UEFI CA 2011 and 2023)', () => {
  /** Published SHA-256 thumbprints of the Microsoft UEFI CA intermediates, pinned as anchors. */
  const UEFI_CA_2011 = '48e99b991f57fc52f76149599bff0a58c47154229b9f8d603ac40d3500248507';
  const UEFI_CA_2023 = 'f6124e34125bee3fe6d79a574eaa7b91c0e7bd9d929c1a321178efd611dad901';
  /** Inside both Microsoft signing certificates' validity. */
  const AT = new Date('2026-05-01T00:00:00Z');
  /** After the Driver Publisher (2026-06-26) and UEFI CA 2011 (2026-06-27) certificates expired. */
  const TODAY = new Date('2026-11-29T00:00:00Z');
  let dir = '';
  beforeAll(async () => {
    dir = await ensureAuthenticodeFixtures();
  });

  /** Microsoft Time-Stamp PCA 2010, which issued the TSA certificates in both tokens. */
  const TIME_STAMP_PCA_2010 = 'ebec1edd9e140d9c105cc62b15a915c5443ddc514a35e5773c09afb0274c7ba5';

  function microsoft(withTimestampRoot: boolean) {
    const all = [0, 1].flatMap((i) => certificates(join(dir, `shim-entry${i}-certs.pem`)));
    const roots = all.filter((c) => c.thumbprint === UEFI_CA_2011 || c.thumbprint === UEFI_CA_2023);
    expect(roots).toHaveLength(2);
    const timestampRoots = certificates(join(dir, 'shim-tsa-certs.pem')).filter(
      (c) => c.thumbprint === TIME_STAMP_PCA_2010,
    );
    expect(timestampRoots.length).toBeGreaterThan(0);
    return { label: 'microsoft-uefi', roots, timestampRoots: withTimestampRoot ? timestampRoots : [] };
  }

  it('verifies both entries and their RFC 3161 timestamps after the signing certificates expired', async () => {
    const result = await verifyFile('/usr/lib/shim/shimx64.efi.signed', [microsoft(true)], { now: TODAY });
    expect(result.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(result.signatures.map((s) => [s.label, s.intact, s.trusted])).toEqual([
      ['entry 0', true, true],
      ['entry 1', true, true],
    ]);
    expect(result.signatures.map((s) => s.chain.at(-1)?.thumbprint)).toEqual([UEFI_CA_2011, UEFI_CA_2023]);
    for (const signature of result.signatures) {
      expect(signature.timestamps.map((t) => [t.kind, t.valid])).toEqual([['rfc3161', true]]);
      expect(new Date(signature.timestamps[0]?.time ?? '').getTime()).toBeLessThan(TODAY.getTime());
    }
  });

  it('without the timestamp root pinned, the certificates must be valid now, and are not', async () => {
    const result = await verifyFile('/usr/lib/shim/shimx64.efi.signed', [microsoft(false)], { now: TODAY });
    expect(result.findings).toFailWith('AUTHENTICODE_TIMESTAMP_INVALID');
    expect(result.findings).toFailWith('AUTHENTICODE_CERT_EXPIRED');
  });

  it('within the signing certificates validity only the unpinned timestamps fail', async () => {
    const result = await verifyFile('/usr/lib/shim/shimx64.efi.signed', [microsoft(false)], { now: AT });
    expect(result.signatures.map((s) => [s.label, s.intact, s.trusted])).toEqual([
      ['entry 0', true, true],
      ['entry 1', true, true],
    ]);
    expect(result.findings.map((f) => f.code)).toEqual([
      'AUTHENTICODE_TIMESTAMP_INVALID',
      'AUTHENTICODE_TIMESTAMP_INVALID',
    ]);
  });

  it('differs by design from osslsigncode 2.9, which rejects the two-entry table as corrupted', () => {
    expect(osslsigncodeAccepts('/usr/lib/shim/shimx64.efi.signed', dir)).toBe(false);
  });
});
