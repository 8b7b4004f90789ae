import type { JSONSchemaType } from 'ajv';

import { defaults } from '../defaults.ts';
import { decodeUtf8, parseStrictJson } from '../json/strict-json.ts';
import { readBoundedFile } from '../json/read-bounded.ts';
import { createAjv } from './ajv.ts';
import { ManifestError } from './errors.ts';
import { parsePublicKeyPem, type PublicKeyInfo } from './keys.ts';
import { assertValid } from './validate-json.ts';

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

export const trustRootSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'threshold', 'keys'],
  properties: {
    $schema: { type: 'string', nullable: true },
    schema: { type: 'integer', const: 1 },
    threshold: { type: 'integer', minimum: 1, maximum: 64 },
    keys: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['keyid', 'name', 'publicKey', 'products'],
        properties: {
          keyid: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          name: { type: 'string', minLength: 1, maxLength: 256 },
          publicKey: { type: 'string', minLength: 1, maxLength: 16384 },
          products: {
            type: 'array',
            minItems: 1,
            maxItems: 256,
            items: { type: 'string', minLength: 1, maxLength: 128 },
          },
        },
      },
    },
  },
} satisfies JSONSchemaType<TrustRootDocument>;

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
  const validate = createAjv().compile<TrustRootDocument>(trustRootSchema);
  const document = assertValid(validate, parsed, file, 'TRUST_ROOT_INVALID', 'trust root');
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
