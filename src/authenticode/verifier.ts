import { defaults } from '../defaults.ts';
import { finding, type Finding } from '../findings.ts';
import type { Certificate } from './certificate.ts';
import { buildChain, type ChainProblem } from './chain.ts';
import {
  DerError,
  DerTag,
  contents,
  expectTag,
  readOctetString,
  readOid,
  sequence,
  type DerNode,
} from './der.ts';
import { AuthenticodeFormatError } from './errors.ts';
import { peImageHash } from './image-hash.ts';
import { isMsi, msiDigests, msiPrehash, msiUnallocatedTail, parseMsi } from './msi.ts';
import { ALLOWED_UNSIGNED_ATTRIBUTES, DIGEST_OIDS, Oid, type HashName } from './oids.ts';
import { isPe, parsePe } from './pe.ts';
import { parseSignedData, readAlgorithm, readLeadingNode, type SignedData } from './signed-data.ts';
import { equalDigests, findSignerCertificate, verifySignerInfo } from './signer.ts';
import type { ByteSource } from './source.ts';
import { verifyCountersignature, verifyRfc3161, type TimestampResult } from './timestamp.ts';
import { parseCertificateTable } from './win-certificate.ts';
import type { Problem } from './problem.ts';
import { quoteUntrusted } from '../text/truncate.ts';

/** One pinned signer: roots to chain to and optional subject / thumbprint pins. */
export interface PinnedSigner {
  /** Where the pin came from, for messages (`signers.authenticode[0]`, `--root`). */
  readonly label: string;
  /** Exact subject DN (`CN=..., O=...`) or just the CN of the leaf. */
  readonly subject?: string;
  /** SHA-256 of the DER of the leaf or any certificate in its chain, hex. */
  readonly thumbprint?: string;
  readonly roots: readonly Certificate[];
  /** Timestamp-authority roots; the caller defaults them to `roots`. */
  readonly timestampRoots: readonly Certificate[];
}

export interface AuthenticodeTrust {
  readonly signers: readonly PinnedSigner[];
  /** The operating system's store, only when asked for (`--system-roots`). */
  readonly systemRoots: readonly Certificate[];
}

export interface AuthenticodePolicy {
  /** `all`: every signature (entries and nested) must verify and be pinned; `any`: at least one, and all must be intact. */
  readonly signatures: 'all' | 'any';
  /** Padding gap, data after the table and unknown unsigned attributes fail (default true). */
  readonly strict: boolean;
}

export const DEFAULT_AUTHENTICODE_POLICY: AuthenticodePolicy = { signatures: 'all', strict: true };

export interface VerifyAuthenticodeOptions {
  readonly trust: AuthenticodeTrust;
  readonly policy?: AuthenticodePolicy;
  /** The run's reference time. */
  readonly now: Date;
  /** How findings name the file (default: the source name). */
  readonly subject?: string;
}

export interface CertificateSummary {
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly thumbprint: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface TimestampSummary {
  readonly kind: 'rfc3161' | 'legacy';
  readonly time: string | undefined;
  readonly signer: CertificateSummary | undefined;
  readonly valid: boolean;
  readonly problems: readonly string[];
}

export interface SignatureReport {
  /** `entry 0`, `entry 0 > nested 1`, ... */
  readonly label: string;
  readonly offset: number;
  readonly digestAlgorithm: HashName | undefined;
  /** The SignerInfo's digest algorithm (what the signature over the attributes uses). */
  readonly signerDigestAlgorithm: HashName | undefined;
  /** The digest in SpcIndirectDataContent and the one computed from the file, hex. */
  readonly signedDigest: string | undefined;
  readonly computedDigest: string | undefined;
  readonly signer: CertificateSummary | undefined;
  readonly chain: readonly CertificateSummary[];
  readonly timestamps: readonly TimestampSummary[];
  /** The label of the pinned signer it matched. */
  readonly pinnedBy: string | undefined;
  /** Intact (digest, signature, attributes) and trusted (chain, time, pin). */
  readonly intact: boolean;
  readonly trusted: boolean;
}

export interface AuthenticodeResult {
  readonly subject: string;
  readonly format: 'pe32' | 'pe32+' | 'msi';
  readonly signed: boolean;
  readonly signatures: readonly SignatureReport[];
  /** Every finding after policy; `passed` is true when none fails. */
  readonly findings: readonly Finding[];
  readonly passed: boolean;
}

export function summarize(certificate: Certificate): CertificateSummary {
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    serial: certificate.serialHex,
    thumbprint: certificate.thumbprint,
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
  };
}

