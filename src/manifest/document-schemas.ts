import type { JSONSchemaType } from 'ajv';

import type { SignatureFile } from './signature-file.ts';
import type { ManifestState } from './state.ts';
import type { TrustRootDocument } from './trust-root.ts';

/*
 * The JSON Schemas of the manifest's companion documents (trust root, detached signatures,
 * rollback state). Data only: scripts/build-validators.ts compiles them into src/validators/
 * at build time, so this module must not import the validators it feeds.
 */

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
    identities: {
      type: 'array',
      nullable: true,
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'issuer', 'products'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 256 },
          issuer: { type: 'string', minLength: 1, maxLength: 1024 },
          subject: { type: 'string', minLength: 1, maxLength: 1024, nullable: true },
          subjectRegExp: { type: 'string', minLength: 1, maxLength: 1024, nullable: true },
          repository: { type: 'string', minLength: 1, maxLength: 1024, nullable: true },
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

export const stateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'products'],
  properties: {
    schema: { type: 'integer', const: 1 },
    products: {
      type: 'object',
      required: [],
      maxProperties: 10_000,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['serial', 'sha256', 'acceptedAt'],
        properties: {
          serial: { type: 'integer', minimum: 0 },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          acceptedAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} satisfies JSONSchemaType<ManifestState>;

export const signatureFileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'signatures'],
  properties: {
    schema: { type: 'integer', const: 1 },
    signatures: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['keyid', 'signature'],
        properties: {
          keyid: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          signature: { type: 'string', pattern: '^[A-Za-z0-9+/]+={0,2}$', maxLength: 2048 },
        },
      },
    },
  },
} satisfies JSONSchemaType<SignatureFile>;
