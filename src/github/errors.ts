import { RmmVerifyError, type RmmVerifyErrorOptions } from '../errors.ts';

export type GithubErrorCode =
  | 'GITHUB_BAD_REF'
  | 'GITHUB_NOT_FOUND'
  | 'GITHUB_RATE_LIMITED'
  | 'GITHUB_HTTP'
  | 'GITHUB_INSECURE_URL'
  | 'GITHUB_DOWNLOAD';

/**
 * A GitHub API or download failure: fail closed (exit 2) with the URL and what went wrong.
 * Messages never contain the token: only URLs we built and status lines are included.
 */
export class GithubError extends RmmVerifyError<GithubErrorCode> {
  constructor(code: GithubErrorCode, message: string, options: RmmVerifyErrorOptions = {}) {
    super(code, message, options);
  }
}
