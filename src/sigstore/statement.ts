import { digestsEqual, type Digests } from '../digest/index.ts';
import { defaults } from '../defaults.ts';
import { errorMessage } from '../errors.ts';
import { isJsonObject, parseStrictJson, type JsonValue } from '../json/index.ts';
import { quoteUntrusted } from '../text/truncate.ts';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_TYPES = [
  'https://in-toto.io/Statement/v1',
  'https://in-toto.io/Statement/v0.1',
] as const;

export interface StatementSubject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

/** An in-toto statement (v1 or v0.1), parsed at the boundary; the predicate stays JSON. */
export interface InTotoStatement {
  readonly type: string;
  readonly subjects: readonly StatementSubject[];
  readonly predicateType: string;
  readonly predicate: JsonValue;
}

export type StatementResult =
  | { readonly kind: 'statement'; readonly statement: InTotoStatement }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Parses a DSSE payload as an in-toto statement (strict JSON: duplicate keys rejected). */
export function parseStatement(payloadType: string, payload: Uint8Array): StatementResult {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return {
      kind: 'invalid',
      reason: `payloadType is ${quoteUntrusted(payloadType)}, expected ${IN_TOTO_PAYLOAD_TYPE}`,
    };
  }
  let value: JsonValue;
  try {
    value = parseStrictJson(Buffer.from(payload).toString('utf8'), 'DSSE payload', {
      maxArrayLength: defaults.maxStatementSubjects,
    }).value;
  } catch (error: unknown) {
    return { kind: 'invalid', reason: errorMessage(error) };
  }
  if (!isJsonObject(value)) return { kind: 'invalid', reason: 'statement is not a JSON object' };
  const type = value['_type'];
  if (typeof type !== 'string' || !(STATEMENT_TYPES as readonly string[]).includes(type)) {
    return {
      kind: 'invalid',
      reason: `_type is ${quoteUntrusted(type ?? null)}, expected ${STATEMENT_TYPES.join(' or ')}`,
    };
  }
  const predicateType = value['predicateType'];
  if (typeof predicateType !== 'string' || predicateType === '') {
    return { kind: 'invalid', reason: 'predicateType is missing' };
  }
  const subjectValue = value['subject'];
  if (!Array.isArray(subjectValue) || subjectValue.length === 0) {
    return { kind: 'invalid', reason: 'subject must be a non-empty array' };
  }
  const subjects: StatementSubject[] = [];
  for (const [index, entry] of subjectValue.entries()) {
    const digest = isJsonObject(entry) ? entry['digest'] : undefined;
    if (!isJsonObject(entry) || !isJsonObject(digest)) {
      return { kind: 'invalid', reason: `subject/${index} has no digest object` };
    }
    const digests: Record<string, string> = {};
    for (const [algorithm, hex] of Object.entries(digest)) {
      if (typeof hex !== 'string')
        return { kind: 'invalid', reason: `subject/${index}/digest/${algorithm} is not a string` };
      digests[algorithm] = hex.toLowerCase();
    }
    const name = entry['name'];
    subjects.push({ name: typeof name === 'string' ? name : '', digest: digests });
  }
  return {
    kind: 'statement',
    statement: { type, subjects, predicateType, predicate: value['predicate'] ?? null },
  };
}

/**
 * The subject whose digest matches the artifact: every algorithm both sides know must agree, and
 * at least one binding algorithm (sha256/384/512) must be shared. @sigstore/verify does not do this.
 */
export function matchingSubject(statement: InTotoStatement, artifact: Digests): StatementSubject | undefined {
  return statement.subjects.find((subject) => {
    let shared = 0;
    for (const algorithm of ['sha256', 'sha384', 'sha512'] as const) {
      const expected = subject.digest[algorithm];
      const actual = artifact[algorithm];
      if (expected === undefined || actual === undefined) continue;
      if (!digestsEqual(expected, actual)) return false;
      shared += 1;
    }
    return shared > 0;
  });
}
