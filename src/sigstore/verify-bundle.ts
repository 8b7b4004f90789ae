import { X509Certificate, timingSafeEqual } from 'node:crypto';

import type { Bundle } from '@sigstore/bundle';
import type { SignedEntity, Signer, TrustMaterial, Verifier } from '@sigstore/verify';

import type { Digests } from '../digest/index.ts';
import { errorMessage } from '../errors.ts';
import { finding, type EvidenceValue, type Finding, type FindingCode } from '../findings.ts';
import {
  describeIssuer,
  describeMatcher,
  identityMatches,
  issuerMatches,
  signerFacts,
  type IdentityPolicy,
  type SignerFacts,
} from './identity.ts';
import { sigstoreVerify } from './libraries.ts';
import { verifyPrehashed, type PrehashAlgorithm } from './prehash.ts';
import { matchingSubject, parseStatement, type InTotoStatement } from './statement.ts';
import type { SigstoreTrust } from './trusted-root.ts';
import { quoteUntrusted } from '../text/truncate.ts';

/** Who may have signed the bundle. */
export interface BundlePolicy {
  /** Allowed certificate identities; any one matching (identity and issuer) is enough. */
  readonly identities: readonly IdentityPolicy[];
  /** The bundle must be key-based and verify with the key in the trust material (`--key`). */
  readonly keyBased: boolean;
  /**
   * Accept any certificate identity here: the caller matches the signer facts itself (a
   * manifest trust root's identities, counted towards its threshold).
   */
  readonly anyIdentity?: boolean;
}

export interface BundleVerification {
  readonly ok: boolean;
  readonly findings: readonly Finding[];
  readonly facts: Readonly<Record<string, EvidenceValue>>;
  readonly signer?: SignerFacts;
  readonly statement?: InTotoStatement;
}

export interface BundleContext {
  /** How reports name the artifact. */
  readonly subject: string;
  /** The bundle file (and line, for JSON Lines) for evidence. */
  readonly bundleFile: string;
}

// Sigstore protobuf HashAlgorithm enum values (sigstore_common.proto).
const HASH_ALGORITHMS: Readonly<Record<number, PrehashAlgorithm>> = {
  0: 'sha256',
  1: 'sha256',
  2: 'sha384',
  3: 'sha512',
};

/**
 * Verifies one Sigstore bundle against an artifact known by its digests (never its bytes: the
 * artifact was hashed in one bounded streaming pass, or only `sha256:<hex>` was given), the
 * trust material, and the signer policy. Pure: no network, no files, no clock beyond the
 * timestamps inside the bundle.
 *
 * Pipeline: content ↔ artifact binding (message digest, or in-toto subject) → @sigstore/verify
 * (timestamps, certificate chain + SCT or key, transparency log, signature) → identity policy.
 */
export function verifyBundle(
  bundle: Bundle,
  artifact: Digests,
  trust: SigstoreTrust,
  policy: BundlePolicy,
  context: BundleContext,
): BundleVerification {
  const first = verifyWithRoot(bundle, artifact, trust, policy, context);
  const alternatives = trust.alternatives ?? [];
  if (first.ok || alternatives.length === 0) return first;
  const failures = [first];
  for (const instance of alternatives) {
    const result = verifyWithRoot(bundle, artifact, instance, policy, context);
    if (result.ok) return result;
    failures.push(result);
  }
  // Report the instance that knew the signer: its reason is the real one (identity, signature,
  // log), not "certificate does not chain" from the instances that never issued it.
  return failures.find((r) => !r.findings.some((f) => f.code === 'SIGSTORE_CERTIFICATE_UNTRUSTED')) ?? first;
}

