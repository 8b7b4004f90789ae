import parseExpression from 'spdx-expression-parse';

import { defaults } from '../defaults.ts';
import type { SbomLicense } from './model.ts';

/**
 * Licence policy: evaluates SPDX licence expressions (SPDX 2.3 annex D) instead of matching
 * strings. A component complies when some way of satisfying its expression uses only permitted
 * licences: `A OR B` needs one side, `A AND B` both; several licence entries on one component
 * must all be satisfied.
 */
export interface LicensePolicy {
  /** Licence ids that must not be relied on. */
  readonly deny: readonly string[];
  /** When given, only these licence ids may be relied on. */
  readonly allow?: readonly string[];
}

/**
 * Compares licence ids case-insensitively, with the deprecated bare GPL-family ids equal to
 * their `-only` form and `+` equal to `-or-later` (`GPL-2.0` = `GPL-2.0-only`, `GPL-2.0+` =
 * `GPL-2.0-or-later`).
 */
export function licenseKey(id: string, plus = false): string {
  let key = id.toLowerCase().trim();
  if (key.endsWith('+')) {
    key = key.slice(0, -1);
    plus = true;
  }
  if (key.endsWith('-or-later')) {
    key = key.slice(0, -'-or-later'.length);
    plus = true;
  }
  if (key.endsWith('-only')) key = key.slice(0, -'-only'.length);
  return plus ? `${key}-or-later` : key;
}

export type LicenseVerdict =
  | { readonly kind: 'ok' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly expression: string; readonly reason: string }
  | { readonly kind: 'denied'; readonly expression: string; readonly licenses: readonly string[] };

type Node = parseExpression.Info;

export class LicenseEvaluator {
  readonly #deny: ReadonlySet<string>;
  readonly #allow: ReadonlySet<string> | undefined;
  readonly #cache = new Map<string, LicenseVerdict>();

  constructor(policy: LicensePolicy) {
    this.#deny = new Set(policy.deny.map((id) => licenseKey(id)));
    this.#allow = policy.allow ? new Set(policy.allow.map((id) => licenseKey(id))) : undefined;
  }

  #permitted(id: string, plus = false): boolean {
    const key = licenseKey(id, plus);
    return !this.#deny.has(key) && (this.#allow === undefined || this.#allow.has(key));
  }

  /** Licence ids a node relies on that are not permitted, or [] when some choice complies. */
  #violations(node: Node): string[] {
    if ('license' in node)
      return this.#permitted(node.license, node.plus === true) ? [] : [node.license + (node.plus ? '+' : '')];
    const left = this.#violations(node.left);
    const right = this.#violations(node.right);
    if (node.conjunction === 'or') return left.length === 0 || right.length === 0 ? [] : [...left, ...right];
    return [...left, ...right];
  }

  #evaluateOne(license: SbomLicense): LicenseVerdict {
    if (license.kind === 'name') {
      return this.#permitted(license.value)
        ? { kind: 'ok' }
        : { kind: 'denied', expression: license.value, licenses: [license.value] };
    }
    const cached = this.#cache.get(license.value);
    if (cached) return cached;
    let verdict: LicenseVerdict;
    const tooLong = exceedsLimits(license.value);
    if (tooLong !== undefined) {
      // spdx-expression-parse recurses per term and slows down on long inputs (a valid
      // 10,000-term AND overflowed the stack; 800 KB took minutes): longer ones are not parsed.
      verdict = { kind: 'invalid', expression: license.value, reason: tooLong };
      if (this.#cache.size < 100_000) this.#cache.set(license.value, verdict);
      return verdict;
    }
    try {
      const violations = this.#violations(parseExpression(license.value));
      verdict =
        violations.length === 0
          ? { kind: 'ok' }
          : { kind: 'denied', expression: license.value, licenses: [...new Set(violations)] };
    } catch (error: unknown) {
      verdict = {
        kind: 'invalid',
        expression: license.value,
        reason: error instanceof Error ? error.message : String(error),
      };
    }
    if (this.#cache.size < 100_000) this.#cache.set(license.value, verdict);
    return verdict;
  }

  /** The verdict for all licence entries of one component (all must comply). */
  evaluate(licenses: readonly SbomLicense[]): LicenseVerdict {
    if (licenses.length === 0) return { kind: 'missing' };
    const denied: string[] = [];
    const expressions: string[] = [];
    for (const license of licenses) {
      const verdict = this.#evaluateOne(license);
      if (verdict.kind === 'invalid') return verdict;
      if (verdict.kind === 'denied') {
        denied.push(...verdict.licenses);
        expressions.push(verdict.expression);
      }
    }
    return denied.length === 0
      ? { kind: 'ok' }
      : { kind: 'denied', expression: expressions.join(' AND '), licenses: [...new Set(denied)] };
  }
}

/** Why an expression is too long to parse (linear scan), or undefined. */
function exceedsLimits(expression: string): string | undefined {
  if (expression.length > defaults.maxLicenseExpressionChars)
    return `longer than ${defaults.maxLicenseExpressionChars} characters (${expression.length}); not parsed`;
  let terms = 0;
  const words = /[^\s()]+/g;
  while (words.exec(expression) !== null) {
    terms += 1;
    if (terms > defaults.maxLicenseExpressionTerms)
      return `more than ${defaults.maxLicenseExpressionTerms} licences and operators; not parsed`;
  }
  return undefined;
}
