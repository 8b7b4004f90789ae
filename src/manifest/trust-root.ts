import { defaults } from '../defaults.ts';
import { decodeUtf8, parseStrictJson } from '../json/strict-json.ts';
import { readBoundedFile } from '../json/read-bounded.ts';
import { ManifestError } from './errors.ts';
import { parsePublicKeyPem, type PublicKeyInfo } from './keys.ts';
import { assertValid } from './validate-json.ts';
import { validateTrustRootDocument } from './validators.ts';

/** keys/trust.json as written on disk. */
export interface TrustRootDocument {
  readonly $schema?: string;
  readonly schema: 1;
  /** Signatures from this many distinct listed keys are required. */
  readonly threshold: number;
  readonly keys: readonly TrustedKeyDocument[];
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

export interface TrustRoot {
  readonly path: string;
  readonly threshold: number;
  readonly keys: ReadonlyMap<string, TrustedKey>;
}

export function keyMaySign(key: TrustedKey, product: string): boolean {
  return key.products.includes('*') || key.products.includes(product);
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
  if (document.threshold > keys.size) {
    throw new ManifestError(
      'TRUST_ROOT_INVALID',
      `trust root: threshold ${document.threshold} is more than the ${keys.size} listed key(s)`,
      { file, pointer: '/threshold', ...parsed.positionOf('/threshold') },
    );
  }
  return { path: file, threshold: document.threshold, keys };
}

export async function loadTrustRoot(path: string): Promise<TrustRoot> {
  return parseTrustRoot(await readBoundedFile(path, defaults.maxTrustRootBytes, 'trust root'), path);
}