function verifyWithRoot(
  bundle: Bundle,
  artifact: Digests,
  trust: SigstoreTrust,
  policy: BundlePolicy,
  context: BundleContext,
): BundleVerification {
  const facts: Record<string, EvidenceValue> = { bundle: context.bundleFile, mediaType: bundle.mediaType };
  const fail = (
    code: FindingCode,
    message: string,
    evidence: Record<string, EvidenceValue> = {},
  ): BundleVerification => ({
    ok: false,
    findings: [
      finding(code, {
        subject: context.subject,
        message: `${context.bundleFile}: ${message}`,
        evidence: { ...facts, ...evidence },
        location: { file: context.bundleFile },
      }),
    ],
    facts,
  });

  const material = bundle.verificationMaterial.content;
  const keyBased = material.$case === 'publicKey';
  facts['signedWith'] = keyBased ? 'key' : 'certificate';
  if (policy.keyBased && !keyBased) {
    return fail(
      'SIGSTORE_KEY_MISMATCH',
      'bundle is signed with a certificate, but a public key was given (--key)',
    );
  }
  if (!policy.keyBased && keyBased) {
    return fail(
      'SIGSTORE_KEY_MISMATCH',
      'bundle is signed with a public key; give it with --key (or a pinned key)',
    );
  }
  const timestamps =
    bundle.verificationMaterial.tlogEntries.length +
    (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length ?? 0);
  if (timestamps === 0) {
    return fail(
      'SIGSTORE_TIMESTAMP_INVALID',
      'bundle has neither a transparency-log entry nor an RFC 3161 timestamp',
    );
  }

  const rootInChain = selfSignedInChain(bundle);
  if (rootInChain !== undefined) {
    // sigstore-go and sigstore-python refuse this; a root must come from the trusted root only
    // (conformance case bundle-with-root-cert_fail).
    return fail(
      'SIGSTORE_CERTIFICATE_UNTRUSTED',
      `certificate chain in the bundle includes a self-signed root certificate (position ${rootInChain}); roots come from the trusted root only`,
    );
  }

  // 1. Bind the signed content to the artifact.
  let entity: SignedEntity;
  let unsupported: string | undefined;
  let statement: InTotoStatement | undefined;
  try {
    entity = sigstoreVerify().toSignedEntity(bundle, Buffer.alloc(0));
  } catch (error: unknown) {
    return fail('SIGSTORE_BUNDLE_INVALID', `certificate or timestamp does not parse: ${errorMessage(error)}`);
  }
  const content = bundle.content;
  if (content.$case === 'messageSignature') {
    const signature = content.messageSignature;
    const algorithm = HASH_ALGORITHMS[signature.messageDigest.algorithm];
    if (algorithm === undefined) {
      return fail(
        'SIGSTORE_VERIFY_ERROR',
        `unsupported message digest algorithm ${String(signature.messageDigest.algorithm)}`,
      );
    }
    const hex = artifact[algorithm];
    if (hex === undefined) {
      return fail(
        'SIGSTORE_VERIFY_ERROR',
        `bundle signs the ${algorithm} digest of the artifact, which was not given`,
      );
    }
    const digest = Buffer.from(hex, 'hex');
    facts['messageDigest'] = `${algorithm}:${hex}`;
    const signed = Buffer.from(signature.messageDigest.digest);
    if (!bytesEqual(signed, digest)) {
      return fail(
        'SIGSTORE_ARTIFACT_MISMATCH',
        `bundle signs ${algorithm}:${signed.toString('hex')}, the artifact is ${algorithm}:${hex}`,
        {
          expected: `${algorithm}:${signed.toString('hex')}`,
          actual: `${algorithm}:${hex}`,
        },
      );
    }
    const signatureBytes = Buffer.from(signature.signature);
    entity = {
      ...entity,
      signature: {
        signature: signatureBytes,
        compareSignature: (other) => bytesEqual(other, signatureBytes),
        compareDigest: (other) => bytesEqual(other, digest),
        // A message signature signs the artifact itself, so the signed digest (what a Rekor v2
        // hashedrekord 0.0.2 entry records) is the message digest.
        compareSignedDigest: (other) => bytesEqual(other, digest),
        verifySignature: (key) => {
          const result = verifyPrehashed(key, algorithm, digest, signatureBytes);
          if (result.kind === 'unsupported') unsupported = result.reason;
          return result.kind === 'valid';
        },
      },
    };
  } else {
    const envelope = content.dsseEnvelope;
    const parsed = parseStatement(envelope.payloadType, envelope.payload);
    if (parsed.kind === 'invalid')
      return fail('SIGSTORE_STATEMENT_INVALID', `DSSE payload: ${parsed.reason}`);
    statement = parsed.statement;
    facts['predicateType'] = statement.predicateType;
    const subject = matchingSubject(statement, artifact);
    if (!subject) {
      return fail(
        'SIGSTORE_SUBJECT_MISMATCH',
        `no subject of the statement has the artifact's digest (${describeDigests(artifact)}); subjects: ${statement.subjects
          .slice(0, 5)
          .map((s) => `${s.name} sha256:${s.digest['sha256'] ?? '?'}`)
          .join(', ')}`,
        { actual: describeDigests(artifact), subjects: statement.subjects.slice(0, 20).map((s) => s.name) },
      );
    }
    facts['statementSubject'] = subject.name;
  }

  // 2. Cryptographic verification against the trust material.
  let signer: Signer;
  try {
    signer = verifier(trust.material, trust).verify(entity);
  } catch (error: unknown) {
    if (unsupported !== undefined) return fail('SIGSTORE_VERIFY_ERROR', unsupported);
    const { code, message } = classify(error, keyBased);
    if (
      code === 'SIGSTORE_CERTIFICATE_UNTRUSTED' ||
      code === 'SIGSTORE_TLOG_INVALID' ||
      code === 'SIGSTORE_TIMESTAMP_INVALID'
    ) {
      if (verifiesWith(trust.unbounded, trust, entity)) {
        return fail(
          'SIGSTORE_ROOT_EXPIRED',
          `${message}; it verifies only when the validity windows of ${trust.source} are ignored`,
          { trustedRoot: trust.source },
        );
      }
    }
    return fail(code, `${message}${staleHint(bundle, trust, code)}`, { trustedRoot: trust.source });
  }
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    facts['tlogIndex'] = entry.logIndex;
    facts['integratedTime'] = new Date(Number(entry.integratedTime) * 1000).toISOString();
  }

  // 3. Identity policy (certificates only; a pinned key is its own identity).
  const identity = signerFacts(signer);
  if (!keyBased) {
    if (identity.identity !== undefined) facts['identity'] = identity.identity;
    if (identity.issuer !== undefined) facts['issuer'] = identity.issuer;
  }
  if (!keyBased && policy.anyIdentity !== true) {
    const allowed = policy.identities;
    const match = allowed.find(
      (p) => identityMatches(p.identity, identity.identity) && issuerMatches(p.issuer, identity.issuer),
    );
    if (!match) {
      const identityOk = allowed.some((p) => identityMatches(p.identity, identity.identity));
      if (allowed.length > 0 && identityOk) {
        return {
          ...fail(
            'SIGSTORE_ISSUER_MISMATCH',
            `certificate OIDC issuer is ${quoteUntrusted(identity.issuer ?? null)}, expected ${allowed.map((p) => describeIssuer(p.issuer)).join(' or ')}`,
            { expected: allowed.map((p) => describeIssuer(p.issuer)), actual: identity.issuer ?? null },
          ),
          signer: identity,
        };
      }
      return {
        ...fail(
          'SIGSTORE_IDENTITY_MISMATCH',
          allowed.length === 0
            ? `no certificate identity is allowed (identity ${quoteUntrusted(identity.identity ?? null)})`
            : `certificate identity is ${quoteUntrusted(identity.identity ?? null)}, expected ${allowed.map((p) => describeMatcher(p.identity)).join(' or ')}`,
          { expected: allowed.map((p) => describeMatcher(p.identity)), actual: identity.identity ?? null },
        ),
        signer: identity,
      };
    }
  }
  return {
    ok: true,
    findings: [
      finding('SIGSTORE_VERIFIED', {
        subject: context.subject,
        message: `${context.bundleFile}: verified${keyBased ? ' with the given key' : ` for ${identity.identity ?? '?'} (${identity.issuer ?? '?'})`}`,
        evidence: facts,
        location: { file: context.bundleFile },
      }),
    ],
    facts,
    signer: identity,
    ...(statement ? { statement } : {}),
  };
}

