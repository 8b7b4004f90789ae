import type { ValidateFunction } from 'ajv';

import * as generated from '../validators/manifest.ts';
import type { SignatureFile } from './signature-file.ts';
import type { ManifestState } from './state.ts';
import type { TrustRootDocument } from './trust-root.ts';
import type { Manifest } from './types.ts';

// Compiled from schema.ts and document-schemas.ts at build time (scripts/build-validators.ts):
// loading them costs no schema compilation, and the generated code's types are ajv's.
export const validateManifestDocument = generated.manifest as unknown as ValidateFunction<Manifest>;
export const validateTrustRootDocument =
  generated.trustRoot as unknown as ValidateFunction<TrustRootDocument>;
export const validateSignatureFileDocument =
  generated.signatureFile as unknown as ValidateFunction<SignatureFile>;
export const validateStateDocument = generated.state as unknown as ValidateFunction<ManifestState>;
