import { createHash, timingSafeEqual, verify as verifySignature, constants } from 'node:crypto';

import { sameBytes, type Certificate } from './certificate.ts';
import { DerTag, contents, type DerNode } from './der.ts';
import { DIGEST_OIDS, Oid, SIGNATURE_OIDS, type HashName } from './oids.ts';
import { attributeValue, type SignerInfo } from './signed-data.ts';
import { quoteUntrusted } from '../text/truncate.ts';

export function findSignerCertificate(
  signer: SignerInfo,
  certificates: readonly Certificate[],
): Certificate | undefined {
  const sid = signer.sid;
  return certificates.find((certificate) =>
    sid.kind === 'issuerAndSerial'
      ? sameBytes(certificate.issuerDer, sid.issuerDer) && certificate.serialHex === sid.serialHex
      : certificate.subjectKeyIdentifier !== undefined &&
        sameBytes(certificate.subjectKeyIdentifier, sid.keyIdentifier),
  );
}

export function digestOf(algorithm: HashName, data: Uint8Array): Buffer {
  return createHash(algorithm).update(data).digest();
}

export function equalDigests(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export type SignatureCheck =
  { readonly ok: true } | { readonly ok: false; readonly unsupported: boolean; readonly reason: string };

/**
 * Verifies a SignerInfo: contentType and messageDigest attributes over `content`, then the
 * signature over the DER of the signed attributes with the certificate's key (RFC 5652 5.4, 5.6).
 */
export function verifySignerInfo(
  signer: SignerInfo,
  certificate: Certificate,
  content: Uint8Array,
  expectedContentType: string,
): SignatureCheck & { readonly digestMismatch?: boolean } {
  const hash = DIGEST_OIDS[signer.digestAlgorithm];
  if (!hash) {
    return {
      ok: false,
      unsupported: true,
      reason: `digest algorithm ${signer.digestAlgorithm} is not supported`,
    };
  }
  if (!(signer.signatureAlgorithm in SIGNATURE_OIDS)) {
    return {
      ok: false,
      unsupported: true,
      reason: `signature algorithm ${signer.signatureAlgorithm} is not supported`,
    };
  }
  if (!signer.signedAttributesDer) {
    return { ok: false, unsupported: false, reason: 'the signer has no authenticated attributes' };
  }
  const contentType = attributeValue(signer.signedAttributes, Oid.contentType);
  if (!contentType || contentType.tag !== DerTag.oid || oidText(contentType) !== expectedContentType) {
    return {
      ok: false,
      unsupported: false,
      reason: `the contentType attribute is missing, repeated or not ${expectedContentType}`,
    };
  }
  const messageDigest = attributeValue(signer.signedAttributes, Oid.messageDigest);
  if (!messageDigest || messageDigest.tag !== DerTag.octetString) {
    return { ok: false, unsupported: false, reason: 'the messageDigest attribute is missing or repeated' };
  }
  if (!equalDigests(contents(messageDigest), digestOf(hash, content))) {
    return {
      ok: false,
      unsupported: false,
      digestMismatch: true,
      reason: `messageDigest ${Buffer.from(contents(messageDigest)).toString('hex')} differs from the ${hash} of the signed content ${digestOf(hash, content).toString('hex')}`,
    };
  }
  return verifyRawSignature(signer, certificate, signer.signedAttributesDer, hash);
}

export function verifyRawSignature(
  signer: SignerInfo,
  certificate: Certificate,
  data: Uint8Array,
  digestHash: HashName,
): SignatureCheck {
  const hash = SIGNATURE_OIDS[signer.signatureAlgorithm] ?? digestHash;
  const key = certificate.x509.publicKey;
  const rsa = key.asymmetricKeyType === 'rsa';
  const ec = key.asymmetricKeyType === 'ec';
  const algorithmIsRsa = signer.signatureAlgorithm.startsWith('1.2.840.113549.1.1.');
  if ((algorithmIsRsa && !rsa) || (!algorithmIsRsa && !ec)) {
    return {
      ok: false,
      unsupported: false,
      reason: `signature algorithm ${signer.signatureAlgorithm} does not match the ${String(key.asymmetricKeyType)} key of ${quoteUntrusted(certificate.subject)}`,
    };
  }
  let valid: boolean;
  try {
    valid = verifySignature(
      hash,
      data,
      rsa ? { key, padding: constants.RSA_PKCS1_PADDING } : { key, dsaEncoding: 'der' },
      signer.signature,
    );
  } catch (error: unknown) {
    return { ok: false, unsupported: false, reason: `signature check failed: ${String(error)}` };
  }
  return valid
    ? { ok: true }
    : {
        ok: false,
        unsupported: false,
        reason: `the signature does not verify with the key of ${quoteUntrusted(certificate.subject)}`,
      };
}

function oidText(node: DerNode): string {
  // Small local decoder to avoid throwing on a malformed attribute value.
  const bytes = contents(node);
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}