function verifier(material: TrustMaterial, trust: SigstoreTrust): Verifier {
  // What the root declares is required: a transparency-log entry when it lists a log (public
  // good; as cosign and sigstore-go), an SCT when it lists a CT log. A root with neither (GitHub's
  // private instance) relies on RFC 3161 timestamps. At least one verified timestamp always.
  const tlogThreshold = trust.root.tlogs.length > 0 ? 1 : 0;
  const ctlogThreshold = trust.root.ctlogs.length > 0 ? 1 : 0;
  return new (sigstoreVerify().Verifier)(material, { tlogThreshold, ctlogThreshold, timestampThreshold: 1 });
}

function verifiesWith(material: TrustMaterial, trust: SigstoreTrust, entity: SignedEntity): boolean {
  try {
    verifier(material, trust).verify(entity);
    return true;
  } catch {
    // Any failure here means the window was not the (only) problem; the caller reports the first error.
    return false;
  }
}

function classify(error: unknown, keyBased: boolean): { code: FindingCode; message: string } {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const message = errorMessage(error);
  switch (code) {
    case 'TIMESTAMP_ERROR':
      return { code: 'SIGSTORE_TIMESTAMP_INVALID', message: `timestamp: ${message}` };
    case 'CERTIFICATE_ERROR':
      return { code: 'SIGSTORE_CERTIFICATE_UNTRUSTED', message: `certificate: ${message}` };
    case 'PUBLIC_KEY_ERROR':
      return { code: 'SIGSTORE_KEY_MISMATCH', message: `public key: ${message}` };
    case 'SIGNATURE_ERROR':
      return keyBased
        ? { code: 'SIGSTORE_KEY_MISMATCH', message: 'signature does not verify with the given key' }
        : { code: 'SIGSTORE_SIGNATURE_INVALID', message: `signature: ${message}` };
    case 'TLOG_ERROR':
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_MISSING_INCLUSION_ERROR':
    case 'TLOG_BODY_ERROR':
      return { code: 'SIGSTORE_TLOG_INVALID', message: `transparency log: ${message}` };
    default:
      return { code: 'SIGSTORE_VERIFY_ERROR', message: `verification stopped: ${message}` };
  }
}

