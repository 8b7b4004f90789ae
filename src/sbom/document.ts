import { createHash } from 'node:crypto';

import { defaults } from '../defaults.ts';
import { InputError } from '../errors.ts';
import {
  decodeUtf8,
  isJsonObject,
  parseStrictJson,
  readBoundedFile,
  type JsonValue,
  type ParsedJson,
} from '../json/index.ts';
import { quoteUntrusted } from '../text/truncate.ts';

export type SbomFormat = 'cyclonedx' | 'spdx';

/** CycloneDX spec versions with a bundled schema. */
export const CYCLONEDX_VERSIONS = ['1.4', '1.5', '1.6'] as const;
export type CycloneDxVersion = (typeof CYCLONEDX_VERSIONS)[number];

export type SbomKind =
  | { readonly format: 'cyclonedx'; readonly specVersion: CycloneDxVersion }
  | { readonly format: 'spdx'; readonly specVersion: 'SPDX-2.3' }
  | { readonly format: 'unsupported'; readonly reason: string };

export interface SbomLimits {
  readonly maxBytes?: number;
  readonly maxDepth?: number;
  readonly maxArrayLength?: number;
}

/** A well-formed JSON document read as an SBOM, before validation. */
export interface SbomDocument {
  readonly file: string;
  readonly kind: SbomKind;
  /** Lower-case hex sha256 of the exact bytes (for the manifest pin). */
  readonly sha256: string;
  readonly size: number;
  readonly json: ParsedJson;
}

/**
 * Parses SBOM bytes with the strict JSON parser (duplicate keys, nesting and array limits) and
 * identifies the format. Throws InputError for anything that is not well-formed JSON within the
 * limits; a JSON document of an unknown format is returned with kind `unsupported`.
 */
export function parseSbom(bytes: Uint8Array, file: string, limits: SbomLimits = {}): SbomDocument {
  const maxBytes = limits.maxBytes ?? defaults.maxSbomBytes;
  if (bytes.byteLength > maxBytes) {
    throw new InputError('INPUT_TOO_LARGE', `SBOM is larger than the limit of ${maxBytes} bytes`, { file });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const json = parseStrictJson(decodeUtf8(bytes, file), file, {
    maxDepth: limits.maxDepth ?? defaults.maxSbomDepth,
    maxArrayLength: limits.maxArrayLength ?? defaults.maxSbomArrayLength,
  });
  return { file, kind: detectKind(json.value), sha256, size: bytes.byteLength, json };
}

/** Reads a file (size-capped) and parses it with parseSbom. */
export async function readSbomFile(path: string, limits: SbomLimits = {}): Promise<SbomDocument> {
  const bytes = await readBoundedFile(path, limits.maxBytes ?? defaults.maxSbomBytes, 'SBOM');
  return parseSbom(bytes, path, limits);
}

function detectKind(value: JsonValue): SbomKind {
  if (!isJsonObject(value)) return { format: 'unsupported', reason: 'the document is not a JSON object' };
  if ('bomFormat' in value || 'specVersion' in value) {
    if (value['bomFormat'] !== 'CycloneDX') {
      return {
        format: 'unsupported',
        reason: `bomFormat is ${quoteUntrusted(value['bomFormat'] ?? null)}, expected "CycloneDX"`,
      };
    }
    const version = value['specVersion'];
    if (typeof version === 'string' && (CYCLONEDX_VERSIONS as readonly string[]).includes(version)) {
      return { format: 'cyclonedx', specVersion: version as CycloneDxVersion };
    }
    return {
      format: 'unsupported',
      reason: `CycloneDX specVersion ${quoteUntrusted(version ?? null)} is not one of ${CYCLONEDX_VERSIONS.join(', ')}`,
    };
  }
  if ('spdxVersion' in value) {
    if (value['spdxVersion'] === 'SPDX-2.3') return { format: 'spdx', specVersion: 'SPDX-2.3' };
    return {
      format: 'unsupported',
      reason: `spdxVersion ${quoteUntrusted(value['spdxVersion'] ?? null)} is not supported (expected "SPDX-2.3")`,
    };
  }
  return {
    format: 'unsupported',
    reason: 'neither a CycloneDX document (bomFormat, specVersion) nor an SPDX document (spdxVersion)',
  };
}
