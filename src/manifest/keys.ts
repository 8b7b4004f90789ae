import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';

import { ManifestError } from './errors.ts';

export const KEY_ALGORITHMS = ['ed25519', 'ecdsa-p256', 'rsa'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export const MIN_RSA_BITS = 2048;

/** A public key as the trust root knows it. */
export interface PublicKeyInfo {
  readonly keyid: string;
  readonly algorithm: KeyAlgorithm;
  readonly key: KeyObject;
}

/**
 * Key id: lower-case hex SHA-256 of the DER SubjectPublicKeyInfo. Derived, never chosen, so a
 * trust root cannot list one key under two ids to count it twice toward the threshold.
 */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** The algorithm of a key, or an error for key types and sizes we do not accept. */
export function algorithmOf(key: KeyObject, where: { file?: string; pointer?: string }): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ed25519') return 'ed25519';
  if (type === 'ec' && details.namedCurve === 'prime256v1') return 'ecdsa-p256';
  if (type === 'rsa' && (details.modulusLength ?? 0) >= MIN_RSA_BITS) return 'rsa';
  const found =
    type === 'rsa'
      ? `RSA ${details.modulusLength ?? '?'} bits`
      : type === 'ec'
        ? `EC ${details.namedCurve ?? '?'}`
        : (type ?? 'unknown');
  throw new ManifestError(
    'KEY_INVALID',
    `expected an Ed25519, ECDSA P-256 or RSA ≥ ${MIN_RSA_BITS} key, found ${found}`,
    where,
  );
}

export function parsePublicKeyPem(pem: string, where: { file?: string; pointer?: string }): PublicKeyInfo {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error: unknown) {
    throw new ManifestError('KEY_INVALID', 'expected a PEM public key (-----BEGIN PUBLIC KEY-----)', {
      ...where,
      cause: error,
    });
  }
  return { keyid: keyIdOf(key), algorithm: algorithmOf(key, where), key };
}

export function parsePrivateKeyPem(pem: string, file: string): KeyObject {
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    algorithmOf(key, { file });
    return key;
  } catch (error: unknown) {
    if (error instanceof ManifestError) throw error;
    throw new ManifestError('KEY_INVALID', 'expected an unencrypted PEM private key', { file, cause: error });
  }
}

/** Signature over exact bytes: Ed25519 (pure), ECDSA P-256 with SHA-256 (DER), RSA PKCS#1 v1.5 with SHA-256. */
export function signBytes(privateKey: KeyObject, data: Uint8Array): Buffer {
  const algorithm = algorithmOf(privateKey, {});
  return sign(algorithm === 'ed25519' ? null : 'sha256', data, privateKey);
}

export function verifyBytes(key: PublicKeyInfo, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify(key.algorithm === 'ed25519' ? null : 'sha256', data, key.key, signature);
  } catch {
    // A malformed signature (bad DER, wrong length) is a signature that does not verify.
    return false;
  }
}

export function generateKeyPair(algorithm: KeyAlgorithm): {
  privateKeyPem: string;
  publicKeyPem: string;
  keyid: string;
} {
  const pair =
    algorithm === 'ed25519'
      ? generateKeyPairSync('ed25519')
      : algorithm === 'ecdsa-p256'
        ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
        : generateKeyPairSync('rsa', { modulusLength: 3072 });
  return {
    privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyid: keyIdOf(pair.publicKey),
  };
}
