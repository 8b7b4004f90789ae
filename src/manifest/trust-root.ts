import { defaults } from '../defaults.ts';
import { decodeUtf8, parseStrictJson } from '../json/strict-json.ts';
import { readBoundedFile } from '../json/read-bounded.ts';
import { errorMessage } from '../errors.ts';
import { ManifestError } from './errors.ts';
import { parsePublicKeyPem, type PublicKeyInfo } from './keys.ts';
import { assertValid } from './validate-json.ts';
import { validateTrustRootDocument } from './validators.ts';

/** keys/trust.json as written on disk. */
export interface TrustRootDocument {
  readonly $schema?: string;
  readonly schema: 1;
  /** Signatures from this many distinct listed signers (keys and identities together) are required. */
  readonly threshold: number;
  readonly keys: readonly TrustedKeyDocument[];
  /** Sigstore signers (keyless): a Fulcio certificate identity instead of a long-lived key. */
  readonly identities?: readonly TrustedIdentityDocument[];
}

/**
 * A keyless signer: the OIDC issuer and certificate subject (SAN) of a Fulcio certificate, as a
 * vendor's release workflow gets it (`manifest sign --sigstore`).
 */
export interface TrustedIdentityDocument {
  /** A label for people; unique among the identities. */
  readonly name: string;
  /** OIDC issuer, exact (e.g. https://token.actions.githubusercontent.com). */
  readonly issuer: string;
  /** Certificate subject, exact. Exactly one of subject and subjectRegExp. */
  readonly subject?: string;
  /** Certificate subject as a regular expression, anchored: it must match the whole subject. */
  readonly subjectRegExp?: string;
  /** Source repository from the Fulcio extension 1.3.6.1.4.1.57264.1.12 (scheme, case and .git ignored). */
  readonly repository?: string;
  /** Products this identity may sign manifests for; `*` means any. */
  readonly products: readonly string[];
}

export interface TrustedKeyDocument {
  /** SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex; checked against the key. */
  readonly keyid: string;
  /** A label for people. */
  readonly name: string;
  /** PEM SubjectPublicKeyInfo. */
  readonly publicKey: string;
  /** Products this key may sign manifests for; `*` means any. */
  readonly products: readonly string[];
}

export { trustRootSchema } from './document-schemas.ts';

export interface TrustedKey extends PublicKeyInfo {
  readonly name: string;
  readonly products: readonly string[];
}

/** A keyless signer, its subject compiled (anchored) and its repository normalised. */
export interface TrustedIdentity {
  readonly name: string;
  readonly issuer: string;
  readonly subject:
    | { readonly kind: 'exact'; readonly value: string }
    | { readonly kind: 'regexp'; readonly pattern: string; readonly regexp: RegExp };
  /** Normalised: `github.com/acme/agent`. */
  readonly repository?: string;
  readonly products: readonly string[];
}

/** What a verified Sigstore certificate says about its signer (Fulcio extensions). */
export interface CertificateSigner {
  readonly subject?: string;
  readonly issuer?: string;
  readonly repository?: string;
}

export interface TrustRoot {
  readonly path: string;
  readonly threshold: number;
  readonly keys: ReadonlyMap<string, TrustedKey>;
  /** Keyless signers; empty when the trust root lists none. */
  readonly identities: readonly TrustedIdentity[];
}

export function keyMaySign(key: TrustedKey | TrustedIdentity, product: string): boolean {
  return key.products.includes('*') || key.products.includes(product);
}

/** `https://GitHub.com/Acme/Agent.git` and `github.com/acme/agent` are one repository. */
export function normaliseRepositoryUri(value: string): string {
  return value
    .replace(/^git\+/, '')
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
    .toLowerCase();
}

/** Issuer exact, subject exact or by the anchored regexp, repository (when listed) equal. */
export function identityMatchesSigner(identity: TrustedIdentity, signer: CertificateSigner): boolean {
  if (signer.issuer !== identity.issuer || signer.subject === undefined) return false;
  const subjectOk =
    identity.subject.kind === 'exact'
      ? identity.subject.value === signer.subject
      : identity.subject.regexp.test(signer.subject);
  if (!subjectOk) return false;
  if (identity.repository === undefined) return true;
  return signer.repository !== undefined && normaliseRepositoryUri(signer.repository) === identity.repository;
}

export function describeIdentity(identity: TrustedIdentity): string {
  const subject =
    identity.subject.kind === 'exact'
      ? JSON.stringify(identity.subject.value)
      : `/^(?:${identity.subject.pattern})$/`;
  return `"${identity.name}" (issuer ${JSON.stringify(identity.issuer)}, subject ${subject}${identity.repository === undefined ? '' : `, repository ${identity.repository}`})`;
}