/** A SignedData found in the file, with its place and parsed SpcIndirectDataContent. */
interface Candidate {
  readonly label: string;
  readonly offset: number;
  readonly signedData: SignedData;
  readonly indirect: IndirectData | undefined;
  readonly problems: readonly Problem[];
}

interface IndirectData {
  readonly dataType: string;
  readonly algorithm: HashName;
  readonly digest: Uint8Array;
  /** The SpcIndirectDataContent SEQUENCE's contents, which messageDigest covers. */
  readonly signedBytes: Uint8Array;
}

/**
 * SpcIndirectDataContent data types per file format. sbsigntool (UEFI binaries) writes
 * 1.3.6.1.4.1.311.2.1.21 where Windows tools write SpcPeImageData; both cover the same image hash.
 */
const PE_DATA_TYPES: ReadonlySet<string> = new Set([Oid.spcPeImageData, '1.3.6.1.4.1.311.2.1.21']);
/** Timestamps may run this far ahead of the reference time (clock skew between TSA and verifier). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Checks that only fail in strict mode (the default); lenient mode reports them as info. */
const STRICT_ONLY: ReadonlySet<string> = new Set([
  'AUTHENTICODE_TRAILING_DATA',
  'AUTHENTICODE_DATA_AFTER_CERT_TABLE',
  'AUTHENTICODE_UNKNOWN_UNSIGNED_ATTRIBUTE',
  'AUTHENTICODE_MSI_UNALLOCATED_DATA',
]);
const MSI_DATA_TYPES: ReadonlySet<string> = new Set([Oid.spcSipInfo]);
/**
 * Findings about what a verified signature does not cover: they keep their registry severity
 * (the run's --fail-on decides), but the signatures themselves still count as verified.
 */
const ADVISORY: ReadonlySet<string> = new Set(['AUTHENTICODE_MSI_METADATA_UNSIGNED']);

const RSASSA_PSS = '1.2.840.113549.1.1.10';

/**
 * The Authenticode profile of SignedData, for the fields outside the signature that a verifier
 * could otherwise let change freely (one flipped byte must not leave a signature "valid"):
 * Authenticode PE format 1.0 and MS-OSHARED 2.3.2.4.1 require SignedData and SignerInfo
 * version 1 and exactly one digestAlgorithms entry, the algorithm of the signer. osslsigncode
 * (OpenSSL PKCS7_dataInit) rejects an unknown digestAlgorithms entry; we require the exact one,
 * the stricter. AlgorithmIdentifier parameters of the digest and (non-PSS) signature algorithm
 * must be absent or NULL (RFC 5754 3, RFC 4055 5).
 */
function profileProblems(signedData: SignedData): Problem[] {
  const problems: Problem[] = [];
  const malformedProfile = (message: string): void => {
    problems.push({
      code: 'AUTHENTICODE_SIGNATURE_MALFORMED',
      message,
      evidence: { offset: signedData.offset },
    });
  };
  if (signedData.version !== 1)
    malformedProfile(`SignedData version is ${signedData.version}; Authenticode requires 1`);
  const signer = signedData.signerInfos[0];
  const algorithms = signedData.digestAlgorithms;
  if (algorithms.length !== 1 || (signer !== undefined && algorithms[0]?.oid !== signer.digestAlgorithm)) {
    malformedProfile(
      `SignedData digestAlgorithms is [${algorithms.map((a) => a.oid).join(', ')}]; Authenticode requires exactly the signer's ${signer?.digestAlgorithm ?? 'digest algorithm'}`,
    );
  }
  if (algorithms.some((a) => a.parameters === 'other'))
    malformedProfile('a digestAlgorithms entry has parameters other than absent or NULL');
  for (const info of signedData.signerInfos) {
    if (info.version !== 1)
      malformedProfile(`SignerInfo version is ${info.version}; Authenticode requires 1`);
    if (info.digestParameters === 'other')
      malformedProfile('the SignerInfo digestAlgorithm has parameters other than absent or NULL');
    if (info.signatureParameters === 'other' && info.signatureAlgorithm !== RSASSA_PSS)
      malformedProfile('the SignerInfo signatureAlgorithm has parameters other than absent or NULL');
  }
  return problems;
}