/**
 * When verification fails on something a newer root could know (a CA, log or TSA key) and the
 * bundle was signed after the root was last known current, say so: the fix is `trust update`.
 */
function staleHint(bundle: Bundle, trust: SigstoreTrust, code: FindingCode): string {
  if (trust.asOf === undefined) return '';
  if (
    code !== 'SIGSTORE_CERTIFICATE_UNTRUSTED' &&
    code !== 'SIGSTORE_TLOG_INVALID' &&
    code !== 'SIGSTORE_TIMESTAMP_INVALID'
  )
    return '';
  const signed = signingTime(bundle);
  if (signed === undefined || signed <= trust.asOf) return '';
  return `; the trusted root ${trust.source} is out of date (current as of ${trust.asOf.toISOString()}, the bundle was signed ${signed.toISOString()}): run 'rmm-verify trust update' and verify again`;
}

/** The signing time a bundle claims: its certificate's notBefore, else a log entry's integrated time. */
function signingTime(bundle: Bundle): Date | undefined {
  const content = bundle.verificationMaterial.content;
  const raw =
    content.$case === 'certificate'
      ? content.certificate.rawBytes
      : content.$case === 'x509CertificateChain'
        ? content.x509CertificateChain.certificates[0]?.rawBytes
        : undefined;
  if (raw !== undefined) {
    try {
      return new Date(new X509Certificate(raw).validFrom);
    } catch {
      // An unparseable certificate has already failed verification; no hint then.
      return undefined;
    }
  }
  const integrated = bundle.verificationMaterial.tlogEntries[0]?.integratedTime;
  return integrated !== undefined && integrated !== '0' ? new Date(Number(integrated) * 1000) : undefined;
}

/** Index of the first self-signed certificate in the bundle's x509CertificateChain, if any. */
function selfSignedInChain(bundle: Bundle): number | undefined {
  const content = bundle.verificationMaterial.content;
  if (content.$case !== 'x509CertificateChain') return undefined;
  const certificates = content.x509CertificateChain.certificates;
  for (const [index, certificate] of certificates.entries()) {
    let parsed: X509Certificate;
    try {
      parsed = new X509Certificate(certificate.rawBytes);
    } catch {
      // Unparseable certificates are reported by the chain verification that follows.
      continue;
    }
    if (parsed.subject === parsed.issuer && parsed.checkIssued(parsed) && parsed.verify(parsed.publicKey)) {
      return index;
    }
  }
  return undefined;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function describeDigests(digests: Digests): string {
  return Object.entries(digests)
    .filter(([algorithm]) => algorithm !== 'sha1')
    .map(([algorithm, hex]) => `${algorithm}:${hex}`)
    .join(', ');
}