export function parseTrustRoot(bytes: Uint8Array, file: string): TrustRoot {
  const parsed = parseStrictJson(decodeUtf8(bytes, file), file);
  const document = assertValid(validateTrustRootDocument, parsed, file, 'TRUST_ROOT_INVALID', 'trust root');
  const keys = new Map<string, TrustedKey>();
  document.keys.forEach((entry, index) => {
    const pointer = `/keys/${index}`;
    const info = parsePublicKeyPem(entry.publicKey, { file, pointer: `${pointer}/publicKey` });
    if (info.keyid !== entry.keyid) {
      throw new ManifestError(
        'TRUST_ROOT_INVALID',
        `trust root: keyid does not match the key; expected ${info.keyid}, found ${entry.keyid}`,
        {
          file,
          pointer: `${pointer}/keyid`,
          ...parsed.positionOf(`${pointer}/keyid`),
        },
      );
    }
    if (keys.has(info.keyid)) {
      throw new ManifestError('TRUST_ROOT_INVALID', `trust root: key ${info.keyid} is listed twice`, {
        file,
        pointer,
        ...parsed.positionOf(pointer),
      });
    }
    keys.set(info.keyid, { ...info, name: entry.name, products: entry.products });
  });
  const identities = (document.identities ?? []).map((entry, index) =>
    parseIdentity(entry, `/identities/${index}`, file, parsed),
  );
  const names = new Set<string>();
  identities.forEach((identity, index) => {
    const pointer = `/identities/${index}/name`;
    if (names.has(identity.name)) {
      throw new ManifestError(
        'TRUST_ROOT_INVALID',
        `trust root: identity name "${identity.name}" is used twice`,
        {
          file,
          pointer,
          ...parsed.positionOf(pointer),
        },
      );
    }
    names.add(identity.name);
  });
  const signers = keys.size + identities.length;
  if (signers === 0) {
    throw new ManifestError('TRUST_ROOT_INVALID', 'trust root: lists no keys and no identities', {
      file,
      pointer: '/keys',
      ...parsed.positionOf('/keys'),
    });
  }
  if (document.threshold > signers) {
    throw new ManifestError(
      'TRUST_ROOT_INVALID',
      `trust root: threshold ${document.threshold} is more than the ${keys.size} listed key(s) and ${identities.length} identit${identities.length === 1 ? 'y' : 'ies'}`,
      { file, pointer: '/threshold', ...parsed.positionOf('/threshold') },
    );
  }
  return { path: file, threshold: document.threshold, keys, identities };
}

function parseIdentity(
  entry: TrustedIdentityDocument,
  pointer: string,
  file: string,
  parsed: ReturnType<typeof parseStrictJson>,
): TrustedIdentity {
  const at = (field: string) => ({
    file,
    pointer: `${pointer}${field}`,
    ...parsed.positionOf(`${pointer}${field}`),
  });
  if ((entry.subject === undefined) === (entry.subjectRegExp === undefined)) {
    throw new ManifestError(
      'TRUST_ROOT_INVALID',
      'trust root: an identity needs exactly one of subject (exact) and subjectRegExp (anchored)',
      at(''),
    );
  }
  let subject: TrustedIdentity['subject'];
  if (entry.subjectRegExp !== undefined) {
    try {
      // Anchored explicitly: sigstore-js and cosign match unanchored, so `github.com/acme/` would
      // accept any subject that merely contains it.
      subject = {
        kind: 'regexp',
        pattern: entry.subjectRegExp,
        regexp: new RegExp(`^(?:${entry.subjectRegExp})$`, 'u'),
      };
    } catch (error: unknown) {
      throw new ManifestError(
        'TRUST_ROOT_INVALID',
        `trust root: subjectRegExp is not a valid regular expression: ${errorMessage(error)}`,
        at('/subjectRegExp'),
      );
    }
  } else {
    subject = { kind: 'exact', value: entry.subject ?? '' };
  }
  return {
    name: entry.name,
    issuer: entry.issuer,
    subject,
    ...(entry.repository !== undefined ? { repository: normaliseRepositoryUri(entry.repository) } : {}),
    products: entry.products,
  };
}

export async function loadTrustRoot(path: string): Promise<TrustRoot> {
  return parseTrustRoot(await readBoundedFile(path, defaults.maxTrustRootBytes, 'trust root'), path);
}