/**
 * Verifies the Authenticode signatures of a PE or MSI file. Structure errors throw
 * AuthenticodeFormatError (an input error naming the byte offset); everything about the
 * signatures is returned as findings.
 */
export async function verifyAuthenticode(
  source: ByteSource,
  options: VerifyAuthenticodeOptions,
): Promise<AuthenticodeResult> {
  const head = await source.read(0, Math.min(8, source.size));
  if (isMsi(head)) return verifyMsi(source, options);
  if (isPe(head)) return verifyPe(source, options);
  throw new AuthenticodeFormatError('not a PE (MZ) or MSI (compound file) file', {
    file: source.name,
    offset: 0,
    code: 'AUTHENTICODE_UNSUPPORTED_FILE',
  });
}

export { isAuthenticodeFile } from './file-kind.ts';

async function verifyPe(source: ByteSource, options: VerifyAuthenticodeOptions): Promise<AuthenticodeResult> {
  const layout = await parsePe(source);
  const subject = options.subject ?? source.name;
  const policy = options.policy ?? DEFAULT_AUTHENTICODE_POLICY;
  if (!layout.certificateTable)
    return unsigned(source.name, subject, layout.kind, 'the PE has no certificate table');
  const table = layout.certificateTable;
  if (table.size > defaults.maxCertificateTableBytes) {
    throw new AuthenticodeFormatError(
      `certificate table of ${table.size} bytes exceeds the limit of ${defaults.maxCertificateTableBytes}`,
      { file: source.name, offset: layout.securityDirectoryOffset ?? 0 },
    );
  }
  const tableBytes = await source.read(table.offset, table.size);
  const parsed = parseCertificateTable(tableBytes, table.offset, layout.fileSize);
  const fileProblems: Problem[] = [...parsed.problems];
  const candidates: Candidate[] = [];
  parsed.entries.forEach((entry, index) => {
    if (!entry.blob) return;
    collectCandidates(
      entry.blob,
      entry.blobOffset,
      `entry ${index}`,
      0,
      PE_DATA_TYPES,
      candidates,
      fileProblems,
    );
  });
  if (candidates.length === 0 && fileProblems.length === 0) {
    fileProblems.push({
      code: 'AUTHENTICODE_SIGNATURE_MALFORMED',
      message: 'the certificate table holds no signature',
    });
  }
  const algorithms = [...new Set(candidates.flatMap((c) => (c.indirect ? [c.indirect.algorithm] : [])))];
  const digests = await peImageHash(source, layout, algorithms);
  return finish(source.name, subject, layout.kind, candidates, digests, fileProblems, options, policy);
}

