import type { Signer } from '@sigstore/verify';

import { UsageError, errorMessage } from '../errors.ts';

/** The OIDC issuer of GitHub Actions workflow tokens (gh's default `--certificate-oidc-issuer`). */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/** How a certificate identity (SAN) is matched: exactly by default, or by an anchored regexp. */
export type IdentityMatcher =
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'regexp'; readonly pattern: string; readonly regexp: RegExp };

/** Who may have signed: one identity and one OIDC issuer (a string: exact). */
export interface IdentityPolicy {
  readonly identity: IdentityMatcher;
  readonly issuer: string | IdentityMatcher;
}

export function issuerMatches(issuer: string | IdentityMatcher, actual: string | undefined): boolean {
  return typeof issuer === 'string' ? issuer === actual : identityMatches(issuer, actual);
}

export function describeIssuer(issuer: string | IdentityMatcher): string {
  return typeof issuer === 'string' ? JSON.stringify(issuer) : describeMatcher(issuer);
}

export function exactIdentity(value: string): IdentityMatcher {
  return { kind: 'exact', value };
}

/**
 * Compiles `--certificate-identity-regexp`. Anchored with ^(?:…)$ explicitly: sigstore-js and
 * cosign match unanchored, so `github.com/acme/` would accept `github.com/acme/../evil`.
 */
export function anchoredIdentity(pattern: string, flag = '--certificate-identity-regexp'): IdentityMatcher {
  try {
    return { kind: 'regexp', pattern, regexp: new RegExp(`^(?:${pattern})$`, 'u') };
  } catch (error: unknown) {
    throw new UsageError(`invalid ${flag} ${JSON.stringify(pattern)}: ${errorMessage(error)}`);
  }
}

export function identityMatches(matcher: IdentityMatcher, identity: string | undefined): boolean {
  if (identity === undefined) return false;
  return matcher.kind === 'exact' ? matcher.value === identity : matcher.regexp.test(identity);
}

export function describeMatcher(matcher: IdentityMatcher): string {
  return matcher.kind === 'exact' ? JSON.stringify(matcher.value) : `/^(?:${matcher.pattern})$/`;
}

/** Fulcio certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
export interface SignerFacts {
  readonly identity?: string;
  readonly issuer?: string;
  readonly buildSignerUri?: string;
  readonly runnerEnvironment?: string;
  readonly sourceRepositoryUri?: string;
  readonly sourceRepositoryDigest?: string;
  readonly sourceRepositoryRef?: string;
  readonly buildConfigUri?: string;
  readonly runInvocationUri?: string;
}

const FULCIO_ARC = '1.3.6.1.4.1.57264.1.';
const EXTENSIONS: Readonly<Record<string, keyof SignerFacts>> = {
  '9': 'buildSignerUri',
  '11': 'runnerEnvironment',
  '12': 'sourceRepositoryUri',
  '13': 'sourceRepositoryDigest',
  '14': 'sourceRepositoryRef',
  '18': 'buildConfigUri',
  '21': 'runInvocationUri',
};

export function signerFacts(signer: Signer): SignerFacts {
  const facts: { -readonly [K in keyof SignerFacts]: string } = {};
  const identity = signer.identity;
  if (identity?.subjectAlternativeName !== undefined) facts['identity'] = identity.subjectAlternativeName;
  if (identity?.extensions?.issuer !== undefined) facts['issuer'] = identity.extensions.issuer;
  for (const pair of identity?.oids ?? []) {
    const oid = pair.oid?.id.join('.') ?? '';
    if (!oid.startsWith(FULCIO_ARC)) continue;
    const name = EXTENSIONS[oid.slice(FULCIO_ARC.length)];
    if (name === undefined) continue;
    const value = derUtf8String(pair.value);
    if (value !== undefined) facts[name] = value;
  }
  return facts;
}

/** The value of a Fulcio v2 extension: a DER UTF8String (tag 0x0c). */
function derUtf8String(bytes: Buffer): string | undefined {
  if (bytes[0] !== 0x0c || bytes.length < 2) return undefined;
  const first = bytes[1] ?? 0;
  let length = first;
  let offset = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 2) return undefined;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[2 + i] ?? 0);
    offset = 2 + count;
  }
  if (offset + length !== bytes.length) return undefined;
  return bytes.subarray(offset).toString('utf8');
}
