import type { Certificate } from './certificate.ts';
import { buildChain } from './chain.ts';
import {
  DerError,
  DerTag,
  expectTag,
  parseDer,
  readOctetString,
  readOid,
  readTime,
  sequence,
  type DerNode,
} from './der.ts';
import { DIGEST_OIDS, Oid } from './oids.ts';
import { attributeValue, parseSignedData, parseSignerInfo, type SignerInfo } from './signed-data.ts';
import { digestOf, equalDigests, findSignerCertificate, verifySignerInfo } from './signer.ts';

export interface TimestampResult {
  readonly kind: 'rfc3161' | 'legacy';
  readonly offset: number;
  /** The time the token asserts (genTime or signingTime), when it could be read. */
  readonly time: Date | undefined;
  readonly signer: Certificate | undefined;
  readonly chain: readonly Certificate[];
  /** Empty when the timestamp is valid and chains to a pinned timestamp root. */
  readonly problems: string[];
}

export interface TimestampContext {
  /** The signature being timestamped. */
  readonly signer: SignerInfo;
  /** Certificates of the outer SignedData (legacy countersigners live there). */
  readonly certificates: readonly Certificate[];
  readonly anchors: readonly Certificate[];
}

/** Verifies an RFC 3161 token carried in the 1.3.6.1.4.1.311.3.3.1 unsigned attribute. */
export function verifyRfc3161(value: DerNode, context: TimestampContext): TimestampResult {
  const offset = value.base + value.start;
  const problems: string[] = [];
  let time: Date | undefined;
  let tsaCertificate: Certificate | undefined;
  let chain: readonly Certificate[] = [];
  try {
    const token = parseSignedData(value, { x509Only: false });
    if (token.contentType !== Oid.tstInfo)
      problems.push(`token content type is ${token.contentType}, not TSTInfo`);
    const tstInfoBytes = readOctetString(token.content, 'TSTInfo octet string');
    const tstInfo = parseTstInfo(
      tstInfoBytes,
      (token.content?.base ?? 0) + (token.content?.contentStart ?? 0),
    );
    time = tstInfo.genTime;
    const imprintHash = DIGEST_OIDS[tstInfo.imprintAlgorithm];
    if (!imprintHash) problems.push(`message imprint algorithm ${tstInfo.imprintAlgorithm} is not supported`);
    else if (!equalDigests(tstInfo.imprint, digestOf(imprintHash, context.signer.signature))) {
      problems.push('the token does not cover this signature (messageImprint differs)');
    }
    const [tokenSigner, ...others] = token.signerInfos;
    if (!tokenSigner || others.length > 0)
      problems.push(`token has ${token.signerInfos.length} signers, expected 1`);
    if (tokenSigner) {
      const pool = [...token.certificates, ...context.certificates];
      tsaCertificate = findSignerCertificate(tokenSigner, pool);
      if (!tsaCertificate) problems.push('the timestamp signer certificate is not in the token');
      else {
        const check = verifySignerInfo(tokenSigner, tsaCertificate, tstInfoBytes, Oid.tstInfo);
        if (!check.ok) problems.push(`token signature: ${check.reason}`);
        const result = buildChain(tsaCertificate, pool, {
          purpose: 'timeStamping',
          at: time,
          anchors: context.anchors,
        });
        chain = result.chain;
        problems.push(...result.problems.map((p) => `timestamp authority: ${p.message}`));
      }
    }
  } catch (error: unknown) {
    if (!(error instanceof DerError)) throw error;
    problems.push(`malformed token: ${error.message}`);
  }
  return { kind: 'rfc3161', offset, time, signer: tsaCertificate, chain, problems };
}

/** Verifies a legacy PKCS#9 countersignature (1.2.840.113549.1.9.6), a SignerInfo over the signature. */
export function verifyCountersignature(value: DerNode, context: TimestampContext): TimestampResult {
  const offset = value.base + value.start;
  const problems: string[] = [];
  let time: Date | undefined;
  let certificate: Certificate | undefined;
  let chain: readonly Certificate[] = [];
  try {
    const counter = parseSignerInfo(value);
    const signingTime = attributeValue(counter.signedAttributes, Oid.signingTime);
    time = signingTime ? readTime(signingTime, 'signingTime') : undefined;
    if (!time) problems.push('the countersignature has no signingTime');
    certificate = findSignerCertificate(counter, context.certificates);
    if (!certificate) problems.push('the countersigner certificate is not in the signature');
    else {
      const check = verifySignerInfo(counter, certificate, context.signer.signature, Oid.data);
      if (!check.ok) problems.push(`countersignature: ${check.reason}`);
      if (time) {
        const result = buildChain(certificate, context.certificates, {
          purpose: 'timeStamping',
          at: time,
          anchors: context.anchors,
        });
        chain = result.chain;
        problems.push(...result.problems.map((p) => `timestamp authority: ${p.message}`));
      }
    }
  } catch (error: unknown) {
    if (!(error instanceof DerError)) throw error;
    problems.push(`malformed countersignature: ${error.message}`);
  }
  return { kind: 'legacy', offset, time, signer: certificate, chain, problems };
}

interface TstInfo {
  readonly imprintAlgorithm: string;
  readonly imprint: Uint8Array;
  readonly genTime: Date;
}

/** RFC 3161 2.4.2 TSTInfo: version, policy, messageImprint, serialNumber, genTime, ... */
function parseTstInfo(bytes: Uint8Array, base: number): TstInfo {
  const root = expectTag(parseDer(bytes, base), DerTag.sequence, 'TSTInfo');
  const fields = sequence(root, 'TSTInfo');
  readOid(fields[1], 'TSTInfo policy', root);
  const imprint = sequence(fields[2], 'messageImprint', root);
  const [algorithm] = sequence(imprint[0], 'messageImprint algorithm', fields[2]);
  return {
    imprintAlgorithm: readOid(algorithm, 'messageImprint algorithm'),
    imprint: readOctetString(imprint[1], 'hashedMessage', fields[2]),
    genTime: readTime(fields[4], 'genTime', root),
  };
}