async function verifyMsi(
  source: ByteSource,
  options: VerifyAuthenticodeOptions,
): Promise<AuthenticodeResult> {
  const subject = options.subject ?? source.name;
  const policy = options.policy ?? DEFAULT_AUTHENTICODE_POLICY;
  if (source.size > defaults.maxMsiBytes) {
    throw new AuthenticodeFormatError(
      `MSI of ${source.size} bytes exceeds the limit of ${defaults.maxMsiBytes}`,
      {
        file: source.name,
      },
    );
  }
  const layout = await parseMsi(source);
  if (!layout.signature)
    return unsigned(source.name, subject, 'msi', 'the MSI has no \\x05DigitalSignature stream');
  const fileProblems: Problem[] = [];
  const tail = msiUnallocatedTail(layout, source.size);
  if (tail !== undefined) {
    fileProblems.push({
      code: 'AUTHENTICODE_MSI_UNALLOCATED_DATA',
      message: `${source.size - tail} bytes at byte offset ${tail} are past the last allocated sector`,
      evidence: { offset: tail, bytes: source.size - tail },
    });
  }
  if (!layout.signatureEx) {
    fileProblems.push({
      code: 'AUTHENTICODE_MSI_METADATA_UNSIGNED',
      message:
        'the MSI has no \\x05MsiDigitalSignatureEx stream, so the signature does not cover entry metadata (state bits, creation and modification times)',
    });
  }
  const candidates: Candidate[] = [];
  // The signature stream must hold exactly one DER value: trailing bytes would be unsigned data.
  collectCandidates(
    layout.signature,
    0,
    'DigitalSignature',
    0,
    MSI_DATA_TYPES,
    candidates,
    fileProblems,
    true,
  );
  const algorithms = [...new Set(candidates.flatMap((c) => (c.indirect ? [c.indirect.algorithm] : [])))];
  const digests = await msiDigests(layout, algorithms, layout.signatureEx !== undefined);
  const primary = candidates[0]?.indirect;
  if (layout.signatureEx && primary) {
    const expected = msiPrehash(layout, primary.algorithm);
    if (!equalDigests(layout.signatureEx, expected)) {
      fileProblems.push({
        code: 'AUTHENTICODE_IMAGE_HASH_MISMATCH',
        message: `MsiDigitalSignatureEx ${layout.signatureEx.toString('hex')} differs from the metadata pre-hash ${expected.toString('hex')}`,
        evidence: { stream: 'MsiDigitalSignatureEx' },
      });
    }
  }
  return finish(source.name, subject, 'msi', candidates, digests, fileProblems, options, policy);
}

function unsigned(
  file: string,
  subject: string,
  format: AuthenticodeResult['format'],
  why: string,
): AuthenticodeResult {
  return {
    subject,
    format,
    signed: false,
    signatures: [],
    findings: [
      finding('AUTHENTICODE_UNSIGNED', {
        subject,
        message: `${subject}: unsigned: ${why}`,
        location: { file },
      }),
    ],
    passed: false,
  };
}

/** Parses one SignedData and, recursively, its nested signatures. */
function collectCandidates(
  bytes: Uint8Array,
  base: number,
  label: string,
  depth: number,
  expectedDataTypes: ReadonlySet<string>,
  out: Candidate[],
  fileProblems: Problem[],
  exact = false,
): void {
  let node: DerNode;
  try {
    node = readLeadingNode(bytes, base);
    if (exact && node.end !== bytes.length) {
      fileProblems.push({
        code: 'AUTHENTICODE_TRAILING_DATA',
        message: `${bytes.length - node.end} bytes after the PKCS#7 signature in ${label}`,
        evidence: { signature: label, offset: base + node.end, bytes: bytes.length - node.end },
      });
    }
  } catch (error: unknown) {
    if (!(error instanceof DerError)) throw error;
    fileProblems.push(malformed(label, error));
    return;
  }
  addCandidate(node, label, depth, expectedDataTypes, out, fileProblems);
}

