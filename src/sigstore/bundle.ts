import type { Bundle } from '@sigstore/bundle';

import { defaults } from '../defaults.ts';
import { InputError, errorMessage } from '../errors.ts';
import { decodeUtf8, parseStrictJson, readBoundedFile, type JsonValue } from '../json/index.ts';
import { sigstoreBundle } from './libraries.ts';
import { quoteUntrusted, truncateUntrusted } from '../text/truncate.ts';

export const BUNDLE_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
] as const;

/** One bundle read from a file: parsed, or the reason it is not a usable bundle. */
export type ParsedBundle =
  | { readonly kind: 'bundle'; readonly bundle: Bundle; readonly file: string; readonly index: number }
  | { readonly kind: 'invalid'; readonly reason: string; readonly file: string; readonly index: number };

/**
 * Turns one bundle document into a typed Bundle. Malformed JSON throws InputError (an input
 * error); JSON that is not a valid bundle of a known media type is returned as `invalid` so
 * callers report it as SIGSTORE_BUNDLE_INVALID.
 */
export function parseBundleJson(value: JsonValue, file: string, index = 0): ParsedBundle {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'invalid', reason: 'expected a JSON object', file, index };
  }
  const mediaType = value['mediaType'];
  if (mediaType === undefined && 'payloadType' in value && 'signatures' in value) {
    return {
      kind: 'invalid',
      reason:
        'a bare DSSE envelope (as older slsa-github-generator .intoto.jsonl files hold) carries no certificate or transparency-log entry; offline verification needs a Sigstore bundle',
      file,
      index,
    };
  }
  if (typeof mediaType !== 'string' || !(BUNDLE_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    return {
      kind: 'invalid',
      reason: `unsupported bundle mediaType ${quoteUntrusted(mediaType ?? null)}`,
      file,
      index,
    };
  }
  let bundle: Bundle;
  try {
    bundle = sigstoreBundle().bundleFromJSON(value);
  } catch (error: unknown) {
    return { kind: 'invalid', reason: truncateUntrusted(errorMessage(error), 400), file, index };
  }
  return { kind: 'bundle', bundle: normalizeV01(bundle), file, index };
}

/** Parses bundle bytes: one JSON document, or for `*.jsonl` files one bundle per line (`gh attestation download`). */
export function parseBundleBytes(bytes: Uint8Array, file: string): ParsedBundle[] {
  const text = decodeUtf8(bytes, file).trim();
  if (text === '') throw new InputError('INPUT_INVALID', 'bundle file is empty', { file });
  const documents = file.endsWith('.jsonl')
    ? text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '')
    : [text];
  if (documents.length > defaults.maxBundlesPerFile) {
    throw new InputError(
      'INPUT_TOO_LARGE',
      `bundle file holds ${documents.length} bundles; the limit is ${defaults.maxBundlesPerFile}`,
      { file },
    );
  }
  return documents.map((document, index) =>
    parseBundleJson(
      parseStrictJson(document, documents.length > 1 ? `${file} line ${index + 1}` : file).value,
      file,
      index,
    ),
  );
}

export async function loadBundles(path: string): Promise<ParsedBundle[]> {
  return parseBundleBytes(await readBoundedFile(path, defaults.maxBundleBytes, 'bundle'), path);
}

/**
 * v0.1 bundles carry inclusion proofs without a signed checkpoint; their inclusion promise (SET)
 * is what binds the entry. A proof whose root hash nobody signed proves nothing, so it is dropped
 * and the promise (required for v0.1 by bundleFromJSON's validation) is verified instead.
 */
function normalizeV01(bundle: Bundle): Bundle {
  if (bundle.mediaType !== BUNDLE_MEDIA_TYPES[0]) return bundle;
  return {
    ...bundle,
    verificationMaterial: {
      ...bundle.verificationMaterial,
      tlogEntries: bundle.verificationMaterial.tlogEntries.map((entry) =>
        entry.inclusionProof && !entry.inclusionProof.checkpoint
          ? { ...entry, inclusionProof: undefined }
          : entry,
      ),
    },
  } as Bundle;
}
