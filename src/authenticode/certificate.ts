import { createHash, X509Certificate } from 'node:crypto';

import {
  DerError,
  DerTag,
  children,
  contents,
  contextTag,
  encoded,
  expectTag,
  parseDer,
  readOid,
  readString,
  readTime,
  sequence,
  type DerNode,
} from './der.ts';
import { NAME_ATTRIBUTES, Oid } from './oids.ts';

/** Extensions this verifier processes; any other critical extension makes a certificate unusable. */
const KNOWN_CRITICAL_EXTENSIONS: ReadonlySet<string> = new Set([
  Oid.extKeyUsage,
  Oid.extBasicConstraints,
  Oid.extExtendedKeyUsage,
  '2.5.29.14', // subject key identifier
  '2.5.29.35', // authority key identifier
  '2.5.29.17', // subject alternative name
  '2.5.29.32', // certificate policies (no policy constraints are enforced by Authenticode)
]);

export const KeyUsageBit = { digitalSignature: 0, keyCertSign: 5 } as const;

/** An X.509 certificate parsed once: DER facts plus a node:crypto handle for signatures. */
export interface Certificate {
  readonly der: Uint8Array;
  readonly x509: X509Certificate;
  readonly serialHex: string;
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  /** RFC 4514 order (most specific first), e.g. `CN=Acme RMM Inc, O=Acme RMM Inc, C=US`. */
  readonly subject: string;
  readonly issuer: string;
  readonly commonName: string | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Key usage bits by number (RFC 5280 4.2.1.3); undefined when the extension is absent. */
  readonly keyUsage: ReadonlySet<number> | undefined;
  /** Basic constraints cA flag; false when absent. */
  readonly isCa: boolean;
  readonly pathLength: number | undefined;
  /** Extended key usage OIDs; undefined when the extension is absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  readonly unknownCriticalExtensions: readonly string[];
  readonly subjectKeyIdentifier: Uint8Array | undefined;
  /** SHA-256 of the DER, lower-case hex. */
  readonly thumbprint: string;
  /** SHA-1 of the DER, lower-case hex (what Windows shows). */
  readonly thumbprintSha1: string;
}

