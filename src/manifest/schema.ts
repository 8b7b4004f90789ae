import type { JSONSchemaType } from 'ajv';

import type { Manifest } from './types.ts';

const hex = (length: number) => ({ type: 'string', pattern: `^[0-9a-f]{${length}}$` }) as const;
const nonEmpty = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const pathList = { type: 'array', items: nonEmpty, minItems: 1, maxItems: 64 } as const;
const authenticodeSigner = {
  type: 'object',
  additionalProperties: false,
  required: ['roots'],
  properties: {
    subject: { ...nonEmpty, nullable: true },
    thumbprint: { ...hex(64), nullable: true },
    roots: pathList,
    timestampRoots: { ...pathList, nullable: true },
  },
} as const;

/**
 * The manifest JSON Schema (draft 2020-12). `JSONSchemaType<Manifest>` makes the compiler check it
 * against the TypeScript types, so the two cannot drift; manifests/schema/manifest.schema.json is
 * generated from this object (`npm run schema`) and a test keeps it current.
 * Formats: `version` (a version in one of the schemes of src/versions/), `version-range` (a range
 * in one of them; node-semver's grammar for semver), `date-time` (RFC 3339). load.ts checks versions
 * and ranges again in the manifest's own `versionScheme`.
 */
export const manifestSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://github.com/rmm-verify/rmm-verify/manifests/schema/manifest.schema.json',
  title: 'rmm-verify pinned manifest',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'product', 'vendor', 'serial', 'issued', 'expires', 'signers', 'policy', 'releases'],
  properties: {
    $schema: { type: 'string', nullable: true },
    schema: { type: 'integer', const: 1 },
    product: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,127}$' },
    vendor: nonEmpty,
    aliases: { type: 'array', items: nonEmpty, maxItems: 64, nullable: true },
    versionScheme: {
      type: 'string',
      enum: ['semver', 'windows', 'debian', 'rpm', 'commit-date'],
      nullable: true,
    },
    serial: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    issued: { type: 'string', format: 'date-time' },
    expires: { type: 'string', format: 'date-time' },
    signers: {
      type: 'object',
      additionalProperties: false,
      required: [],
      properties: {
        authenticode: {
          type: 'array',
          nullable: true,
          maxItems: 64,
          items: authenticodeSigner,
        },
        sigstore: {
          type: 'array',
          nullable: true,
          maxItems: 64,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['identity', 'issuer'],
            properties: { identity: nonEmpty, issuer: nonEmpty },
          },
        },
        provenance: {
          type: 'array',
          nullable: true,
          maxItems: 64,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['source'],
            properties: {
              builder: { ...nonEmpty, nullable: true },
              source: nonEmpty,
              ref: { ...nonEmpty, nullable: true },
              workflow: { ...nonEmpty, nullable: true },
              predicateTypes: { type: 'array', items: nonEmpty, minItems: 1, maxItems: 16, nullable: true },
              signerWorkflow: { ...nonEmpty, nullable: true },
              denySelfHostedRunners: { type: 'boolean', nullable: true },
            },
          },
        },
        openpgp: {
          type: 'array',
          nullable: true,
          maxItems: 64,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['keys'],
            properties: {
              keys: pathList,
              fingerprints: {
                type: 'array',
                nullable: true,
                minItems: 1,
                maxItems: 64,
                items: { type: 'string', pattern: '^(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$' },
              },
              platforms: { type: 'array', nullable: true, minItems: 1, maxItems: 64, items: nonEmpty },
            },
          },
        },
      },
    },
    policy: {
      type: 'object',
      additionalProperties: false,
      required: ['target'],
      properties: {
        target: { type: 'string', format: 'version' },
        minimum: { type: 'string', format: 'version-range', nullable: true },
        revoked: {
          type: 'array',
          items: { type: 'string', format: 'version-range' },
          maxItems: 1024,
          nullable: true,
        },
        platforms: { type: 'array', items: nonEmpty, maxItems: 64, nullable: true },
        advisories: {
          type: 'array',
          nullable: true,
          maxItems: 4096,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'versions', 'severity'],
            properties: {
              id: nonEmpty,
              versions: { type: 'string', format: 'version-range' },
              severity: { type: 'string', enum: ['critical', 'high', 'medium', 'low'] },
              summary: { ...nonEmpty, nullable: true },
            },
          },
        },
        requireProvenance: { type: 'boolean', nullable: true },
        requireAuthenticode: { type: 'boolean', nullable: true },
      },
    },
    releases: {
      type: 'array',
      maxItems: 10_000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['version', 'artifacts'],
        properties: {
          version: { type: 'string', format: 'version' },
          published: { type: 'string', format: 'date-time', nullable: true },
          artifacts: {
            type: 'array',
            maxItems: 1024,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'platform', 'size', 'digests'],
              properties: {
                name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^/\\\\]+$' },
                platform: nonEmpty,
                size: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
                digests: {
                  type: 'object',
                  additionalProperties: false,
                  required: [],
                  minProperties: 1,
                  properties: {
                    sha1: { ...hex(40), nullable: true },
                    sha256: { ...hex(64), nullable: true },
                    sha384: { ...hex(96), nullable: true },
                    sha512: { ...hex(128), nullable: true },
                  },
                },
                sbom: {
                  type: 'object',
                  nullable: true,
                  additionalProperties: false,
                  required: ['format', 'sha256'],
                  properties: {
                    format: { type: 'string', enum: ['cyclonedx', 'spdx'] },
                    sha256: hex(64),
                    path: { ...nonEmpty, nullable: true },
                  },
                },
                resigned: {
                  type: 'object',
                  nullable: true,
                  additionalProperties: false,
                  required: ['imageHash', 'signers'],
                  properties: {
                    imageHash: {
                      type: 'object',
                      additionalProperties: false,
                      required: ['sha256'],
                      properties: { sha256: hex(64) },
                    },
                    signers: { type: 'array', minItems: 1, maxItems: 16, items: authenticodeSigner },
                  },
                },
                pinnedFrom: {
                  type: 'object',
                  nullable: true,
                  additionalProperties: false,
                  required: ['list', 'format', 'sha256'],
                  properties: {
                    list: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^/\\\\]+$' },
                    format: { type: 'string', enum: ['meshcentral', 'sums', 'csv'] },
                    sha256: hex(64),
                    signature: {
                      type: 'object',
                      nullable: true,
                      additionalProperties: false,
                      required: ['format', 'file', 'signers'],
                      properties: {
                        format: { type: 'string', enum: ['openpgp', 'sigstore'] },
                        file: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^/\\\\]+$' },
                        signers: {
                          type: 'array',
                          minItems: 1,
                          maxItems: 16,
                          items: { type: 'string', minLength: 1, maxLength: 1024 },
                        },
                        issuer: { type: 'string', nullable: true, minLength: 1, maxLength: 1024 },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} satisfies JSONSchemaType<Manifest>;