function addCandidate(
  node: DerNode,
  label: string,
  depth: number,
  expectedDataTypes: ReadonlySet<string>,
  out: Candidate[],
  fileProblems: Problem[],
): void {
  if (out.length >= defaults.maxSignatures) {
    fileProblems.push({
      code: 'AUTHENTICODE_SIGNATURE_MALFORMED',
      message: `more than ${defaults.maxSignatures} signatures; the rest are not verified`,
      evidence: { signature: label },
    });
    return;
  }
  let signedData: SignedData;
  try {
    signedData = parseSignedData(node);
  } catch (error: unknown) {
    if (!(error instanceof DerError)) throw error;
    fileProblems.push(malformed(label, error));
    return;
  }
  const problems: Problem[] = [...profileProblems(signedData)];
  let indirect: IndirectData | undefined;
  try {
    indirect = parseIndirectData(signedData, expectedDataTypes, problems);
  } catch (error: unknown) {
    if (!(error instanceof DerError)) throw error;
    problems.push({
      code: 'AUTHENTICODE_SIGNATURE_MALFORMED',
      message: `SpcIndirectDataContent: ${error.message}`,
      evidence: { offset: error.offset },
    });
  }
  out.push({ label, offset: signedData.offset, signedData, indirect, problems });
  const signer = signedData.signerInfos[0];
  if (!signer) return;
  let nestedIndex = 0;
  for (const attribute of signer.unsignedAttributes) {
    if (attribute.oid !== Oid.spcNestedSignature) continue;
    for (const value of attribute.values) {
      const nestedLabel = `${label} > nested ${nestedIndex++}`;
      if (depth + 1 > defaults.maxSignatureNesting) {
        fileProblems.push({
          code: 'AUTHENTICODE_SIGNATURE_MALFORMED',
          message: `signatures nested deeper than ${defaults.maxSignatureNesting} levels`,
          evidence: { signature: nestedLabel, offset: value.base + value.start },
        });
        continue;
      }
      addCandidate(value, nestedLabel, depth + 1, expectedDataTypes, out, fileProblems);
    }
  }
}

function malformed(label: string, error: DerError): Problem {
  return {
    code: 'AUTHENTICODE_SIGNATURE_MALFORMED',
    message: `${label}: ${error.message}`,
    evidence: { signature: label, offset: error.offset },
  };
}

/** SpcIndirectDataContent ::= SEQUENCE { data SpcAttributeTypeAndOptionalValue, messageDigest DigestInfo } */
function parseIndirectData(
  signedData: SignedData,
  expectedDataTypes: ReadonlySet<string>,
  problems: Problem[],
): IndirectData | undefined {
  if (signedData.contentType !== Oid.spcIndirectData) {
    problems.push({
      code: 'AUTHENTICODE_SIGNATURE_MALFORMED',
      message: `content type is ${signedData.contentType}, expected SpcIndirectDataContent (${Oid.spcIndirectData})`,
    });
    return undefined;
  }
  const content = expectTag(signedData.content, DerTag.sequence, 'SpcIndirectDataContent');
  const [data, digestInfo] = sequence(content, 'SpcIndirectDataContent');
  const [dataTypeNode] = sequence(data, 'SpcAttributeTypeAndOptionalValue', content);
  const dataType = readOid(dataTypeNode, 'SpcAttributeTypeAndOptionalValue type', data);
  const [algorithmNode, digestNode] = sequence(digestInfo, 'DigestInfo', content);
  const algorithmOid = readAlgorithm(algorithmNode, 'DigestInfo algorithm', digestInfo);
  const digest = readOctetString(digestNode, 'DigestInfo digest', digestInfo);
  if (!expectedDataTypes.has(dataType)) {
    problems.push({
      code: 'AUTHENTICODE_SIGNATURE_MALFORMED',
      message: `signed data type is ${dataType}, expected ${[...expectedDataTypes].join(' or ')} for this file type`,
    });
    return undefined;
  }
  const algorithm = DIGEST_OIDS[algorithmOid];
  if (!algorithm) {
    problems.push({
      code: 'AUTHENTICODE_UNSUPPORTED_ALGORITHM',
      message: `image digest algorithm ${algorithmOid} is not supported`,
    });
    return undefined;
  }
  return { dataType, algorithm, digest, signedBytes: contents(content) };
}

