/**
 * Who may have signed a Sigstore bundle, from the command line (cosign's and gh's flags), and the
 * trust material to check it with: shared by `attest verify` and `pin --from --list-signature`.
 */
import { resolve } from 'node:path';

import { UsageError } from '../errors.ts';
import type { AttestPolicy } from '../sigstore/attest-policy.ts';
import {
  GITHUB_ACTIONS_ISSUER,
  anchoredIdentity,
  exactIdentity,
  type IdentityMatcher,
} from '../sigstore/identity.ts';
import type { BundlePolicy } from '../sigstore/verify-bundle.ts';
import type { SigstoreTrust, TrustOptions } from '../sigstore/trusted-root.ts';
import type { CliIo } from './io.ts';

export interface SignerFlags {
  readonly 'certificate-identity'?: string | undefined;
  readonly 'certificate-identity-regexp'?: string | undefined;
  readonly 'certificate-oidc-issuer'?: string | undefined;
  readonly 'certificate-oidc-issuer-regexp'?: string | undefined;
  readonly key?: string | undefined;
}

/**
 * Who may sign. `--key`, or a certificate identity: `--certificate-identity[-regexp]` as
 * cosign; without one, gh's defaults: the signer lives under `https://HOST/OWNER/` (`--owner`)
 * or `https://HOST/OWNER/REPO/` (`--repo`), or is the `--signer-repo`/`--signer-workflow`
 * (checked on the Build Signer URI), with the GitHub Actions issuer unless one is given.
 */
export async function signerPolicy(
  command: string,
  values: SignerFlags,
  attestPolicy: AttestPolicy,
  io: CliIo,
): Promise<{ policy: BundlePolicy; trustOptions: TrustOptions }> {
  const identity = values['certificate-identity'];
  const identityRegexp = values['certificate-identity-regexp'];
  const issuer = values['certificate-oidc-issuer'];
  const issuerRegexp = values['certificate-oidc-issuer-regexp'];
  if (values.key !== undefined) {
    if (
      identity !== undefined ||
      identityRegexp !== undefined ||
      issuer !== undefined ||
      issuerRegexp !== undefined
    ) {
      throw new UsageError(
        `${command}: --key excludes --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]`,
      );
    }
    const { loadPublicKey } = await import('../sigstore/trusted-root.ts');
    return {
      policy: { identities: [], keyBased: true },
      trustOptions: { key: await loadPublicKey(resolve(io.cwd, values.key)) },
    };
  }
  if (identity !== undefined && identityRegexp !== undefined) {
    throw new UsageError(
      `${command}: give --certificate-identity or --certificate-identity-regexp, not both`,
    );
  }
  if (issuer !== undefined && issuerRegexp !== undefined) {
    throw new UsageError(
      `${command}: give --certificate-oidc-issuer or --certificate-oidc-issuer-regexp, not both`,
    );
  }
  const githubScope =
    attestPolicy.signerWorkflow ?? attestPolicy.signerRepo ?? attestPolicy.repo ?? attestPolicy.owner;
  let matcher: IdentityMatcher;
  if (identity !== undefined) matcher = exactIdentity(identity);
  else if (identityRegexp !== undefined) matcher = anchoredIdentity(identityRegexp);
  else if (githubScope !== undefined) {
    // gh: the SAN starts with the repository or owner URL; the exact workflow (and the source
    // repository) are then checked on the certificate extensions by the attest policy.
    const prefix =
      attestPolicy.signerWorkflow !== undefined || attestPolicy.signerRepo !== undefined
        ? `https://${attestPolicy.host}/`
        : `https://${attestPolicy.host}/${githubScope}/`;
    // GitHub owner and repository names are case-insensitive (gh matches with (?i) too).
    const pattern = `${escapeRegExp(prefix)}.+`;
    matcher = { kind: 'regexp', pattern, regexp: new RegExp(`^(?:${pattern})$`, 'iu') };
  } else {
    throw new UsageError(
      `${command}: --certificate-identity, --certificate-identity-regexp, --owner, --repo, --signer-repo or --signer-workflow is required (or --key for key-based bundles)`,
    );
  }
  let issuerPolicy: string | IdentityMatcher;
  if (issuer !== undefined) issuerPolicy = issuer;
  else if (issuerRegexp !== undefined)
    issuerPolicy = anchoredIdentity(issuerRegexp, '--certificate-oidc-issuer-regexp');
  else if (identity === undefined && identityRegexp === undefined) issuerPolicy = GITHUB_ACTIONS_ISSUER;
  else
    throw new UsageError(
      `${command}: --certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required with a certificate identity`,
    );
  return {
    policy: { identities: [{ identity: matcher, issuer: issuerPolicy }], keyBased: false },
    trustOptions: {},
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export async function loadSigstoreTrust(
  values: {
    'trusted-root'?: string | undefined;
    offline?: boolean | undefined;
    'tuf-cache'?: string | undefined;
  },
  options: TrustOptions,
  io: CliIo,
): Promise<SigstoreTrust> {
  if (values['trusted-root'] !== undefined) {
    const { loadTrustedRoot } = await import('../sigstore/trusted-root.ts');
    return loadTrustedRoot(resolve(io.cwd, values['trusted-root']), options);
  }
  if (values.offline === true) {
    const { loadDefaultTrustedRoot } = await import('../sigstore/trust-update.ts');
    return loadDefaultTrustedRoot(io.env, options);
  }
  const { defaultTufCache, fetchTrustedRootTuf } = await import('../sigstore/tuf.ts');
  const cachePath =
    values['tuf-cache'] !== undefined ? resolve(io.cwd, values['tuf-cache']) : defaultTufCache(io.env);
  return fetchTrustedRootTuf({ ...options, cachePath });
}
