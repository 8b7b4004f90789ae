/**
 * The Sigstore libraries (CommonJS packages), loaded on first use: importing rmm-verify, or
 * running a command that verifies no bundle, loads none of them (cold start; the library's
 * entry point loads nothing a caller does not use). The synchronous API (parseBundleBytes,
 * parseTrustedRoot, verifyBundle) stays synchronous: CommonJS loads with require.
 * The GitHub Action's bundle replaces this module with static imports
 * (scripts/build-action.ts), since it ships without node_modules.
 */
import { createRequire } from 'node:module';

import type * as SigstoreBundle from '@sigstore/bundle';
import type * as ProtobufSpecs from '@sigstore/protobuf-specs';
import type * as SigstoreVerify from '@sigstore/verify';

const load = createRequire(import.meta.url);

let bundle: typeof SigstoreBundle | undefined;
let specs: typeof ProtobufSpecs | undefined;
let verify: typeof SigstoreVerify | undefined;

/** @sigstore/bundle: bundleFromJSON and the bundle types. */
export function sigstoreBundle(): typeof SigstoreBundle {
  return (bundle ??= load('@sigstore/bundle') as typeof SigstoreBundle);
}

/** @sigstore/protobuf-specs: the TrustedRoot JSON codec. */
export function protobufSpecs(): typeof ProtobufSpecs {
  return (specs ??= load('@sigstore/protobuf-specs') as typeof ProtobufSpecs);
}

/** @sigstore/verify: Verifier, toSignedEntity, toTrustMaterial. */
export function sigstoreVerify(): typeof SigstoreVerify {
  return (verify ??= load('@sigstore/verify') as typeof SigstoreVerify);
}