function finish(
  file: string,
  subject: string,
  format: AuthenticodeResult['format'],
  candidates: readonly Candidate[],
  digests: ReadonlyMap<HashName, Buffer>,
  fileProblems: readonly Problem[],
  options: VerifyAuthenticodeOptions,
  policy: AuthenticodePolicy,
): AuthenticodeResult {
  const evaluated = candidates.map((candidate) => evaluate(candidate, digests, options, policy));
  const anyTrusted = evaluated.some((e) => e.report.intact && e.report.trusted);
  const findings: Finding[] = [];
  const toFinding = (problem: Problem, signature?: string): Finding => {
    const waived =
      (problem.trust === true && policy.signatures === 'any' && anyTrusted) ||
      (!policy.strict && STRICT_ONLY.has(problem.code));
    return finding(problem.code, {
      subject,
      message: `${subject}: ${signature ? `${signature}: ` : ''}${problem.message}${waived ? (STRICT_ONLY.has(problem.code) ? ' (lenient mode)' : ' (another signature is trusted; policy signatures=any)') : ''}`,
      evidence: { ...(signature ? { signature } : {}), ...problem.evidence },
      location: { file },
      ...(waived || problem.severity === 'info' ? { severity: 'info' as const } : {}),
    });
  };
  // SHA-1 (chosen-prefix collisions are practical) is accepted only next to a verified
  // SHA-2 signature, as in dual-signed files; alone it fails.
  const weak = (r: SignatureReport): boolean =>
    r.digestAlgorithm === 'sha1' || r.signerDigestAlgorithm === 'sha1';
  const strongTrusted = evaluated.some((e) => e.report.intact && e.report.trusted && !weak(e.report));
  for (const problem of fileProblems) findings.push(toFinding(problem));
  for (const { report, problems } of evaluated) {
    for (const problem of problems) findings.push(toFinding(problem, report.label));
    if (weak(report) && report.intact) {
      findings.push(
        toFinding(
          {
            code: 'AUTHENTICODE_WEAK_DIGEST',
            message: `signed with SHA-1 (image digest ${report.digestAlgorithm ?? '?'}, signature digest ${report.signerDigestAlgorithm ?? '?'})${strongTrusted ? '; accepted next to a verified SHA-2 signature' : ' and no SHA-2 signature verifies'}`,
            ...(strongTrusted ? { severity: 'info' as const } : {}),
          },
          report.label,
        ),
      );
    }
  }
  if (candidates.length === 0 && fileProblems.length === 0) {
    findings.push(toFinding({ code: 'AUTHENTICODE_SIGNATURE_MALFORMED', message: 'no signature found' }));
  }
  const failing = findings.some((f) => f.severity !== 'info' && !ADVISORY.has(f.code));
  if (!failing) {
    const trusted = evaluated.filter((e) => e.report.trusted).map((e) => e.report);
    findings.push(
      finding('AUTHENTICODE_VERIFIED', {
        subject,
        location: { file },
        message: `${subject}: ${trusted.length} of ${evaluated.length} signatures verified; signed by ${trusted.map((r) => quoteUntrusted(r.signer?.subject ?? '?')).join(', ')}`,
        evidence: {
          signers: trusted.map((r) => r.signer?.subject ?? ''),
          thumbprints: trusted.map((r) => r.signer?.thumbprint ?? ''),
        },
      }),
    );
  }
  return {
    subject,
    format,
    signed: true,
    signatures: evaluated.map((e) => e.report),
    findings,
    passed: !failing,
  };
}

