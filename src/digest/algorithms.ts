import { timingSafeEqual } from 'node:crypto';

/** Digest algorithms a manifest may pin. sha1 may be shown but is never enough on its own. */
export const DIGEST_ALGORITHMS = ['sha256', 'sha384', 'sha512', 'sha1'] as const;
export type DigestAlgorithm = (typeof DIGEST_ALGORITHMS)[number];

/** Algorithms strong enough to bind an artifact. */
export const BINDING_ALGORITHMS: readonly DigestAlgorithm[] = ['sha256', 'sha384', 'sha512'];

/** Hex characters in each algorithm's digest. */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = {
  sha1: 40,
  sha256: 64,
  sha384: 96,
  sha512: 128,
};

export function isDigestAlgorithm(value: string): value is DigestAlgorithm {
  return (DIGEST_ALGORITHMS as readonly string[]).includes(value);
}

/** Lower-case hex of the exact length for the algorithm. */
export function isDigestHex(algorithm: DigestAlgorithm, hex: string): boolean {
  return hex.length === DIGEST_HEX_LENGTH[algorithm] && /^[0-9a-f]+$/.test(hex);
}

/** Constant-time comparison of two hex digests of equal length; different lengths never match. */
export function digestsEqual(expectedHex: string, actualHex: string): boolean {
  const expected = Buffer.from(expectedHex.toLowerCase(), 'utf8');
  const actual = Buffer.from(actualHex.toLowerCase(), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Parses `sha256:<hex>` (the form used by OCI, in-toto and `attest verify`). */
export function parseDigestReference(value: string): { algorithm: DigestAlgorithm; hex: string } | undefined {
  const match = /^(sha256|sha384|sha512):([0-9a-fA-F]+)$/.exec(value);
  if (!match?.[1] || !match[2]) return undefined;
  const algorithm = match[1] as DigestAlgorithm;
  const hex = match[2].toLowerCase();
  return isDigestHex(algorithm, hex) ? { algorithm, hex } : undefined;
}
