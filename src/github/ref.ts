import { hasControlCharacter } from '../text/control-character.ts';
/** A release named on the command line as `github:owner/repo@tag`. */
export interface GithubRef {
  readonly owner: string;
  readonly repo: string;
  readonly tag: string;
}

// GitHub's own limits: owner 1-39 of [A-Za-z0-9-], repository 1-100 of [A-Za-z0-9._-].
const REF = /^github:([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})@([^\s@]{1,255})$/u;

/** Parses `github:owner/repo@tag`; undefined for anything else (a local path, a malformed ref). */
export function parseGithubRef(arg: string): GithubRef | undefined {
  const match = REF.exec(arg);
  if (!match) return undefined;
  const [, owner, repo, tag] = match;
  if (owner === undefined || repo === undefined || tag === undefined) return undefined;
  if (repo === '.' || repo === '..' || hasControlCharacter(tag)) return undefined;
  return { owner, repo, tag };
}

export function formatGithubRef(ref: GithubRef): string {
  return `github:${ref.owner}/${ref.repo}@${ref.tag}`;
}