function evaluate(
  candidate: Candidate,
  digests: ReadonlyMap<HashName, Buffer>,
  options: VerifyAuthenticodeOptions,
  policy: AuthenticodePolicy,
): { report: SignatureReport; problems: Problem[] } {
  const problems: Problem[] = [...candidate.problems];
  const { signedData, indirect } = candidate;
  const computed = indirect ? digests.get(indirect.algorithm) : undefined;
  const base = {
    label: candidate.label,
    offset: candidate.offset,
    digestAlgorithm: indirect?.algorithm,
    signerDigestAlgorithm: DIGEST_OIDS[signedData.signerInfos[0]?.digestAlgorithm ?? ''],
    signedDigest: indirect ? Buffer.from(indirect.digest).toString('hex') : undefined,
    computedDigest: computed?.toString('hex'),
  };
  const report = (extra: Partial<SignatureReport>): { report: SignatureReport; problems: Problem[] } => {
    const intact = !problems.some(
      (p) => p.trust !== true && p.severity !== 'info' && (policy.strict || !STRICT_ONLY.has(p.code)),
    );
    // Trusted: chained to a pinned root at the reference time and matched a pin. A bad timestamp is
    // reported as its own failing finding.
    const trusted =
      extra.pinnedBy !== undefined &&
      !problems.some((p) => p.trust === true && p.code !== 'AUTHENTICODE_TIMESTAMP_INVALID');
    return {
      report: {
        ...base,
        signer: undefined,
        chain: [],
        timestamps: [],
        pinnedBy: undefined,
        ...extra,
        intact,
        trusted: intact && trusted,
      },
      problems,
    };
  };
  if (indirect && computed && !equalDigests(indirect.digest, computed)) {
    problems.push({
      code: 'AUTHENTICODE_IMAGE_HASH_MISMATCH',
      message: `${indirect.algorithm} digest of the file is ${computed.toString('hex')}, the signature covers ${Buffer.from(indirect.digest).toString('hex')}`,
      evidence: {
        algorithm: indirect.algorithm,
        signed: base.signedDigest ?? '',
        computed: base.computedDigest ?? '',
      },
    });
  }
  const [signer, ...extraSigners] = signedData.signerInfos;
  if (!signer || extraSigners.length > 0) {
    problems.push({
      code: 'AUTHENTICODE_SIGNATURE_MALFORMED',
      message: `SignedData has ${signedData.signerInfos.length} signers; Authenticode requires exactly 1`,
    });
    return report({});
  }
  const certificate = findSignerCertificate(signer, signedData.certificates);
  if (!certificate) {
    problems.push({
      code: 'AUTHENTICODE_SIGNATURE_MALFORMED',
      message: 'the signer certificate is not among the certificates in the signature',
    });
    return report({});
  }
  if (indirect) {
    const check = verifySignerInfo(signer, certificate, indirect.signedBytes, Oid.spcIndirectData);
    if (!check.ok) {
      problems.push({
        code: check.digestMismatch
          ? 'AUTHENTICODE_CONTENT_DIGEST_MISMATCH'
          : check.unsupported
            ? 'AUTHENTICODE_UNSUPPORTED_ALGORITHM'
            : 'AUTHENTICODE_SIGNATURE_INVALID',
        message: check.reason,
        evidence: { offset: signer.offset },
      });
    }
  }
  // Unsigned attributes: timestamps are checked, nested signatures were collected, anything else is smuggled data.
  const timestampAnchors = [
    ...options.trust.signers.flatMap((s) => s.timestampRoots),
    ...options.trust.systemRoots,
  ];
  const timestamps: TimestampResult[] = [];
  for (const attribute of signer.unsignedAttributes) {
    if (!ALLOWED_UNSIGNED_ATTRIBUTES.has(attribute.oid)) {
      problems.push({
        code: 'AUTHENTICODE_UNKNOWN_UNSIGNED_ATTRIBUTE',
        message: `unauthenticated attribute ${attribute.oid} at byte offset ${attribute.offset} is not a countersignature, timestamp or nested signature`,
        evidence: { oid: attribute.oid, offset: attribute.offset },
      });
      continue;
    }
    for (const value of attribute.values) {
      const context = { signer, certificates: signedData.certificates, anchors: timestampAnchors };
      if (attribute.oid === Oid.msRfc3161Timestamp) timestamps.push(verifyRfc3161(value, context));
      else if (attribute.oid === Oid.counterSignature)
        timestamps.push(verifyCountersignature(value, context));
    }
  }
  for (const timestamp of timestamps) {
    if (timestamp.time && timestamp.time.getTime() > options.now.getTime() + CLOCK_SKEW_MS) {
      timestamp.problems.push(
        `it claims ${timestamp.time.toISOString()}, after the reference time ${options.now.toISOString()}`,
      );
    }
    if (timestamp.problems.length === 0) continue;
    problems.push({
      code: 'AUTHENTICODE_TIMESTAMP_INVALID',
      message: `${timestamp.kind === 'rfc3161' ? 'RFC 3161 timestamp' : 'countersignature'} at byte offset ${timestamp.offset}: ${timestamp.problems.join('; ')}`,
      evidence: { offset: timestamp.offset },
      trust: true,
    });
  }
  const validTimestamp = timestamps.find((t) => t.problems.length === 0 && t.time !== undefined);
  const at = validTimestamp?.time ?? options.now;
  const trust = evaluateTrust(certificate, signedData.certificates, at, options.trust);
  for (const problem of trust.problems) {
    problems.push({
      code: problem.code,
      message: `${problem.message}${validTimestamp ? ' (time from the verified timestamp)' : ''}`,
      evidence: { certificate: problem.certificate, at: at.toISOString() },
      trust: true,
    });
  }
  return report({
    signer: summarize(certificate),
    chain: trust.chain.map(summarize),
    timestamps: timestamps.map((t) => ({
      kind: t.kind,
      time: t.time?.toISOString(),
      signer: t.signer ? summarize(t.signer) : undefined,
      valid: t.problems.length === 0,
      problems: t.problems,
    })),
    pinnedBy: trust.pinnedBy,
  });
}

