import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseCertificateFile, type Certificate } from '../../src/authenticode/certificate.ts';
import { openFileSource } from '../../src/authenticode/source.ts';
import {
  verifyAuthenticode,
  type AuthenticodePolicy,
  type AuthenticodeResult,
  type PinnedSigner,
} from '../../src/authenticode/verifier.ts';
import { ensureAuthenticodeFixtures } from '../fixtures/authenticode/generate.ts';

export { ensureAuthenticodeFixtures };

/** A fixed reference time inside every generated certificate's validity except `expired`. */
export const NOW = new Date('2026-11-29T12:00:00Z');

export function certificates(path: string): Certificate[] {
  return parseCertificateFile(readFileSync(path), path);
}

export function acmeSigner(dir: string, extra: Partial<PinnedSigner> = {}): PinnedSigner {
  const roots = certificates(join(dir, 'ca.pem'));
  return { label: 'test', subject: 'Acme RMM Inc', roots, timestampRoots: roots, ...extra };
}

export async function verifyFile(
  path: string,
  signers: readonly PinnedSigner[],
  options: { now?: Date; policy?: AuthenticodePolicy } = {},
): Promise<AuthenticodeResult> {
  const source = await openFileSource(path);
  try {
    return await verifyAuthenticode(source, {
      trust: { signers, systemRoots: [] },
      now: options.now ?? NOW,
      ...(options.policy ? { policy: options.policy } : {}),
    });
  } finally {
    await source.close();
  }
}

/** `osslsigncode verify` against the test CA (also as TSA CA); true when it reports success. */
export function osslsigncodeAccepts(path: string, dir: string, caFile = join(dir, 'ca.pem')): boolean {
  const result = spawnSync(
    'osslsigncode',
    [
      'verify',
      '-in',
      path,
      '-CAfile',
      caFile,
      '-TSA-CAfile',
      caFile,
      '-time',
      String(Math.floor(NOW.getTime() / 1000)),
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return result.status === 0;
}
