import { defaults } from '../defaults.ts';
import { KeyUsageBit, sameBytes, type Certificate } from './certificate.ts';
import type { AuthenticodeCode } from './codes.ts';
import { Oid } from './oids.ts';
import { quoteUntrusted } from '../text/truncate.ts';

export type ChainPurpose = 'codeSigning' | 'timeStamping';

export interface ChainProblem {
  readonly code: AuthenticodeCode;
  readonly message: string;
  /** Subject of the certificate concerned. */
  readonly certificate: string;
}

export interface ChainResult {
  /** Leaf first; ends with the anchor when one was reached. */
  readonly chain: readonly Certificate[];
  readonly anchor: Certificate | undefined;
  readonly problems: readonly ChainProblem[];
}

export interface ChainOptions {
  readonly purpose: ChainPurpose;
  /** Reference time: a verified timestamp, or now. */
  readonly at: Date;
  readonly anchors: readonly Certificate[];
  readonly maxLength?: number;
}

/** Issuer signature checks per chain build; real chains need a handful. */
const MAX_ISSUER_CHECKS = 256;

const PURPOSE_OID: Record<ChainPurpose, string> = {
  codeSigning: Oid.ekuCodeSigning,
  timeStamping: Oid.ekuTimeStamping,
};

function isAnchor(certificate: Certificate, anchors: readonly Certificate[]): boolean {
  return anchors.some((anchor) => sameBytes(anchor.der, certificate.der));
}

function issued(issuer: Certificate, subject: Certificate): boolean {
  if (!sameBytes(issuer.subjectDer, subject.issuerDer)) return false;
  try {
    return subject.x509.verify(issuer.x509.publicKey);
  } catch {
    // A key OpenSSL cannot use for this signature is not this certificate's issuer.
    return false;
  }
}

/**
 * Builds a path from `leaf` through `intermediates` to one of `anchors` (any pinned certificate,
 * root or intermediate, is a trust anchor) and checks it at `at`: validity, CA flags, path
 * length, key usage, extended key usage (Microsoft EKU chaining), unknown critical extensions.
 */
export function buildChain(
  leaf: Certificate,
  intermediates: readonly Certificate[],
  options: ChainOptions,
): ChainResult {
  const maxLength = options.maxLength ?? defaults.maxChainLength;
  const pool = [...options.anchors, ...intermediates];
  let best: Certificate[] = [leaf];
  // Hostile bags can hold many certificates claiming the same names; bound the signature checks.
  let budget = MAX_ISSUER_CHECKS;
  const search = (path: Certificate[]): Certificate[] | undefined => {
    const current = path[path.length - 1] as Certificate;
    if (isAnchor(current, options.anchors)) return path;
    if (path.length > best.length) best = path;
    if (path.length >= maxLength) return undefined;
    for (const candidate of pool) {
      if (path.some((c) => sameBytes(c.der, candidate.der))) continue;
      if (!sameBytes(candidate.subjectDer, current.issuerDer)) continue;
      if (budget-- <= 0) return undefined;
      if (!issued(candidate, current)) continue;
      const found = search([...path, candidate]);
      if (found) return found;
    }
    return undefined;
  };
  const chain = search([leaf]);
  if (!chain) {
    const top = best[best.length - 1] as Certificate;
    const selfSigned = sameBytes(top.subjectDer, top.issuerDer);
    return {
      chain: best,
      anchor: undefined,
      problems: [
        {
          code: 'AUTHENTICODE_UNTRUSTED_ROOT',
          certificate: top.subject,
          message:
            options.anchors.length === 0
              ? 'no pinned roots to chain to'
              : selfSigned
                ? `chain ends at the self-signed ${quoteUntrusted(top.subject)}, which is not pinned`
                : `no pinned root or certificate issued ${quoteUntrusted(top.subject)} (issuer ${quoteUntrusted(top.issuer)})`,
        },
      ],
    };
  }
  return { chain, anchor: chain[chain.length - 1], problems: checkPath(chain, options) };
}

function checkPath(chain: readonly Certificate[], options: ChainOptions): ChainProblem[] {
  const problems: ChainProblem[] = [];
  const at = options.at.getTime();
  const purpose = PURPOSE_OID[options.purpose];
  chain.forEach((certificate, index) => {
    const add = (code: AuthenticodeCode, message: string): void => {
      problems.push({ code, message, certificate: certificate.subject });
    };
    const role = index === 0 ? 'signer' : 'issuer';
    if (at < certificate.notBefore.getTime() || at > certificate.notAfter.getTime()) {
      add(
        'AUTHENTICODE_CERT_EXPIRED',
        `${role} certificate ${quoteUntrusted(certificate.subject)} is valid from ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()}, not at ${options.at.toISOString()}`,
      );
    }
    const anchor = index === chain.length - 1 && index > 0;
    // A pinned anchor is trusted as given (RFC 5280 6.1: trust anchor information is an input).
    if (!anchor && certificate.unknownCriticalExtensions.length > 0) {
      add(
        'AUTHENTICODE_CHAIN_INVALID',
        `${quoteUntrusted(certificate.subject)} has unknown critical extensions ${certificate.unknownCriticalExtensions.join(', ')}`,
      );
    }
    if (index === 0) {
      if (!certificate.extendedKeyUsage?.includes(purpose)) {
        add(
          'AUTHENTICODE_USAGE_NOT_ALLOWED',
          `signer ${quoteUntrusted(certificate.subject)} lacks the ${options.purpose} extended key usage (${purpose})`,
        );
      }
      if (certificate.keyUsage && !certificate.keyUsage.has(KeyUsageBit.digitalSignature)) {
        add(
          'AUTHENTICODE_USAGE_NOT_ALLOWED',
          `signer ${quoteUntrusted(certificate.subject)} lacks the digitalSignature key usage`,
        );
      }
    } else {
      // Pinned anchors are trusted as given; intermediates must be CAs allowed to sign certificates.
      if (!anchor && !certificate.isCa) {
        add(
          'AUTHENTICODE_CHAIN_INVALID',
          `issuer ${quoteUntrusted(certificate.subject)} is not a CA (basicConstraints)`,
        );
      }
      if (certificate.keyUsage && !certificate.keyUsage.has(KeyUsageBit.keyCertSign)) {
        add(
          'AUTHENTICODE_CHAIN_INVALID',
          `issuer ${quoteUntrusted(certificate.subject)} lacks the keyCertSign key usage`,
        );
      }
      if (certificate.pathLength !== undefined && index - 1 > certificate.pathLength) {
        add(
          'AUTHENTICODE_CHAIN_INVALID',
          `issuer ${quoteUntrusted(certificate.subject)} allows ${certificate.pathLength} intermediates below it, found ${index - 1}`,
        );
      }
      const eku = certificate.extendedKeyUsage;
      if (eku && !eku.includes(purpose) && !eku.includes(Oid.ekuAny)) {
        add(
          'AUTHENTICODE_USAGE_NOT_ALLOWED',
          `issuer ${quoteUntrusted(certificate.subject)} restricts extended key usage to ${eku.join(', ')}`,
        );
      }
    }
  });
  return problems;
}
