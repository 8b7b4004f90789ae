import { defaults } from '../defaults.ts';
import { InputError, errorMessage } from '../errors.ts';
import { fetchBytes } from '../github/download.ts';
import { isJsonObject, parseStrictJson } from '../json/index.ts';

/** Where an OIDC identity token for Sigstore comes from, first found first used. */
export interface IdentityTokenSources {
  /** `--identity-token` */
  readonly explicit?: string | undefined;
  /** SIGSTORE_ID_TOKEN (as cosign), ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN (GitHub Actions). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Plain http to 127.0.0.1 for the Actions token endpoint (tests only). */
  readonly allowInsecureLoopback?: boolean;
}

export interface IdentityToken {
  readonly token: string;
  /** For messages: `--identity-token`, `SIGSTORE_ID_TOKEN` or `GitHub Actions`; never the token. */
  readonly source: string;
}

/** Fulcio's audience for OIDC tokens. */
export const SIGSTORE_AUDIENCE = 'sigstore';

/**
 * The OIDC token Fulcio exchanges for a signing certificate: `--identity-token`, else
 * SIGSTORE_ID_TOKEN, else GitHub Actions' token service (the job needs `permissions:
 * id-token: write`, which sets ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN). The token is never
 * printed.
 */
export async function resolveIdentityToken(sources: IdentityTokenSources): Promise<IdentityToken> {
  if (sources.explicit !== undefined && sources.explicit !== '')
    return { token: checkJwt(sources.explicit, '--identity-token'), source: '--identity-token' };
  const fromEnv = sources.env['SIGSTORE_ID_TOKEN'];
  if (fromEnv !== undefined && fromEnv !== '')
    return { token: checkJwt(fromEnv, 'SIGSTORE_ID_TOKEN'), source: 'SIGSTORE_ID_TOKEN' };
  const url = sources.env['ACTIONS_ID_TOKEN_REQUEST_URL'];
  const bearer = sources.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
  if (url && bearer) {
    let request: URL;
    try {
      request = new URL(url);
    } catch {
      throw new InputError('INPUT_INVALID', 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL');
    }
    request.searchParams.set('audience', SIGSTORE_AUDIENCE);
    let body: Buffer;
    try {
      body = await fetchBytes(request.href, {
        maxBytes: defaults.maxIdentityTokenBytes,
        headers: { accept: 'application/json', authorization: `Bearer ${bearer}` },
        allowInsecureLoopback: sources.allowInsecureLoopback === true,
        bodyTimeoutMs: defaults.sigstoreSignTimeoutMs,
      });
    } catch (error: unknown) {
      throw new InputError(
        'INPUT_UNREADABLE',
        `GitHub Actions OIDC token request to ${request.origin} failed: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    let value: unknown;
    try {
      const parsed = parseStrictJson(body.toString('utf8'), 'GitHub Actions OIDC token response').value;
      value = isJsonObject(parsed) ? parsed['value'] : undefined;
    } catch (error: unknown) {
      throw new InputError('INPUT_INVALID', `GitHub Actions OIDC token response: ${errorMessage(error)}`);
    }
    if (typeof value !== 'string')
      throw new InputError('INPUT_INVALID', 'GitHub Actions OIDC token response has no "value" string');
    return { token: checkJwt(value, 'the GitHub Actions token service'), source: 'GitHub Actions' };
  }
  throw new InputError(
    'INPUT_INVALID',
    'no OIDC identity token: run in GitHub Actions with `permissions: id-token: write`, set SIGSTORE_ID_TOKEN, or pass --identity-token',
  );
}

/** Three base64url parts: a JWT (Fulcio checks its signature; this only catches a wrong value early). */
function checkJwt(token: string, source: string): string {
  const trimmed = token.trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(trimmed))
    throw new InputError(
      'INPUT_INVALID',
      `the identity token from ${source} is not a JWT (header.payload.signature)`,
    );
  return trimmed;
}