function evaluateTrust(
  leaf: Certificate,
  certificates: readonly Certificate[],
  at: Date,
  trust: AuthenticodeTrust,
): { chain: readonly Certificate[]; pinnedBy: string | undefined; problems: readonly ChainProblem[] } {
  if (trust.signers.length === 0) {
    return {
      chain: [leaf],
      pinnedBy: undefined,
      problems: [
        {
          code: 'AUTHENTICODE_UNTRUSTED_ROOT',
          message: 'no pinned signers or roots given',
          certificate: leaf.subject,
        },
      ],
    };
  }
  let first: { chain: readonly Certificate[]; problems: readonly ChainProblem[] } | undefined;
  let unpinned: { chain: readonly Certificate[]; signer: PinnedSigner } | undefined;
  for (const signer of trust.signers) {
    const result = buildChain(leaf, certificates, {
      purpose: 'codeSigning',
      at,
      anchors: [...signer.roots, ...trust.systemRoots],
    });
    first ??= result;
    if (result.problems.length > 0) continue;
    if (matchesPin(signer, result.chain))
      return { chain: result.chain, pinnedBy: signer.label, problems: [] };
    unpinned ??= { chain: result.chain, signer };
  }
  if (unpinned) {
    const pins = trust.signers
      .map((s) =>
        [s.subject && `subject "${s.subject}"`, s.thumbprint && `thumbprint ${s.thumbprint}`]
          .filter(Boolean)
          .join(' and '),
      )
      .filter((text) => text !== '');
    return {
      chain: unpinned.chain,
      pinnedBy: undefined,
      problems: [
        {
          code: 'AUTHENTICODE_SIGNER_NOT_PINNED',
          message: `signer ${quoteUntrusted(leaf.subject)} (sha256 ${leaf.thumbprint}) chains to a pinned root but matches none of ${pins.join('; ')}`,
          certificate: leaf.subject,
        },
      ],
    };
  }
  return { chain: first?.chain ?? [leaf], pinnedBy: undefined, problems: first?.problems ?? [] };
}

function matchesPin(signer: PinnedSigner, chain: readonly Certificate[]): boolean {
  const leaf = chain[0];
  if (!leaf) return false;
  if (signer.subject !== undefined) {
    const wanted = signer.subject;
    const ok = wanted.includes('=') ? leaf.subject === wanted : leaf.commonName === wanted;
    if (!ok) return false;
  }
  if (signer.thumbprint !== undefined) {
    const wanted = signer.thumbprint.toLowerCase();
    if (!chain.some((certificate) => certificate.thumbprint === wanted)) return false;
  }
  return true;
}