/** Parses a DER certificate; throws DerError (with offsets relative to `base`) when malformed. */
export function parseCertificate(der: Uint8Array, base = 0): Certificate {
  const root = parseDer(der, base);
  const [tbs] = sequence(root, 'Certificate');
  const fields = sequence(tbs, 'TBSCertificate', root);
  let index = 0;
  if (fields[0]?.tag === contextTag(0)) index++;
  const serial = expectTag(fields[index++], DerTag.integer, 'serialNumber', tbs);
  sequence(fields[index++], 'signature algorithm', tbs);
  const issuer = expectTag(fields[index++], DerTag.sequence, 'issuer', tbs);
  const validity = sequence(fields[index++], 'validity', tbs);
  const subject = expectTag(fields[index++], DerTag.sequence, 'subject', tbs);
  sequence(fields[index++], 'subjectPublicKeyInfo', tbs);
  let keyUsage: Set<number> | undefined;
  let isCa = false;
  let pathLength: number | undefined;
  let extendedKeyUsage: string[] | undefined;
  const unknownCritical: string[] = [];
  let subjectKeyIdentifier: Uint8Array | undefined;
  for (const field of fields.slice(index)) {
    if (field.tag !== contextTag(3)) continue;
    const [list] = children(field);
    for (const extension of sequence(list, 'extensions', field)) {
      const parts = sequence(extension, 'extension');
      const oid = readOid(parts[0], 'extension id', extension);
      let critical = false;
      let valueNode = parts[1];
      if (valueNode?.tag === DerTag.boolean) {
        critical = contents(valueNode)[0] === 0xff;
        valueNode = parts[2];
      }
      const value = parseDer(contents(expectTag(valueNode, DerTag.octetString, 'extnValue', extension)), 0);
      switch (oid) {
        case Oid.extKeyUsage:
          keyUsage = readBits(value);
          break;
        case Oid.extBasicConstraints: {
          const items = sequence(value, 'basicConstraints');
          for (const item of items) {
            if (item.tag === DerTag.boolean) isCa = contents(item)[0] === 0xff;
            else if (item.tag === DerTag.integer) pathLength = Number(bigFromBytes(contents(item)));
          }
          break;
        }
        case Oid.extExtendedKeyUsage:
          extendedKeyUsage = sequence(value, 'extKeyUsage').map((n) => readOid(n, 'key purpose'));
          break;
        case '2.5.29.14':
          subjectKeyIdentifier = contents(expectTag(value, DerTag.octetString, 'subjectKeyIdentifier'));
          break;
        default:
          if (critical && !KNOWN_CRITICAL_EXTENSIONS.has(oid)) unknownCritical.push(oid);
      }
    }
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
    // Decode the key now: a certificate whose key OpenSSL cannot read is malformed, not a crash later.
    if (x509.publicKey.asymmetricKeyType === undefined) throw new Error('unknown public key type');
  } catch (error: unknown) {
    throw new DerError(`certificate rejected by OpenSSL: ${String(error)}`, base);
  }
  const subjectName = formatName(subject);
  return {
    der,
    x509,
    serialHex: Buffer.from(contents(serial)).toString('hex'),
    issuerDer: encoded(issuer),
    subjectDer: encoded(subject),
    subject: subjectName.text,
    issuer: formatName(issuer).text,
    commonName: subjectName.commonName,
    notBefore: readTime(validity[0], 'notBefore'),
    notAfter: readTime(validity[1], 'notAfter'),
    keyUsage,
    isCa,
    pathLength,
    extendedKeyUsage,
    unknownCriticalExtensions: unknownCritical,
    subjectKeyIdentifier,
    thumbprint: createHash('sha256').update(der).digest('hex'),
    thumbprintSha1: createHash('sha1').update(der).digest('hex'),
  };
}

function readBits(node: DerNode): Set<number> {
  const bytes = contents(expectTag(node, DerTag.bitString, 'keyUsage'));
  const bits = new Set<number>();
  for (let i = 1; i < bytes.length; i++) {
    for (let bit = 0; bit < 8; bit++) if (((bytes[i] ?? 0) >> (7 - bit)) & 1) bits.add((i - 1) * 8 + bit);
  }
  return bits;
}

function bigFromBytes(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = value * 256n + BigInt(byte);
  return value;
}

/** Formats an X.500 Name most specific first, as Windows and RFC 4514 do. */
export function formatName(name: DerNode): { text: string; commonName: string | undefined } {
  const rdns: string[] = [];
  let commonName: string | undefined;
  for (const rdn of children(name)) {
    const parts: string[] = [];
    for (const attribute of children(rdn)) {
      const [type, value] = sequence(attribute, 'AttributeTypeAndValue');
      const oid = readOid(type, 'attribute type', attribute);
      if (!value) throw new DerError('missing attribute value', attribute.base + attribute.end);
      const text = readString(value);
      if (oid === '2.5.4.3') commonName = text;
      parts.push(`${NAME_ATTRIBUTES[oid] ?? oid}=${escapeRdn(text)}`);
    }
    rdns.push(parts.join('+'));
  }
  return { text: rdns.reverse().join(', '), commonName };
}

function escapeRdn(value: string): string {
  return value.replace(/([,+"\\<>;])/g, '\\$1');
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Loads pinned certificates from PEM (one or more blocks) or DER bytes. */
export function parseCertificateFile(bytes: Uint8Array, file: string): Certificate[] {
  const text = Buffer.from(bytes).toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
    return blocks.map((block) =>
      parseCertificate(Buffer.from((block[1] ?? '').replace(/\s+/g, ''), 'base64')),
    );
  }
  if (bytes.length === 0) throw new DerError(`${file}: empty certificate file`, 0);
  return [parseCertificate(bytes)];
}
